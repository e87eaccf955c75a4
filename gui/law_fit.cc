#include "gui/law_fit.h"

#include <algorithm>
#include <cmath>

#include "core/data_constrained.h"
#include "core/error.h"
#include "core/expression.h"
#include "core/file.h"
#include "core/units.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/expression_fit.h"
#include "fitting/law_fits.h"
#include "fitting/plan_law.h"
#include "fitting/sparse_fit.h"

namespace scaleplan::gui {
namespace {

using Row = LawFitResult::Row;

// The law's coefficients and allocation exponents, as the dock's first rows.
std::vector<Row> CoefficientRows(const SavedLaw& saved) {
  std::vector<Row> rows;
  if (saved.HasChinchillaForm()) {
    const ChinchillaLaw& law = saved.law;
    rows = {{"E", law.E, "irreducible loss, nats/token"},
            {"A", law.A, "parameter term coefficient"},
            {"B", law.B, "data term coefficient"},
            {"alpha", law.alpha, "parameter exponent α"},
            {"beta", law.beta, "data exponent β"},
            {"a", law.ExponentParams(), "N_opt ∝ C^a, a = β / (α + β)"},
            {"b", law.ExponentTokens(), "D_opt ∝ C^b, b = α / (α + β)"}};
    if (saved.law_name == "data-constrained") {
      rows.push_back({"R_D*", saved.data_constrained.R_D_star, "repeated tokens' decay constant (Muennighoff et al.)"});
      rows.push_back({"R_N*", saved.data_constrained.R_N_star, "excess parameters' decay constant"});
    }
  } else if (saved.law_name == "kaplan") {
    const KaplanLaw& law = saved.kaplan;
    rows = {{"N_c", law.n_c, "L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D"},
            {"D_c", law.d_c, "data scale"},
            {"alpha_N", law.alpha_n, "parameter exponent α_N"},
            {"alpha_D", law.alpha_d, "data exponent α_D"},
            {"a", law.ExponentParams(), "N_opt ∝ C^a"},
            {"b", law.ExponentTokens(), "D_opt ∝ C^b"}};
  } else if (saved.law_name == "isoflop") {
    const IsoFlopLaw& law = saved.isoflop;
    rows = {{"k_N", law.coeff_params, "N_opt = k_N C^a"},
            {"a", law.exponent_params, "N_opt ∝ C^a"},
            {"k_D", law.coeff_tokens, "D_opt = k_D C^b"},
            {"b", law.exponent_tokens, "D_opt ∝ C^b"}};
    if (law.has_frontier) {
      rows.push_back({"frontier E", law.frontier.E, "L_opt(C) = E + K C^-γ, fitted to the budgets' minima"});
      rows.push_back({"frontier K", law.frontier.K, "L_opt(C) = E + K C^-γ"});
      rows.push_back({"frontier gamma", law.frontier.gamma, "L_opt(C) = E + K C^-γ"});
    }
  } else if (saved.law_name == "expression") {
    for (size_t k = 0; k < saved.expression.param_names.size() && k < saved.expression.params.size(); ++k) {
      rows.push_back({saved.expression.param_names[k], saved.expression.params[k], "fitted parameter"});
    }
  }
  return rows;
}

// The fit's JSON read back as `plan --fit` reads a saved fit.
LawFitResult FromJson(nlohmann::ordered_json json, const std::string& source) {
  LawFitResult result;
  result.law = PlanLawFromSavedFit(json.dump(), source);
  result.json = std::move(json);
  result.rows = CoefficientRows(result.law.saved);
  return result;
}

void AddSearchRows(const MultiStartResult& search, const ResidualStats& residuals, LawFitResult* result) {
  result->rows.push_back({"objective", search.objective, "Huber sum at the optimum"});
  result->rows.push_back({"runs", static_cast<double>(residuals.num_runs), "runs fitted"});
  result->rows.push_back({"starts", static_cast<double>(search.num_starts), "L-BFGS runs"});
  result->rows.push_back({"converged", static_cast<double>(search.num_converged), "starts that converged"});
  result->rows.push_back({"log RMSE", residuals.rmse, "root mean square of ln(L_fit / L)"});
}

InitGrid ResolveGrid(const std::string& spec, const InitGrid& base) {
  return spec.empty() ? base : ParseGridSpec(spec, base, "start grid");
}

LawFitResult FitKaplanLaw(const LawFitRequest& request, const std::string& source) {
  LawFitOptions options;
  options.search = request.search;
  options.grid = ResolveGrid(request.grid_spec, KaplanModel::DefaultGrid());
  KaplanFitReport report = MakeKaplanFitReport(request.runs, options);
  if (!report.fit.search.usable) throw InputError("the Kaplan fit is not usable: " + report.fit.search.status);
  LawFitResult result = FromJson(std::move(report.json), source);
  AddSearchRows(report.fit.search, report.fit.residuals, &result);
  for (const TrainingRun& run : request.runs.runs) {
    result.predicted_loss[run.line] = report.fit.law.Loss(run.num_params, run.num_tokens);
  }
  result.summary = "Kaplan et al. 2020 fitted to " + std::to_string(request.runs.runs.size()) +
                   " runs: " + std::to_string(report.fit.search.num_converged) + " of " +
                   std::to_string(report.fit.search.num_starts) + " starts converged.";
  return result;
}

LawFitResult FitIsoFlopLaw(const LawFitRequest& request, const std::string& source) {
  LawFitOptions options;
  options.search = request.search;
  IsoFlopFitReport report = MakeIsoFlopFitReport(request.runs, options);
  if (!report.fit.usable) throw InputError("the IsoFLOP fit is not usable: " + report.fit.status);
  LawFitResult result = FromJson(std::move(report.json), source);
  result.rows.push_back({"budgets", static_cast<double>(report.num_budget_groups), "budgets with enough runs"});
  result.rows.push_back({"budgets used", static_cast<double>(report.fit.num_budgets_used),
                         "budgets in the exponent fit (an extrapolated minimum is left out)"});
  result.summary = "IsoFLOP profiles (Approach 2): " + std::to_string(report.fit.num_budgets_used) + " of " +
                   std::to_string(report.fit.budgets.size()) + " budgets used; frontier " + report.fit.frontier_status +
                   ".";
  return result;
}

LawFitResult FitDataConstrainedLaw(const LawFitRequest& request, const std::string& source) {
  // The unique tokens are not in the runs table: the bundled Muennighoff runs, or the imported file's U column.
  const DataConstrainedRunsTable table = request.runs_path.empty()
                                             ? BundledMuennighoffRuns(request.columns.selection)
                                             : LoadDataConstrainedRunsCsv(request.runs_path, request.columns);
  const InitGrid grid = ResolveGrid(request.grid_spec, DataConstrainedModel::NotebookGrid());
  const DataConstrainedFit fit = FitDataConstrained(table, MuennighoffC4BaseLaw(), request.search, grid);
  if (!fit.usable) throw InputError("the data-constrained fit is not usable: " + fit.status);
  LawFitResult result = FromJson(DataConstrainedFitToJson(fit, table), source);
  result.rows.push_back({"objective", fit.objective, "Huber sum at the optimum"});
  result.rows.push_back({"runs", static_cast<double>(fit.num_runs), "runs fitted"});
  result.rows.push_back({"log RMSE", fit.rmse, "root mean square of ln(L_fit / L)"});
  result.summary = "R_D*, R_N* fitted to " + std::to_string(fit.num_runs) + " runs of " + table.source +
                   " over Muennighoff et al.'s C4 base law.";
  return result;
}

LawFitResult FitExpression(const LawFitRequest& request, const std::string& source, const ProgressCallback& progress) {
  Expression::Parse(request.expression, "expression");  // the parser's located error, named as the dock names it
  std::vector<ExpressionParam> params;
  for (const std::string& text : request.expression_params) params.push_back(ParseExpressionParam(text));
  const ExpressionLawSpec spec = MakeExpressionLawSpec(request.expression, params);
  const std::string csv_text = request.runs_path.empty() ? std::string() : ReadWholeFile(request.runs_path);
  const ExpressionRuns runs = BindExpressionLaw(spec, request.runs, csv_text);
  const ExpressionFit fit = FitExpressionLaw(runs, spec, request.search, progress);
  if (!fit.search.usable) throw InputError("the expression fit is not usable: " + fit.search.status);
  LawFitResult result = FromJson(ExpressionFitToJson(fit, runs), source);
  AddSearchRows(fit.search, fit.residuals, &result);
  const std::vector<double> predicted = PredictExpression(runs, fit.params);
  for (size_t i = 0; i < runs.table.runs.size() && i < predicted.size(); ++i) {
    result.predicted_loss[runs.table.runs[i].line] = predicted[i];
  }
  result.summary = "L = " + fit.expression + " fitted to " + std::to_string(runs.table.runs.size()) +
                   " runs: " + std::to_string(fit.search.num_converged) + " of " +
                   std::to_string(fit.search.num_starts) + " starts converged.";
  return result;
}

}  // namespace

const std::vector<LawChoice>& LawChoices() {
  static const std::vector<LawChoice> choices = {
      {"chinchilla", "Chinchilla (Approach 3)", true},
      {"kaplan", "Kaplan et al. 2020", true},
      {"isoflop", "IsoFLOP profiles (Approach 2)", true},
      {"data-constrained", "Data-constrained (Muennighoff et al.)", true},
      {"expression", "Custom expression", true},
      {"hoffmann", "Published: hoffmann", false},
      {"hoffmann-unrounded", "Published: hoffmann-unrounded", false},
      {"epoch", "Published: epoch", false},
      {"krajewski2024", "Published: krajewski2024 (MoE)", false},
  };
  return choices;
}

const LawChoice* FindLawChoice(const std::string& key) {
  for (const LawChoice& choice : LawChoices()) {
    if (key == choice.key) return &choice;
  }
  return nullptr;
}

namespace {

// A fine-grained MoE law (published or a saved moe fit) as the dock shows and plans it: its coefficients, planned
// by PlanFineGrainedMoe as `plan --law krajewski2024` and `plan --fit MOE.json` plan (the frontier is MoeFrontier's).
LawFitResult MoeLawResult(const FineGrainedMoeLaw& law, const std::string& description, const std::string& summary) {
  LawFitResult result;
  result.moe = law;
  result.moe_description = description;
  result.rows = {{"a", law.a, "L = c + (g / G^γ + a) / N^α + b / D^β (Krajewski et al. 2024)"},
                 {"alpha", law.alpha, "parameter exponent α"},
                 {"b", law.b, "data term coefficient"},
                 {"beta", law.beta, "data exponent β"},
                 {"g", law.g, "granularity term coefficient"},
                 {"gamma", law.gamma, "granularity exponent γ"},
                 {"c", law.c, "irreducible loss"}};
  result.summary = summary;
  return result;
}

}  // namespace

std::vector<Allocation> MoeFrontier(const FineGrainedMoeLaw& law, const ProgressCallback& progress) {
  std::vector<Allocation> frontier;
  const int steps = static_cast<int>(
      std::lround(std::log10(kMoeFrontierMaxFlops / kMoeFrontierMinFlops) / kMoeFrontierStepDecades));
  for (int k = 0; k <= steps; ++k) {
    const double compute_flops = kMoeFrontierMinFlops * std::pow(10.0, k * kMoeFrontierStepDecades);
    const MoePlan plan = PlanFineGrainedMoe(law, compute_flops);
    Allocation point;
    point.num_params = plan.num_params;
    point.num_tokens = plan.num_tokens;
    point.compute_flops = compute_flops;
    point.tokens_per_param = plan.num_tokens / plan.num_params;
    point.loss_nats = plan.loss_nats;
    frontier.push_back(point);
    if (progress) progress(k + 1, steps + 1);
  }
  return frontier;
}

LawFitResult FitLaw(const LawFitRequest& request, const ProgressCallback& progress) {
  const LawChoice* choice = FindLawChoice(request.law);
  if (choice == nullptr || request.law == "chinchilla")
    throw InternalError("FitLaw: not a law it fits: " + request.law);
  if (request.law == "krajewski2024") {  // a fine-grained MoE: no PlanLaw, planned by PlanFineGrainedMoe
    LawFitResult result =
        MoeLawResult(KrajewskiMoeLaw(), "krajewski2024: Krajewski et al. 2024, fine-grained MoE",
                     "Published law, nothing to fit: krajewski2024, Krajewski et al. 2024's fine-grained MoE law "
                     "(N total parameters, the granularity G chosen per budget).");
    result.moe_frontier = MoeFrontier(*result.moe, progress);
    return result;
  }
  if (!choice->fitted) {
    LawFitResult result;
    result.law = ResolvePlanLaw("", request.law);  // as `plan --law NAME`
    result.rows = CoefficientRows(result.law.saved);
    result.summary = "Published law, nothing to fit: " + result.law.saved.description + ".";
    return result;
  }
  const std::string source = request.runs.source;
  if (request.law == "kaplan") return FitKaplanLaw(request, source);
  if (request.law == "isoflop") return FitIsoFlopLaw(request, source);
  if (request.law == "data-constrained") return FitDataConstrainedLaw(request, source);
  return FitExpression(request, source, progress);
}

Allocation InterpolateFrontier(const std::vector<Allocation>& frontier, double compute_flops) {
  Allocation out;
  out.num_params = out.num_tokens = out.loss_nats = std::nan("");
  out.compute_flops = compute_flops;
  for (size_t k = 1; k < frontier.size(); ++k) {
    const Allocation& lo = frontier[k - 1];
    const Allocation& hi = frontier[k];
    if (!(compute_flops >= lo.compute_flops && compute_flops <= hi.compute_flops)) continue;
    // Straight lines in log-log between neighbouring plans; the loss linearly in log C.
    const double t = std::log(compute_flops / lo.compute_flops) / std::log(hi.compute_flops / lo.compute_flops);
    out.num_params = lo.num_params * std::pow(hi.num_params / lo.num_params, t);
    out.num_tokens = lo.num_tokens * std::pow(hi.num_tokens / lo.num_tokens, t);
    out.tokens_per_param = out.num_tokens / out.num_params;
    out.loss_nats = lo.loss_nats + t * (hi.loss_nats - lo.loss_nats);
    return out;
  }
  return out;
}

LawFitResult LawFromSavedFit(const std::string& json_text, const std::string& source) {
  const nlohmann::json json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_object() && json.contains("law") && json["law"] == "routing") {  // shown, not planned at a budget
    LawFitResult result;
    result.routing = ParseSavedRoutingLaws(json_text, source);
    constexpr double kParams = 1.3e9, kExperts = 64.0;  // Clark et al.'s largest dense size in the bundled runs
    for (const auto& [router, law] : result.routing) {
      const RoutingPlan plan = PlanRoutedModel(law, kParams, kExperts);
      const double cutoff = RoutingCutoffParams(law);
      result.rows.push_back({router + ".a", law.a, "log10 L = a log10 N + b log10 E^ + c log10 N log10 E^ + d"});
      result.rows.push_back({router + ".b", law.b, "the saturated experts' exponent"});
      result.rows.push_back({router + ".c", law.c, "the interaction of N and E^"});
      result.rows.push_back({router + ".d", law.d, "the offset"});
      result.rows.push_back({router + ".E_start", law.e_start, "E^ at one expert"});
      result.rows.push_back({router + ".E_max", law.e_max, "where E^ saturates"});
      result.rows.push_back({router + ".N_cutoff", cutoff,
                             "10^(-b / c): above this dense size more experts raise the loss (inf: never)"});
      result.rows.push_back({router + ".N_eff(1.3B, 64)", plan.effective_params,
                             "the dense size with the loss of a 1.3B model with 64 experts (plan --fit " + source +
                                 " --params 1.3B --experts 64)"});
    }
    result.summary = "Opened routing fit from " + source +
                     " (Clark et al. 2022). A routing law has no token term and gives no plan at a budget: plan a dense "
                     "size and expert count with 'scaleplan plan --fit " + source + " --params N --experts E'.";
    return result;
  }
  if (json.is_object() && json.contains("law") && json["law"] == "moe") {  // planned as krajewski2024 is
    return MoeLawResult(
        ParseSavedMoeLaw(json_text, source), "moe fit from " + source + " (Krajewski et al.'s form)",
        "Opened moe fit from " + source + " (Krajewski et al.'s form; the granularity G chosen per budget).");
  }
  LawFitResult result;
  result.law = PlanLawFromSavedFit(json_text, source);
  result.rows = CoefficientRows(result.law.saved);
  result.summary = "Opened " + result.law.saved.description + ".";
  return result;
}

std::string CheckExpressionText(const std::string& text) {
  try {
    Expression::Parse(text, "expression");
    return std::string();
  } catch (const ExpressionError& error) {
    std::string out = error.what();
    // The line the error is on, and a caret under its column.
    size_t begin = 0;
    for (int line = 1; line < error.line() && begin != std::string::npos; ++line) {
      begin = text.find('\n', begin);
      if (begin != std::string::npos) ++begin;
    }
    if (begin == std::string::npos) return out;
    const std::string line = text.substr(begin, text.find('\n', begin) - begin);
    out += "\n  " + line + "\n  " + std::string(static_cast<size_t>(std::max(0, error.column() - 1)), ' ') + "^";
    return out;
  }
}

}  // namespace scaleplan::gui
