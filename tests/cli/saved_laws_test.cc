// Every law first-class, on the real binary: fit --out of each law read back by plan --fit, validate --law, check
// (golden files) and plot, against closed forms computed here; the IsoFLOP law's N_opt and loss at a budget and its
// leave-one-budget-out prediction against a hand regression; old Chinchilla files; the extrapolation warnings in N
// and D at their factor and not below it; fit --compute's warning equal to plan's.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;
using Json = nlohmann::json;

Json ParseOut(const Result& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out);
}

// IsoFLOP runs with exact parabolas: at budget C the loss is L_opt(C) + 0.05 (ln N - ln N_opt(C))^2 with
// N_opt = 0.1 C^0.5 times a wobble (so that the minima do not lie on one power law) and L_opt = 1.7 + 400 C^-0.15,
// sampled at N_opt x 1/8 ... 8 (every minimum inside its sampled sizes).
const std::vector<double> kBudgets = {1e18, 1e19, 1e20, 1e21};
const std::vector<double> kWobble = {1.0, 1.2, 0.9, 1.1};
double OptimalParams(size_t k) { return 0.1 * std::sqrt(kBudgets[k]) * kWobble[k]; }
double OptimalLoss(double compute) { return 1.7 + 400.0 * std::pow(compute, -0.15); }

std::string IsoFlopCsv() {
  std::string text = "N,D,C,loss\n";
  char line[200];
  for (size_t k = 0; k < kBudgets.size(); ++k) {
    for (const double ratio : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
      const double n = OptimalParams(k) * ratio;
      std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", n, kBudgets[k] / (6 * n), kBudgets[k],
                    OptimalLoss(kBudgets[k]) + 0.05 * std::log(ratio) * std::log(ratio));
      text += line;
    }
  }
  return text;
}

// Least squares of ln N_opt on ln C over the budgets other than `left_out`; returns N at compute.
double HandRegression(size_t left_out, double compute) {
  std::vector<double> x, y;
  for (size_t k = 0; k < kBudgets.size(); ++k) {
    if (k == left_out) continue;
    x.push_back(std::log(kBudgets[k]));
    y.push_back(std::log(OptimalParams(k)));
  }
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mean_x += x[i] / x.size();
    mean_y += y[i] / x.size();
  }
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
  }
  const double slope = sxy / sxx;
  return std::exp(mean_y + slope * (std::log(compute) - mean_x));
}

// Chinchilla's closed-form N_opt: G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)).
double ChinchillaOptimalParams(const Json& law, double compute) {
  const double alpha = law["alpha"], beta = law["beta"], a = law["A"], b = law["B"];
  const double g = std::pow(alpha * a / (beta * b), 1 / (alpha + beta));
  return g * std::pow(compute / 6, beta / (alpha + beta));
}

class SavedLaws : public ::testing::Test {
 protected:
  std::string Temp(const std::string& name) { return testing::WriteTempFile(name, ""); }
};

