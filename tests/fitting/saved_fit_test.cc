// The saved-fit schema (fitting/fit_json.h): every law that plans round-trips through fit --out's JSON, old
// Chinchilla files still load, and the IsoFLOP law's allocation and loss frontier against closed forms.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/extrapolation.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/fit_json.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"

namespace scaleplan {
namespace {

std::string ParseError(const std::string& text) {
  try {
    ParseSavedFit(text, "fit.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

// IsoFLOP runs with known optima: at budget C the loss is an exact parabola in log N,
//   L = L_opt(C) + 0.05 (log N - log N_opt(C))^2,  N_opt(C) = 0.1 C^0.5,  L_opt(C) = 1.7 + 400 C^-0.15,
// sampled at N_opt times 1/8 ... 8, so every minimum lies inside its sampled sizes.
constexpr double kTrueCoeffParams = 0.1, kTrueExponentParams = 0.5;
constexpr double kTrueE = 1.7, kTrueK = 400.0, kTrueGamma = 0.15;

double TrueOptimalParams(double compute) { return kTrueCoeffParams * std::pow(compute, kTrueExponentParams); }
double TrueOptimalLoss(double compute) { return kTrueE + kTrueK * std::pow(compute, -kTrueGamma); }

RunsTable IsoFlopRuns(std::vector<std::vector<size_t>>* groups) {
  RunsTable table;
  table.source = "synthetic isoflop runs";
  for (const double compute : {1e18, 1e19, 1e20, 1e21}) {
    groups->emplace_back();
    for (const double ratio : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
      const double n = TrueOptimalParams(compute) * ratio;
      const double loss = TrueOptimalLoss(compute) + 0.05 * std::log(ratio) * std::log(ratio);
      groups->back().push_back(table.runs.size());
      table.runs.push_back({n, compute / (6 * n), compute, loss});
    }
  }
  return table;
}

TEST(SavedFit, AFileWithoutLawOrRangesIsAChinchillaFit) {
  // What fit --out wrote before other laws saved: no law key, no N or D range.
  const SavedLaw saved = ParseSavedFit(
      R"({"schema_version": 1, "E": 1.82, "A": 482.0, "B": 2085.4, "alpha": 0.3478, "beta": 0.3658,
          "usable": true, "data": {"compute_min": 1e18, "compute_max": 3e21}})",
      "old.json");
  EXPECT_EQ(saved.law_name, "chinchilla");
  EXPECT_TRUE(saved.Allocates());
  EXPECT_EQ(saved.law.A, 482.0);
  EXPECT_EQ(saved.compute_max, 3e21);
  EXPECT_EQ(saved.num_params_max, 0.0);  // unknown: never checked
  EXPECT_EQ(saved.description, "fit from old.json");
  const Allocation a = saved.ComputeOptimal(1e23);
  EXPECT_EQ(a.num_params, saved.law.ComputeOptimal(1e23).num_params);
}

TEST(SavedFit, ChinchillaKeepsTheRunsRanges) {
  RunsTable table;
  table.source = "runs.csv";
  table.runs = {{1e8, 2e10, 1.2e19, 3.1}, {4e8, 5e9, 1.2e19, 3.0}, {2e9, 1e11, 1.2e21, 2.5}};
  ChinchillaFit fit;
  fit.law = {1.82, 482.0, 2085.4, 0.3478, 0.3658};
  fit.search.usable = true;
  const SavedLaw saved = ParseSavedFit(FitToJson(fit, table).dump(), "fit.json");
  EXPECT_EQ(saved.law_name, "chinchilla");
  EXPECT_EQ(saved.num_params_min, 1e8);
  EXPECT_EQ(saved.num_params_max, 2e9);
  EXPECT_EQ(saved.num_tokens_min, 5e9);
  EXPECT_EQ(saved.num_tokens_max, 1e11);
  EXPECT_EQ(saved.compute_min, 1.2e19);
  EXPECT_EQ(saved.compute_max, 1.2e21);
}

TEST(SavedFit, KaplanRoundTripsAndAllocatesAsTheLaw) {
  RunsTable table;
  table.runs = {{1e8, 2e10, 1.2e19, 3.1}, {2e9, 1e11, 1.2e21, 2.5}};
  KaplanFit fit;
  fit.law = PublishedKaplanLaw();
  fit.search.usable = true;
  const SavedLaw saved = ParseSavedFit(KaplanFitToJson(fit, nullptr, &table).dump(), "kaplan.json");
  EXPECT_EQ(saved.law_name, "kaplan");
  EXPECT_FALSE(saved.HasChinchillaForm());
  EXPECT_EQ(saved.kaplan.n_c, fit.law.n_c);
  EXPECT_EQ(saved.kaplan.alpha_d, fit.law.alpha_d);
  EXPECT_EQ(saved.num_params_max, 2e9);
  // N_opt = (p N_c^p C / (6 D_c))^(1/(p+1)), p = alpha_N / alpha_D (core/kaplan_law.h), by hand.
  const double p = fit.law.alpha_n / fit.law.alpha_d;
  const double c = 1e22;
  const double n_opt = std::pow(p * std::pow(fit.law.n_c, p) * c / (6 * fit.law.d_c), 1 / (p + 1));
  EXPECT_NEAR(saved.ComputeOptimal(c).num_params / n_opt, 1.0, 1e-9);
}

TEST(SavedFit, AKaplanFileWithChinchillaKeysIsRefused) {
  EXPECT_EQ(ParseError(R"({"law": "kaplan", "E": 1.8, "A": 482, "B": 2085, "alpha": 0.35, "beta": 0.37})"),
            "fit.json: missing key 'N_c'");
}

TEST(SavedFit, AnUnknownLawIsRefusedWithTheKnownOnes) {
  EXPECT_EQ(ParseError(R"({"law": "farseer", "E": 1.8})"),
            "fit.json: key 'law' must name a saved law (chinchilla, kaplan, isoflop, data-constrained, dictionary, "
            "sparse, moe, routing, hyperparams, expression): '\"farseer\"'");
}

TEST(SavedFit, OtherLawsKeepTheirPayloadAndDoNotAllocate) {
  const SavedLaw saved = ParseSavedFit(R"({"law": "sparse", "a_S": 1.0, "usable": true})", "sparse.json");
  EXPECT_EQ(saved.law_name, "sparse");
  EXPECT_FALSE(saved.Allocates());
  EXPECT_EQ(saved.payload["a_S"].get<double>(), 1.0);
  EXPECT_NE(CommandThatPlansWith("sparse").find("--sparsity"), std::string::npos);
}

TEST(SavedFit, DataConstrainedKeepsItsBaseAndDecayConstants) {
  DataConstrainedRunsTable table;
  table.source = "dc.csv";
  table.runs = {{1e8, 1e10, 1e9, 3.0, 2}, {1e9, 4e10, 2e10, 2.6, 3}};
  DataConstrainedFit fit;
  fit.law = MuennighoffC4Law();
  fit.R_D_star = 15.4;
  fit.R_N_star = 5.3;
  fit.usable = true;
  const SavedLaw saved = ParseSavedFit(DataConstrainedFitToJson(fit, table).dump(), "dc.json");
  EXPECT_EQ(saved.law_name, "data-constrained");
  EXPECT_TRUE(saved.HasChinchillaForm());
  EXPECT_EQ(saved.law.A, MuennighoffC4BaseLaw().A);
  EXPECT_EQ(saved.data_constrained.R_D_star, 15.4);
  EXPECT_EQ(saved.data_constrained.R_N_star, 5.3);
  EXPECT_EQ(saved.num_tokens_max, 4e10);
  EXPECT_EQ(saved.compute_max, 6 * 1e9 * 4e10);
}

TEST(LossFrontier, RecoversAKnownFrontierExactly) {
  std::vector<std::pair<double, double>> points;
  for (const double c : {1e18, 1e19, 1e20, 1e21, 1e22}) points.emplace_back(c, TrueOptimalLoss(c));
  std::string why;
  const auto frontier = FitLossFrontier(points, &why);
  ASSERT_TRUE(frontier) << why;
  EXPECT_NEAR(frontier->E, kTrueE, 1e-6);
  EXPECT_NEAR(frontier->K / kTrueK, 1.0, 1e-5);
  EXPECT_NEAR(frontier->gamma, kTrueGamma, 1e-7);
}

TEST(LossFrontier, NeedsThreeBudgetsAndFallingMinima) {
  std::string why;
  EXPECT_FALSE(FitLossFrontier({{1e18, 3.0}, {1e19, 2.8}}, &why));
  EXPECT_EQ(why, "the loss frontier needs minima at 3 or more budgets, found 2");
  EXPECT_FALSE(FitLossFrontier({{1e18, 2.0}, {1e19, 2.5}, {1e20, 3.0}}, &why));
  EXPECT_NE(why.find("do not fall with compute"), std::string::npos);
}

TEST(SavedFit, IsoFlopSavesItsPowerLawsAndFrontier) {
  std::vector<std::vector<size_t>> groups;
  const RunsTable table = IsoFlopRuns(&groups);
  const IsoFlopFit fit = FitIsoFlop(table, groups);
  ASSERT_TRUE(fit.usable) << fit.status;
  ASSERT_TRUE(fit.has_frontier) << fit.frontier_status;
  const SavedLaw saved = ParseSavedFit(IsoFlopFitToJson(fit, nullptr, &table).dump(), "isoflop.json");
  EXPECT_EQ(saved.law_name, "isoflop");
  EXPECT_TRUE(saved.Allocates());
  EXPECT_NEAR(saved.isoflop.exponent_params, kTrueExponentParams, 1e-9);
  EXPECT_NEAR(saved.isoflop.coeff_params / kTrueCoeffParams, 1.0, 1e-7);
  // N_opt at a budget is k_N C^a with the saved k_N and a, by hand; D_opt likewise; the loss is the frontier's.
  const double c = 3e23;
  const Allocation a = saved.ComputeOptimal(c);
  EXPECT_DOUBLE_EQ(a.num_params, saved.isoflop.coeff_params * std::pow(c, saved.isoflop.exponent_params));
  EXPECT_DOUBLE_EQ(a.num_tokens, saved.isoflop.coeff_tokens * std::pow(c, saved.isoflop.exponent_tokens));
  EXPECT_NEAR(a.num_params / TrueOptimalParams(c), 1.0, 1e-6);
  EXPECT_NEAR(a.num_tokens / (c / (6 * TrueOptimalParams(c))), 1.0, 1e-6);
  EXPECT_NEAR(a.loss_nats, TrueOptimalLoss(c), 1e-6);
  EXPECT_EQ(saved.compute_max, 1e21);
  EXPECT_NEAR(saved.num_params_max / (8 * TrueOptimalParams(1e21)), 1.0, 1e-12);
}

TEST(SavedFit, IsoFlopWithoutAFrontierGivesNoLoss) {
  const SavedLaw saved = ParseSavedFit(
      R"({"law": "isoflop", "coeff_params": 0.1, "exponent_params": 0.5, "coeff_tokens": 1.6667,
          "exponent_tokens": 0.5, "frontier": null, "usable": true})",
      "isoflop.json");
  EXPECT_FALSE(saved.isoflop.has_frontier);
  EXPECT_TRUE(std::isnan(saved.ComputeOptimal(1e22).loss_nats));
  EXPECT_EQ(ParseError(R"({"law": "isoflop", "coeff_params": 0.1, "exponent_params": 0.5, "coeff_tokens": 1.6,
                          "exponent_tokens": 0.5, "frontier": {"E": 1.7, "K": -4, "gamma": 0.1}})"),
            "fit.json: not a usable law: the frontier's K must be positive and finite");
}

