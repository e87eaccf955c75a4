#include "fitting/sparse_fit.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include "core/error.h"
#include "core/file.h"
#include "core/json_input.h"
#include "core/runs_table.h"
#include "core/sparse_plans.h"
#include "core/statistics.h"
#include "fitting/fit_json.h"
#include "fitting/identifiability.h"

namespace scaleplan {

namespace {

// A law's runs as plain training runs (what fitting/identifiability.h's rules and the saved data's ranges read): N =
// params(run), the run's tokens D, C = 6 N D, its loss and its file line.
template <typename Run, typename Params>
RunsTable PlainRuns(const std::string& source, const std::vector<Run>& runs, Params params) {
  RunsTable plain;
  plain.source = source;
  for (const Run& run : runs) {
    TrainingRun training;
    training.num_params = params(run);
    training.num_tokens = run.num_tokens;
    training.compute_flops = 6.0 * params(run) * run.num_tokens;
    training.loss_nats = run.loss_nats;
    training.line = run.line;
    plain.runs.push_back(training);
  }
  return plain;
}

// A saved fit's data: the source, the number of runs and their N, D and C = 6 N D ranges (fitting/fit_json.h).
template <typename Run, typename Params>
nlohmann::ordered_json SavedFitData(const std::string& source, const std::vector<Run>& runs, Params params) {
  nlohmann::ordered_json out = {{"source", source}, {"num_runs", runs.size()}};
  const nlohmann::ordered_json ranges = RangesToJson(RangesOfRuns(PlainRuns(source, runs, params)));
  for (auto it = ranges.begin(); it != ranges.end(); ++it) out[it.key()] = it.value();
  return out;
}

}  // namespace
namespace {

double HuberValue(double residual, double delta) { return Huber(residual, delta); }

// The number of values that differ by more than 1e-6 relative (as fitting/identifiability.h counts them).
int CountDistinct(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  int count = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || std::fabs(values[i] - values[i - 1]) > kDistinctRelativeTolerance * std::fabs(values[i])) {
      ++count;
    }
  }
  return count;
}

LawTerms SparseTerms() {
  LawTerms terms;
  terms.name = "sparse law (Frantar et al. 2023)";
  terms.num_params = SparseModel::kNumParams;
  terms.min_distinct = 3;
  terms.params_axis = "N";
  terms.tokens_axis = "D";
  terms.params_term = "(a_S (1 - S)^b_S + c_S) / N^b_N + c";
  terms.params_term_params = "b_N, a_S, c_S and c";
  terms.tokens_term = "(a_D / D)^b_D + c";
  terms.tokens_term_params = "b_D, a_D and c";
  terms.params_pair = "b_N and the sparsity factor";
  terms.tokens_pair = "b_D and a_D";
  return terms;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Frantar et al. 2023.

SparseModel::SparseModel(const SparseRunsTable& table) : SparseModel(table, std::vector<int>(table.runs.size(), 1)) {}

SparseModel::SparseModel(const SparseRunsTable& table, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    const SparseRun& run = table.runs[i];
    log_density_.push_back(std::log(1.0 - run.sparsity));
    log_params_.push_back(std::log(run.num_nonzero_params));
    log_tokens_.push_back(std::log(run.num_tokens));
    log_loss_.push_back(std::log(run.loss_nats));
    weight_.push_back(static_cast<double>(counts[i]));
  }
}

InitGrid SparseModel::DefaultGrid() {
  InitGrid grid;
  grid.names = {"log_a_S", "b_S", "log_c_S", "b_N", "log_a_D", "b_D", "log_c"};
  grid.axes = {{0.0, 2.5, 5.0},          {0.25, 0.875, 1.5}, {0.0, 2.5, 5.0},       {0.1, 0.2, 0.3, 0.4},
               {10.0, 15.0, 20.0, 25.0}, {0.1, 0.25, 0.4},   {-1.0, -0.5, 0.0, 0.5}};
  return grid;
}

SparseLaw SparseModel::ToLaw(const std::vector<double>& p) {
  SCALEPLAN_CHECK(p.size() == static_cast<size_t>(kNumParams), "7 parameters");
  SparseLaw law;
  law.a_S = std::exp(p[0]);
  law.b_S = p[1];
  law.c_S = std::exp(p[2]);
  law.b_N = p[3];
  law.a_D = std::exp(p[4]);
  law.b_D = p[5];
  law.c = std::exp(p[6]);
  return law;
}