TEST_F(SavedLaws, IsoFlopPlansKnCaAndItsFrontierLoss) {
  const std::string runs = testing::WriteTempFile("saved_isoflop_runs.csv", IsoFlopCsv());
  const std::string fit_path = Temp("saved_isoflop.json");
  Result r = RunScaleplan("fit '" + runs + "' --law isoflop --out '" + fit_path + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json saved = Json::parse(testing::ReadWholeFile(fit_path));
  EXPECT_EQ(saved["law"], "isoflop");
  EXPECT_EQ(saved["schema_version"], 1);
  EXPECT_EQ(saved["data"]["compute_max"].get<double>(), 1e21);
  EXPECT_NEAR(saved["data"]["num_params_max"].get<double>() / (8 * OptimalParams(3)), 1.0, 1e-12);
  // Four exact minima on E + K C^-gamma: the frontier is that curve.
  EXPECT_NEAR(saved["frontier"]["E"].get<double>(), 1.7, 1e-6);
  EXPECT_NEAR(saved["frontier"]["gamma"].get<double>(), 0.15, 1e-7);

  const double c = 3e21;
  const Json plan = ParseOut(RunScaleplan("plan --fit '" + fit_path + "' --compute 3e21 --format json"));
  const double k_n = saved["coeff_params"], a = saved["exponent_params"];
  const double k_d = saved["coeff_tokens"], b = saved["exponent_tokens"];
  EXPECT_NEAR(plan["num_params"].get<double>() / (k_n * std::pow(c, a)), 1.0, 1e-12);
  EXPECT_NEAR(plan["num_tokens"].get<double>() / (k_d * std::pow(c, b)), 1.0, 1e-12);
  EXPECT_NEAR(plan["loss"].get<double>(), OptimalLoss(c), 1e-6);
  EXPECT_EQ(plan["law"]["name"], "isoflop");
  EXPECT_TRUE(plan["warnings"].empty()) << plan["warnings"];  // 3x beyond the largest budget: within the factor

  // A model size: the budget whose N_opt it is, C = (N / k_N)^(1/a); a target loss: the budget whose frontier loss it
  // is, C = (K / (L - E))^(1/gamma).
  const Json sized = ParseOut(RunScaleplan("plan --fit '" + fit_path + "' --params 1B --format json"));
  EXPECT_NEAR(sized["compute_flops"].get<double>() / std::pow(1e9 / k_n, 1 / a), 1.0, 1e-12);
  EXPECT_NEAR(sized["num_params"].get<double>() / 1e9, 1.0, 1e-12);
  const double e = saved["frontier"]["E"], k = saved["frontier"]["K"], gamma = saved["frontier"]["gamma"];
  const Json target = ParseOut(RunScaleplan("plan --fit '" + fit_path + "' --target-loss 2.3 --format json"));
  EXPECT_NEAR(target["compute_flops"].get<double>() / std::pow(k / (2.3 - e), 1 / gamma), 1.0, 1e-12);
  EXPECT_NEAR(target["loss"].get<double>(), 2.3, 1e-12);
  // A size on a budget needs L(N, D), which Approach 2 has not; a loss at or below the frontier's floor is unreachable.
  r = RunScaleplan("plan --fit '" + fit_path + "' --params 1B --compute 1e21");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a model size on a budget needs a loss L(N, D), which an IsoFLOP fit has not"),
            std::string::npos)
      << r.err;
  r = RunScaleplan("plan --fit '" + fit_path + "' --target-loss 1.6");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not reachable under this isoflop fit (its loss frontier never goes below E = 1.7)"),
            std::string::npos)
      << r.err;
  // plot draws laws of Chinchilla's form only, and says what draws this one.
  r = RunScaleplan("plot fit '" + runs + "' --fit '" + fit_path + "' --out '" + Temp("iso.svg") + "'");
  EXPECT_EQ(r.exit_code, 2);  // the chart is the wrong one for this fit, as for a Kaplan fit: a usage error
  EXPECT_NE(r.err.find("an IsoFLOP fit predicts no loss for a run"), std::string::npos) << r.err;
}

TEST_F(SavedLaws, AnIsoFlopFitWithoutAFrontierSavesButDoesNotPlan) {
  // Two budgets fix N_opt = k_N C^a but no frontier E + K C^-gamma.
  std::string csv = "N,D,C,loss\n";
  for (const std::string& line : testing::Lines(IsoFlopCsv())) {
    if (line.find(",1e+18,") != std::string::npos || line.find(",1e+19,") != std::string::npos) csv += line + "\n";
  }
  const std::string runs = testing::WriteTempFile("two_budgets.csv", csv);
  const std::string fit_path = Temp("two_budgets.json");
  ASSERT_EQ(RunScaleplan("fit '" + runs + "' --law isoflop --out '" + fit_path + "'").exit_code, 0);
  const Json saved = Json::parse(testing::ReadWholeFile(fit_path));
  EXPECT_TRUE(saved["frontier"].is_null());
  EXPECT_EQ(saved["frontier_status"], "the loss frontier needs minima at 3 or more budgets, found 2");
  Result r = RunScaleplan("plan --fit '" + fit_path + "' --compute 1e20");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("this IsoFLOP fit has no loss frontier"), std::string::npos) << r.err;
  r = RunScaleplan("fit '" + runs + "' --law isoflop --save-golden '" + Temp("two_golden.json") + "'");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("--save-golden: the isoflop fit has no loss frontier to record"), std::string::npos) << r.err;
}