TEST(ValidateIsoFlop, PredictsEachHeldOutBudgetFromTheOthers) {
  // The true minima lie on N_opt = 0.1 C^0.5 and L_opt = 1.7 + 400 C^-0.15, so the other three budgets predict a
  // held-out budget's N_opt and minimum loss exactly (its extrapolation factor: its C over the largest other C).
  std::vector<std::vector<size_t>> groups;
  const RunsTable table = IsoFlopRuns(&groups);
  const IsoFlopValidation result = ValidateIsoFlop(table, groups, 0.0);
  ASSERT_EQ(result.folds.size(), 4u);
  EXPECT_EQ(result.num_usable, 4);
  EXPECT_EQ(result.num_loss_predictions, 4);
  for (const IsoFlopValidationFold& fold : result.folds) {
    EXPECT_EQ(fold.num_budgets_trained, 3);
    EXPECT_NEAR(fold.num_params_observed / TrueOptimalParams(fold.compute_flops), 1.0, 1e-9);
    EXPECT_NEAR(fold.num_params_predicted / TrueOptimalParams(fold.compute_flops), 1.0, 1e-7);
    EXPECT_NEAR(fold.loss_predicted, TrueOptimalLoss(fold.compute_flops), 1e-6);
  }
  EXPECT_NEAR(result.folds.back().extrapolation_factor, 10.0, 1e-9);
  EXPECT_LT(result.rmse_log_params, 1e-7);
  // Hold-out above 1e19: two budgets fitted, two predicted, with no frontier (two minima fix none).
  const IsoFlopValidation holdout = ValidateIsoFlop(table, groups, 1e19);
  ASSERT_EQ(holdout.folds.size(), 2u);
  EXPECT_EQ(holdout.num_loss_predictions, 0);
  EXPECT_TRUE(std::isnan(holdout.folds[0].loss_predicted));
  EXPECT_NEAR(holdout.folds[1].num_params_predicted / TrueOptimalParams(1e21), 1.0, 1e-7);
}

}  // namespace
}  // namespace scaleplan
