// Drives the real `scaleplan fit --law-expr`: built-in laws written as expressions against the built-in fits of the
// same runs, a column of the runs file, saved fits, and every usage error with the character it points at.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::Lines;
using testing::RunScaleplan;
using testing::SourcePath;
using Result = testing::CommandResult;

// The built-in Chinchilla law in its own parameters (fitting/chinchilla_fit.h) and grid: the same optimum.
const char* const kChinchillaArgs =
    "--law-expr 'exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)' --param a=0:25:5 --param b=0:25:5 "
    "--param e=-1:1:0.5 --param alpha=0:2:0.5 --param beta=0:2:0.5";

// Muennighoff et al. 2023's data-constrained law with their C4 base law frozen (core/data_constrained.h), written
// out: U_D = min(U, D), U_N = min(N, U_D (A/B)^(1/alpha)) (alpha = beta), and R_D, R_N the decay constants.
const char* const kMuennighoffExpression =
    "exp(0.6254804) + exp(6.255414) / (min(N, min(U, D)*exp((6.255414 - 7.3049974)/0.3526596)) * (1 + R_N*(1 - "
    "exp(-(N/min(N, min(U, D)*exp((6.255414 - 7.3049974)/0.3526596)) - 1)/R_N))))^0.3526596 + exp(7.3049974) / "
    "(min(U, D) * (1 + R_D*(1 - exp(-(D/min(U, D) - 1)/R_D))))^0.3526596";

nlohmann::json Json(const Result& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

double Relative(double x, double reference) { return std::fabs(x - reference) / std::fabs(reference); }

TEST(ExpressionCli, ChinchillaFormReachesTheBuiltInFit) {
  const nlohmann::json builtin = Json(RunScaleplan("fit --format json 2>/dev/null"));
  const nlohmann::json fit = Json(RunScaleplan(std::string("fit --format json ") + kChinchillaArgs));
  EXPECT_EQ(fit["law"], "expression");
  EXPECT_TRUE(fit["usable"].get<bool>());
  const double objective = fit["objective"].get<double>();
  EXPECT_NEAR(objective, 0.0010182740, 5e-11);  // the published optimum, to its 10 decimals
  EXPECT_LT(Relative(objective, builtin["objective"].get<double>()), 1e-9);
  const nlohmann::json& p = fit["parameters"];
  EXPECT_LT(Relative(std::exp(p["e"].get<double>()), builtin["E"].get<double>()), 1e-6);
  EXPECT_LT(Relative(std::exp(p["a"].get<double>()), builtin["A"].get<double>()), 1e-6);
  EXPECT_LT(Relative(std::exp(p["b"].get<double>()), builtin["B"].get<double>()), 1e-6);
  EXPECT_LT(Relative(p["alpha"].get<double>(), builtin["alpha"].get<double>()), 1e-6);
  EXPECT_LT(Relative(p["beta"].get<double>(), builtin["beta"].get<double>()), 1e-6);
  EXPECT_EQ(fit["search"]["grid_points"], 4500);
  EXPECT_EQ(fit["columns"]["N"], "Model Size");
}

TEST(ExpressionCli, MuennighoffLawReachesTheBuiltInDataConstrainedFit) {
  std::string runs = SourcePath("data/muennighoff2023_runs.csv");
  runs.insert(0, 1, '\'');
  runs += "' --loss-col val_loss_c4";
  const nlohmann::json builtin = Json(RunScaleplan("fit --law data-constrained --format json"));
  // The notebook's starts (fitting/data_constrained_fit.h): R_D*, R_N* in {20/3, 40/3, 20}.
  const nlohmann::json fit = Json(RunScaleplan("fit " + runs + " --format json --law-expr '" + kMuennighoffExpression +
                                               "' --param R_D=6.666666666666667:20:6.666666666666667 "
                                               "--param R_N=6.666666666666667:20:6.666666666666667 2>/dev/null"));
  EXPECT_LT(Relative(fit["objective"].get<double>(), builtin["objective"].get<double>()), 1e-9);
  EXPECT_LT(Relative(fit["parameters"]["R_D"].get<double>(), builtin["R_D_star"].get<double>()), 1e-5);
  EXPECT_LT(Relative(fit["parameters"]["R_N"].get<double>(), builtin["R_N_star"].get<double>()), 1e-5);
  EXPECT_EQ(fit["columns"]["U"], "U_unique_tokens");
}

TEST(ExpressionCli, ANamedColumnOfTheRunsFile) {
  // L = 2 + 300 / N^0.3 + 0.05 epochs, exactly: the fit recovers it, and --out saves it.
  std::string csv = "N,D,epochs,loss\n";
  for (double n : {1e7, 3e7, 1e8, 3e8, 1e9}) {
    for (double epochs : {1.0, 2.0, 4.0}) {
      char row[160];
      std::snprintf(row, sizeof row, "%.17g,%.17g,%g,%.17g\n", n, 20 * n, epochs,
                    2.0 + 300.0 / std::pow(n, 0.3) + 0.05 * epochs);
      csv += row;
    }
  }
  const std::string path = testing::WriteTempFile("expression_epochs.csv", csv);
  const std::string out = testing::WriteTempFile("expression_fit.json", "");
  const nlohmann::json fit =
      Json(RunScaleplan("fit '" + path +
                        "' --format json --law-expr 'E + A / N^alpha + k * epochs' --param E=1:3:1 "
                        "--param A=100:500:200 --param alpha=0.1:0.5:0.2 --param k=0:0.1:0.1 --out '" +
                        out + "'"));
  EXPECT_NEAR(fit["parameters"]["E"].get<double>(), 2.0, 1e-5);
  EXPECT_NEAR(fit["parameters"]["alpha"].get<double>(), 0.3, 1e-6);
  EXPECT_NEAR(fit["parameters"]["k"].get<double>(), 0.05, 1e-7);
  const nlohmann::json saved = nlohmann::json::parse(testing::ReadWholeFile(out));
  EXPECT_EQ(saved["law"], "expression");
  EXPECT_EQ(saved["expression"], "E + A / N^alpha + k * epochs");
  EXPECT_EQ(saved["parameters"], fit["parameters"]);
  EXPECT_EQ(saved["data"]["num_runs"], 15);

  // A cell of that column that is not a number: exit 3 at its line.
  const std::string bad = testing::WriteTempFile("expression_bad_cell.csv",
                                                 "N,D,epochs,loss\n1e8,2e9,1,3.1\n"
                                                 "2e8,4e9,x,3.0\n");
  const Result result = RunScaleplan("fit '" + bad +
                                     "' --law-expr 'E + A/N^alpha + k*epochs' --param E=2 "
                                     "--param A=400 --param alpha=0.3 --param k=0.1");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find(bad + ":3: column 3 ('epochs'): not a finite number: 'x'"), std::string::npos)
      << result.err;
}