TEST_F(SavedLaws, ValidateIsoFlopPredictsAHeldOutBudgetAsTheHandRegression) {
  const std::string runs = testing::WriteTempFile("saved_isoflop_runs.csv", IsoFlopCsv());
  const Json json =
      ParseOut(RunScaleplan("validate '" + runs + "' --law isoflop --leave-one-budget-out --format json"));
  EXPECT_EQ(json["law"], "isoflop");
  ASSERT_EQ(json["folds"].size(), kBudgets.size());
  for (size_t k = 0; k < kBudgets.size(); ++k) {
    const Json& fold = json["folds"][k];
    ASSERT_TRUE(fold["usable"].get<bool>()) << fold;
    EXPECT_NEAR(fold["budget_flops"].get<double>() / kBudgets[k], 1.0, 1e-12);  // the geometric mean of its runs' C
    EXPECT_NEAR(fold["num_params_observed"].get<double>() / OptimalParams(k), 1.0, 1e-9);
    EXPECT_NEAR(fold["num_params_predicted"].get<double>() / HandRegression(k, kBudgets[k]), 1.0, 1e-9);
    EXPECT_NEAR(fold["log_error_params"].get<double>(), std::log(HandRegression(k, kBudgets[k]) / OptimalParams(k)),
                1e-9);
    // The other three minima fix the frontier exactly: the held-out minimum loss is predicted to 1e-6.
    EXPECT_NEAR(fold["loss_predicted"].get<double>(), OptimalLoss(kBudgets[k]), 1e-6);
  }
  // Hold-out: the two budgets above 1e19 from the fit of the two at or below it.
  const Json holdout =
      ParseOut(RunScaleplan("validate '" + runs + "' --law isoflop --holdout-above 1e19 --format json"));
  ASSERT_EQ(holdout["folds"].size(), 2u);
  EXPECT_EQ(holdout["folds"][0]["num_budgets_trained"], 2);
  EXPECT_FALSE(holdout["folds"][0]["loss_predicted"].is_number());  // two minima fix no frontier
}

