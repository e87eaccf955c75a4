// `fit --law sparse | frantar2023-t5 | routing | moe` (with --bootstrap) and `validate --law frantar2023-t5` through
// the real binary.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

nlohmann::json JsonOf(const CommandResult& result) {
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(SparseCliTest, FitFrantarT5PutsTheFitOnTopAndThePublishedLawBeside) {
  const nlohmann::json json = JsonOf(RunScaleplan("fit --law frantar2023-t5 --format json"));
  EXPECT_EQ(json["law"], "sparse");
  EXPECT_LE(json["objective"].get<double>(), 2.3425e-4);
  EXPECT_NEAR(json["exponents"]["b_N"].get<double>(), 0.2317, 5e-4);
  // The notebook's coefficients in eq. 1's form (a_S = a 1e6^d) and their objective under the summed Huber.
  EXPECT_NEAR(json["published"]["b_N"].get<double>(), 0.24513173, 1e-12);
  EXPECT_NEAR(json["published"]["a_S"].get<double>(), 0.56778512 * std::pow(1e6, 0.24513173), 1e-9);
  EXPECT_NEAR(json["published"]["objective"].get<double>(), 3.6497e-4, 5e-9);
  EXPECT_EQ(json["data"]["num_runs"], 48);
}

TEST(SparseCliTest, FrantarT5TakesNoRunsFile) {
  const CommandResult result = RunScaleplan("fit runs.csv --law frantar2023-t5");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--law sparse"), std::string::npos) << result.err;
}

TEST(SparseCliTest, FitRoutingPerRouterBesideThePublishedSBaseLaw) {
  const nlohmann::json json = JsonOf(RunScaleplan("fit --law routing --format json"));
  ASSERT_EQ(json["routers"].size(), 3u);
  EXPECT_EQ(json["data"]["num_runs"], 163);
  for (const nlohmann::json& router : json["routers"]) {
    EXPECT_TRUE(router["usable"].get<bool>());
    if (router["router"] == "S-Base") {
      EXPECT_EQ(router["num_runs"], 58);
      EXPECT_NEAR(router["published"]["E_max"].get<double>(), 314.478, 1e-9);
      EXPECT_LE(router["objective"].get<double>(), router["published"]["objective"].get<double>());
    }
  }
}

TEST(SparseCliTest, FitRoutingAndMoeBootstrapGiveIntervalsInTheJsonAndTheTable) {
  const nlohmann::json routing = JsonOf(RunScaleplan("fit --law routing --bootstrap=20 --seed 4 --format json"));
  ASSERT_EQ(routing["routers"].size(), 3u);
  for (const nlohmann::json& router : routing["routers"]) {
    ASSERT_TRUE(router.contains("intervals")) << router["router"];
    EXPECT_EQ(router["intervals"].size(), 6u);
    EXPECT_EQ(router["bootstrap"]["resamples"], 20);
    const double d = router["d"].get<double>();
    EXPECT_LE(router["intervals"]["d"][0].get<double>(), d);
    EXPECT_GE(router["intervals"]["d"][1].get<double>(), d);
    EXPECT_EQ(router["published"]["source"], "Clark et al. 2022, Table 3");  // all three routers have their row
  }
  const CommandResult table = RunScaleplan("fit --law routing --bootstrap=20");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("95% bootstrap percentiles, 20 resamples"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("    low "), std::string::npos) << table.out;

  // Noise-free runs of Krajewski et al.'s law: every resample recovers it, so each interval is the published value.
  const nlohmann::json moe = JsonOf(
      RunScaleplan("fit " + SourcePath("tests/bad_input/moe_plain.csv") + " --law moe --bootstrap=20 --format json"));
  ASSERT_TRUE(moe.contains("intervals"));
  EXPECT_NEAR(moe["intervals"]["alpha"][0].get<double>(), 0.115, 1e-4);
  EXPECT_NEAR(moe["intervals"]["alpha"][1].get<double>(), 0.115, 1e-4);
  EXPECT_EQ(moe["bootstrap"]["failed"], 0);
}

TEST(SparseCliTest, ValidateShowsBothLawsOnTheNotebooksHeldOutRun) {
  const nlohmann::json json = JsonOf(RunScaleplan("validate --law frantar2023-t5 --format json"));
  EXPECT_DOUBLE_EQ(json["held_out"]["measured"].get<double>(), 1.48278);
  EXPECT_NEAR(json["published"]["predicted"].get<double>(), 1.46830, 5e-6);
  EXPECT_LE(json["fit"]["objective"].get<double>(), 2.3425e-4);
  EXPECT_LT(json["fit"]["objective"].get<double>(), json["published"]["objective"].get<double>());
}

TEST(SparseCliTest, PlanAtASparsityGivesTheIssuesKeys) {
  const nlohmann::json json =
      JsonOf(RunScaleplan("plan --compute 1e21 --sparsity 0.75 --sparse-method rigl --format json"));
  for (const char* key : {"sparsity", "num_nonzero_params", "num_params", "num_tokens", "loss", "training_flops",
                          "dense_loss"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(json["sparsity"].get<double>(), 0.75);
  EXPECT_NEAR(json["num_params"].get<double>() * 0.25, json["num_nonzero_params"].get<double>(), 1.0);
  // The method's FLOPs spend the budget: 6 (N / (1 - S)) D r(S) with RigL's r(0.75) for dT 100 and updates to 0.8.
  const double r = 0.8 * (3 * 0.25 * 100 + 2 * 0.25 + 1) / (3 * 101.0) + 0.2 * 0.25;
  EXPECT_NEAR(6 * json["num_params"].get<double>() * json["num_tokens"].get<double>() * r, 1e21, 1e21 * 1e-9);
  EXPECT_LT(json["loss"].get<double>(), json["dense_loss"].get<double>());
}

TEST(SparsePlanCliTest, OptimalSparsityBeatsEveryFixedSparsity) {
  const nlohmann::json best =
      JsonOf(RunScaleplan("plan --compute 1e21 --optimal-sparsity --sparse-method gmp --format json"));
  EXPECT_TRUE(best["optimal_sparsity"].get<bool>());
  for (const char* s : {"0", "0.25", "0.5", "0.75", "0.9"}) {
    const nlohmann::json fixed = JsonOf(
        RunScaleplan(std::string("plan --compute 1e21 --sparse-method gmp --format json --sparsity ") + s));
    EXPECT_LE(best["loss"].get<double>(), fixed["loss"].get<double>() + 1e-12) << s;
  }
}

TEST(SparsePlanCliTest, KrajewskiPlanGivesTotalAndActiveParameters) {
  const nlohmann::json json = JsonOf(RunScaleplan("plan --law krajewski2024 --compute 1e22 --format json"));
  for (const char* key : {"num_params", "num_active_params", "num_tokens", "granularity", "loss"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_GE(json["granularity"].get<double>(), 1.0);
  EXPECT_LT(json["num_active_params"].get<double>(), json["num_params"].get<double>());
  EXPECT_NEAR(json["training_flops"].get<double>(), 1e22, 1e22 * 1e-9);
}

TEST(SparsePlanCliTest, WeightSparsePlanOnAnAcceleratorIsTimedOnTheFlopsItRuns) {
  const nlohmann::json json = JsonOf(RunScaleplan(
      "plan --compute 1e21 --sparsity 0.75 --sparse-method rigl --accelerator H100-SXM --count 64 --format json"));
  ASSERT_TRUE(json.contains("hardware"));
  ASSERT_TRUE(json["dense"].contains("hardware"));
  // Days = the FLOPs the hardware runs (dense_equivalent_flops: at a speed-up of 1, RigL at S 0.75 runs the dense
  // model of N / (1 - S) parameters) over 64 devices at 40% of the H100's 989 TFLOP/s bf16 peak.
  const double rate = 64 * 989e12 * 0.40 * 86400.0;
  EXPECT_NEAR(json["hardware"]["days"].get<double>(), json["dense_equivalent_flops"].get<double>() / rate, 1e-9);
  EXPECT_NEAR(json["dense"]["hardware"]["days"].get<double>(), 1e21 / rate, 1e-9);
  EXPECT_EQ(json["hardware"]["num_accelerators"], 64);
  EXPECT_GT(json["hardware"]["days"].get<double>(), 3.9 * json["dense"]["hardware"]["days"].get<double>());
  EXPECT_TRUE(json["hardware"]["feasible"].get<bool>());
  // The hardware options need a device.
  const CommandResult alone = RunScaleplan("plan --compute 1e21 --sparsity 0.75 --count 64");
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("need --accelerator"), std::string::npos) << alone.err;
  EXPECT_EQ(RunScaleplan("plan --law krajewski2024 --compute 1e22 --accelerator H100-SXM --mfu 0.4").exit_code, 2);
}

TEST(SparsePlanCliTest, KrajewskiPlanOnAnAcceleratorLaysOutItsArchitecture) {
  const nlohmann::json json =
      JsonOf(RunScaleplan("plan --law krajewski2024 --compute 1e22 --accelerator H100-SXM --format json"));
  ASSERT_TRUE(json.contains("architecture"));
  ASSERT_TRUE(json.contains("layout_plan"));
  const nlohmann::json& arch = json["architecture"];
  // Top-k: the power of two nearest the plan's G; E = 64 times as many experts; a token's experts make one 4 d FFN.
  const double g = json["granularity"].get<double>();
  const std::int64_t top_k = arch["top_k"].get<std::int64_t>();
  EXPECT_EQ(top_k, std::int64_t{1} << std::llround(std::log2(g)));
  EXPECT_EQ(arch["num_experts"].get<std::int64_t>(), 64 * top_k);
  EXPECT_EQ(arch["expert_d_ff"].get<std::int64_t>() * top_k, 4 * arch["d_model"].get<std::int64_t>());
  // The laid-out model has the plan's total and active parameters up to rounding (and the router, active too).
  EXPECT_NEAR(arch["num_params"].get<double>() / json["num_params"].get<double>(), 1.0, 0.06);
  EXPECT_NEAR(arch["num_active_params"].get<double>() / json["num_active_params"].get<double>(), 1.0, 0.08);
  const nlohmann::json& cluster = json["layout_plan"];
  EXPECT_TRUE(cluster["feasible"].get<bool>());
  EXPECT_EQ(arch["num_experts"].get<std::int64_t>() % cluster["layout"]["ep"].get<std::int64_t>(), 0);
  // The run trains on the plan's tokens: days = D / batch x step time, within the goodput's losses, and the devices'
  // model FLOP/s over those days execute the layout's FLOPs per token times D.
  const double tokens = json["num_tokens"].get<double>();
  const double seconds = cluster["days"].get<double>() * 86400.0;
  const double step_bound =
      tokens / cluster["global_batch_tokens"].get<double>() * cluster["step_seconds"].get<double>();
  EXPECT_GE(seconds, step_bound * (1 - 1e-9));
  EXPECT_LE(seconds, step_bound / 0.8);
  const double executed =
      cluster["flops_per_second_per_device"].get<double>() * cluster["num_accelerators"].get<double>() * step_bound;
  EXPECT_NEAR(executed / (cluster["flops_per_token"].get<double>() * tokens), 1.0, 0.01);

  // Too few devices for the days: the table says so and the exit code is 1.
  const CommandResult tight =
      RunScaleplan("plan --law krajewski2024 --compute 1e22 --accelerator H100-SXM --count 8 --max-days 1");
  EXPECT_EQ(tight.exit_code, 1) << tight.err;
  EXPECT_NE(tight.out.find("laid out as"), std::string::npos) << tight.out;
}

TEST(SparsePlanCliTest, SweepRowsAreThePlansAtEachBudgetAndSparsity) {
  const CommandResult sweep =
      RunScaleplan("sweep --sparsity 0,0.5,0.9 --compute 1e20,1e21 --sparse-method rigl --format jsonl");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> rows = Lines(sweep.out);
  ASSERT_EQ(rows.size(), 6u);
  for (const std::string& text : rows) {
    const nlohmann::json row = nlohmann::json::parse(text);
    char args[256];
    std::snprintf(args, sizeof args, "plan --compute %.17g --sparsity %.17g --sparse-method rigl --format json",
                  row["compute_flops"].get<double>(), row["sparsity"].get<double>());
    const nlohmann::json plan = JsonOf(RunScaleplan(args));
    EXPECT_DOUBLE_EQ(row["loss"].get<double>(), plan["loss"].get<double>());
    EXPECT_DOUBLE_EQ(row["dense_loss"].get<double>(), plan["dense_loss"].get<double>());
    if (row["sparsity"].get<double>() == 0.0) {
      EXPECT_NEAR(row["loss"].get<double>(), row["dense_loss"].get<double>(), 1e-12);
    }
  }
}

TEST(SparsePlanCliTest, PlanWithASavedSparseFitUsesItsCoefficients) {
  const std::string path = WriteTempFile("sparse_fit.json", "");
  const CommandResult fit = RunScaleplan("fit --law sparse --out '" + path + "'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const nlohmann::json saved = nlohmann::json::parse(ReadWholeFile(path));
  const nlohmann::json plan =
      JsonOf(RunScaleplan("plan --fit '" + path + "' --compute 1e21 --sparsity 0.5 --format json"));
  // eq. 1 with the saved coefficients, written out here.
  const double n = plan["num_nonzero_params"].get<double>(), d = plan["num_tokens"].get<double>();
  const double expected =
      (saved["a_S"].get<double>() * std::pow(0.5, saved["b_S"].get<double>()) + saved["c_S"].get<double>()) *
          std::pow(n, -saved["b_N"].get<double>()) +
      std::pow(saved["a_D"].get<double>() / d, saved["b_D"].get<double>()) + saved["c"].get<double>();
  EXPECT_NEAR(plan["loss"].get<double>(), expected, 1e-12);
  EXPECT_NEAR(6.0 * plan["num_params"].get<double>() * d * 0.5, 1e21, 1e21 * 1e-9);  // static: r(S) = 1 - S
}

TEST(SparsePlanCliTest, ScheduleOptionsSetTheMethodsFlops) {
  // RigL updating to the end: every step costs (3 f_S dT + 2 f_S + f_D) / (dT + 1); S 0.9, dT 100: 0.10297 of dense.
  const nlohmann::json rigl = JsonOf(
      RunScaleplan("plan --compute 1e21 --sparsity 0.9 --sparse-method rigl --update-end 1 --format json"));
  EXPECT_NEAR(rigl["flops_fraction_of_dense"].get<double>(), 31.2 / 303.0, 1e-12);
  // GMP pruning over the whole run: the cubic schedule's mean density, 1 - 3 S / 4.
  const nlohmann::json gmp = JsonOf(RunScaleplan(
      "plan --compute 1e21 --sparsity 0.8 --sparse-method gmp --prune-begin 0 --prune-end 1 --format json"));
  EXPECT_NEAR(gmp["flops_fraction_of_dense"].get<double>(), 1.0 - 0.75 * 0.8, 1e-12);
  const CommandResult bad = RunScaleplan("plan --compute 1e21 --sparsity 0.8 --sparse-method gmp --prune-begin 0.9 "
                                         "--prune-end 0.5");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("pruning must begin and end within the run"), std::string::npos) << bad.err;
}

// Eq. 1 of Clark et al. written out here, apart from the library: log10 L = a x + b s + c x s + d, s = log10 E^.
double ClarkLoss(const nlohmann::json& law, double n, double e) {
  const double e_start = law["E_start"].get<double>(), e_max = law["E_max"].get<double>();
  const double saturated = 1.0 / (1.0 / (e - 1.0 + 1.0 / (1.0 / e_start - 1.0 / e_max)) + 1.0 / e_max);
  const double x = std::log10(n), s = std::log10(saturated);
  return std::pow(10.0, law["a"].get<double>() * x + law["b"].get<double>() * s + law["c"].get<double>() * x * s +
                            law["d"].get<double>());
}

TEST(SparseCliTest, PlanRoutedModelsWithTheirPublishedAndFittedLaws) {
  // Table 3's S-Base row: the loss at 1.3B with 64 experts (2.0498, tests/core) and its cutoff 10^(0.108 / 0.009).
  const nlohmann::json published = JsonOf(
      RunScaleplan("plan --law clark2022 --params 1.3B --experts 64 --router S-Base --format json"));
  ASSERT_EQ(published["plans"].size(), 1u);
  EXPECT_NEAR(published["plans"][0]["loss"].get<double>(), 2.0498, 5e-5);
  EXPECT_NEAR(published["cutoffs"]["S-Base"].get<double>() / 1e12, 1.0, 1e-9);

  // A fit saved and planned with: every plan is eq. 1 at the fit's coefficients, and its effective size is the
  // dense model of the same loss.
  const std::string fit_path = WriteTempFile("routing_fit.json", "");
  ASSERT_EQ(RunScaleplan("fit --law routing --out '" + fit_path + "'").exit_code, 0);
  std::ifstream in(fit_path);
  const nlohmann::json fit = nlohmann::json::parse(in);
  const nlohmann::json plan =
      JsonOf(RunScaleplan("plan --fit '" + fit_path + "' --params 1.3B,13B --experts 1,64 --format json"));
  ASSERT_EQ(plan["plans"].size(), 3u * 2u * 2u);
  EXPECT_EQ(plan["source"], fit_path);
  for (const nlohmann::json& row : plan["plans"]) {
    const nlohmann::json* law = nullptr;
    for (const nlohmann::json& router : fit["routers"]) {
      if (router["router"] == row["router"]) law = &router;
    }
    ASSERT_NE(law, nullptr) << row["router"];
    const double n = row["num_params"].get<double>(), e = row["num_experts"].get<double>();
    EXPECT_NEAR(row["loss"].get<double>() / ClarkLoss(*law, n, e), 1.0, 1e-12);
    EXPECT_NEAR(row["dense_loss"].get<double>() / ClarkLoss(*law, n, 1.0), 1.0, 1e-12);
    EXPECT_NEAR(ClarkLoss(*law, row["effective_params"].get<double>(), 1.0) / row["loss"].get<double>(), 1.0, 1e-12);
  }
  // Bad input: an unknown router (usage, 2); a fit with a broken coefficient (input, 3, naming the key).
  const CommandResult router = RunScaleplan("plan --fit '" + fit_path + "' --params 1.3B --router Switch");
  EXPECT_EQ(router.exit_code, 2);
  EXPECT_NE(router.err.find("no router 'Switch' (it has S-Base"), std::string::npos) << router.err;
  nlohmann::json broken = fit;
  broken["routers"][1]["c"] = "0.01";
  const std::string broken_path = WriteTempFile("routing_broken.json", broken.dump());
  const CommandResult bad = RunScaleplan("plan --fit '" + broken_path + "' --params 1.3B");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("key 'routers[1].c' must be a number"), std::string::npos) << bad.err;
  EXPECT_EQ(RunScaleplan("plan --law clark2022 --compute 1e21").exit_code, 2);  // no --params
}

TEST(SparseCliTest, PlanAFittedMoeLawAsTheFineGrainedPlannerDoes) {
  // Noise-free runs of Krajewski et al.'s law: the fit recovers it, so its plan is the published law's plan. The
  // fit and the planner share nothing but the saved coefficients.
  const std::string fit_path = WriteTempFile("moe_fit.json", "");
  ASSERT_EQ(RunScaleplan("fit " + SourcePath("tests/bad_input/moe_plain.csv") + " --law moe --out '" + fit_path + "'")
                .exit_code,
            0);
  std::ifstream in(fit_path);
  const nlohmann::json fit = nlohmann::json::parse(in);
  const nlohmann::json fitted = JsonOf(RunScaleplan("plan --fit '" + fit_path + "' --compute 1e22 --format json"));
  const nlohmann::json published = JsonOf(RunScaleplan("plan --law krajewski2024 --compute 1e22 --format json"));
  EXPECT_EQ(fitted["law"], fit_path);
  for (const char* key : {"num_params", "num_active_params", "num_tokens", "granularity", "loss"}) {
    EXPECT_NEAR(fitted[key].get<double>() / published[key].get<double>(), 1.0, 1e-3) << key;
  }
  // The plan's loss is eq. 9 at its N, D and G with the fit's coefficients.
  const double n = fitted["num_params"].get<double>(), d = fitted["num_tokens"].get<double>();
  const double g = fitted["granularity"].get<double>();
  const double eq9 = fit["c"].get<double>() +
                     (fit["g"].get<double>() / std::pow(g, fit["gamma"].get<double>()) + fit["a"].get<double>()) /
                         std::pow(n, fit["alpha"].get<double>()) +
                     fit["b"].get<double>() / std::pow(d, fit["beta"].get<double>());
  EXPECT_NEAR(fitted["loss"].get<double>(), eq9, 1e-9);
  // --fit names the law: with --law as well (any law), refused as by every planner.
  const CommandResult mixed = RunScaleplan("plan --fit '" + fit_path + "' --law frantar2023-t5 --compute 1e22");
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("give either --fit or --law, not both"), std::string::npos) << mixed.err;
}

// plot residuals with a saved moe fit: each run of the file its reader reads, at eq. 9 with the saved coefficients.
// The chart's title gives the RMSE of ln(L_fit / L), computed here from the file and the saved coefficients.
TEST(SparseCliTest, PlotResidualsOfASavedMoeFit) {
  std::ifstream plain(SourcePath("tests/bad_input/moe_plain.csv"));
  std::string line, noisy = "total_params,granularity,tokens,loss\n";
  std::getline(plain, line);
  std::vector<std::vector<double>> rows;
  for (int i = 0; std::getline(plain, line); ++i) {
    double n = 0, g = 0, d = 0, loss = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &n, &g, &d, &loss), 4) << line;
    loss *= 1.0 + 0.01 * std::sin(1.7 * i);  // noise, so that the residuals are not all zero
    rows.push_back({n, g, d, loss});
    char row[160];
    std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%.17g\n", n, g, d, loss);
    noisy += row;
  }
  const std::string runs_path = WriteTempFile("moe_noisy.csv", noisy);
  const std::string fit_path = WriteTempFile("moe_noisy_fit.json", "");
  ASSERT_EQ(RunScaleplan("fit '" + runs_path + "' --law moe --out '" + fit_path + "'").exit_code, 0);
  std::ifstream in(fit_path);
  const nlohmann::json fit = nlohmann::json::parse(in);
  double sum = 0.0;
  for (const std::vector<double>& row : rows) {
    const double predicted =
        fit["c"].get<double>() +
        (fit["g"].get<double>() / std::pow(row[1], fit["gamma"].get<double>()) + fit["a"].get<double>()) /
            std::pow(row[0], fit["alpha"].get<double>()) +
        fit["b"].get<double>() / std::pow(row[2], fit["beta"].get<double>());
    sum += std::pow(std::log(predicted / row[3]), 2);
  }
  const std::string svg = WriteTempFile("moe_residuals.svg", "");
  const CommandResult result =
      RunScaleplan("plot residuals '" + runs_path + "' --fit '" + fit_path + "' --out '" + svg + "'");
  if (result.exit_code == 2 && result.err.find("Qt") != std::string::npos) GTEST_SKIP() << "built without the GUI";
  ASSERT_EQ(result.exit_code, 0) << result.err;
  char title[64];
  std::snprintf(title, sizeof title, "RMSE %.4f", std::sqrt(sum / static_cast<double>(rows.size())));
  std::ifstream chart(svg);
  const std::string text((std::istreambuf_iterator<char>(chart)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(title), std::string::npos) << title;
  // Its x axis is the runs' C = 6 N D with N the total parameters, named as such (not the MoE's training compute).
  EXPECT_NE(text.find(">6 N D with N the total parameters (nominal compute) (FLOPs)</text>"), std::string::npos);
  EXPECT_EQ(text.find(">training compute C (FLOPs)</text>"), std::string::npos);
  // The curves need a law of Chinchilla's form.
  const CommandResult fit_chart =
      RunScaleplan("plot fit '" + runs_path + "' --fit '" + fit_path + "' --out '" + svg + "'");
  EXPECT_EQ(fit_chart.exit_code, 2);
  EXPECT_NE(fit_chart.err.find("a moe fit is drawn on the residuals chart"), std::string::npos) << fit_chart.err;
}

}  // namespace
}  // namespace scaleplan::testing
