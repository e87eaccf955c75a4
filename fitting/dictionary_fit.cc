#include "fitting/dictionary_fit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "core/json_input.h"
#include "fitting/fit_json.h"
#include "core/units.h"

namespace scaleplan {
namespace {

bool SameK(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(a, b); }

size_t DistinctCount(const RunsTable& table, double TrainingRun::*field) {
  std::set<double> values;
  for (const TrainingRun& run : table.runs) values.insert(run.*field);
  return values.size();
}

// The k with the most distinct token counts among its runs (ties: the most runs, then the smaller k).
double DefaultTokenLawK(const DictionaryRunsTable& runs) {
  struct Tally {
    std::set<double> tokens;
    int num_runs = 0;
  };
  std::map<double, Tally> by_k;
  for (const DictionaryRun& run : runs.runs) {
    auto it = std::find_if(by_k.begin(), by_k.end(), [&](const auto& entry) { return SameK(entry.first, run.k); });
    Tally& tally = it == by_k.end() ? by_k[run.k] : it->second;
    tally.tokens.insert(run.num_tokens);
    ++tally.num_runs;
  }
  double best_k = 0.0;
  size_t best_tokens = 0;
  int best_runs = 0;
  for (const auto& [k, tally] : by_k) {  // ascending k: a tie keeps the smaller
    if (tally.tokens.size() > best_tokens || (tally.tokens.size() == best_tokens && tally.num_runs > best_runs)) {
      best_k = k;
      best_tokens = tally.tokens.size();
      best_runs = tally.num_runs;
    }
  }
  return best_k;
}

}  // namespace

LatentsSparsityModel::LatentsSparsityModel(const RunsTable& view)
    : LatentsSparsityModel(view, std::vector<int>(view.runs.size(), 1)) {}

LatentsSparsityModel::LatentsSparsityModel(const RunsTable& view, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == view.runs.size(), "one count per run");
  const Eigen::Index size = std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; });
  log_latents_.resize(size);
  log_k_.resize(size);
  log_k_log_latents_.resize(size);
  log_loss_.resize(size);
  weight_.resize(size);
  Eigen::Index row = 0;
  for (size_t i = 0; i < view.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    log_latents_[row] = std::log(view.runs[i].num_params);
    log_k_[row] = std::log(view.runs[i].num_tokens);
    log_k_log_latents_[row] = log_k_[row] * log_latents_[row];
    log_loss_[row] = std::log(view.runs[i].loss_nats);
    weight_[row] = counts[i];
    ++row;
  }
}

InitGrid LatentsSparsityModel::DefaultGrid() {
  InitGrid grid;
  grid.names = LatentsSparsityNames();
  grid.axes = {{-1.5, -1.0, -0.5, 0.0},         {0.0, 0.25, 0.5}, {-0.1, -0.05, 0.0, 0.05}, {-0.1, -0.05, 0.0},
               {-2.5, -2.0, -1.5, -1.0, -0.5}, {-0.2, -0.1, 0.0}};
  return grid;
}

LatentsSparsityLaw LatentsSparsityModel::ToLaw(const std::vector<double>& params) {
  SCALEPLAN_CHECK(params.size() == kNumParams, "expected 6 parameters");
  return LatentsSparsityLaw{params[0], params[1], params[2], params[3], params[4], params[5]};
}

const std::vector<std::string>& LatentsSparsityNames() {
  static const std::vector<std::string> names = {"alpha", "beta_k", "beta_n", "gamma", "zeta", "eta"};
  return names;
}

std::vector<double> LatentsSparsityValues(const LatentsSparsityLaw& law) {
  return {law.alpha, law.beta_k, law.beta_n, law.gamma, law.zeta, law.eta};
}

InitGrid DictionaryTokensGrid() {
  InitGrid grid;
  grid.names = {"a", "b", "e", "alpha", "beta"};
  const std::vector<double> exponents = {0.05, 0.1, 0.2, 0.4, 0.8};
  grid.axes = {{-2, 0, 2, 4}, {-2, 0, 2, 4, 6}, {-4, -3, -2, -1, 0}, exponents, exponents};
  return grid;
}

RunsTable LatentsTokensView(const DictionaryRunsTable& runs, double k) {
  RunsTable view;
  view.source = runs.source + " (runs at k = " + FormatQuantity(k) + ")";
  view.params_column = runs.latents_column;
  view.tokens_column = runs.tokens_column;
  view.loss_column = runs.loss_column;
  for (const DictionaryRun& run : runs.runs) {
    if (!SameK(run.k, k) || !(run.num_tokens > 0.0)) continue;
    TrainingRun row;
    row.num_params = run.num_latents;
    row.num_tokens = run.num_tokens;
    row.loss_nats = run.loss;
    row.line = run.line;
    view.runs.push_back(row);
  }
  return view;
}

