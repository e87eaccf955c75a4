#include "fitting/golden.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <limits>

#include "core/error.h"
#include "core/json_input.h"
#include "core/units.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;

// The interval of the prediction at each budget over the bootstrap laws.
void AddPredictionIntervals(const ChinchillaBootstrap& bootstrap, GoldenPrediction* prediction) {
  const double confidence = bootstrap.options.confidence;
  const double flops = prediction->compute_flops;
  prediction->has_intervals = true;
  prediction->num_params_interval = IntervalOver(
      bootstrap.laws, confidence, [flops](const ChinchillaLaw& law) { return law.ComputeOptimal(flops).num_params; });
  prediction->num_tokens_interval = IntervalOver(
      bootstrap.laws, confidence, [flops](const ChinchillaLaw& law) { return law.ComputeOptimal(flops).num_tokens; });
  prediction->loss_interval = IntervalOver(
      bootstrap.laws, confidence, [flops](const ChinchillaLaw& law) { return law.ComputeOptimal(flops).loss_nats; });
}

nlohmann::ordered_json Pair(const Interval& interval) { return {interval.lower, interval.upper}; }

// Reads typed values out of the parsed document, naming the source and the key's path in every error.
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void Fail(const std::string& message, const Json* value = nullptr) const {
    throw InputError(message, InputLocation{source_, 0, 0, "", value != nullptr ? JsonExcerpt(*value) : ""});
  }

  const Json& Get(const Json& object, const std::string& path, const std::string& key) const {
    const std::string full = Join(path, key);
    if (!object.contains(key)) Fail("missing key '" + full + "'");
    return object.at(key);
  }

  const Json& Object(const Json& object, const std::string& path, const std::string& key) const {
    const Json& value = Get(object, path, key);
    if (!value.is_object()) Fail(TypeMessage(Join(path, key), "an object", value), &value);
    return value;
  }

  double Number(const Json& object, const std::string& path, const std::string& key) const {
    const Json& value = Get(object, path, key);
    if (!value.is_number()) Fail(TypeMessage(Join(path, key), "a number", value), &value);
    return value.get<double>();
  }

  double Positive(const Json& object, const std::string& path, const std::string& key) const {
    const double number = Number(object, path, key);
    if (!(number > 0)) Fail("key '" + Join(path, key) + "' must be positive", &object.at(key));
    return number;
  }

  // An integer in [minimum, maximum]; the default maximum is what an int holds, as every count is one.
  std::int64_t Integer(const Json& object, const std::string& path, const std::string& key, std::int64_t minimum,
                       std::int64_t maximum = std::numeric_limits<int>::max()) const {
    const Json& value = Get(object, path, key);
    if (!value.is_number_integer()) Fail(TypeMessage(Join(path, key), "an integer", value), &value);
    const bool too_large = value.is_number_unsigned() ? value.get<std::uint64_t>() > static_cast<std::uint64_t>(maximum)
                                                      : value.get<std::int64_t>() > maximum;
    if (too_large) Fail("key '" + Join(path, key) + "' must be at most " + std::to_string(maximum), &value);
    const std::int64_t number = value.get<std::int64_t>();
    if (number < minimum) {
      Fail("key '" + Join(path, key) + "' must be at least " + std::to_string(minimum), &value);
    }
    return number;
  }

  bool Bool(const Json& object, const std::string& path, const std::string& key) const {
    const Json& value = Get(object, path, key);
    if (!value.is_boolean()) Fail(TypeMessage(Join(path, key), "true or false", value), &value);
    return value.get<bool>();
  }

  std::string String(const Json& object, const std::string& path, const std::string& key) const {
    const Json& value = Get(object, path, key);
    if (!value.is_string()) Fail(TypeMessage(Join(path, key), "a string", value), &value);
    return value.get<std::string>();
  }

  Interval Range(const Json& object, const std::string& path, const std::string& key) const {
    const Json& value = Get(object, path, key);
    if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number() ||
        !(value[0].get<double>() <= value[1].get<double>())) {
      Fail("key '" + Join(path, key) + "' must be [lower, upper] with lower <= upper", &value);
    }
    return {value[0].get<double>(), value[1].get<double>()};
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  static std::string TypeMessage(const std::string& key, const char* expected, const Json& value) {
    return "key '" + key + "' must be " + expected + ", got " + value.type_name();
  }

  const std::string& source_;
};

// "@1e+21", the suffix of a prediction's name (appended, not concatenated: GCC 12 warns falsely on "@" + string).
std::string AtBudget(double flops) {
  std::string at = "@";
  at += FormatSignificant(flops, 6);
  return at;
}

double RelativeChange(double golden, double now) {
  if (golden != 0.0) return (now - golden) / std::fabs(golden);
  return now == golden ? 0.0 : std::numeric_limits<double>::infinity();
}

std::string FormatChange(double change) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%+.2e", change);
  return buffer;
}

}  // namespace

const std::vector<double>& DefaultGoldenBudgets() {
  static const std::vector<double> budgets = {1e21, 1e23, 5.76e23, 1e25};
  return budgets;
}