TEST(ExpressionCli, AMissingColumnIsAnInputError) {
  const std::string path = testing::WriteTempFile("expression_no_u.csv",
                                                  "N,D,loss\n1e8,2e9,3.1\n2e8,4e9,3.0\n"
                                                  "4e8,8e9,2.9\n8e8,1.6e10,2.8\n");
  const Result result = RunScaleplan("fit '" + path +
                                     "' --law-expr 'E + A/N^alpha * D/U' --param E=2 --param A=400 "
                                     "--param alpha=0.3");
  EXPECT_EQ(result.exit_code, 3);
  const std::vector<std::string> lines = Lines(result.err);
  ASSERT_EQ(lines.size(), 1u) << result.err;
  EXPECT_EQ(lines[0], "scaleplan fit: error: " + path +
                          ":1: missing column for U (unique tokens): the header has 'N', 'D', 'loss'; accepted names "
                          "are u, unique_tokens, u_unique_tokens, num_unique_tokens, u_d");
}

TEST(ExpressionCli, UsageErrorsPointAtTheCharacter) {
  struct Case {
    std::string args;
    std::string message;
  };
  const std::string params = " --param E=1 --param A=400 --param alpha=0.3";
  const std::vector<Case> cases = {
      {"--law-expr 'E + A/N^alpah'" + params, "--law-expr:1:9: unknown name 'alpah' (did you mean 'alpha'?)"},
      {"--law-expr 'E + A/N^alpha + k' " + params,
       "--law-expr:1:17: unknown name 'k': not a --param, nor a column of <bundled Chinchilla runs, Besiroglu et al. "
       "2024> (N, D, C)"},
      {"--law-expr 'E + A/N^alpha' --param E=1 --param A=400 --param alpha=0.3 --param beta=0.3",
       "--param: parameter 'beta' does not appear in the expression (its names: E, A, N, alpha): 'beta'"},
      {"--law-expr 'E + (A/N^alpha'" + params, "--law-expr:1:5: unmatched '('"},
      {"--law-expr 'E + A/N^alpha)'" + params, "--law-expr:1:14: unmatched ')'"},
      {"--law-expr 'E + A/N^alpha +'" + params,
       "--law-expr:1:16: expected a number, a name or '(' after '+' (the expression ends here)"},
      {"--law-expr 'E + A/N^alpha * lg(N)'" + params,
       "--law-expr:1:17: unknown function 'lg' (the functions are exp, log, sqrt, abs, min and max)"},
      {"--law-expr 'E + A/N^alpha * log(N, D)'" + params, "--law-expr:1:17: log takes 1 argument, not 2"},
      {"--law-expr 'E + A/N^alpha' --param E=2:1:0.5 --param A=400 --param alpha=0.3",
       "--param: a range LO:HI:STEP needs LO <= HI and STEP > 0: 'E=2:1:0.5'"},
      {"--law-expr 'E + A/N^alpha' --param N=1" + params,
       "--param: 'N' is a run column (N, D, C, U and S are); name the parameter otherwise: 'N'"},
      {"--law-expr 'E + A/N^alpha' --grid alpha=0:1:0.5" + params,
       "--grid does not apply to --law-expr: give each parameter's starts with --param NAME=LO:HI:STEP"},
      {"--law-expr 'E + A/N^alpha' --law kaplan" + params,
       "--law and --law-expr cannot be combined: --law-expr is the law"},
  };
  for (const Case& c : cases) {
    const Result result = RunScaleplan("fit " + c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args;
    const std::vector<std::string> lines = Lines(result.err);
    ASSERT_EQ(lines.size(), 2u) << c.args << "\n" << result.err;
    EXPECT_EQ(lines[0], "scaleplan fit: error: " + c.message) << c.args;
    EXPECT_EQ(lines[1], "Try 'scaleplan fit --help'.");
    EXPECT_TRUE(result.out.empty()) << c.args;
  }
}

TEST(ExpressionCli, StartsWhereTheLawIsNotPositiveAreSkipped) {
  // E = -5 makes L_hat negative on every run: those starts screen as +inf; the others reach the optimum.
  const nlohmann::json fit = Json(RunScaleplan(
      "fit --format json --law-expr 'E + A/N^alpha + B/D^beta' --param E=-5:2:1 --param A=400 --param alpha=0.3 "
      "--param B=2000 --param beta=0.3 2>/dev/null"));
  EXPECT_NEAR(fit["objective"].get<double>(), 0.0010182740, 1e-9);
}

TEST(ExpressionCli, BootstrapIntervalsPerParameter) {
  const nlohmann::json fit = Json(RunScaleplan(std::string("fit --format json --bootstrap=20 ") + kChinchillaArgs));
  ASSERT_TRUE(fit.contains("intervals"));
  for (const char* name : {"a", "b", "e", "alpha", "beta"}) {
    const double value = fit["parameters"][name].get<double>();
    EXPECT_LE(fit["intervals"][name][0].get<double>(), value) << name;
    EXPECT_GE(fit["intervals"][name][1].get<double>(), value) << name;
  }
  EXPECT_EQ(fit["bootstrap"]["resamples"], 20);
}

// E + A/N^alpha + B/D^beta from a grid that brackets the bundled runs' optimum.
const char* const kNaturalArgs =
    "--law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 --param alpha=0.2:0.6:0.2 "
    "--param B=500:3000:500 --param beta=0.2:0.6:0.2";

TEST(ExpressionCli, ValidateRefitsASavedFitAsTheBuiltInLaw) {
  const std::string fit_path = testing::WriteTempFile("expression_validate_fit.json", "");
  ASSERT_EQ(RunScaleplan(std::string("fit ") + kNaturalArgs + " --out '" + fit_path + "' >/dev/null").exit_code, 0);
  const nlohmann::json builtin = Json(RunScaleplan("validate --holdout-above 1e21 --format json"));
  const nlohmann::json saved =
      Json(RunScaleplan("validate --fit '" + fit_path + "' --holdout-above 1e21 --format json"));
  EXPECT_EQ(saved["law"], "expression");
  const nlohmann::json& a = builtin["folds"][0];
  const nlohmann::json& b = saved["folds"][0];
  EXPECT_EQ(b["num_train"], a["num_train"]);
  EXPECT_EQ(b["num_heldout"], a["num_heldout"]);
  // The same law fitted to the same 217 runs: the same predictions of the 23 held out.
  for (const char* key : {"rmse_log", "bias_log", "max_abs_log", "max_abs_nats"}) {
    EXPECT_LT(Relative(b[key].get<double>(), a[key].get<double>()), 1e-5) << key;
  }
  // The law given on the command line instead of a file: the same numbers.
  const nlohmann::json direct =
      Json(RunScaleplan(std::string("validate ") + kNaturalArgs + " --holdout-above 1e21 --format json"));
  EXPECT_EQ(direct["folds"][0]["rmse_log"], b["rmse_log"]);
  const Result both = RunScaleplan("validate --fit '" + fit_path + "' " + kNaturalArgs + " --holdout-above 1e21");
  EXPECT_EQ(both.exit_code, 2);
}

TEST(ExpressionCli, CheckAnExpressionGolden) {
  const std::string golden_path = testing::WriteTempFile("expression_golden.json", "");
  ASSERT_EQ(
      RunScaleplan(std::string("fit ") + kNaturalArgs + " --save-golden '" + golden_path + "' >/dev/null").exit_code,
      0);
  const nlohmann::json same = Json(RunScaleplan("check --golden '" + golden_path + "' --format json"));
  EXPECT_EQ(same["law"], "expression");
  EXPECT_EQ(same["num_failed"], 0);
  EXPECT_EQ(same["checks"].size(), 6u);  // five parameters and the objective
  EXPECT_TRUE(same["data_hash_matches"].get<bool>());

  // A golden whose alpha is 1e-4 off: alpha drifts (exit 1), the other quantities hold.
  nlohmann::ordered_json golden = nlohmann::ordered_json::parse(testing::ReadWholeFile(golden_path));
  golden["parameters"]["alpha"] = golden["parameters"]["alpha"].get<double>() * (1 + 1e-4);
  const std::string drifted = testing::WriteTempFile("expression_golden_drift.json", golden.dump(2));
  const Result result = RunScaleplan("check --golden '" + drifted + "' --format json");
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const nlohmann::json report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["num_failed"], 1);
  for (const nlohmann::json& check : report["checks"]) {
    EXPECT_EQ(check["passed"].get<bool>(), check["name"] != "alpha") << check["name"];
  }
}