std::vector<double> SparseModel::FromLaw(const SparseLaw& law) {
  return {std::log(law.a_S), law.b_S, std::log(law.c_S), law.b_N, std::log(law.a_D), law.b_D, std::log(law.c)};
}

SparseLawStats SparseStats(const SparseLaw& law, const SparseRunsTable& table, double huber_delta) {
  SparseLawStats stats;
  double sum_sq = 0.0;
  for (const SparseRun& run : table.runs) {
    const double residual =
        std::log(law.Loss(run.sparsity, run.num_nonzero_params, run.num_tokens)) - std::log(run.loss_nats);
    stats.objective += HuberValue(residual, huber_delta);
    sum_sq += residual * residual;
    stats.max_abs = std::max(stats.max_abs, std::fabs(residual));
  }
  if (!table.runs.empty()) stats.rmse = std::sqrt(sum_sq / static_cast<double>(table.runs.size()));
  return stats;
}

double SparseObjective(const SparseLaw& law, const SparseRunsTable& table, double huber_delta) {
  return SparseStats(law, table, huber_delta).objective;
}

const std::vector<std::string>& SparseIntervalNames() {
  static const std::vector<std::string> names = {"a_S", "b_S", "c_S", "b_N", "a_D", "b_D", "c"};
  return names;
}

SparseFit FitSparseLaw(const SparseRunsTable& table, const MultiStartOptions& options, const InitGrid& grid,
                       const BootstrapOptions* bootstrap, const ProgressCallback& progress) {
  // N and D as the shared identifiability rules see them.
  const RunsTable view =
      PlainRuns(table.source, table.runs, [](const SparseRun& run) { return run.num_nonzero_params; });
  std::vector<double> levels;
  for (const SparseRun& run : table.runs) levels.push_back(1.0 - run.sparsity);
  SparseFit fit;
  fit.num_sparsity_levels = CountDistinct(levels);
  if (fit.num_sparsity_levels < 3) {
    throw InputError("the sparse law cannot be identified: " + std::to_string(fit.num_sparsity_levels) +
                         (fit.num_sparsity_levels == 1 ? " sparsity level" : " sparsity levels") +
                         " in " + std::to_string(table.runs.size()) +
                         " runs, but the sparsity factor a_S (1 - S)^b_S + c_S has 3 parameters and takes one "
                         "value per level, so b_S cannot be identified; the fit needs runs at 3 or more sparsities",
                     InputLocation{table.source});
  }
  fit.warnings = RequireIdentifiable(view, SparseTerms());
  fit.options = options;
  fit.grid = grid;
  const SparseModel model(table);
  fit.search = FitMultiStart(model, grid, options, progress);
  if (!fit.search.usable) return fit;
  fit.law = SparseModel::ToLaw(fit.search.params);
  std::string why;
  if (!fit.law.Check(&why)) {
    fit.search.usable = false;
    fit.search.status = "the optimum is not a valid law: " + why;
    return fit;
  }
  fit.stats = SparseStats(fit.law, table, options.huber_delta);
  if (bootstrap != nullptr && bootstrap->num_resamples > 0) {
    fit.bootstrap = Bootstrap<SparseModel>(table, fit.search, options, *bootstrap, progress);
    fit.intervals = BootstrapIntervals(
        fit.bootstrap, SparseIntervalNames(), bootstrap->confidence, [](const std::vector<double>& p) {
          const SparseLaw law = SparseModel::ToLaw(p);
          return std::vector<double>{law.a_S, law.b_S, law.c_S, law.b_N, law.a_D, law.b_D, law.c};
        });
  }
  return fit;
}

nlohmann::ordered_json SparseLawToJson(const SparseLaw& law) {
  return {{"a_S", law.a_S}, {"b_S", law.b_S}, {"c_S", law.c_S}, {"b_N", law.b_N},
          {"a_D", law.a_D}, {"b_D", law.b_D}, {"c", law.c}};
}