const std::vector<std::string>& GoldenParameterNames(const std::string& law_name) {
  static const std::vector<std::string> kaplan = {"N_c",     "D_c",           "alpha_N",
                                                  "alpha_D", "exponent_params", "exponent_tokens"};
  static const std::vector<std::string> isoflop = {"coeff_params", "exponent_params", "coeff_tokens",
                                                   "exponent_tokens", "frontier_E", "frontier_K", "frontier_gamma"};
  static const std::vector<std::string> none;
  if (law_name == "chinchilla") return ChinchillaIntervalNames();
  if (law_name == "kaplan") return kaplan;
  if (law_name == "isoflop") return isoflop;
  return none;
}

Golden MakeKaplanGoldenRecord(const KaplanFit& fit, const InitGrid& grid, const RunsTable& table,
                              const std::vector<double>& budgets) {
  SCALEPLAN_CHECK(fit.search.usable, "a golden records a usable fit");
  TableLawOptions options;
  options.search = fit.options;
  options.grid_spec = FormatGrid(grid);
  return MakeTableLawGoldenRecord(*FindTableLaw("kaplan"), ToTableLawFit(fit), LawRunsOfTable("kaplan", table),
                                  options, {}, budgets);
}

Golden MakeIsoFlopGoldenRecord(const IsoFlopFit& fit, const RunsTable& table, const std::vector<double>& budgets,
                               double budget_tolerance, int min_budget_runs) {
  SCALEPLAN_CHECK(fit.usable && fit.has_frontier, "a golden records a usable IsoFLOP fit with a loss frontier");
  TableLawOptions options;
  options.budget_tolerance = budget_tolerance;
  options.min_budget_runs = min_budget_runs;
  options.keep_extrapolated_minima = fit.keep_extrapolated;
  return MakeTableLawGoldenRecord(*FindTableLaw("isoflop"), ToTableLawFit(fit), LawRunsOfTable("isoflop", table),
                                  options, {}, budgets);
}

std::optional<Golden> RefitGolden(const Golden& golden, const RunsTable& table, int num_threads, std::string* why) {
  const TableLaw* law = FindTableLaw(golden.law_name);
  SCALEPLAN_CHECK(law != nullptr, "RefitGolden refits the laws of fitting/law_table.h");
  if (law->own_reader) {
    // Its runs carry more than N, D and a loss: only the law's own reader can read them (RefitGolden of LawRuns).
    throw InputError("a " + golden.law_name + " golden is checked against the law's own runs, read by its reader: " +
                         "scaleplan check RUNS.csv --golden GOLDEN.json",
                     InputLocation{table.source});
  }
  return RefitGolden(golden, LawRunsOfTable(golden.law_name, table), num_threads, why);
}

Golden MakeTableLawGoldenRecord(const TableLaw& law, const TableLawFit& fit, const LawRuns& runs,
                                const TableLawOptions& options, const LawRunsOptions& runs_options,
                                const std::vector<double>& budgets) {
  SCALEPLAN_CHECK(fit.usable, "a golden records a usable fit");
  SCALEPLAN_CHECK(budgets.empty() || fit.allocate, "predictions at budgets need a law that allocates");
  Golden golden;
  golden.law_name = law.name;
  golden.parameters = fit.parameters;
  golden.has_objective = fit.has_objective;
  golden.objective = fit.objective;
  for (const double flops : budgets) {
    SCALEPLAN_CHECK(flops > 0 && std::isfinite(flops), "a budget must be positive and finite");
    const Allocation allocation = fit.allocate(flops);
    GoldenPrediction prediction;
    prediction.compute_flops = flops;
    prediction.num_params = allocation.num_params;
    prediction.num_tokens = allocation.num_tokens;
    prediction.loss_nats = allocation.loss_nats;
    golden.predictions.push_back(prediction);
  }
  golden.data_source = runs.source;
  golden.data_num_runs = static_cast<int>(runs.size());
  golden.data_hash = runs.hash;
  golden.fit_options = options.search;
  golden.budget_tolerance = options.budget_tolerance;
  golden.min_budget_runs = options.min_budget_runs;
  golden.keep_extrapolated_minima = options.keep_extrapolated_minima;
  if (law.has_grid) {
    golden.grid = options.grid_spec.empty() ? law.default_grid : ParseGridSpec(options.grid_spec, law.default_grid);
    golden.grid_spec = FormatGrid(golden.grid);
  }
  golden.table_options = options;
  golden.table_options.grid_spec = golden.grid_spec;
  golden.runs_options = runs_options;
  // The header U was read from, detected or named: check reads the same column.
  if (law.name == "data-constrained") golden.runs_options.unique_tokens_column = runs.unique_tokens_column;
  return golden;
}