TEST(ExpressionCli, PlotDrawsTheResidualsOfASavedFit) {
  const std::string fit_path = testing::WriteTempFile("expression_plot_fit.json", "");
  ASSERT_EQ(RunScaleplan(std::string("fit ") + kNaturalArgs + " --out '" + fit_path + "' >/dev/null").exit_code, 0);
  const std::string svg = testing::WriteTempFile("expression_residuals.svg", "");
  const Result result = RunScaleplan("plot residuals --fit '" + fit_path + "' --out '" + svg + "'");
  if (result.exit_code == 2 && result.err.find("Qt") != std::string::npos) GTEST_SKIP() << "built without the GUI";
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The chart's title gives the residuals of the law it drew: the built-in fit's RMSE on the same runs.
  const Result builtin = RunScaleplan("fit --format json 2>/dev/null");
  const double rmse = nlohmann::json::parse(builtin.out)["residuals"]["rmse"].get<double>();
  char title[64];
  std::snprintf(title, sizeof title, "RMSE %.4f", rmse);
  EXPECT_NE(testing::ReadWholeFile(svg).find(title), std::string::npos) << title;
  // The other charts need a law of Chinchilla's form.
  const Result fit_chart = RunScaleplan("plot fit --fit '" + fit_path + "' --out '" + svg + "'");
  EXPECT_EQ(fit_chart.exit_code, 2);
  EXPECT_NE(fit_chart.err.find("an expression law is drawn on the residuals chart"), std::string::npos);
}