namespace {

// A sparse or moe fit's "search" (its grid, the multi-start's counts and the Huber delta), then, with a bootstrap,
// its "intervals" and "bootstrap" counts, then its "warnings".
template <typename Fit>
void AddSearchIntervalsAndWarnings(const Fit& fit, nlohmann::ordered_json* out) {
  (*out)["search"] = {{"grid", FormatGrid(fit.grid)},
                      {"grid_points", fit.search.num_grid_points},
                      {"starts", fit.search.num_starts},
                      {"converged", fit.search.num_converged},
                      {"at_best", fit.search.num_at_best},
                      {"huber_delta", fit.options.huber_delta}};
  if (!fit.intervals.empty()) {
    (*out)["intervals"] = IntervalsToJson(fit.intervals);
    (*out)["bootstrap"] = {{"resamples", fit.bootstrap.num_resamples}, {"failed", fit.bootstrap.num_failed}};
  }
  (*out)["warnings"] = fit.warnings;
}

}  // namespace

nlohmann::ordered_json SparseFitToJson(const SparseFit& fit, const SparseRunsTable& table,
                                       const SparseLaw* published, double tokens_per_step) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "sparse";
  out["form"] = "L(S, N, D) = (a_S (1 - S)^b_S + c_S) (1 / N)^b_N + (a_D / D)^b_D + c; N non-zero, D tokens";
  const nlohmann::ordered_json params = SparseLawToJson(fit.law);
  for (auto it = params.begin(); it != params.end(); ++it) out[it.key()] = it.value();
  out["exponents"] = {{"b_S", fit.law.b_S}, {"b_N", fit.law.b_N}, {"b_D", fit.law.b_D}};
  out["objective"] = fit.search.objective;
  out["usable"] = fit.search.usable;
  out["status"] = fit.search.status;
  out["residuals"] = {{"num_runs", table.runs.size()}, {"rmse", fit.stats.rmse}, {"max_abs", fit.stats.max_abs}};
  out["sparsity_levels"] = fit.num_sparsity_levels;
  AddSearchIntervalsAndWarnings(fit, &out);
  if (published != nullptr) {
    const SparseLawStats stats = SparseStats(*published, table, fit.options.huber_delta);
    nlohmann::ordered_json entry = SparseLawToJson(*published);
    entry["objective"] = stats.objective;
    entry["rmse"] = stats.rmse;
    entry["max_abs"] = stats.max_abs;
    out["published"] = entry;
  }
  if (tokens_per_step > 0 && fit.search.usable) {
    const SparseHeldOutRun run;
    const double tokens = run.steps * tokens_per_step;
    nlohmann::ordered_json held;
    held["sparsity"] = run.sparsity;
    held["num_nonzero_params"] = run.num_nonzero_params;
    held["num_tokens"] = tokens;
    held["measured"] = run.loss_nats;
    held["fit"] = fit.law.Loss(run.sparsity, run.num_nonzero_params, tokens);
    if (published != nullptr) held["published"] = published->Loss(run.sparsity, run.num_nonzero_params, tokens);
    out["held_out"] = held;
  }
  out["data"] = SavedFitData(table.source, table.runs, [](const SparseRun& run) { return run.num_nonzero_params; });
  return out;
}

namespace {

// The object of a usable saved fit of `law` ('fit --law LAW --out PATH') from its text, read from `path` (what
// messages name); InputError naming the file otherwise.
nlohmann::json ParseSavedLawFit(std::string_view text, const std::string& path, const std::string& law) {
  nlohmann::json json = ParseJsonInput(text, path);
  const InputLocation where{path};
  if (!json.is_object()) throw InputError("not a saved fit: expected a JSON object", where);
  CheckSchemaVersion(json, path);  // before the other keys: a newer file may have moved them
  if (!json.contains("law") || json["law"] != law) {
    throw InputError("not a saved " + law + " fit ('fit --law " + law + " --out'): key 'law' must be \"" + law + "\"",
                     where);
  }
  if (!json.contains("usable") || json["usable"] != true) {
    throw InputError("the saved " + law + " fit is not usable (key 'usable' is not true)", where);
  }
  return json;
}

// A law's coefficients read from `object` into the members named (SavedFitNumber; `prefix` names the object in
// messages: "routers[1]."), then the law's own Check: one reader for every saved law of this file.
template <typename Law>
Law ReadSavedCoefficients(const nlohmann::json& object,
                          std::initializer_list<std::pair<const char*, double Law::*>> keys, const std::string& path,
                          const std::string& what, const std::string& prefix = "") {
  Law law;
  const std::string object_path = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  for (const auto& [key, member] : keys) law.*member = SavedFitNumber(object, key, path, object_path);
  std::string why;
  if (!law.Check(&why)) throw InputError(what + why, InputLocation{path});
  return law;
}

}  // namespace

