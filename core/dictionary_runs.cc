#include "core/dictionary_runs.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/units.h"

namespace scaleplan {
namespace {

// One quantity's column: the name the user gave (or ""), the accepted aliases (lower case), the option that names
// it and what it is, for messages.
struct ColumnRule {
  const std::string& explicit_name;
  std::vector<std::string_view> aliases;
  const char* option;
  const char* what;
};

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string QuotedList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

std::string PlainList(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

// The column of `rule` in `csv`: the named one (an InputError when absent), else the one alias match (an InputError
// when two match), else nullopt.
std::optional<size_t> LocateColumn(const CsvTable& csv, const ColumnRule& rule) {
  const InputLocation header{csv.source, csv.header_line};
  if (!rule.explicit_name.empty()) {
    for (size_t i = 0; i < csv.header.size(); ++i) {
      if (SameName(csv.header[i], rule.explicit_name)) return i;
    }
    throw InputError("no column named '" + rule.explicit_name + "' (from " + rule.option + ") for " + rule.what +
                         "; the header has " + QuotedList(csv.header),
                     header);
  }
  std::optional<size_t> found;
  for (size_t i = 0; i < csv.header.size(); ++i) {
    const bool match = std::any_of(rule.aliases.begin(), rule.aliases.end(),
                                   [&](std::string_view alias) { return SameName(csv.header[i], alias); });
    if (!match) continue;
    if (found) {
      throw InputError(std::string("two columns could be ") + rule.what + " ('" + csv.header[*found] + "' and '" +
                           csv.header[i] + "'); choose one with " + rule.option,
                       header);
    }
    found = i;
  }
  return found;
}

size_t RequireColumn(const CsvTable& csv, const ColumnRule& rule) {
  const std::optional<size_t> column = LocateColumn(csv, rule);
  if (!column) {
    throw InputError(std::string("missing column for ") + rule.what + ": the header has " + QuotedList(csv.header) +
                         "; accepted names are " + PlainList(rule.aliases) + " (or name it with " + rule.option + ")",
                     InputLocation{csv.source, csv.header_line});
  }
  return *column;
}

InputLocation CellLocation(const CsvTable& csv, const CsvRow& row, size_t column) {
  return InputLocation{csv.source, row.line, static_cast<int>(column) + 1, csv.header[column], ""};
}

double PositiveCell(const CsvTable& csv, const CsvRow& row, size_t column) {
  return ParsePositiveQuantity(row.fields[column], CellLocation(csv, row, column));
}

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
  const CsvTable csv = ParseCsv(text, source);
  const ColumnRule latents_rule{columns.latents,
                                {"n", "latents", "num_latents", "n_latents", "dict_size", "width"},
                                "--latents-col",
                                "n (latents)"};
  const ColumnRule k_rule{columns.k, {"k", "l0", "topk"}, "--k-col", "k (active latents)"};
  const ColumnRule tokens_rule{columns.tokens, {"tokens", "t", "num_tokens", "train_tokens"}, "--tokens-col",
                               "T (training tokens)"};
  const ColumnRule width_rule{columns.d_model, {"d", "d_model", "width_in", "subject_width"}, "--width-col",
                              "d (activation width)"};
  const ColumnRule loss_rule{columns.loss, {"loss", "nmse", "normalized_mse", "fvu", "mse"}, "--loss-col",
                             "the loss"};
  const size_t latents = RequireColumn(csv, latents_rule);
  const size_t k = RequireColumn(csv, k_rule);
  const size_t loss = RequireColumn(csv, loss_rule);
  const std::optional<size_t> tokens = LocateColumn(csv, tokens_rule);
  const std::optional<size_t> width = LocateColumn(csv, width_rule);
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
  table.runs.reserve(csv.rows.size());
  for (const CsvRow& row : csv.rows) {
    DictionaryRun run;
    run.line = row.line;
    run.num_latents = PositiveCell(csv, row, latents);
    run.k = PositiveCell(csv, row, k);
    run.loss = PositiveCell(csv, row, loss);
    if (tokens) run.num_tokens = PositiveCell(csv, row, *tokens);
    if (width) run.d_model = PositiveCell(csv, row, *width);
    if (!(run.k < run.num_latents)) {
      InputLocation where = CellLocation(csv, row, k);
      where.text = row.fields[k];
      throw InputError("k must be below the number of latents (" + row.fields[latents] + ")", where);
    }
    table.runs.push_back(run);
  }
  return table;
}

DictionaryRunsTable LoadDictionaryRunsCsv(const std::string& path, const DictionaryColumns& columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(std::string("cannot read the file (") + std::strerror(errno) + ")", InputLocation{path});
  std::ostringstream contents;
  contents << in.rdbuf();
  return ParseDictionaryRunsCsv(contents.str(), path, columns);
}

std::uint64_t HashDictionaryRuns(const DictionaryRunsTable& table) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](double value) {
    unsigned char bytes[sizeof(double)];
    std::memcpy(bytes, &value, sizeof value);
    for (unsigned char byte : bytes) {
      hash ^= byte;
      hash *= 1099511628211ull;
    }
  };
  for (const DictionaryRun& run : table.runs) {
    for (double value : {run.num_latents, run.k, run.num_tokens, run.d_model, run.loss}) mix(value);
  }
  return hash;
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