LawRuns LoadGoldenLawRuns(const Golden& golden, const std::string& path, const RunsColumns& columns,
                          const std::string& unique_tokens_column) {
  const TableLaw* law = FindTableLaw(golden.law_name);
  SCALEPLAN_CHECK(law != nullptr && law->own_reader, "a golden of a law with a reader of its own");
  LawRunsOptions runs_options = golden.runs_options;
  runs_options.columns = columns;
  if (!unique_tokens_column.empty()) runs_options.unique_tokens_column = unique_tokens_column;
  return LoadLawRuns(golden.law_name, path, runs_options);
}

std::optional<Golden> RefitGolden(const Golden& golden, const LawRuns& runs, int num_threads, std::string* why) {
  const TableLaw* law = FindTableLaw(golden.law_name);
  SCALEPLAN_CHECK(law != nullptr && runs.law_name == golden.law_name, "a table law's golden refits its own runs");
  TableLawOptions options = golden.table_options;
  options.search = golden.fit_options;
  options.search.num_threads = num_threads;
  options.budget_tolerance = golden.budget_tolerance;
  options.min_budget_runs = golden.min_budget_runs;
  options.keep_extrapolated_minima = golden.keep_extrapolated_minima;
  const TableLawFit fit = FitTableLaw(*law, runs, options);
  if (!fit.usable) {
    *why = "the refit is not usable: " + fit.status;
    return std::nullopt;
  }
  std::vector<double> budgets;
  for (const GoldenPrediction& prediction : golden.predictions) budgets.push_back(prediction.compute_flops);
  Golden now = MakeTableLawGoldenRecord(*law, fit, runs, options, golden.runs_options, budgets);
  // The refit's parameters in the golden's order (a JSON reader need not keep the file's order of keys).
  std::vector<std::pair<std::string, double>> ordered;
  for (const auto& [name, value] : golden.parameters) {
    const auto it = std::find_if(now.parameters.begin(), now.parameters.end(),
                                 [&name](const auto& parameter) { return parameter.first == name; });
    if (it != now.parameters.end()) ordered.push_back(*it);
  }
  if (ordered.size() != golden.parameters.size() || ordered.size() != now.parameters.size()) {
    const auto names = [](const std::vector<std::pair<std::string, double>>& parameters) {
      std::string text;
      for (const auto& parameter : parameters) text += (text.empty() ? "" : ", ") + parameter.first;
      return text;
    };
    *why = "the refit of the " + golden.law_name + " law has the parameters " + names(now.parameters) +
           "; the golden records " + names(golden.parameters) + ": the runs are not those the golden was recorded "
           "from";
    return std::nullopt;
  }
  now.parameters = std::move(ordered);
  return now;
}

ChinchillaLaw Golden::Law() const {
  ChinchillaLaw law;
  for (const auto& [name, value] : parameters) {
    if (name == "E") law.E = value;
    if (name == "A") law.A = value;
    if (name == "B") law.B = value;
    if (name == "alpha") law.alpha = value;
    if (name == "beta") law.beta = value;
  }
  return law;
}

Golden MakeGoldenRecord(const ChinchillaFit& fit, const RunsTable& table, const ChinchillaBootstrap* bootstrap,
                        const std::vector<double>& budgets) {
  SCALEPLAN_CHECK(fit.search.usable, "a golden records a usable fit");
  Golden golden;
  const std::vector<std::string>& names = ChinchillaIntervalNames();
  const std::vector<double> values = ChinchillaQuantities(fit.law);
  for (size_t k = 0; k < names.size(); ++k) golden.parameters.emplace_back(names[k], values[k]);
  golden.objective = fit.search.objective;
  const bool with_intervals = bootstrap != nullptr && !bootstrap->intervals.empty();
  if (with_intervals) golden.intervals = bootstrap->intervals;
  for (const double flops : budgets) {
    SCALEPLAN_CHECK(flops > 0 && std::isfinite(flops), "a budget must be positive and finite");
    const Allocation allocation = fit.law.ComputeOptimal(flops);
    GoldenPrediction prediction;
    prediction.compute_flops = flops;
    prediction.num_params = allocation.num_params;
    prediction.num_tokens = allocation.num_tokens;
    prediction.loss_nats = allocation.loss_nats;
    if (with_intervals) AddPredictionIntervals(*bootstrap, &prediction);
    golden.predictions.push_back(prediction);
  }
  golden.data_source = table.source;
  golden.data_num_runs = static_cast<int>(table.runs.size());
  golden.data_hash = FormatRunsHash(table);
  golden.fit_options = fit.options;
  golden.grid = fit.grid;
  golden.grid_spec = FormatGrid(fit.grid);
  if (with_intervals) golden.bootstrap = bootstrap->options;
  return golden;
}