SparseLaw LoadSavedSparseLaw(const std::string& path) {
  return ReadSavedCoefficients<SparseLaw>(ParseSavedLawFit(ReadWholeFile(path), path, "sparse"),
                                          {{"a_S", &SparseLaw::a_S},
                                           {"b_S", &SparseLaw::b_S},
                                           {"c_S", &SparseLaw::c_S},
                                           {"b_N", &SparseLaw::b_N},
                                           {"a_D", &SparseLaw::a_D},
                                           {"b_D", &SparseLaw::b_D},
                                           {"c", &SparseLaw::c}},
                                          path, "not a usable sparse law: ");
}

double RoutingRunLoss(const std::map<std::string, RoutingLaw>& laws, const RoutingRun& run, const std::string& source) {
  if (run.router == "Dense") {
    SCALEPLAN_CHECK(!laws.empty(), "at least one router's law");
    double sum_log = 0.0;
    for (const auto& [router, law] : laws) sum_log += std::log(law.Loss(run.num_params, 1.0));
    return std::exp(sum_log / static_cast<double>(laws.size()));
  }
  const auto it = laws.find(run.router);
  if (it == laws.end()) {
    throw InputError("router " + run.router + " has no law of its own here (none of its runs among the fitted ones) " +
                         "to predict its runs with",
                     InputLocation{source});
  }
  return it->second.Loss(run.num_params, run.num_experts);
}

std::vector<std::pair<std::string, RoutingLaw>> LoadSavedRoutingLaws(const std::string& path) {
  return ParseSavedRoutingLaws(ReadWholeFile(path), path);
}

std::vector<std::pair<std::string, RoutingLaw>> ParseSavedRoutingLaws(std::string_view json_text,
                                                                      const std::string& path) {
  const nlohmann::json json = ParseSavedLawFit(json_text, path, "routing");
  if (!json.contains("routers") || !json["routers"].is_array() || json["routers"].empty()) {
    throw InputError("key 'routers' must be a non-empty list", InputLocation{path});
  }
  std::vector<std::pair<std::string, RoutingLaw>> laws;
  const nlohmann::json& routers = json["routers"];
  for (size_t k = 0; k < routers.size(); ++k) {
    const nlohmann::json& entry = routers[k];
    const std::string prefix = "routers[" + std::to_string(k) + "].";
    if (!entry.is_object() || !entry.contains("router") || !entry["router"].is_string()) {
      throw InputError("key '" + prefix + "router' must be a router's name", InputLocation{path});
    }
    if (entry.contains("usable") && entry["usable"] != true) continue;  // a router the fit could not fit
    const RoutingLaw law = ReadSavedCoefficients<RoutingLaw>(
        entry,
        {{"a", &RoutingLaw::a},
         {"b", &RoutingLaw::b},
         {"c", &RoutingLaw::c},
         {"d", &RoutingLaw::d},
         {"E_start", &RoutingLaw::e_start},
         {"E_max", &RoutingLaw::e_max}},
        path, "router '" + entry["router"].get<std::string>() + "' is not a usable routing law: ", prefix);
    laws.emplace_back(entry["router"].get<std::string>(), law);
  }
  if (laws.empty()) throw InputError("no router of the saved routing fit is usable", InputLocation{path});
  return laws;
}

FineGrainedMoeLaw LoadSavedMoeLaw(const std::string& path) { return ParseSavedMoeLaw(ReadWholeFile(path), path); }

