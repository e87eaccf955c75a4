#include "core/runs_table.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/units.h"

namespace scaleplan {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::array kParamsAliases = {"n",          "params",     "num_params", "n_params",
                                       "model_size", "model size", "parameters"};
constexpr std::array kTokensAliases = {"d", "tokens", "num_tokens", "n_tokens", "d_tokens", "train_tokens"};
constexpr std::array kComputeAliases = {"c", "flops", "compute", "c_flops", "training flop"};
constexpr std::array kLossAliases = {"loss", "val_loss", "final_loss", "validation_loss", "eval_loss"};

template <size_t K>
std::string JoinAliases(const std::array<const char*, K>& aliases) {
  std::string out;
  for (const char* alias : aliases) out += (out.empty() ? "" : ", ") + std::string(alias);
  return out;
}

std::string JoinHeader(const std::vector<std::string>& header) {
  std::string out;
  for (const std::string& name : header) out += (out.empty() ? "" : ", ") + ("'" + name + "'");
  return out;
}

// Index of the column for one quantity, or nullopt when absent and not requested explicitly.
template <size_t K>
std::optional<size_t> FindColumn(const CsvTable& csv, const std::string& explicit_name,
                                 const std::array<const char*, K>& aliases, const char* option, const char* what) {
  if (!explicit_name.empty()) {
    for (size_t i = 0; i < csv.header.size(); ++i) {
      if (Lower(csv.header[i]) == Lower(explicit_name)) return i;
    }
    throw InputError(std::string("no column named '") + explicit_name + "' (from " + option + ") for " + what +
                         "; the header has " + JoinHeader(csv.header),
                     InputLocation{csv.source, csv.header_line});
  }
  std::optional<size_t> found;
  for (size_t i = 0; i < csv.header.size(); ++i) {
    const std::string name = Lower(csv.header[i]);
    if (std::find(aliases.begin(), aliases.end(), name) != aliases.end()) {
      if (found) {
        throw InputError(std::string("two columns could be ") + what + " ('" + csv.header[*found] + "' and '" +
                             csv.header[i] + "'); choose one with " + option,
                         InputLocation{csv.source, csv.header_line});
      }
      found = i;
    }
  }
  return found;
}

double ParseCell(const CsvTable& csv, const CsvRow& row, size_t column) {
  InputLocation where{csv.source, row.line, static_cast<int>(column) + 1, csv.header[column], ""};
  return ParsePositiveQuantity(row.fields[column], where);
}

}  // namespace

RunsTable ParseRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns) {
  const CsvTable csv = ParseCsv(text, source);
  const auto params = FindColumn(csv, columns.params, kParamsAliases, "--n-col", "N (parameters)");
  const auto tokens = FindColumn(csv, columns.tokens, kTokensAliases, "--d-col", "D (tokens)");
  const auto compute = FindColumn(csv, columns.compute, kComputeAliases, "--c-col", "C (compute)");
  const auto loss = FindColumn(csv, columns.loss, kLossAliases, "--loss-col", "the loss");
  const InputLocation header_where{source, csv.header_line};
  if (!params) {
    throw InputError("missing column for N (parameters): the header has " + JoinHeader(csv.header) +
                         "; accepted names are " + JoinAliases(kParamsAliases) + " (or name it with --n-col)",
                     header_where);
  }
  if (!loss) {
    throw InputError("missing column for the loss: the header has " + JoinHeader(csv.header) +
                         "; accepted names are " + JoinAliases(kLossAliases) + " (or name it with --loss-col)",
                     header_where);
  }
  if (!tokens && !compute) {
    throw InputError("missing column for D (tokens) or C (compute): the header has " + JoinHeader(csv.header) +
                         "; accepted names are " + JoinAliases(kTokensAliases) + " for D and " +
                         JoinAliases(kComputeAliases) + " for C (or --d-col / --c-col)",
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
    run.num_params = ParseCell(csv, row, *params);
    run.loss_nats = ParseCell(csv, row, *loss);
    if (tokens) run.num_tokens = ParseCell(csv, row, *tokens);
    if (compute) run.compute_flops = ParseCell(csv, row, *compute);
    if (!tokens) run.num_tokens = run.compute_flops / (6.0 * run.num_params);
    if (!compute) run.compute_flops = 6.0 * run.num_params * run.num_tokens;
    table.runs.push_back(run);
  }
  return table;
}

RunsTable LoadRunsCsv(const std::string& path, const RunsColumns& columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(std::string("cannot read the file (") + std::strerror(errno) + ")", InputLocation{path});
  std::ostringstream contents;
  contents << in.rdbuf();
  return ParseRunsCsv(contents.str(), path, columns);
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
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](double value) {
    unsigned char bytes[sizeof(double)];
    std::memcpy(bytes, &value, sizeof value);
    for (unsigned char byte : bytes) {
      hash ^= byte;
      hash *= 1099511628211ull;
    }
  };
  for (const TrainingRun& run : table.runs) {
    mix(run.num_params);
    mix(run.num_tokens);
    mix(run.loss_nats);
  }
  return hash;
}

}  // namespace scaleplan