// plan --fit with a saved expression law (core/expression_law.h): the Chinchilla form against Hoffmann et al.'s
// closed-form allocation (eq. 4) from the saved parameters, at two budgets.
TEST(ExpressionPlan, ChinchillaFormPlansAtTheClosedFormAllocation) {
  const std::string fit_path = testing::WriteTempFile("expression_plan_fit.json", "");
  const std::string builtin_path = testing::WriteTempFile("expression_plan_builtin.json", "");
  ASSERT_EQ(RunScaleplan(std::string("fit ") + kChinchillaArgs + " --out '" + fit_path + "' >/dev/null").exit_code, 0);
  ASSERT_EQ(RunScaleplan("fit --out '" + builtin_path + "' >/dev/null 2>&1").exit_code, 0);
  const nlohmann::json saved = nlohmann::json::parse(testing::ReadWholeFile(fit_path));
  const nlohmann::json& p = saved["parameters"];
  const double A = std::exp(p["a"].get<double>()), B = std::exp(p["b"].get<double>()),
               E = std::exp(p["e"].get<double>());
  const double alpha = p["alpha"].get<double>(), beta = p["beta"].get<double>();
  for (const double c : {1e22, 1e24}) {
    // Eq. 4: N_opt = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)); D_opt = C / (6 N_opt).
    const double g = std::pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
    const double n_opt = g * std::pow(c / 6.0, beta / (alpha + beta));
    const double d_opt = c / (6.0 * n_opt);
    const double loss = E + A / std::pow(n_opt, alpha) + B / std::pow(d_opt, beta);
    char compute[32];
    std::snprintf(compute, sizeof compute, "%g", c);
    const nlohmann::json plan =
        Json(RunScaleplan("plan --fit '" + fit_path + "' --compute " + compute + " --format json 2>/dev/null"));
    EXPECT_EQ(plan["law"]["name"], "expression");
    EXPECT_LT(Relative(plan["num_params"].get<double>(), n_opt), 1e-6) << c;
    EXPECT_LT(Relative(plan["num_tokens"].get<double>(), d_opt), 1e-6) << c;
    EXPECT_LT(Relative(plan["loss"].get<double>(), loss), 1e-9) << c;
    // The built-in fit of the same runs reaches the same optimum (to its parameters' 1e-6), so the same plan.
    const nlohmann::json builtin =
        Json(RunScaleplan("plan --fit '" + builtin_path + "' --compute " + compute + " --format json 2>/dev/null"));
    EXPECT_LT(Relative(plan["num_params"].get<double>(), builtin["num_params"].get<double>()), 1e-4) << c;
  }
}

