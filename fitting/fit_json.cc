#include "fitting/fit_json.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/file.h"
#include "core/json_input.h"
#include "core/units.h"

namespace scaleplan {

nlohmann::ordered_json SearchToJson(const MultiStartResult& search, const MultiStartOptions& options,
                                    const std::string& grid) {
  return {{"grid", grid},
          {"grid_points", search.num_grid_points},
          {"starts", search.num_starts},
          {"converged", search.num_converged},
          {"at_best", search.num_at_best},
          {"exhaustive", options.exhaustive},
          {"huber_delta", options.huber_delta},
          {"outside_grid", search.outside_grid}};
}

nlohmann::ordered_json ResidualsToJson(const ResidualStats& residuals) {
  return {{"num_runs", residuals.num_runs},         {"rmse", residuals.rmse},
          {"mean", residuals.mean},                 {"max_abs", residuals.max_abs},
          {"max_abs_nats", residuals.max_abs_nats}, {"num_beyond_delta", residuals.num_beyond_delta}};
}

nlohmann::ordered_json IntervalsToJson(const std::vector<std::pair<std::string, Interval>>& intervals) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, interval] : intervals) out[name] = {interval.lower, interval.upper};
  return out;
}

nlohmann::ordered_json IntervalsToJson(
    const std::vector<std::pair<std::string, std::pair<double, double>>>& intervals) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, interval] : intervals) out[name] = {interval.first, interval.second};
  return out;
}

nlohmann::ordered_json AllocationsToJson(const std::function<Allocation(double)>& allocate,
                                         const std::vector<double>& budgets) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (double c : budgets) {
    const Allocation a = allocate(c);
    out.push_back({{"compute_flops", c},
                   {"num_params", a.num_params},
                   {"num_tokens", a.num_tokens},
                   {"tokens_per_param", a.tokens_per_param},
                   {"loss", std::isfinite(a.loss_nats) ? nlohmann::ordered_json(a.loss_nats) : nullptr}});
  }
  return out;
}

nlohmann::ordered_json RangesToJson(const FitRanges& ranges) {
  return {{"compute_min", ranges.compute_min_flops}, {"compute_max", ranges.compute_max_flops},
          {"num_params_min", ranges.num_params_min}, {"num_params_max", ranges.num_params_max},
          {"num_tokens_min", ranges.num_tokens_min}, {"num_tokens_max", ranges.num_tokens_max}};
}

nlohmann::ordered_json DataToJson(const RunsTable& table) {
  nlohmann::ordered_json out = {{"source", table.source},
                                {"num_runs", table.runs.size()},
                                {"hash", FormatRunsHash(table)},
                                {"notes", table.notes}};
  const nlohmann::ordered_json ranges = RangesToJson(RangesOfRuns(table));
  for (auto it = ranges.begin(); it != ranges.end(); ++it) out[it.key()] = it.value();
  return out;
}

std::vector<std::string> BudgetExtrapolationWarnings(const FitRanges& ranges,
                                                     const std::function<Allocation(double)>& allocate,
                                                     const std::vector<double>& budgets) {
  std::vector<std::string> warnings;
  for (double c : budgets) {
    const std::optional<std::string> warning = ExtrapolationWarning(ranges, allocate(c));
    if (warning) warnings.push_back("at " + FormatScientific(c) + " FLOPs: " + *warning);
  }
  return warnings;
}

namespace {

// The keys of a Kaplan or Chinchilla fit after its coefficients: objective, the allocation exponents, usable,
// status, warnings, the search over `grid` and the residuals.
template <typename Fit>
void AddSearchedLawKeys(const Fit& fit, const std::string& grid, nlohmann::ordered_json* out) {
  (*out)["objective"] = fit.search.objective;
  (*out)["exponent_params"] = fit.law.ExponentParams();
  (*out)["exponent_tokens"] = fit.law.ExponentTokens();
  (*out)["usable"] = fit.search.usable;
  (*out)["status"] = fit.search.status;
  (*out)["warnings"] = fit.warnings;
  (*out)["search"] = SearchToJson(fit.search, fit.options, grid);
  (*out)["residuals"] = ResidualsToJson(fit.residuals);
}

}  // namespace

nlohmann::ordered_json KaplanFitToJson(const KaplanFit& fit,
                                       const std::vector<std::pair<std::string, Interval>>* intervals,
                                       const RunsTable* table) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "kaplan";
  out["N_c"] = fit.law.n_c;
  out["D_c"] = fit.law.d_c;
  out["alpha_N"] = fit.law.alpha_n;
  out["alpha_D"] = fit.law.alpha_d;
  AddSearchedLawKeys(fit, FormatGrid(KaplanModel::DefaultGrid()), &out);
  if (intervals != nullptr && !intervals->empty()) out["intervals"] = IntervalsToJson(*intervals);
  if (table != nullptr) out["data"] = DataToJson(*table);
  return out;
}