FineGrainedMoeLaw ParseSavedMoeLaw(std::string_view json_text, const std::string& path) {
  return ReadSavedCoefficients<FineGrainedMoeLaw>(ParseSavedLawFit(json_text, path, "moe"),
                                                  {{"a", &FineGrainedMoeLaw::a},
                                                   {"alpha", &FineGrainedMoeLaw::alpha},
                                                   {"b", &FineGrainedMoeLaw::b},
                                                   {"beta", &FineGrainedMoeLaw::beta},
                                                   {"g", &FineGrainedMoeLaw::g},
                                                   {"gamma", &FineGrainedMoeLaw::gamma},
                                                   {"c", &FineGrainedMoeLaw::c}},
                                                  path, "not a usable moe law: ");
}

// ---------------------------------------------------------------------------------------------------------------
// Clark et al. 2022.

RoutingModel::RoutingModel(const RoutingRunsTable& table)
    : RoutingModel(table, std::vector<int>(table.runs.size(), 1)) {}

RoutingModel::RoutingModel(const RoutingRunsTable& table, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    const RoutingRun& run = table.runs[i];
    log10_params_.push_back(std::log10(run.num_params));
    experts_.push_back(run.num_experts);
    log_loss_.push_back(std::log(run.loss_nats));
    weight_.push_back(static_cast<double>(counts[i]));
  }
}

InitGrid RoutingModel::DefaultGrid() {
  InitGrid grid;
  grid.names = {"a", "b", "c", "d", "ln_E_start", "ln_E_max"};
  grid.axes = {{-0.12, -0.08, -0.04}, {-0.2, -0.1, 0.0, 0.1}, {-0.01, 0.0, 0.01, 0.02},
               {0.8, 1.1, 1.4},       {0.0, 0.7, 1.4},        {4.0, 5.5, 7.0}};
  return grid;
}

RoutingLaw RoutingModel::ToLaw(const std::vector<double>& p) {
  SCALEPLAN_CHECK(p.size() == static_cast<size_t>(kNumParams), "6 parameters");
  return {p[0], p[1], p[2], p[3], std::exp(p[4]), std::exp(p[5])};
}

std::vector<double> RoutingModel::FromLaw(const RoutingLaw& law) {
  return {law.a, law.b, law.c, law.d, std::log(law.e_start), std::log(law.e_max)};
}

double RoutingObjective(const RoutingLaw& law, const RoutingRunsTable& table, double huber_delta) {
  double sum = 0.0;
  for (const RoutingRun& run : table.runs) {
    sum += HuberValue(std::log(law.Loss(run.num_params, run.num_experts)) - std::log(run.loss_nats), huber_delta);
  }
  return sum;
}

const std::vector<std::string>& RoutingIntervalNames() {
  static const std::vector<std::string> names = {"a", "b", "c", "d", "E_start", "E_max"};
  return names;
}

std::optional<RoutingLaw> PublishedRoutingLaw(const std::string& router) {
  if (router == "S-Base") return ClarkSBaseLaw();
  if (router == "RL-R") return ClarkRlrLaw();
  if (router == "Hash") return ClarkHashLaw();
  return std::nullopt;
}

namespace {

// The RMSE of the natural-log residuals of a routing law on the runs.
double RoutingRmse(const RoutingLaw& law, const RoutingRunsTable& table) {
  double sum_sq = 0.0;
  for (const RoutingRun& run : table.runs) {
    const double r = std::log(law.Loss(run.num_params, run.num_experts)) - std::log(run.loss_nats);
    sum_sq += r * r;
  }
  return table.runs.empty() ? 0.0 : std::sqrt(sum_sq / static_cast<double>(table.runs.size()));
}

}  // namespace