// A law whose data term's coefficient falls with N (an N-D interaction; a term of N*D alone would be constant on a
// budget C = 6 N D), not of Chinchilla's form: its optimum against a brute-force grid over N, and the size and
// target-loss plans at that optimum giving its budget back.
TEST(ExpressionPlan, AnInteractionLawPlansAtTheBruteForceOptimum) {
  const double E = 1.8, A = 400.0, alpha = 0.34, B = 410.0, beta = 0.28, G = 3000.0, gamma = 0.12;
  const std::string fit_path = testing::WriteTempFile("expression_plan_interaction.json",
                                                      R"({"schema_version": 1, "law": "expression", "usable": true,
          "expression": "E + A/N^alpha + (B + G/N^gamma)/D^beta",
          "parameters": {"E": 1.8, "A": 400, "alpha": 0.34, "B": 410, "beta": 0.28, "G": 3000, "gamma": 0.12}})");
  const double c = 1e23;
  const auto loss_at = [&](double n) {
    const double d = c / (6.0 * n);
    return E + A / std::pow(n, alpha) + (B + G / std::pow(n, gamma)) / std::pow(d, beta);
  };
  // 2,000,001 points evenly spaced in log N from 1e3 to 1e16: 1.5e-5 apart.
  double best_n = 0.0, best_loss = INFINITY;
  for (int i = 0; i <= 2000000; ++i) {
    const double n = std::exp(std::log(1e3) + i * (std::log(1e16) - std::log(1e3)) / 2000000);
    if (loss_at(n) < best_loss) {
      best_loss = loss_at(n);
      best_n = n;
    }
  }
  ASSERT_GT(best_n, 1e4);
  ASSERT_LT(best_n, 1e15);
  const nlohmann::json plan = Json(RunScaleplan("plan --fit '" + fit_path + "' --compute 1e23 --format json"));
  EXPECT_LT(Relative(plan["num_params"].get<double>(), best_n), 2e-5);
  EXPECT_LE(plan["loss"].get<double>(), best_loss);
  EXPECT_LT(Relative(plan["loss"].get<double>(), best_loss), 1e-12);
  // The interaction moves the optimum: the same law without it is another plan.
  const double chinchilla_n =
      std::pow(alpha * A / (beta * B), 1 / (alpha + beta)) * std::pow(c / 6, beta / (alpha + beta));
  EXPECT_GT(Relative(best_n, chinchilla_n), 0.05);
  // Its size gives its budget back, and so does its loss.
  char size[32], loss[32];
  std::snprintf(size, sizeof size, "%.17g", plan["num_params"].get<double>());
  std::snprintf(loss, sizeof loss, "%.17g", plan["loss"].get<double>());
  const nlohmann::json sized = Json(RunScaleplan("plan --fit '" + fit_path + "' --params " + size + " --format json"));
  EXPECT_LT(Relative(sized["compute_flops"].get<double>(), c), 1e-6);
  const nlohmann::json target =
      Json(RunScaleplan("plan --fit '" + fit_path + "' --target-loss " + loss + " --format json"));
  EXPECT_LT(Relative(target["compute_flops"].get<double>(), c), 1e-4);
  // A size on a budget: the law at N and D = C / (6 N).
  const nlohmann::json fixed =
      Json(RunScaleplan("plan --fit '" + fit_path + "' --params 1e9 --compute 1e23 --format json"));
  EXPECT_LT(Relative(fixed["loss"].get<double>(), loss_at(1e9)), 1e-12);
}