nlohmann::ordered_json IsoFlopFitToJson(const IsoFlopFit& fit, const IsoFlopBootstrap* bootstrap,
                                        const RunsTable* table) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "isoflop";
  out["exponent_params"] = fit.exponent_params;
  out["exponent_tokens"] = fit.exponent_tokens;
  out["coeff_params"] = fit.coeff_params;
  out["coeff_tokens"] = fit.coeff_tokens;
  out["usable"] = fit.usable;
  out["status"] = fit.status;
  if (fit.has_frontier) {
    out["frontier"] = {{"E", fit.frontier.E},
                       {"K", fit.frontier.K},
                       {"gamma", fit.frontier.gamma},
                       {"status", fit.frontier_status}};
  } else {
    out["frontier"] = nullptr;
    out["frontier_status"] = fit.frontier_status;
  }
  nlohmann::ordered_json budgets = nlohmann::ordered_json::array();
  for (size_t k = 0; k < fit.budgets.size(); ++k) {
    const IsoFlopBudget& b = fit.budgets[k];
    budgets.push_back({{"compute_flops", b.compute_flops},
                       {"num_runs", b.num_runs},
                       {"num_params", b.usable ? nlohmann::ordered_json(b.num_params_opt) : nullptr},
                       {"num_tokens", b.usable ? nlohmann::ordered_json(b.num_tokens_opt) : nullptr},
                       {"loss", b.usable ? nlohmann::ordered_json(b.loss_at_opt) : nullptr},
                       {"min_params_sampled", b.min_params_sampled},
                       {"max_params_sampled", b.max_params_sampled},
                       {"minimum_inside", b.minimum_inside},
                       {"usable", b.usable},
                       {"used", b.used},
                       {"note", b.note}});
    if (bootstrap != nullptr && k < bootstrap->num_resamples_used.size()) {
      budgets.back()["resamples_used"] = bootstrap->num_resamples_used[k];  // resamples whose exponent fit used it
    }
  }
  out["budgets"] = budgets;
  out["num_budgets_used"] = fit.num_budgets_used;
  out["num_budgets_extrapolated"] = fit.num_budgets_extrapolated;
  out["keep_extrapolated_minima"] = fit.keep_extrapolated;
  out["warnings"] = fit.warnings;
  if (bootstrap != nullptr && !bootstrap->exponents.empty()) {
    out["intervals"] = IntervalsToJson({{"exponent_params", bootstrap->exponent_params},
                                        {"exponent_tokens", bootstrap->exponent_tokens}});
    out["bootstrap"] = {{"resamples", bootstrap->options.num_resamples},
                        {"failed", bootstrap->num_failed},
                        {"degenerate", bootstrap->num_degenerate},
                        {"seed", bootstrap->options.seed},
                        {"confidence", bootstrap->options.confidence},
                        {"resampling", "within each budget"},
                        {"resamples_in_intervals", bootstrap->exponents.size()},
                        {"budgets_used_full", bootstrap->num_budgets_used_full},
                        {"budgets_used_mean", bootstrap->mean_budgets_used},
                        {"budgets_left_out_mean", bootstrap->mean_budgets_left_out}};
  }
  if (table != nullptr) out["data"] = DataToJson(*table);
  return out;
}

nlohmann::ordered_json FitToJson(const ChinchillaFit& fit, const RunsTable& table,
                                 const ChinchillaBootstrap* bootstrap) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "chinchilla";
  out["E"] = fit.law.E;
  out["A"] = fit.law.A;
  out["B"] = fit.law.B;
  out["alpha"] = fit.law.alpha;
  out["beta"] = fit.law.beta;
  AddSearchedLawKeys(fit, FormatGrid(fit.grid), &out);
  out["data"] = DataToJson(table);
  if (bootstrap != nullptr && !bootstrap->intervals.empty()) {
    out["intervals"] = IntervalsToJson(bootstrap->intervals);
    nlohmann::ordered_json laws = nlohmann::ordered_json::array();
    for (const ChinchillaLaw& law : bootstrap->laws) laws.push_back({law.E, law.A, law.B, law.alpha, law.beta});
    out["bootstrap"] = {{"resamples", bootstrap->samples.num_resamples},
                        {"failed", bootstrap->samples.num_failed},
                        {"won_by_other_start", bootstrap->samples.num_won_by_other_start},
                        {"seed", bootstrap->options.seed},
                        {"confidence", bootstrap->options.confidence},
                        {"candidates", bootstrap->options.num_candidates},
                        {"refits", bootstrap->options.num_refits},
                        {"laws", laws}};
  }
  return out;
}