nlohmann::ordered_json GoldenToJson(const Golden& golden) {
  nlohmann::ordered_json out;
  out["schema_version"] = kGoldenSchemaVersion;
  out["law"] = golden.law_name;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  for (const auto& [name, value] : golden.parameters) parameters[name] = value;
  out["parameters"] = parameters;
  if (golden.has_objective) out["objective"] = golden.objective;
  if (!golden.intervals.empty()) {
    nlohmann::ordered_json intervals = nlohmann::ordered_json::object();
    for (const auto& [name, interval] : golden.intervals) intervals[name] = Pair(interval);
    out["intervals"] = intervals;
  }
  nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
  for (const GoldenPrediction& prediction : golden.predictions) {
    nlohmann::ordered_json entry;
    entry["compute_flops"] = prediction.compute_flops;
    entry["num_params"] = prediction.num_params;
    entry["num_tokens"] = prediction.num_tokens;
    entry["loss"] = prediction.loss_nats;
    if (prediction.has_intervals) {
      entry["intervals"] = {{"num_params", Pair(prediction.num_params_interval)},
                            {"num_tokens", Pair(prediction.num_tokens_interval)},
                            {"loss", Pair(prediction.loss_interval)}};
    }
    predictions.push_back(entry);
  }
  out["predictions"] = predictions;
  out["data"] = {{"source", golden.data_source}, {"num_runs", golden.data_num_runs}, {"hash", golden.data_hash}};
  nlohmann::ordered_json options;
  if (golden.law_name == "hyperparams") {
    const HyperparamsFitOptions& hyperparams = golden.table_options.hyperparams;
    out["options"] = {{"budget_tolerance", hyperparams.budget_tolerance},
                      {"min_budget_runs", hyperparams.min_budget_runs},
                      {"near_optimal_tolerance", hyperparams.near_optimal_tolerance},
                      {"seq_len", golden.runs_options.hyperparams.seq_len}};
    return out;
  }
  if (golden.law_name == "isoflop") {
    out["options"] = {{"budget_tolerance", golden.budget_tolerance},
                      {"min_budget_runs", golden.min_budget_runs},
                      {"keep_extrapolated_minima", golden.keep_extrapolated_minima}};
    return out;
  }
  options["huber_delta"] = golden.fit_options.huber_delta;
  if (golden.law_name != "dictionary") options["grid"] = golden.grid_spec;
  options["starts"] = golden.fit_options.num_starts;
  options["exhaustive"] = golden.fit_options.exhaustive;
  if (golden.law_name == "dictionary") options["token_law_k"] = golden.table_options.token_law_k;
  if (golden.law_name == "data-constrained") {
    options["unique_tokens_column"] = golden.runs_options.unique_tokens_column;
  }
  if (golden.law_name == "sparse") {
    options["tokens_per_step"] = golden.runs_options.sparse.tokens_per_step;
    options["n_is_dense"] = golden.runs_options.sparse.params_are_dense;
  }
  if (golden.bootstrap) {
    options["bootstrap"] = {{"resamples", golden.bootstrap->num_resamples},
                            {"seed", golden.bootstrap->seed},
                            {"confidence", golden.bootstrap->confidence}};
  }
  out["options"] = options;
  return out;
}

nlohmann::ordered_json MakeGolden(const ChinchillaFit& fit, const RunsTable& table,
                                  const ChinchillaBootstrap* bootstrap, const std::vector<double>& budgets) {
  return GoldenToJson(MakeGoldenRecord(fit, table, bootstrap, budgets));
}

std::string NoIntervalsReason(const Golden& golden) {
  if (golden.law_name == "chinchilla") return "it was recorded without --bootstrap";
  return "a " + golden.law_name + " golden never records them; only a Chinchilla golden recorded with --bootstrap does";
}