std::vector<RoutingFit> FitRoutingLaws(const RoutingRunsTable& table, const MultiStartOptions& options,
                                       const InitGrid& grid, const BootstrapOptions* bootstrap,
                                       const ProgressCallback& progress) {
  std::vector<std::string> routers;
  for (const RoutingRun& run : table.runs) {
    if (run.router != "Dense" && std::find(routers.begin(), routers.end(), run.router) == routers.end()) {
      routers.push_back(run.router);
    }
  }
  if (routers.empty()) {
    throw InputError("no routed runs: every run's router is Dense, so the expert terms cannot be identified",
                     InputLocation{table.source});
  }
  // Clark et al.'s order (their Table 3, as plan --law clark2022 lists them: S-Base, RL-R, Hash), then any other
  // router in the order its runs appear.
  const RouterLaws table_3 = ClarkRoutingLaws();
  const auto rank = [&table_3](const std::string& router) {
    return std::find_if(table_3.begin(), table_3.end(), [&router](const auto& law) { return law.first == router; }) -
           table_3.begin();
  };
  std::stable_sort(routers.begin(), routers.end(),
                   [&rank](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  const bool with_bootstrap = bootstrap != nullptr && bootstrap->num_resamples > 0;
  std::vector<RoutingFit> fits;
  for (size_t router_index = 0; router_index < routers.size(); ++router_index) {
    const std::string& router = routers[router_index];
    const RoutingRunsTable runs = RoutingRunsFor(table, router);
    std::vector<double> params, experts;
    for (const RoutingRun& run : runs.runs) {
      params.push_back(run.num_params);
      experts.push_back(run.num_experts);
    }
    const int distinct_params = CountDistinct(params), distinct_experts = CountDistinct(experts);
    if (runs.runs.size() <= static_cast<size_t>(RoutingModel::kNumParams) || distinct_params < 3 ||
        distinct_experts < 3) {
      throw InputError("Clark et al.'s law cannot be identified for router '" + router + "': " +
                           std::to_string(runs.runs.size()) + " runs (with the Dense ones), " +
                           std::to_string(distinct_params) + " distinct N and " + std::to_string(distinct_experts) +
                           " distinct E; it needs at least 7 runs and 3 distinct values of each",
                       InputLocation{table.source});
    }
    RoutingFit fit;
    fit.router = router;
    fit.num_runs = static_cast<int>(runs.runs.size());
    fit.options = options;
    const RoutingModel model(runs);
    fit.search = FitMultiStart(model, grid, options);
    if (fit.search.usable) {
      fit.law = RoutingModel::ToLaw(fit.search.params);
      fit.objective = fit.search.objective;
      fit.rmse = RoutingRmse(fit.law, runs);
      if (with_bootstrap) {
        // One bar over all routers: this router's resamples follow the earlier routers'.
        const int total = static_cast<int>(routers.size()) * bootstrap->num_resamples;
        const int offset = static_cast<int>(router_index) * bootstrap->num_resamples;
        const ProgressCallback step =
            progress ? ProgressCallback([&](int done, int) { progress(offset + done, total); }) : nullptr;
        fit.bootstrap = Bootstrap<RoutingModel, RoutingRunsTable>(runs, fit.search, options, *bootstrap, step);
        fit.intervals = BootstrapIntervals(
            fit.bootstrap, RoutingIntervalNames(), bootstrap->confidence, [](const std::vector<double>& p) {
              const RoutingLaw law = RoutingModel::ToLaw(p);
              return std::vector<double>{law.a, law.b, law.c, law.d, law.e_start, law.e_max};
            });
      }
    }
    if (const std::optional<RoutingLaw> published = PublishedRoutingLaw(router)) {
      fit.has_published = true;
      fit.published = *published;
      fit.published_objective = RoutingObjective(*published, runs, options.huber_delta);
      fit.published_rmse = RoutingRmse(*published, runs);
    }
    fits.push_back(fit);
  }
  return fits;
}

nlohmann::ordered_json RoutingFitsToJson(const std::vector<RoutingFit>& fits, const RoutingRunsTable& table) {
  auto law_json = [](const RoutingLaw& law) {
    return nlohmann::ordered_json{{"a", law.a},         {"b", law.b},          {"c", law.c},
                                  {"d", law.d},         {"E_start", law.e_start}, {"E_max", law.e_max}};
  };
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "routing";
  out["form"] = "log10 L = a log10 N + b log10 E^ + c log10 N log10 E^ + d; "
                "1/E^ = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max";
  out["objective_note"] =
      "sum of Huber_1e-3 of the natural-log residual; Clark et al. minimised the mean squared log10 error";
  nlohmann::ordered_json routers = nlohmann::ordered_json::array();
  bool usable = true;
  for (const RoutingFit& fit : fits) {
    nlohmann::ordered_json entry;
    entry["router"] = fit.router;
    entry["num_runs"] = fit.num_runs;
    const nlohmann::ordered_json params = law_json(fit.law);
    for (auto it = params.begin(); it != params.end(); ++it) entry[it.key()] = it.value();
    entry["objective"] = fit.objective;
    entry["rmse"] = fit.rmse;
    entry["usable"] = fit.search.usable;
    entry["status"] = fit.search.status;
    if (!fit.intervals.empty()) {
      entry["intervals"] = IntervalsToJson(fit.intervals);
      entry["bootstrap"] = {{"resamples", fit.bootstrap.num_resamples}, {"failed", fit.bootstrap.num_failed}};
    }
    if (fit.has_published) {
      nlohmann::ordered_json published = law_json(fit.published);
      published["objective"] = fit.published_objective;
      published["rmse"] = fit.published_rmse;
      published["source"] = "Clark et al. 2022, Table 3";
      entry["published"] = published;
    }
    usable = usable && fit.search.usable;
    routers.push_back(entry);
  }
  out["usable"] = usable;
  out["routers"] = routers;
  out["data"] = {{"source", table.source}, {"num_runs", table.runs.size()}};
  // The dense (per-token) N of the runs: a routing plan beyond them extrapolates (core/sparse_plans.h).
  const auto [params_min, params_max] =
      std::minmax_element(table.runs.begin(), table.runs.end(),
                          [](const RoutingRun& x, const RoutingRun& y) { return x.num_params < y.num_params; });
  if (params_min != table.runs.end()) {
    out["data"]["num_params_min"] = params_min->num_params;
    out["data"]["num_params_max"] = params_max->num_params;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Krajewski et al. 2024.

MoeModel::MoeModel(const MoeRunsTable& table) : MoeModel(table, std::vector<int>(table.runs.size(), 1)) {}

MoeModel::MoeModel(const MoeRunsTable& table, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    const MoeRun& run = table.runs[i];
    log_params_.push_back(std::log(run.num_params));
    log_tokens_.push_back(std::log(run.num_tokens));
    log_granularity_.push_back(std::log(run.granularity));
    log_loss_.push_back(std::log(run.loss_nats));
    weight_.push_back(static_cast<double>(counts[i]));
  }
}

InitGrid MoeModel::DefaultGrid() {
  InitGrid grid;
  grid.names = {"log_a", "alpha", "log_b", "beta", "log_g", "gamma", "log_c"};
  grid.axes = {{0.0, 2.0, 4.0},   {0.05, 0.15, 0.25}, {0.0, 2.5, 5.0},   {0.05, 0.15, 0.25},
               {-2.0, 0.0, 2.0},  {0.2, 0.6, 1.0},    {-1.0, -0.5, 0.0}};
  return grid;
}

FineGrainedMoeLaw MoeModel::ToLaw(const std::vector<double>& p) {
  SCALEPLAN_CHECK(p.size() == static_cast<size_t>(kNumParams), "7 parameters");
  return {std::exp(p[0]), p[1], std::exp(p[2]), p[3], std::exp(p[4]), p[5], std::exp(p[6])};
}

double MoeObjective(const FineGrainedMoeLaw& law, const MoeRunsTable& table, double huber_delta) {
  double sum = 0.0;
  for (const MoeRun& run : table.runs) {
    sum += HuberValue(std::log(law.Loss(run.num_params, run.num_tokens, run.granularity)) - std::log(run.loss_nats),
                      huber_delta);
  }
  return sum;
}

const std::vector<std::string>& MoeIntervalNames() {
  static const std::vector<std::string> names = {"a", "alpha", "b", "beta", "g", "gamma", "c"};
  return names;
}

MoeFit FitMoeLaw(const MoeRunsTable& table, const MultiStartOptions& options, const InitGrid& grid,
                 const BootstrapOptions* bootstrap, const ProgressCallback& progress) {
  const RunsTable view = PlainRuns(table.source, table.runs, [](const MoeRun& run) { return run.num_params; });
  std::vector<double> granularities;
  for (const MoeRun& run : table.runs) granularities.push_back(run.granularity);
  MoeFit fit;
  fit.num_granularities = CountDistinct(granularities);
  if (fit.num_granularities < 3) {
    throw InputError("the fine-grained MoE law cannot be identified: " + std::to_string(fit.num_granularities) +
                         (fit.num_granularities == 1 ? " granularity" : " granularities") + " in " +
                         std::to_string(table.runs.size()) +
                         " runs, but the granularity term g / G^gamma + a has 3 parameters and takes one value per "
                         "granularity, so g and gamma cannot be identified; the fit needs runs at 3 or more "
                         "granularities",
                     InputLocation{table.source});
  }
  LawTerms terms;
  terms.name = "fine-grained MoE law (Krajewski et al. 2024)";
  terms.num_params = MoeModel::kNumParams;
  terms.params_term = "(g / G^gamma + a) / N^alpha + c";
  terms.params_term_params = "alpha, a, g and c";
  terms.tokens_term = "b / D^beta + c";
  terms.tokens_term_params = "beta, b and c";
  terms.params_pair = "alpha and the granularity term";
  terms.tokens_pair = "beta and b";
  fit.warnings = RequireIdentifiable(view, terms);
  fit.options = options;
  fit.grid = grid;
  const MoeModel model(table);
  fit.search = FitMultiStart(model, grid, options);
  if (!fit.search.usable) return fit;
  fit.law = MoeModel::ToLaw(fit.search.params);
  double sum_sq = 0.0;
  for (int i = 0; i < model.NumSamples(); ++i) {
    const double r = model.LogPrediction(fit.search.params.data(), i) - model.LogTarget(i);
    sum_sq += r * r;
  }
  fit.rmse = std::sqrt(sum_sq / model.NumSamples());
  if (bootstrap != nullptr && bootstrap->num_resamples > 0) {
    fit.bootstrap = Bootstrap<MoeModel, MoeRunsTable>(table, fit.search, options, *bootstrap, progress);
    fit.intervals =
        BootstrapIntervals(fit.bootstrap, MoeIntervalNames(), bootstrap->confidence, [](const std::vector<double>& p) {
          const FineGrainedMoeLaw law = MoeModel::ToLaw(p);
          return std::vector<double>{law.a, law.alpha, law.b, law.beta, law.g, law.gamma, law.c};
        });
  }
  return fit;
}

nlohmann::ordered_json MoeFitToJson(const MoeFit& fit, const MoeRunsTable& table) {
  auto law_json = [](const FineGrainedMoeLaw& law) {
    return nlohmann::ordered_json{{"a", law.a}, {"alpha", law.alpha}, {"b", law.b}, {"beta", law.beta},
                                  {"g", law.g}, {"gamma", law.gamma}, {"c", law.c}};
  };
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "moe";
  out["form"] = "L(N, D, G) = c + (g / G^gamma + a) / N^alpha + b / D^beta; N total non-embedding parameters";
  const nlohmann::ordered_json params = law_json(fit.law);
  for (auto it = params.begin(); it != params.end(); ++it) out[it.key()] = it.value();
  out["objective"] = fit.search.objective;
  out["usable"] = fit.search.usable;
  out["status"] = fit.search.status;
  out["residuals"] = {{"num_runs", table.runs.size()}, {"rmse", fit.rmse}};
  out["granularities"] = fit.num_granularities;
  AddSearchIntervalsAndWarnings(fit, &out);
  nlohmann::ordered_json published = law_json(KrajewskiMoeLaw());
  published["objective"] = MoeObjective(KrajewskiMoeLaw(), table, fit.options.huber_delta);
  out["published"] = published;
  out["data"] = SavedFitData(table.source, table.runs, [](const MoeRun& run) { return run.num_params; });
  // The granularities fitted: a plan outside them extrapolates the G term (core/sparse_plans.h MoePlanWarnings).
  const auto [granularity_min, granularity_max] =
      std::minmax_element(table.runs.begin(), table.runs.end(),
                          [](const MoeRun& x, const MoeRun& y) { return x.granularity < y.granularity; });
  out["data"]["granularity_min"] = granularity_min == table.runs.end() ? 0.0 : granularity_min->granularity;
  out["data"]["granularity_max"] = granularity_max == table.runs.end() ? 0.0 : granularity_max->granularity;
  return out;
}

}  // namespace scaleplan