namespace {

double RequireNumber(const nlohmann::json& object, const std::string& key, const std::string& source,
                     const std::string& path = "") {
  const std::string name = path.empty() ? key : path + "." + key;
  if (!object.contains(key)) throw InputError("missing key '" + name + "'", InputLocation{source});
  const nlohmann::json& value = object.at(key);
  if (!value.is_number()) {
    throw InputError("key '" + name + "' must be a number, got " + value.type_name(),
                     InputLocation{source, 0, 0, "", JsonExcerpt(value)});
  }
  return value.get<double>();
}

const nlohmann::json& RequireObject(const nlohmann::json& object, const std::string& key, const std::string& source) {
  if (!object.contains(key)) throw InputError("missing key '" + key + "'", InputLocation{source});
  const nlohmann::json& value = object.at(key);
  if (!value.is_object()) {
    throw InputError("key '" + key + "' must be an object, got " + value.type_name(),
                     InputLocation{source, 0, 0, "", JsonExcerpt(value)});
  }
  return value;
}

ChinchillaLaw ReadChinchillaLaw(const nlohmann::json& object, const std::string& source, const std::string& path) {
  ChinchillaLaw law;
  law.E = RequireNumber(object, "E", source, path);
  law.A = RequireNumber(object, "A", source, path);
  law.B = RequireNumber(object, "B", source, path);
  law.alpha = RequireNumber(object, "alpha", source, path);
  law.beta = RequireNumber(object, "beta", source, path);
  return law;
}

void RequireUsable(bool valid, const std::string& why, const std::string& source) {
  if (!valid) throw InputError("not a usable law: " + why, InputLocation{source});
}

// Reads the coefficients of the laws that plan (chinchilla, data-constrained, kaplan, isoflop) into `saved`;
// keeps the others' documents as their payload.
void ReadLaw(const nlohmann::json& doc, const std::string& source, SavedLaw* saved) {
  const std::string& name = saved->law_name;
  std::string why;
  if (name == "chinchilla") {
    saved->law = ReadChinchillaLaw(doc, source, "");
    RequireUsable(saved->law.Check(&why), why, source);
  } else if (name == "data-constrained") {
    saved->law = ReadChinchillaLaw(RequireObject(doc, "base", source), source, "base");
    saved->data_constrained.base = saved->law;
    saved->data_constrained.R_D_star = RequireNumber(doc, "R_D_star", source);
    saved->data_constrained.R_N_star = RequireNumber(doc, "R_N_star", source);
    RequireUsable(saved->data_constrained.Check(&why), why, source);
  } else if (name == "kaplan") {
    saved->kaplan.n_c = RequireNumber(doc, "N_c", source);
    saved->kaplan.d_c = RequireNumber(doc, "D_c", source);
    saved->kaplan.alpha_n = RequireNumber(doc, "alpha_N", source);
    saved->kaplan.alpha_d = RequireNumber(doc, "alpha_D", source);
    RequireUsable(saved->kaplan.Check(&why), why, source);
  } else if (name == "isoflop") {
    IsoFlopLaw& law = saved->isoflop;
    law.coeff_params = RequireNumber(doc, "coeff_params", source);
    law.exponent_params = RequireNumber(doc, "exponent_params", source);
    law.coeff_tokens = RequireNumber(doc, "coeff_tokens", source);
    law.exponent_tokens = RequireNumber(doc, "exponent_tokens", source);
    // The frontier: an object, or null (or absent) when the fit had too few budgets for one.
    law.has_frontier = doc.contains("frontier") && !doc["frontier"].is_null();
    if (law.has_frontier) {
      const nlohmann::json& frontier = RequireObject(doc, "frontier", source);
      law.frontier.E = RequireNumber(frontier, "E", source, "frontier");
      law.frontier.K = RequireNumber(frontier, "K", source, "frontier");
      law.frontier.gamma = RequireNumber(frontier, "gamma", source, "frontier");
    }
    RequireUsable(law.Check(&why), why, source);
  } else {
    saved->payload = doc;  // read by the command that plans with it
  }
}

}  // namespace

void CheckSchemaVersion(const nlohmann::json& doc, const std::string& source, int newest_version) {
  if (!doc.is_object() || !doc.contains("schema_version")) return;
  const nlohmann::json& value = doc["schema_version"];
  const double version = RequireNumber(doc, "schema_version", source);
  if (!value.is_number_integer() || version < 1) {
    throw InputError("key 'schema_version' must be a positive integer", InputLocation{source, 0, 0, "", value.dump()});
  }
  if (version > newest_version) {
    throw InputError("schema_version " + value.dump() + " is newer than this scaleplan understands (" +
                         std::to_string(newest_version) + "); upgrade scaleplan",
                     InputLocation{source});
  }
}

double SavedFitNumber(const nlohmann::json& object, const std::string& key, const std::string& source,
                      const std::string& path) {
  return RequireNumber(object, key, source, path);
}