Golden ParseGolden(std::string_view json_text, const std::string& source) {
  Json doc = ParseJsonInput(json_text, source);
  const Reader read(source);
  if (!doc.is_object()) read.Fail("a golden file must be a JSON object");
  // Every saved fit ('fit --out', of any law) says whether it is usable; no golden file does.
  if (!doc.contains("parameters") && (doc.contains("usable") || (doc.contains("E") && doc.contains("search")))) {
    read.Fail("this is a saved fit ('fit --out'), not a golden file; record one with 'fit --save-golden'");
  }
  const std::int64_t version = read.Integer(doc, "", "schema_version", 1);
  if (version > kGoldenSchemaVersion) {
    read.Fail("schema_version " + std::to_string(version) + " is newer than this scaleplan understands (" +
              std::to_string(kGoldenSchemaVersion) + "); upgrade scaleplan");
  }
  Golden golden;
  golden.law_name = read.String(doc, "", "law");
  const std::vector<std::string>& names = GoldenParameterNames(golden.law_name);
  const TableLaw* table_law = FindTableLaw(golden.law_name);
  if (names.empty() && table_law == nullptr) {
    std::string laws = "chinchilla";
    for (const std::string& name : TableLawNames()) laws += ", " + name;
    read.Fail("law '" + golden.law_name + "' cannot be checked by this scaleplan (it checks: " + laws + ")",
              &doc["law"]);
  }
  const bool isoflop = golden.law_name == "isoflop";
  const Json& parameters = read.Object(doc, "", "parameters");
  if (names.empty()) {
    // Whatever the fit recorded, in order (routing's names follow the runs' routers); any finite number.
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
      golden.parameters.emplace_back(it.key(), read.Number(parameters, "parameters", it.key()));
    }
    if (golden.parameters.empty()) read.Fail("key 'parameters' records no parameter");
  }
  for (const std::string& name : names) {
    // IsoFLOP's exponents and frontier floor may be any finite number; the other laws' parameters are positive.
    const double value = isoflop ? read.Number(parameters, "parameters", name)
                                 : read.Positive(parameters, "parameters", name);
    golden.parameters.emplace_back(name, value);
  }
  std::string why;
  if (golden.law_name == "chinchilla" && !golden.Law().Check(&why)) read.Fail("not a usable law: " + why);
  golden.has_objective = !isoflop && golden.law_name != "hyperparams";
  if (golden.has_objective) {
    golden.objective = read.Number(doc, "", "objective");
    if (!(golden.objective >= 0)) read.Fail("key 'objective' must not be negative", &doc["objective"]);
  }
  const bool with_intervals = doc.contains("intervals");
  if (with_intervals && golden.law_name != "chinchilla") read.Fail("a " + golden.law_name + " golden has no intervals");
  if (with_intervals) {
    const Json& intervals = read.Object(doc, "", "intervals");
    for (const std::string& name : ChinchillaIntervalNames()) {
      golden.intervals.emplace_back(name, read.Range(intervals, "intervals", name));
    }
  }
  const Json& predictions = read.Get(doc, "", "predictions");
  if (!predictions.is_array()) read.Fail("key 'predictions' must be an array", &predictions);
  if (names.empty() && !predictions.empty()) {
    read.Fail("a " + golden.law_name + " golden records no predictions (the law gives no allocation at a budget)",
              &predictions);
  }
  for (size_t i = 0; i < predictions.size(); ++i) {
    const std::string path = "predictions[" + std::to_string(i) + "]";
    const Json& entry = predictions[i];
    if (!entry.is_object()) read.Fail("key '" + path + "' must be an object", &entry);
    GoldenPrediction prediction;
    prediction.compute_flops = read.Positive(entry, path, "compute_flops");
    prediction.num_params = read.Positive(entry, path, "num_params");
    prediction.num_tokens = read.Positive(entry, path, "num_tokens");
    prediction.loss_nats = read.Positive(entry, path, "loss");
    if (with_intervals) {
      const Json& bounds = read.Object(entry, path, "intervals");
      const std::string bounds_path = Reader::Join(path, "intervals");
      prediction.has_intervals = true;
      prediction.num_params_interval = read.Range(bounds, bounds_path, "num_params");
      prediction.num_tokens_interval = read.Range(bounds, bounds_path, "num_tokens");
      prediction.loss_interval = read.Range(bounds, bounds_path, "loss");
    }
    golden.predictions.push_back(prediction);
  }
  const Json& data = read.Object(doc, "", "data");
  golden.data_source = read.String(data, "data", "source");
  golden.data_num_runs = static_cast<int>(read.Integer(data, "data", "num_runs", 1));
  golden.data_hash = read.String(data, "data", "hash");
  if (golden.data_hash.size() != 16 ||
      !std::all_of(golden.data_hash.begin(), golden.data_hash.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    read.Fail("key 'data.hash' must be 16 lower-case hex digits", &data["hash"]);
  }
  const Json& options = read.Object(doc, "", "options");
  if (golden.law_name == "hyperparams") {
    HyperparamsFitOptions& hyperparams = golden.table_options.hyperparams;
    hyperparams.budget_tolerance = read.Positive(options, "options", "budget_tolerance");
    hyperparams.min_budget_runs = static_cast<int>(read.Integer(options, "options", "min_budget_runs", 1));
    hyperparams.near_optimal_tolerance = read.Positive(options, "options", "near_optimal_tolerance");
    if (!hyperparams.Check(&why)) read.Fail("key 'options': " + why);
    golden.runs_options.hyperparams.seq_len = read.Number(options, "options", "seq_len");
    if (!(golden.runs_options.hyperparams.seq_len >= 0)) read.Fail("key 'options.seq_len' must not be negative");
    return golden;
  }
  if (golden.law_name == "dictionary") {
    golden.table_options.token_law_k = read.Number(options, "options", "token_law_k");
    if (!(golden.table_options.token_law_k >= 0)) read.Fail("key 'options.token_law_k' must not be negative");
  }
  if (golden.law_name == "data-constrained") {
    golden.runs_options.unique_tokens_column = read.String(options, "options", "unique_tokens_column");
  }
  if (golden.law_name == "sparse") {
    golden.runs_options.sparse.tokens_per_step = read.Number(options, "options", "tokens_per_step");
    if (!(golden.runs_options.sparse.tokens_per_step >= 0)) {
      read.Fail("key 'options.tokens_per_step' must not be negative");
    }
    golden.runs_options.sparse.params_are_dense = read.Bool(options, "options", "n_is_dense");
  }
  if (isoflop) {
    golden.budget_tolerance = read.Positive(options, "options", "budget_tolerance");
    if (!(golden.budget_tolerance < 1)) read.Fail("key 'options.budget_tolerance' must lie in (0, 1)");
    golden.min_budget_runs = static_cast<int>(read.Integer(options, "options", "min_budget_runs", 3));
    golden.keep_extrapolated_minima = read.Bool(options, "options", "keep_extrapolated_minima");
    return golden;
  }
  golden.fit_options.huber_delta = read.Positive(options, "options", "huber_delta");
  golden.fit_options.num_starts = static_cast<int>(read.Integer(options, "options", "starts", 1));
  golden.fit_options.exhaustive = read.Bool(options, "options", "exhaustive");
  if (table_law == nullptr || table_law->has_grid) {
    golden.grid_spec = read.String(options, "options", "grid");
    const InitGrid base = table_law != nullptr ? table_law->default_grid : ChinchillaModel::HoffmannGrid();
    try {
      golden.grid = ParseGridSpec(golden.grid_spec, base, "options.grid");
    } catch (const InputError& error) {
      read.Fail("key 'options.grid' is not a grid: " + error.message(), &options["grid"]);
    }
    golden.table_options.grid_spec = golden.grid_spec;
  }
  golden.table_options.search = golden.fit_options;
  if (options.contains("bootstrap")) {
    const Json& bootstrap = read.Object(options, "options", "bootstrap");
    BootstrapOptions parsed;
    parsed.num_resamples = static_cast<int>(read.Integer(bootstrap, "options.bootstrap", "resamples", 1));
    const Json& seed = read.Get(bootstrap, "options.bootstrap", "seed");
    if (!seed.is_number_unsigned()) read.Fail("key 'options.bootstrap.seed' must be a non-negative integer", &seed);
    parsed.seed = seed.get<std::uint64_t>();
    parsed.confidence = read.Number(bootstrap, "options.bootstrap", "confidence");
    if (!(parsed.confidence > 0 && parsed.confidence < 1)) {
      read.Fail("key 'options.bootstrap.confidence' must lie in (0, 1)", &bootstrap["confidence"]);
    }
    golden.bootstrap = parsed;
  }
  if (with_intervals != golden.bootstrap.has_value()) {
    read.Fail(with_intervals ? "the golden has intervals but no 'options.bootstrap' to reproduce them"
                             : "the golden has 'options.bootstrap' but no intervals");
  }
  return golden;
}