RunsTable LatentsSparsityView(const DictionaryRunsTable& runs, const ChinchillaLaw* token_law, int* dropped) {
  RunsTable view;
  view.source = runs.source;
  view.params_column = runs.latents_column;
  view.tokens_column = runs.k_column;
  view.loss_column = runs.loss_column;
  int left_out = 0;
  for (const DictionaryRun& run : runs.runs) {
    TrainingRun row;
    row.num_params = run.num_latents;
    row.num_tokens = run.k;
    row.loss_nats = run.loss;
    if (token_law != nullptr) row.loss_nats -= token_law->B * std::pow(run.num_tokens, -token_law->beta);
    row.line = run.line;
    if (!(row.loss_nats > 0.0)) {
      ++left_out;
      continue;
    }
    view.runs.push_back(row);
  }
  if (dropped != nullptr) *dropped = left_out;
  return view;
}

bool DictionaryFitOptions::Check(std::string* why) const {
  if (!search.Check(why)) return false;
  if (!(std::isfinite(token_law_k) && token_law_k >= 0.0)) {
    if (why != nullptr) *why = "the token law's k must be positive (or 0 to choose it)";
    return false;
  }
  return true;
}

DictionaryFit FitDictionaryLaws(const DictionaryRunsTable& runs, const DictionaryFitOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  DictionaryFit fit;
  fit.source = runs.source;
  fit.num_runs = static_cast<int>(runs.runs.size());
  fit.notes = runs.notes;  // what the reader inferred and selected, first
  fit.options = options.search;

  // (b) The token law at one k.
  if (!runs.HasTokens()) {
    fit.token_law_note = "the runs have no tokens column";
  } else {
    double k = options.token_law_k;
    if (k > 0.0) {
      const bool present =
          std::any_of(runs.runs.begin(), runs.runs.end(), [&](const DictionaryRun& run) { return SameK(run.k, k); });
      if (!present) {
        throw InputError("no run has k = " + FormatQuantity(k) + " (asked for the token law)",
                         InputLocation{runs.source});
      }
    } else {
      k = DefaultTokenLawK(runs);
    }
    fit.token_law_k = k;
    fit.token_view = LatentsTokensView(runs, k);
    // The check FitChinchilla makes, worded for latents and tokens: runs that cannot identify the token law leave
    // the planner on the prior's tokens-to-convergence rule instead of on a fit that only looks like one.
    LawTerms terms = ChinchillaModel::Terms();
    terms.name = "token law L(n, T)";
    terms.params_axis = "n";
    terms.tokens_axis = "T";
    terms.params_term = "E + A / n^alpha";
    terms.tokens_term = "E + B / T^beta";
    const Identifiability check = AssessIdentifiability(fit.token_view, terms);
    if (!check.identifiable) {
      fit.token_law_note = "the runs at k = " + FormatQuantity(k) + " cannot identify the token law: " + check.verdict;
    } else {
      fit.token_fit = FitChinchilla(fit.token_view, options.search, DictionaryTokensGrid());
      if (!fit.token_fit.search.usable) {
        fit.status = "the token law L(n, T) at k = " + FormatQuantity(k) + " did not converge: " +
                     fit.token_fit.search.status;
        return fit;
      }
      fit.has_token_law = true;
      for (const std::string& warning : check.warnings) fit.notes.push_back("token law: " + warning);
    }
  }
  if (!fit.has_token_law) {
    fit.notes.push_back("no token law (" + fit.token_law_note +
                        "): the runs are taken as converged, and tokens to convergence follow the prior's "
                        "40e9 (n / 2^24)^0.6");
  }

  // (a) The converged law.
  fit.converged_view =
      LatentsSparsityView(runs, fit.has_token_law ? &fit.token_fit.law : nullptr, &fit.converged_dropped);
  if (fit.converged_dropped > 0) {
    fit.notes.push_back(std::to_string(fit.converged_dropped) +
                        " runs left out of L(n, k): their loss minus the token term is not positive");
  }
  const size_t distinct_latents = DistinctCount(fit.converged_view, &TrainingRun::num_params);
  const size_t distinct_k = DistinctCount(fit.converged_view, &TrainingRun::num_tokens);
  if (fit.converged_view.runs.size() <= static_cast<size_t>(LatentsSparsityModel::kNumParams) ||
      distinct_latents < 2 || distinct_k < 2) {
    throw InputError("too few runs to fit: " + std::to_string(fit.converged_view.runs.size()) + " runs with " +
                         std::to_string(distinct_latents) + " sizes and " + std::to_string(distinct_k) +
                         " values of k, but the L(n, k) law has 6 parameters (need at least 7 runs, 2 sizes and "
                         "2 values of k)",
                     InputLocation{runs.source});
  }
  const LatentsSparsityModel model(fit.converged_view);
  fit.converged_search = FitMultiStart(model, LatentsSparsityModel::DefaultGrid(), options.search);
  if (!fit.converged_search.usable) {
    fit.status = "the converged law L(n, k) did not converge: " + fit.converged_search.status;
    return fit;
  }
  fit.converged_law = LatentsSparsityModel::ToLaw(fit.converged_search.params);
  if (!fit.converged_law.Check(&why)) {
    fit.status = "the converged law L(n, k) is not valid: " + why;
    return fit;
  }
  fit.converged_residuals = ComputeResiduals(
      fit.converged_view,
      [&fit](const TrainingRun& run) { return fit.converged_law.Loss(run.num_params, run.num_tokens); },
      options.search.huber_delta);

  // The planner's laws, with the runs' ranges.
  DictionaryLaws& laws = fit.laws;
  laws.converged = fit.converged_law;
  laws.has_token_term = fit.has_token_law;
  if (fit.has_token_law) {
    laws.token_coefficient = fit.token_fit.law.B;
    laws.token_exponent = fit.token_fit.law.beta;
  }
  laws.prior = false;
  laws.label = "fitted to " + std::to_string(fit.num_runs) + " runs of " + runs.source;
  laws.latents_min = laws.latents_max = runs.runs.front().num_latents;
  laws.k_min = laws.k_max = runs.runs.front().k;
  laws.tokens_max = 0.0;
  for (const DictionaryRun& run : runs.runs) {
    laws.latents_min = std::min(laws.latents_min, run.num_latents);
    laws.latents_max = std::max(laws.latents_max, run.num_latents);
    laws.k_min = std::min(laws.k_min, run.k);
    laws.k_max = std::max(laws.k_max, run.k);
    laws.tokens_max = std::max(laws.tokens_max, run.num_tokens);
  }
  if (fit.has_token_law) {
    laws.tokens_per_latent_min = laws.tokens_per_latent_max = runs.runs.front().num_tokens / runs.runs.front().num_latents;
    for (const DictionaryRun& run : runs.runs) {
      laws.tokens_per_latent_min = std::min(laws.tokens_per_latent_min, run.num_tokens / run.num_latents);
      laws.tokens_per_latent_max = std::max(laws.tokens_per_latent_max, run.num_tokens / run.num_latents);
    }
  }
  fit.usable = true;
  fit.status = "converged";
  return fit;
}

