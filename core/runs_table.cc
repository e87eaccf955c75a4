#include "core/runs_table.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/units.h"

namespace scaleplan {

RunsTable ParseRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns) {
  const CsvTable csv = ParseCsv(text, source);
  // The aliases are runs_table.h's, in lower case.
  const CsvColumnRule params_rule{"N (parameters)",
                                  {"n", "params", "num_params", "n_params", "model_size", "model size", "parameters"},
                                  "--n-col",
                                  columns.params};
  const CsvColumnRule tokens_rule{"D (tokens)",
                                  {"d", "tokens", "num_tokens", "n_tokens", "d_tokens", "train_tokens"},
                                  "--d-col",
                                  columns.tokens};
  const CsvColumnRule compute_rule{
      "C (compute)", {"c", "flops", "compute", "c_flops", "training flop"}, "--c-col", columns.compute};
  const CsvColumnRule loss_rule{
      "the loss", {"loss", "val_loss", "final_loss", "validation_loss", "eval_loss"}, "--loss-col", columns.loss};
  // Every column is located (and a named or ambiguous one reported) before any is reported missing.
  const std::optional<size_t> params = FindCsvColumn(csv, params_rule);
  const std::optional<size_t> tokens = FindCsvColumn(csv, tokens_rule);
  const std::optional<size_t> compute = FindCsvColumn(csv, compute_rule);
  const std::optional<size_t> loss = FindCsvColumn(csv, loss_rule);
  const InputLocation header_where{source, csv.header_line};
  if (!params) throw MissingCsvColumnError(csv, params_rule);
  if (!loss) throw MissingCsvColumnError(csv, loss_rule);
  if (!tokens && !compute) {
    throw InputError("missing column for D (tokens) or C (compute): the header has " + QuotedCsvHeader(csv) +
                         "; accepted names are " + CsvAliasList(tokens_rule) + " for D and " +
                         CsvAliasList(compute_rule) + " for C (or " + tokens_rule.option + " / " +
                         compute_rule.option + ")",
                     header_where);
  }
  if (csv.rows.empty()) throw InputError("no runs: the file has a header but no data rows", header_where);

  RunsTable table;
  table.source = source;
  table.params_column = csv.header[*params];
  table.loss_column = csv.header[*loss];
  if (tokens) table.tokens_column = csv.header[*tokens];
  if (compute) table.compute_column = csv.header[*compute];
  table.tokens_from_compute = !tokens;
  table.compute_from_tokens = !compute;
  if (table.tokens_from_compute) {
    table.notes.push_back("no tokens column: D = C / (6 N) from '" + table.compute_column + "'");
  }
  table.runs.reserve(csv.rows.size());
  for (const CsvRow& row : csv.rows) {
    TrainingRun run;
    run.line = row.line;
    run.num_params = ParsePositiveCsvCell(csv, row, *params);
    run.loss_nats = ParsePositiveCsvCell(csv, row, *loss);
    if (tokens) run.num_tokens = ParsePositiveCsvCell(csv, row, *tokens);
    if (compute) run.compute_flops = ParsePositiveCsvCell(csv, row, *compute);
    if (!tokens) run.num_tokens = run.compute_flops / (6.0 * run.num_params);
    if (!compute) run.compute_flops = 6.0 * run.num_params * run.num_tokens;
    if (!tokens || !compute) {
      // A derived D or C is range-checked like a read one: 6 N D overflows to infinity for N = D = 1e200, and
      // C / (6 N) underflows to 0 for N = 1e300, C = 1e-300.
      const double derived = tokens ? run.compute_flops : run.num_tokens;
      if (!(std::isfinite(derived) && derived > 0.0)) {
        const std::string inputs = "N = " + FormatScientific(run.num_params) +
                                   (tokens ? ", D = " + FormatScientific(run.num_tokens)
                                           : ", C = " + FormatScientific(run.compute_flops));
        throw InputError(std::string(tokens ? "C = 6 N D" : "D = C / (6 N)") + " is out of range for " + inputs,
                         InputLocation{source, row.line});
      }
    }
    table.runs.push_back(run);
  }
  return table;
}

RunsTable LoadRunsCsv(const std::string& path, const RunsColumns& columns) {
  return ParseRunsCsv(ReadWholeFile(path), path, columns);
}

RunsTable DropHighestLoss(const RunsTable& table, int count) {
  SCALEPLAN_CHECK(count >= 0, "count must be non-negative");
  RunsTable out = table;
  if (count == 0) return out;
  std::vector<size_t> order(table.runs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return table.runs[i].loss_nats > table.runs[j].loss_nats; });
  std::vector<bool> drop(table.runs.size(), false);
  for (size_t i = 0; i < std::min<size_t>(static_cast<size_t>(count), order.size()); ++i) drop[order[i]] = true;
  out.runs.clear();
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (!drop[i]) out.runs.push_back(table.runs[i]);
  }
  return out;
}

std::uint64_t HashRuns(const RunsTable& table) {
  ValuesHash hash;
  for (const TrainingRun& run : table.runs) {
    hash.Add(run.num_params);
    hash.Add(run.num_tokens);
    hash.Add(run.loss_nats);
  }
  return hash.value();
}

std::string FormatRunsHash(const RunsTable& table) { return HashToHex(HashRuns(table)); }

}  // namespace scaleplan