bool GoldenTolerances::Check(std::string* why) const {
  const auto valid = [](double tolerance) { return tolerance >= 0 && std::isfinite(tolerance); };
  const auto fail = [why](const std::string& message) {
    if (why) *why = message;
    return false;
  };
  if (!valid(params_rtol)) return fail("the parameters' tolerance must be a non-negative number");
  if (!valid(predictions_rtol)) return fail("the predictions' tolerance must be a non-negative number");
  if (!valid(intervals_rtol)) return fail("the intervals' tolerance must be a non-negative number");
  for (const auto& [name, tolerance] : overrides) {
    if (!valid(tolerance)) return fail("the tolerance for '" + name + "' must be a non-negative number");
  }
  return true;
}

const char* CheckKindName(CheckKind kind) {
  switch (kind) {
    case CheckKind::PARAMETER: return "parameter";
    case CheckKind::OBJECTIVE: return "objective";
    case CheckKind::PREDICTION: return "prediction";
    case CheckKind::INTERVAL_BOUND: return "interval";
    case CheckKind::CONTAINMENT: return "containment";
  }
  return "unknown";
}

namespace {

// Where a quantity's tolerance can come from: its own name, its budget in any spelling, or its family.
struct ToleranceKeys {
  std::string family;        // "N_opt", "D_opt", "loss", "intervals", or "" when the quantity has none
  std::string stem;          // a prediction's "loss" in "loss@1e+21"; else ""
  double budget_flops = 0.0; // a prediction's budget (bounds of prediction intervals too)
};

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Does override `name` name this quantity: its own name, or STEM@BUDGET[.lower|.upper] with the budget in any
// spelling ("loss@5.76e23" for "loss@5.76e+23")?
bool NamesQuantity(const std::string& name, const QuantityCheck& check, const ToleranceKeys& keys) {
  if (name == check.name) return true;
  const size_t at = name.find('@');
  if (keys.stem.empty() || at == std::string::npos || name.substr(0, at) != keys.stem) return false;
  std::string budget_text = name.substr(at + 1);
  std::string bound;
  for (const char* suffix : {".lower", ".upper"}) {
    if (EndsWith(budget_text, suffix)) {
      bound = suffix;
      budget_text.resize(budget_text.size() - bound.size());
    }
  }
  const std::string check_bound = check.kind == CheckKind::INTERVAL_BOUND ? check.name.substr(check.name.rfind('.'))
                                                                          : std::string();
  if (bound != check_bound) return false;
  const std::optional<double> budget = TryParseQuantity(budget_text);
  return budget && std::fabs(*budget - keys.budget_flops) <= 1e-9 * keys.budget_flops;
}

}  // namespace