SavedLaw ParseSavedFit(std::string_view json_text, const std::string& source) {
  const nlohmann::json doc = ParseJsonInput(json_text, source);
  if (!doc.is_object()) throw InputError("a saved fit must be a JSON object", InputLocation{source});
  // Keys this reader does not know are ignored: a later version-1 writer may add fields.
  CheckSchemaVersion(doc, source);
  SavedLaw saved;
  if (doc.contains("law")) {
    const nlohmann::json& law = doc["law"];
    const bool known = law.is_string() && std::any_of(std::begin(kSavedLawNames), std::end(kSavedLawNames),
                                                      [&law](const char* name) { return law == name; });
    if (!known) {
      std::string names;
      for (const char* name : kSavedLawNames) names += (names.empty() ? "" : ", ") + std::string(name);
      throw InputError("key 'law' must name a saved law (" + names + ")",
                       InputLocation{source, 0, 0, "", JsonExcerpt(law)});
    }
    saved.law_name = law.get<std::string>();
  }
  if (doc.contains("usable") && !doc["usable"].is_boolean()) {
    throw InputError(std::string("key 'usable' must be true or false, got ") + doc["usable"].type_name(),
                     InputLocation{source, 0, 0, "", JsonExcerpt(doc["usable"])});
  }
  if (doc.contains("usable") && !doc["usable"].get<bool>()) {
    const bool has_status = doc.contains("status") && doc["status"].is_string();
    throw InputError("the saved fit is marked unusable (" +
                         (has_status ? doc["status"].get<std::string>() : std::string("no status")) + ")",
                     InputLocation{source});
  }
  ReadLaw(doc, source, &saved);
  saved.description = (saved.law_name == "chinchilla" ? "" : saved.law_name + " ") + "fit from " + source;
  if (doc.contains("data")) {
    // The ranges decide the extrapolation warnings of every plan: a mistyped one is an error, not ignored.
    const auto& data = doc["data"];
    if (!data.is_object()) {
      throw InputError(std::string("key 'data' must be an object, got ") + data.type_name(),
                       InputLocation{source, 0, 0, "", JsonExcerpt(data)});
    }
    const std::pair<const char*, double*> ranges[] = {
        {"compute_min", &saved.compute_min},       {"compute_max", &saved.compute_max},
        {"num_params_min", &saved.num_params_min}, {"num_params_max", &saved.num_params_max},
        {"num_tokens_min", &saved.num_tokens_min}, {"num_tokens_max", &saved.num_tokens_max}};
    for (const auto& [key, target] : ranges) {
      if (!data.contains(key)) continue;
      const auto& value = data[key];
      if (!value.is_number() || !(value.get<double>() >= 0)) {
        throw InputError(std::string("key 'data.") + key + "' must be a non-negative number",
                         InputLocation{source, 0, 0, "", JsonExcerpt(value)});
      }
      *target = value.get<double>();
    }
  }
  // Resampled laws: a Chinchilla fit's bootstrap keeps them (the other laws' bootstraps keep intervals only).
  if (saved.law_name == "chinchilla" && doc.contains("bootstrap")) {
    const nlohmann::json& boot = doc["bootstrap"];
    const InputLocation where{source, 0, 0, "", ""};
    if (!boot.is_object() || !boot.contains("laws") || !boot["laws"].is_array()) {
      throw InputError("key 'bootstrap' must be an object with an array 'laws'", where);
    }
    if (boot.contains("confidence")) {
      if (!boot["confidence"].is_number() || !(boot["confidence"].get<double>() > 0) ||
          !(boot["confidence"].get<double>() < 1)) {
        throw InputError("key 'bootstrap.confidence' must be a number in (0, 1)", where);
      }
      saved.confidence = boot["confidence"];
    }
    size_t index = 0;
    for (const auto& row : boot["laws"]) {
      const auto bad = [&] {
        return InputError("key 'bootstrap.laws[" + std::to_string(index) + "]' must be [E, A, B, alpha, beta] with "
                              "positive numbers",
                          InputLocation{source, 0, 0, "", JsonExcerpt(row)});
      };
      if (!row.is_array() || row.size() != 5) throw bad();
      for (const auto& value : row) {
        if (!value.is_number() || !(value.get<double>() > 0)) throw bad();
      }
      saved.bootstrap_laws.push_back({row[0], row[1], row[2], row[3], row[4]});
      ++index;
    }
  }
  return saved;
}

std::string SavedFitLawName(const std::string& path) {
  std::string text;
  try {
    text = ReadWholeFile(path);
  } catch (const InputError&) {
    return "";
  }
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return "";
  if (!json.contains("law")) return "chinchilla";
  return json["law"].is_string() ? json["law"].get<std::string>() : "";
}

}  // namespace scaleplan