TEST(ExpressionPlan, RefusalsSayWhy) {
  const auto saved = [](const std::string& name, const std::string& expression, const std::string& parameters) {
    return testing::WriteTempFile(
        name, R"({"schema_version": 1, "law": "expression", "usable": true, "expression": ")" + expression +
                  R"(", "parameters": )" + parameters + "}");
  };
  const std::string chinchilla = saved("expression_plan_chinchilla.json", "E + A/N^alpha + B/D^beta",
                                       R"({"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28})");
  // A column a plan has no value for, named.
  const std::string unique = saved("expression_plan_u.json", "E + A/N^alpha + B/min(U, D)^beta",
                                   R"({"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28})");
  Result r = RunScaleplan("plan --fit '" + unique + "' --compute 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("this expression law reads the column 'U' (unique tokens), which a plan has no value for: "
                       "'plan --fit' plans with an expression of N, D and C only"),
            std::string::npos)
      << r.err;
  const std::string named = saved("expression_plan_named.json", "E + A/N^alpha + k*epochs", R"({"E": 1.69, "A": 406.4,
      "alpha": 0.34, "k": 0.05})");
  r = RunScaleplan("plan --fit '" + named + "' --compute 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("reads the column 'epochs', which a plan has no value for"), std::string::npos) << r.err;
  // No data term: the loss falls with N up to the edge of the search, which is not returned as a plan.
  const std::string edge =
      saved("expression_plan_edge.json", "E + A/N^alpha", R"({"E": 1.69, "A": 406.4, "alpha": 0.34})");
  r = RunScaleplan("plan --fit '" + edge + "' --compute 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("gives no plan: the loss at 1.00e+22 FLOPs keeps falling as N grows to the edge of the search, "
                       "1.00e+16 parameters on 1.67e+05 tokens: the law has no compute-optimal size there"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
  // A loss below E, unique tokens and inference demands.
  r = RunScaleplan("plan --fit '" + chinchilla + "' --target-loss 1.6");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("target loss 1.6 is not reachable under this expression fit: the compute-optimal plan reaches "
                       "a loss of"),
            std::string::npos)
      << r.err;
  r = RunScaleplan("plan --fit '" + chinchilla + "' --compute 1e22 --unique-tokens 100B");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("this expression fit plans along its compute-optimal frontier only"), std::string::npos);
  r = RunScaleplan("plan --fit '" + chinchilla + "' --compute 1e22 --inference-tokens 1T");
  EXPECT_EQ(r.exit_code, 2);
  // A malformed expression, pointed at.
  const std::string broken = saved("expression_plan_broken.json", "E + A/N^", R"({"E": 1.69, "A": 406.4})");
  r = RunScaleplan("plan --fit '" + broken + "' --compute 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("key 'expression': expression:1:9: expected a number, a name or '(' after '^'"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace scaleplan