GoldenComparison CompareWithGolden(const Golden& golden, const Golden& now, const GoldenTolerances& tolerances,
                                   bool check_intervals) {
  std::string why;
  SCALEPLAN_CHECK(tolerances.Check(&why), why);
  SCALEPLAN_CHECK(golden.parameters.size() == now.parameters.size(), "the same parameters on both sides");
  SCALEPLAN_CHECK(golden.predictions.size() == now.predictions.size(), "predictions at the golden's budgets");
  SCALEPLAN_CHECK(!check_intervals || (!golden.intervals.empty() && !now.intervals.empty()),
                  "interval checks need intervals on both sides");
  GoldenComparison result;
  result.data_hash = now.data_hash;
  result.data_hash_matches = golden.data_hash == now.data_hash;
  if (!result.data_hash_matches) {
    result.warnings.push_back("the runs differ from the golden's: " + std::to_string(now.data_num_runs) +
                              " runs with hash " + now.data_hash + " now, " + std::to_string(golden.data_num_runs) +
                              " runs with hash " + golden.data_hash + " in the golden (" + golden.data_source +
                              "); the objective is not compared, and the fit is expected to move: if the change is "
                              "intended, record a new golden with 'scaleplan fit --save-golden'");
  }

  std::vector<ToleranceKeys> keys;
  const auto add = [&](const std::string& name, CheckKind kind, double golden_value, double now_value,
                       double tolerance, ToleranceKeys key) {
    QuantityCheck check;
    check.name = name;
    check.kind = kind;
    check.golden = golden_value;
    check.now = now_value;
    check.relative_change = RelativeChange(golden_value, now_value);
    check.tolerance = tolerance;
    result.checks.push_back(check);
    keys.push_back(std::move(key));
  };
  const auto add_bounds = [&](const std::string& name, const Interval& was, const Interval& is, ToleranceKeys key) {
    key.family = "intervals";
    add(name + ".lower", CheckKind::INTERVAL_BOUND, was.lower, is.lower, tolerances.intervals_rtol, key);
    add(name + ".upper", CheckKind::INTERVAL_BOUND, was.upper, is.upper, tolerances.intervals_rtol, key);
  };
  const auto add_containment = [&](const std::string& name, double value, const Interval& interval) {
    QuantityCheck check;
    check.name = name + ".inside";
    check.kind = CheckKind::CONTAINMENT;
    check.golden = value;
    check.now = value;
    check.now_interval = interval;
    check.passed = interval.lower <= value && value <= interval.upper;
    if (!check.passed) {
      check.message = "the golden " + name + " " + FormatSignificant(value, 10) + " lies outside the new interval [" +
                      FormatSignificant(interval.lower, 10) + ", " + FormatSignificant(interval.upper, 10) + "]";
    }
    result.checks.push_back(check);
    keys.push_back({});
  };

  for (size_t k = 0; k < golden.parameters.size(); ++k) {
    SCALEPLAN_CHECK(golden.parameters[k].first == now.parameters[k].first, "parameters in the same order");
    add(golden.parameters[k].first, CheckKind::PARAMETER, golden.parameters[k].second, now.parameters[k].second,
        tolerances.params_rtol, {});
  }
  if (golden.has_objective) {
    add("objective", CheckKind::OBJECTIVE, golden.objective, now.objective, tolerances.params_rtol, {});
    if (!result.data_hash_matches) {
      result.checks.back().skipped = true;
      result.checks.back().message = "not compared: the runs differ from the golden's";
    }
  }
  for (size_t i = 0; i < golden.predictions.size(); ++i) {
    const GoldenPrediction& was = golden.predictions[i];
    const GoldenPrediction& is = now.predictions[i];
    SCALEPLAN_CHECK(was.compute_flops == is.compute_flops, "predictions at the golden's budgets");
    const std::string at = AtBudget(was.compute_flops);
    add("N_opt" + at, CheckKind::PREDICTION, was.num_params, is.num_params, tolerances.predictions_rtol,
        {"N_opt", "N_opt", was.compute_flops});
    add("D_opt" + at, CheckKind::PREDICTION, was.num_tokens, is.num_tokens, tolerances.predictions_rtol,
        {"D_opt", "D_opt", was.compute_flops});
    add("loss" + at, CheckKind::PREDICTION, was.loss_nats, is.loss_nats, tolerances.predictions_rtol,
        {"loss", "loss", was.compute_flops});
  }
  if (check_intervals) {
    for (size_t k = 0; k < golden.intervals.size(); ++k) {
      add_bounds(golden.intervals[k].first, golden.intervals[k].second, now.intervals[k].second, {});
    }
    for (size_t i = 0; i < golden.predictions.size(); ++i) {
      const GoldenPrediction& was = golden.predictions[i];
      const GoldenPrediction& is = now.predictions[i];
      if (!was.has_intervals || !is.has_intervals) continue;
      const std::string at = AtBudget(was.compute_flops);
      add_bounds("N_opt" + at, was.num_params_interval, is.num_params_interval, {"", "N_opt", was.compute_flops});
      add_bounds("D_opt" + at, was.num_tokens_interval, is.num_tokens_interval, {"", "D_opt", was.compute_flops});
      add_bounds("loss" + at, was.loss_interval, is.loss_interval, {"", "loss", was.compute_flops});
    }
    for (size_t k = 0; k < golden.parameters.size(); ++k) {
      add_containment(golden.parameters[k].first, golden.parameters[k].second, now.intervals[k].second);
    }
    for (size_t i = 0; i < golden.predictions.size(); ++i) {
      const GoldenPrediction& was = golden.predictions[i];
      const GoldenPrediction& is = now.predictions[i];
      if (!is.has_intervals) continue;
      const std::string at = AtBudget(was.compute_flops);
      add_containment("N_opt" + at, was.num_params, is.num_params_interval);
      add_containment("D_opt" + at, was.num_tokens, is.num_tokens_interval);
      add_containment("loss" + at, was.loss_nats, is.loss_interval);
    }
  }

  // Overrides: families first, then a quantity's own name, each in the order given.
  std::vector<bool> used(tolerances.overrides.size(), false);
  for (const bool own_name : {false, true}) {
    for (size_t o = 0; o < tolerances.overrides.size(); ++o) {
      const auto& [name, tolerance] = tolerances.overrides[o];
      for (size_t c = 0; c < result.checks.size(); ++c) {
        QuantityCheck& check = result.checks[c];
        if (check.kind == CheckKind::CONTAINMENT) continue;
        const bool match = own_name ? NamesQuantity(name, check, keys[c]) : name == keys[c].family;
        if (match) {
          check.tolerance = tolerance;
          used[o] = true;
        }
      }
    }
  }
  for (size_t o = 0; o < used.size(); ++o) {
    // "intervals" names no quantity without --check-intervals; a CI script may pass it either way.
    if (!used[o] && tolerances.overrides[o].first != "intervals") {
      std::string names;
      for (const auto& parameter : golden.parameters) names += parameter.first + ", ";
      throw InputError("no checked quantity is called '" + tolerances.overrides[o].first + "' (names: " + names +
                           (golden.has_objective ? "objective, " : "") +
                           (golden.predictions.empty() ? std::string("no predictions")
                                                       : "N_opt@BUDGET, D_opt@BUDGET, loss@BUDGET, with "
                                                         "--check-intervals NAME.lower and NAME.upper; families: "
                                                         "N_opt, D_opt, loss, intervals") +
                           ")",
                       InputLocation{"--rtol", 0, 0, "", tolerances.overrides[o].first});
    }
  }

  for (QuantityCheck& check : result.checks) {
    if (check.kind != CheckKind::CONTAINMENT && !check.skipped) {
      check.passed = std::fabs(check.now - check.golden) <= check.tolerance * std::fabs(check.golden);
      if (!check.passed) {
        check.message = check.name + " drifted: golden " + FormatSignificant(check.golden, 10) + ", now " +
                        FormatSignificant(check.now, 10) + " (relative change " + FormatChange(check.relative_change) +
                        ", tolerance " +
                        FormatSignificant(check.tolerance, 10) + ")";
      }
    }
    if (check.skipped) {
      ++result.num_skipped;
    } else if (!check.passed) {
      ++result.num_failed;
    }
  }
  return result;
}