TEST_F(SavedLaws, ChinchillaKaplanAndDataConstrainedRoundTrip) {
  // Chinchilla on the bundled runs: plan --fit at 1e22 gives the closed form of the saved coefficients.
  const std::string chinchilla = Temp("saved_chinchilla.json");
  ASSERT_EQ(RunScaleplan("fit --out '" + chinchilla + "'").exit_code, 0);
  Json saved = Json::parse(testing::ReadWholeFile(chinchilla));
  EXPECT_EQ(saved["law"], "chinchilla");
  EXPECT_GT(saved["data"]["num_tokens_max"].get<double>(), saved["data"]["num_tokens_min"].get<double>());
  Json plan = ParseOut(RunScaleplan("plan --fit '" + chinchilla + "' --compute 1e22 --format json"));
  EXPECT_NEAR(plan["num_params"].get<double>() / ChinchillaOptimalParams(saved, 1e22), 1.0, 1e-9);

  // Kaplan: N_opt = (p N_c^p C / (6 D_c))^(1/(p+1)), p = alpha_N / alpha_D (core/kaplan_law.h).
  const std::string kaplan = Temp("saved_kaplan.json");
  ASSERT_EQ(RunScaleplan("fit --law kaplan --out '" + kaplan + "'").exit_code, 0);
  saved = Json::parse(testing::ReadWholeFile(kaplan));
  EXPECT_EQ(saved["law"], "kaplan");
  plan = ParseOut(RunScaleplan("plan --fit '" + kaplan + "' --compute 1e22 --format json"));
  const double p = saved["alpha_N"].get<double>() / saved["alpha_D"].get<double>();
  const double n_c = saved["N_c"], d_c = saved["D_c"];
  EXPECT_NEAR(plan["num_params"].get<double>() / std::pow(p * std::pow(n_c, p) * 1e22 / (6 * d_c), 1 / (p + 1)), 1.0,
              1e-9);
  EXPECT_EQ(plan["law"]["N_c"].get<double>(), n_c);
  // A model size: the budget C = 6 D_c N^(p+1) / (p N_c^p) whose N_opt it is; on a given budget, L(N, C / 6N).
  plan = ParseOut(RunScaleplan("plan --fit '" + kaplan + "' --params 10B --format json"));
  EXPECT_NEAR(plan["compute_flops"].get<double>() / (6 * d_c * std::pow(1e10, p + 1) / (p * std::pow(n_c, p))), 1.0,
              1e-9);
  plan = ParseOut(RunScaleplan("plan --fit '" + kaplan + "' --params 10B --compute 1e22 --format json"));
  const double tokens = 1e22 / 6e10;
  const double alpha_n = saved["alpha_N"], alpha_d = saved["alpha_D"];
  EXPECT_NEAR(plan["loss"].get<double>(), std::pow(std::pow(n_c / 1e10, alpha_n / alpha_d) + d_c / tokens, alpha_d),
              1e-12);
  // A target loss: the least budget whose compute-optimal loss reaches it.
  plan = ParseOut(RunScaleplan("plan --fit '" + kaplan + "' --target-loss 2.2 --format json"));
  EXPECT_NEAR(plan["loss"].get<double>(), 2.2, 1e-9);
  // plot draws a Kaplan fit's residuals (its loss on each run); the chart's title gives their RMSE, the fit's own.
  const std::string svg = Temp("kaplan.svg");
  Result r = RunScaleplan("plot fit --fit '" + kaplan + "' --out '" + svg + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a Kaplan fit is drawn on the residuals chart"), std::string::npos) << r.err;
  r = RunScaleplan("plot residuals --fit '" + kaplan + "' --out '" + svg + "'");
  if (r.exit_code == 2 && r.err.find("Qt") != std::string::npos) {
    std::fprintf(stderr, "plot residuals not checked: built without the GUI\n");
  } else {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    char title[64];
    std::snprintf(title, sizeof title, "RMSE %.4f", saved["residuals"]["rmse"].get<double>());
    EXPECT_NE(testing::ReadWholeFile(svg).find(title), std::string::npos) << title;
  }

  // Data-constrained: plans with its base law's allocation, and its fitted R_D* under a unique-token limit.
  const std::string constrained = Temp("saved_dc.json");
  ASSERT_EQ(RunScaleplan("fit --law data-constrained --out '" + constrained + "'").exit_code, 0);
  saved = Json::parse(testing::ReadWholeFile(constrained));
  EXPECT_EQ(saved["law"], "data-constrained");
  plan = ParseOut(RunScaleplan("plan --fit '" + constrained + "' --compute 1e22 --format json"));
  EXPECT_NEAR(plan["num_params"].get<double>() / ChinchillaOptimalParams(saved["base"], 1e22), 1.0, 1e-9);
  plan = ParseOut(RunScaleplan("plan --fit '" + constrained + "' --compute 1e22 --unique-tokens 10B --format json"));
  EXPECT_EQ(plan["R_D_star"].get<double>(), saved["R_D_star"].get<double>());
}

TEST_F(SavedLaws, ValidateAndCheckTakeEachFittedLaw) {
  Json json = ParseOut(RunScaleplan("validate --law kaplan --holdout-above 1e21 --format json"));
  EXPECT_EQ(json["law"], "kaplan");
  EXPECT_TRUE(json["folds"][0]["usable"].get<bool>());
  for (const std::string law : {"chinchilla", "kaplan", "isoflop"}) {
    const std::string golden = Temp("golden_" + law + ".json");
    ASSERT_EQ(RunScaleplan("fit --law " + law + " --save-golden '" + golden + "'").exit_code, 0) << law;
    json = ParseOut(RunScaleplan("check --golden '" + golden + "' --format json"));
    EXPECT_EQ(json["law"], law);
    EXPECT_TRUE(json["passed"].get<bool>()) << law;
    // Parameters, the objective (not for IsoFLOP) and N_opt, D_opt and loss at the 4 default budgets.
    EXPECT_EQ(json["num_checked"].get<size_t>(), law == "isoflop" ? 7u + 12u : law == "kaplan" ? 7u + 12u : 8u + 12u);
  }
  // The other laws' goldens: tests/cli/table_law_golden_test.cc. frantar2023-t5 is the sparse law's fit.
  const Result r = RunScaleplan("fit --law frantar2023-t5 --save-golden '" + Temp("golden_t5.json") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--save-golden records --law sparse"), std::string::npos) << r.err;
}

TEST_F(SavedLaws, ADictionaryFitPlansAsTheRunsDoAndPlanNamesItsCommand) {
  const std::string runs = testing::SourcePath("data/dictionary_runs_generated.csv");
  const std::string fit_path = Temp("saved_dictionary.json");
  const Json fitted = ParseOut(RunScaleplan("dictionary --runs '" + runs + "' --out '" + fit_path +
                                            "' --d-model 4096 --compute 1e20 --format json"));
  const Json saved = Json::parse(testing::ReadWholeFile(fit_path));
  EXPECT_EQ(saved["law"], "dictionary");
  EXPECT_EQ(saved["schema_version"], 1);
  const Json planned =
      ParseOut(RunScaleplan("dictionary --fit '" + fit_path + "' --d-model 4096 --compute 1e20 --format json"));
  for (const char* key : {"num_latents", "k", "num_tokens", "loss"}) EXPECT_EQ(planned[key], fitted[key]) << key;
  const Result r = RunScaleplan("plan --fit '" + fit_path + "' --compute 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("a dictionary fit gives no allocation at a budget: plan with it using 'scaleplan dictionary "
                       "--fit FIT.json'"),
            std::string::npos)
      << r.err;
}

// A Chinchilla fit as fit --out wrote it before other laws saved: no law key, no N or D range.
TEST_F(SavedLaws, AnOldChinchillaFileStillPlans) {
  const std::string path = testing::WriteTempFile(
      "old_fit.json", R"({"schema_version": 1, "E": 1.82, "A": 482.0, "B": 2085.4, "alpha": 0.3478,
                          "beta": 0.3658, "usable": true, "data": {"compute_min": 1e18, "compute_max": 3e21}})");
  const Json plan = ParseOut(RunScaleplan("plan --fit '" + path + "' --compute 1e21 --format json"));
  EXPECT_NEAR(
      plan["num_params"].get<double>() / ChinchillaOptimalParams(Json::parse(testing::ReadWholeFile(path)), 1e21), 1.0,
      1e-9);
  EXPECT_EQ(plan["law"]["name"], "chinchilla");
  EXPECT_TRUE(plan["warnings"].empty());  // no N or D range: only C is checked, and 1e21 is within it
}