DictionaryBootstrap BootstrapDictionaryLaws(const DictionaryFit& fit, const BootstrapOptions& options,
                                            const ProgressCallback& progress) {
  SCALEPLAN_CHECK(fit.usable, "the bootstrap needs a usable fit");
  DictionaryBootstrap out;
  out.options = options;
  const int total = options.num_resamples * (fit.has_token_law ? 2 : 1);
  ProgressCallback first, second;
  if (progress) {
    first = [&progress, total](int done, int) { progress(done, total); };
    second = [&progress, total, &options](int done, int) { progress(options.num_resamples + done, total); };
  }
  out.converged_samples =
      Bootstrap<LatentsSparsityModel>(fit.converged_view, fit.converged_search, fit.options, options, first);
  for (const auto& params : out.converged_samples.params) {
    const LatentsSparsityLaw law = LatentsSparsityModel::ToLaw(params);
    if (law.Check(nullptr)) out.converged_laws.push_back(law);
  }
  if (!out.converged_laws.empty()) {
    const std::vector<std::string>& names = LatentsSparsityNames();
    for (size_t i = 0; i < names.size(); ++i) {
      std::vector<double> values;
      for (const LatentsSparsityLaw& law : out.converged_laws) values.push_back(LatentsSparsityValues(law)[i]);
      const auto [lower, upper] = PercentileInterval(std::move(values), options.confidence);
      out.converged_intervals.emplace_back(names[i], Interval{lower, upper});
    }
  }
  if (fit.has_token_law) out.token_bootstrap = BootstrapChinchilla(fit.token_view, fit.token_fit, options, second);

  size_t count = out.converged_laws.size();
  if (out.token_bootstrap) count = std::min(count, out.token_bootstrap->laws.size());
  for (size_t i = 0; i < count; ++i) {
    DictionaryLaws laws = fit.laws;
    laws.converged = out.converged_laws[i];
    if (out.token_bootstrap) {
      laws.token_coefficient = out.token_bootstrap->laws[i].B;
      laws.token_exponent = out.token_bootstrap->laws[i].beta;
    }
    out.laws.push_back(std::move(laws));
  }
  return out;
}