nlohmann::ordered_json GoldenComparisonToJson(const std::string& golden_path, const Golden& golden,
                                              const RunsTable& table, const GoldenComparison& comparison) {
  nlohmann::ordered_json out;
  out["golden"] = golden_path;
  out["law"] = golden.law_name;
  out["passed"] = comparison.num_failed == 0;
  out["num_checked"] = comparison.checks.size();
  out["num_failed"] = comparison.num_failed;
  out["num_skipped"] = comparison.num_skipped;
  out["data"] = {{"source", table.source},
                 {"num_runs", table.runs.size()},
                 {"hash", comparison.data_hash.empty() ? FormatRunsHash(table) : comparison.data_hash},
                 {"golden_source", golden.data_source},
                 {"golden_num_runs", golden.data_num_runs},
                 {"golden_hash", golden.data_hash},
                 {"hash_matches", comparison.data_hash_matches}};
  out["warnings"] = comparison.warnings;
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const QuantityCheck& check : comparison.checks) {
    nlohmann::ordered_json entry;
    entry["quantity"] = check.name;
    entry["kind"] = CheckKindName(check.kind);
    entry["golden"] = check.golden;
    if (check.kind == CheckKind::CONTAINMENT) {
      entry["interval"] = {check.now_interval.lower, check.now_interval.upper};
    } else {
      entry["now"] = check.now;
      entry["relative_change"] = check.relative_change;  // null when the golden value is 0 and the new one is not
      entry["tolerance"] = check.tolerance;
    }
    entry["verdict"] = check.skipped ? "skipped" : check.passed ? "ok" : "DRIFT";
    entry["message"] = check.message;
    checks.push_back(entry);
  }
  out["checks"] = checks;
  return out;
}

}  // namespace scaleplan
