#include "core/hyperparams_runs.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "core/units.h"

namespace scaleplan {

RunsTable HyperparamsRuns::AsRunsTable() const {
  RunsTable table;
  table.source = source;
  for (const HyperparamsRun& run : runs) {
    table.runs.push_back({run.num_params, 0.0, run.compute_flops, run.loss_nats, run.line});
  }
  return table;
}

HyperparamsRuns ParseHyperparamsRunsCsv(std::string_view text, const std::string& source,
                                        const HyperparamsColumns& columns) {
  const CsvTable csv = ParseCsv(text, source, columns.runs.selection.delimiter);
  const CsvColumnRule compute_rule{
      "C (compute)", {"c", "flops", "compute", "c_flops", "training flop"}, "--c-col", columns.runs.compute};
  const CsvColumnRule params_rule{"N (parameters)",
                                  {"n", "params", "num_params", "n_params", "model_size", "model size", "parameters"},
                                  "--n-col",
                                  columns.runs.params};
  const CsvColumnRule tokens_rule{"D (tokens)",
                                  {"d", "tokens", "num_tokens", "n_tokens", "d_tokens", "train_tokens"},
                                  "--d-col",
                                  columns.runs.tokens};
  const CsvColumnRule loss_rule{
      "the loss", {"loss", "val_loss", "final_loss", "validation_loss", "eval_loss"}, "--loss-col", columns.runs.loss};
  const CsvColumnRule lr_rule{
      "the learning rate", {"learning_rate", "lr", "peak_lr", "max_lr"}, "--lr-col", columns.learning_rate};
  const std::vector<std::string> token_batch = {"batch_tokens", "tokens_per_batch"};
  const std::vector<std::string> sequence_batch = {"batch_size", "batch_sequences", "train_batch_size"};
  std::vector<std::string> all_batch = token_batch;
  all_batch.insert(all_batch.end(), sequence_batch.begin(), sequence_batch.end());
  const CsvColumnRule batch_rule{"the batch", all_batch, "--batch-col", columns.batch};

  const std::optional<size_t> compute = FindCsvColumn(csv, compute_rule);
  const std::optional<size_t> params = FindCsvColumn(csv, params_rule);
  const std::optional<size_t> tokens = compute ? std::nullopt : FindCsvColumn(csv, tokens_rule);
  const std::optional<size_t> loss = FindCsvColumn(csv, loss_rule);
  const std::optional<size_t> lr = FindCsvColumn(csv, lr_rule);
  const std::optional<size_t> batch = FindCsvColumn(csv, batch_rule);
  const InputLocation header_where{source, csv.header_line};
  if (!batch) throw MissingCsvColumnError(csv, batch_rule);
  if (!lr) throw MissingCsvColumnError(csv, lr_rule);
  if (!loss) throw MissingCsvColumnError(csv, loss_rule);
  if (!compute && !(params && tokens)) {
    throw InputError("missing column for C (compute), or N and D for C = 6 N D: the header has " +
                         QuotedCsvHeader(csv) + "; accepted names are " + CsvAliasList(compute_rule) +
                         " for C (or --c-col)",
                     header_where);
  }
  HyperparamsRuns out;
  out.source = source;
  out.batch_column = csv.header[*batch];
  out.lr_column = csv.header[*lr];
  out.loss_column = csv.header[*loss];
  if (compute) out.compute_column = csv.header[*compute];
  if (params) out.params_column = csv.header[*params];
  // A named column is in sequences exactly when --seq-len is given; a detected one by its name.
  std::string lower = out.batch_column;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  out.batch_in_sequences =
      columns.batch.empty()
          ? std::find(sequence_batch.begin(), sequence_batch.end(), lower) != sequence_batch.end()
          : columns.seq_len > 0;
  if (out.batch_in_sequences && !(columns.seq_len > 0)) {
    throw InputError("column '" + out.batch_column +
                         "' counts sequences: give --seq-len (tokens per sequence) to turn it into tokens",
                     header_where);
  }
  if (out.batch_in_sequences) {
    out.notes.push_back("batch in tokens = '" + out.batch_column + "' x " + FormatSignificant(columns.seq_len, 6));
  }
  if (!compute) out.notes.push_back("no compute column: C = 6 N D");
  if (csv.rows.empty()) throw InputError("no runs: the file has a header but no data rows", header_where);
  const CsvSelection selected = SelectCsvRows(csv, columns.runs.selection, loss);
  for (const std::string& warning : selected.warnings) out.notes.push_back(warning);
  for (const std::string& note : selected.notes) out.notes.push_back(note);
  out.group_columns = selected.group_columns;
  out.group_values = selected.group_values;
  for (size_t i = 0; i < selected.table.rows.size(); ++i) {
    const CsvRow& row = selected.table.rows[i];
    HyperparamsRun run;
    run.line = row.line;
    run.group = selected.groups[i];
    if (params) run.num_params = ParsePositiveCsvCell(csv, row, *params);
    run.compute_flops = compute ? ParsePositiveCsvCell(csv, row, *compute)
                                : 6.0 * run.num_params * ParsePositiveCsvCell(csv, row, *tokens);
    if (!(std::isfinite(run.compute_flops) && run.compute_flops > 0)) {
      throw InputError("C = 6 N D is out of range", InputLocation{source, row.line});
    }
    run.batch_tokens = ParsePositiveCsvCell(csv, row, *batch) * (out.batch_in_sequences ? columns.seq_len : 1.0);
    run.learning_rate = ParsePositiveCsvCell(csv, row, *lr);
    run.loss_nats = ParsePositiveCsvCell(csv, row, *loss);
    out.runs.push_back(run);
  }
  return out;
}

HyperparamsRuns LoadHyperparamsRunsCsv(const std::string& path, const HyperparamsColumns& columns) {
  return ParseHyperparamsRunsCsv(ReadWholeFile(path), path, columns);
}

}  // namespace scaleplan