// A saved Chinchilla fit whose runs reached N_max and D_max: plan warns when N (or D) passes 10x either, not before.
std::string FitWithRanges(double params_max, double tokens_max) {
  char text[400];
  std::snprintf(text, sizeof text,
                R"({"law": "chinchilla", "E": 1.82, "A": 482.0, "B": 2085.4, "alpha": 0.3478, "beta": 0.3658,
                    "data": {"compute_min": 1e18, "compute_max": 1e22, "num_params_min": 1e6,
                             "num_params_max": %.17g, "num_tokens_min": 1e6, "num_tokens_max": %.17g}})",
                params_max, tokens_max);
  return text;
}

TEST_F(SavedLaws, ExtrapolationInNAndDIsWarnedPastTenfoldOnly) {
  const Json law = Json::parse(FitWithRanges(1, 1));
  const double n = ChinchillaOptimalParams(law, 1e22);
  const double d = 1e22 / (6 * n);
  const auto warnings = [](const std::string& fit_text) {
    const std::string path = testing::WriteTempFile("ranged_fit.json", fit_text);
    return ParseOut(RunScaleplan("plan --fit '" + path + "' --compute 1e22 --format json"))["warnings"];
  };
  // N at 10.2x the largest model, D within range (C = the largest run's).
  Json w = warnings(FitWithRanges(n / 10.2, 2 * d));
  ASSERT_EQ(w.size(), 1u) << w;
  EXPECT_EQ(w[0].get<std::string>().rfind("N is 10.2x the largest fitted model (", 0), 0u) << w;
  // At 9.8x nothing is said.
  EXPECT_TRUE(warnings(FitWithRanges(n / 9.8, 2 * d)).empty());
  // D at 10.5x the most tokens, N within range.
  w = warnings(FitWithRanges(2 * n, d / 10.5));
  ASSERT_EQ(w.size(), 1u) << w;
  EXPECT_EQ(w[0].get<std::string>().rfind("D is 10.5x the most tokens of any fitted run (", 0), 0u) << w;
  EXPECT_TRUE(warnings(FitWithRanges(2 * n, d / 9.5)).empty());
}

TEST_F(SavedLaws, FitWarnsAtItsBudgetsAsPlanWould) {
  const std::string path = Temp("saved_for_warning.json");
  const Json fit = ParseOut(RunScaleplan("fit --compute 1e21,1e25 --format json --out '" + path + "'"));
  const Json plan = ParseOut(RunScaleplan("plan --fit '" + path + "' --compute 1e25 --format json"));
  ASSERT_FALSE(plan["warnings"].empty());
  const std::string expected = "at 1.00e+25 FLOPs: " + plan["warnings"][0].get<std::string>();
  bool found = false;
  for (const Json& warning : fit["warnings"]) found = found || warning == expected;
  EXPECT_TRUE(found) << fit["warnings"] << "\nexpected: " << expected;
  for (const Json& warning : fit["warnings"]) {
    EXPECT_EQ(warning.get<std::string>().find("at 1.00e+21 FLOPs"), std::string::npos);  // within the runs
  }
  // The budget fit shows by default (5.76e23, 44x beyond the bundled runs) is not one the user asked about: no warning.
  const Json plain = ParseOut(RunScaleplan("fit --format json"));
  for (const Json& warning : plain["warnings"]) {
    EXPECT_EQ(warning.get<std::string>().find("FLOPs: extrapolates"), std::string::npos) << warning;
  }
}

}  // namespace
}  // namespace scaleplan