nlohmann::ordered_json DictionaryFitToSavedJson(const DictionaryFit& fit) {
  SCALEPLAN_CHECK(fit.usable, "a saved dictionary fit is a usable one");
  const DictionaryLaws& laws = fit.laws;
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "dictionary";
  out["usable"] = fit.usable;
  out["status"] = fit.status;
  out["label"] = laws.label;
  AddDictionaryLawsJson(laws, &out);
  out["data"] = {{"source", fit.source},
                 {"num_runs", fit.num_runs},
                 {"latents_min", laws.latents_min},
                 {"latents_max", laws.latents_max},
                 {"k_min", laws.k_min},
                 {"k_max", laws.k_max},
                 {"tokens_max", laws.tokens_max},
                 {"tokens_per_latent_min", laws.tokens_per_latent_min},
                 {"tokens_per_latent_max", laws.tokens_per_latent_max}};
  return out;
}

DictionaryLaws ParseSavedDictionaryFit(std::string_view json_text, const std::string& source) {
  const SavedLaw saved = ParseSavedFit(json_text, source);  // schema version, law, usable
  if (saved.law_name != "dictionary") {
    throw InputError("a " + saved.law_name + " fit is not a dictionary fit (save one with 'scaleplan dictionary "
                     "--runs RUNS.csv --out FIT.json')",
                     InputLocation{source});
  }
  const nlohmann::json& doc = saved.payload;
  const auto object = [&](const nlohmann::json& parent, const std::string& key) -> const nlohmann::json& {
    if (!parent.contains(key) || !parent[key].is_object()) {
      throw InputError("key '" + key + "' must be an object", InputLocation{source});
    }
    return parent[key];
  };
  const auto number = [&](const nlohmann::json& parent, const std::string& path, const std::string& key) {
    return SavedFitNumber(parent, key, source, path.empty() ? "" : path.substr(0, path.size() - 1));
  };
  DictionaryLaws laws;
  laws.prior = false;
  laws.label = doc.contains("label") && doc["label"].is_string() ? doc["label"].get<std::string>()
                                                                  : "fit from " + source;
  const nlohmann::json& converged = object(doc, "converged");
  LatentsSparsityLaw& c = laws.converged;
  c.alpha = number(converged, "converged.", "alpha");
  c.beta_k = number(converged, "converged.", "beta_k");
  c.beta_n = number(converged, "converged.", "beta_n");
  c.gamma = number(converged, "converged.", "gamma");
  c.zeta = number(converged, "converged.", "zeta");
  c.eta = number(converged, "converged.", "eta");
  laws.has_token_term = doc.contains("token_term");
  if (laws.has_token_term) {
    const nlohmann::json& term = object(doc, "token_term");
    laws.token_coefficient = number(term, "token_term.", "B");
    laws.token_exponent = number(term, "token_term.", "beta");
  } else {
    const nlohmann::json& conv = object(doc, "convergence_tokens");
    laws.convergence_tokens = number(conv, "convergence_tokens.", "tokens");
    laws.convergence_latents = number(conv, "convergence_tokens.", "latents");
    laws.convergence_exponent = number(conv, "convergence_tokens.", "exponent");
  }
  if (doc.contains("data")) {
    const nlohmann::json& data = object(doc, "data");
    const std::pair<const char*, double*> ranges[] = {{"latents_min", &laws.latents_min},
                                                      {"latents_max", &laws.latents_max},
                                                      {"k_min", &laws.k_min},
                                                      {"k_max", &laws.k_max},
                                                      {"tokens_max", &laws.tokens_max},
                                                      {"tokens_per_latent_min", &laws.tokens_per_latent_min},
                                                      {"tokens_per_latent_max", &laws.tokens_per_latent_max}};
    for (const auto& [key, target] : ranges) {
      if (data.contains(key)) *target = number(data, "data.", key);
    }
  }
  std::string why;
  if (!laws.Check(&why)) throw InputError("not a usable dictionary law: " + why, InputLocation{source});
  return laws;
}

}  // namespace scaleplan
