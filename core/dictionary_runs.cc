#include "core/dictionary_runs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"

namespace scaleplan {
namespace {

// A uniform double in (0, 1] from 53 bits of the generator (the same on every platform, unlike the standard
// library's distributions).
double UnitInterval(std::mt19937_64& engine) { return (static_cast<double>(engine() >> 11) + 1.0) * 0x1.0p-53; }

// A standard normal by Box-Muller (one of the pair; the other is discarded to keep the stream simple).
double StandardNormal(std::mt19937_64& engine) {
  const double radius = std::sqrt(-2.0 * std::log(UnitInterval(engine)));
  const double angle = 2.0 * 3.14159265358979323846 * UnitInterval(engine);
  return radius * std::cos(angle);
}

}  // namespace

DictionaryRunsTable ParseDictionaryRunsCsv(std::string_view text, const std::string& source,
                                           const DictionaryColumns& columns) {
  const CsvTable csv = ParseCsv(text, source, columns.selection.delimiter);
  // The aliases are dictionary_runs.h's, in lower case.
  const CsvColumnRule latents_rule{"n (latents)",
                                   {"n", "latents", "num_latents", "n_latents", "dict_size", "width"},
                                   "--latents-col",
                                   columns.latents};
  const CsvColumnRule k_rule{"k (active latents)", {"k", "l0", "topk"}, "--k-col", columns.k};
  const CsvColumnRule tokens_rule{"T (training tokens)", {"tokens", "t", "num_tokens", "train_tokens"},
                                  "--tokens-col", columns.tokens};
  const CsvColumnRule width_rule{"d (activation width)", {"d", "d_model", "width_in", "subject_width"},
                                 "--width-col", columns.d_model};
  const CsvColumnRule loss_rule{"the loss", {"loss", "nmse", "normalized_mse", "fvu", "mse"}, "--loss-col",
                                columns.loss};
  const size_t latents = RequireCsvColumn(csv, latents_rule);
  const size_t k = RequireCsvColumn(csv, k_rule);
  const size_t loss = RequireCsvColumn(csv, loss_rule);
  const std::optional<size_t> tokens = FindCsvColumn(csv, tokens_rule);
  const std::optional<size_t> width = FindCsvColumn(csv, width_rule);
  if (csv.rows.empty()) {
    throw InputError("no runs: the file has a header but no data rows", InputLocation{source, csv.header_line});
  }

  DictionaryRunsTable table;
  table.source = source;
  table.latents_column = csv.header[latents];
  table.k_column = csv.header[k];
  table.loss_column = csv.header[loss];
  if (tokens) table.tokens_column = csv.header[*tokens];
  if (width) table.d_model_column = csv.header[*width];
  if (!tokens) table.notes.push_back("no tokens column: the runs are taken as trained to convergence");
  const CsvSelection selected = SelectCsvRows(csv, columns.selection, loss);
  for (const std::string& warning : selected.warnings) table.notes.push_back(warning);
  for (const std::string& note : selected.notes) table.notes.push_back(note);
  table.group_columns = selected.group_columns;
  table.group_values = selected.group_values;
  table.runs.reserve(selected.table.rows.size());
  for (size_t i = 0; i < selected.table.rows.size(); ++i) {
    const CsvRow& row = selected.table.rows[i];
    DictionaryRun run;
    run.line = row.line;
    run.group = selected.groups[i];
    run.num_latents = ParsePositiveCsvCell(csv, row, latents);
    run.k = ParsePositiveCsvCell(csv, row, k);
    run.loss = ParsePositiveCsvCell(csv, row, loss);
    if (tokens) run.num_tokens = ParsePositiveCsvCell(csv, row, *tokens);
    if (width) run.d_model = ParsePositiveCsvCell(csv, row, *width);
    if (!(run.k < run.num_latents)) {
      InputLocation where = CsvCellLocation(csv, row, k);
      where.text = row.fields[k];
      throw InputError("k must be below the number of latents (" + row.fields[latents] + ")", where);
    }
    table.runs.push_back(run);
  }
  return table;
}

DictionaryRunsTable LoadDictionaryRunsCsv(const std::string& path, const DictionaryColumns& columns) {
  return ParseDictionaryRunsCsv(ReadWholeFile(path), path, columns);
}

std::uint64_t HashDictionaryRuns(const DictionaryRunsTable& table) {
  ValuesHash hash;
  for (const DictionaryRun& run : table.runs) {
    for (double value : {run.num_latents, run.k, run.num_tokens, run.d_model, run.loss}) hash.Add(value);
  }
  return hash.value();
}

// ---------------------------------------------------------------------------------------------------------------
// The generator.

DictionaryLaws DictionaryRunsDesign::Truth() const {
  DictionaryLaws laws;
  laws.converged = converged;
  laws.has_token_term = true;
  laws.token_coefficient = token_coefficient;
  laws.token_exponent = token_exponent;
  laws.prior = false;
  laws.label = "the generating law of the synthetic dictionary runs";
  return laws;
}

double DictionaryRunsDesign::GridTokens(double num_latents) const {
  return std::round(PriorDictionaryLaws().ConvergenceTokens(num_latents));
}

DictionaryRunsTable GenerateDictionaryRuns(const DictionaryRunsDesign& design, std::uint64_t seed,
                                           const std::string& source) {
  const DictionaryLaws truth = design.Truth();
  std::mt19937_64 engine(seed);
  DictionaryRunsTable table;
  table.source = source;
  table.latents_column = std::string("n");
  table.k_column = std::string("k");
  table.tokens_column = std::string("tokens");
  table.d_model_column = std::string("d_model");
  table.loss_column = std::string("loss");
  auto add = [&](double n, double k, double tokens) {
    DictionaryRun run;
    run.num_latents = n;
    run.k = k;
    run.num_tokens = tokens;
    run.d_model = design.d_model;
    run.loss = truth.Loss(n, k, tokens) * std::exp(design.noise_sigma * StandardNormal(engine));
    table.runs.push_back(run);
  };
  for (double n : design.grid_latents) {
    for (double k : design.grid_k) {
      if (k < n) add(n, k, design.GridTokens(n));
    }
  }
  for (double n : design.sweep_latents) {
    for (double fraction : design.sweep_token_fractions) {
      add(n, design.sweep_k, std::max(1.0, std::round(design.GridTokens(n) * fraction)));
    }
  }
  return table;
}

std::string DictionaryRunsToCsv(const DictionaryRunsTable& table, const std::vector<std::string>& comments) {
  std::string out;
  for (const std::string& comment : comments) out += "# " + comment + "\n";
  out += "n,k,tokens,d_model,loss\n";
  char line[256];
  for (const DictionaryRun& run : table.runs) {
    std::snprintf(line, sizeof line, "%.0f,%.9g,%.0f,%.0f,%.9g\n", run.num_latents, run.k, run.num_tokens,
                  run.d_model, run.loss);
    out += line;
  }
  return out;
}

}  // namespace scaleplan
