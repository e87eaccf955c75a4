// `fit --save-golden`, `check` and `validate --law` for the laws of fitting/law_table.h (data-constrained,
// dictionary, sparse, moe, routing, hyperparams), through the real binary.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/data_constrained.h"
#include "core/dictionary.h"
#include "core/sparse_laws.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

using Json = nlohmann::json;

Json ParseOut(const CommandResult& result) {
  EXPECT_FALSE(result.out.empty()) << result.err;
  return Json::parse(result.out);
}

std::vector<double> Numbers(const std::string& row) {
  std::vector<double> values;
  for (const std::string& field : Split(row)) values.push_back(std::stod(field));
  return values;
}

// A deterministic log-space noise of about 1%, different for each run.
double Noise(int i) { return 0.01 * std::sin(1.7 * i + 0.3); }

std::string Format(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// Runs of a law: the CSV of all runs and of those with C = 6 N D at or below `threshold_flops` (the same text, so
// both files give the same numbers).
struct GeneratedRuns {
  std::string header;
  std::vector<std::string> rows;
  std::vector<double> compute_flops;

  std::string Csv(double threshold_flops) const {
    std::string csv = header + "\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (compute_flops[i] <= threshold_flops) csv += rows[i] + "\n";
    }
    return csv;
  }
};

// Data-constrained runs from Muennighoff et al.'s C4 law with R_D* = 15, R_N* = 5: U in {1e9, 4e9}, D from U to
// 64 U (repeated data), N from 1e8 to 1e10 (beyond U_N at the small U: excess parameters).
GeneratedRuns DataConstrainedRuns() {
  DataConstrainedLaw law;
  law.base = MuennighoffC4BaseLaw();
  law.R_D_star = 15.0;
  law.R_N_star = 5.0;
  GeneratedRuns runs;
  runs.header = "N,D,U,loss";
  int i = 0;
  for (const double unique : {1e9, 4e9}) {
    for (const double epochs : {1.0, 4.0, 16.0, 64.0}) {
      for (const double params : {1e8, 4e8, 1.6e9, 6.4e9}) {
        const double tokens = unique * epochs;
        const double loss = law.Loss(params, tokens, unique) * std::exp(Noise(i++));
        runs.rows.push_back(Format(params) + "," + Format(tokens) + "," + Format(unique) + "," + Format(loss));
        runs.compute_flops.push_back(6 * params * tokens);
      }
    }
  }
  return runs;
}

// Frantar et al.'s form, L = (a_S (1 - S)^b_S + c_S) N^-b_N + (a_D / D)^b_D + c, with the coefficients the T5 fit
// reaches: S in {0, 0.5, 0.75, 0.875}, N from 1e7 to 3e8 non-zero, D from 1e9 to 1.6e10 tokens.
double SparseLoss(const Json& p, double sparsity, double params, double tokens) {
  const auto v = [&p](const char* key) { return p.at(key).get<double>(); };
  return (v("a_S") * std::pow(1 - sparsity, v("b_S")) + v("c_S")) * std::pow(params, -v("b_N")) +
         std::pow(v("a_D") / tokens, v("b_D")) + v("c");
}

GeneratedRuns SparseRuns() {
  const Json truth = {{"a_S", 10.7},   {"b_S", 1.34},  {"c_S", 41.6}, {"b_N", 0.232},
                      {"a_D", 6.77e8}, {"b_D", 0.385}, {"c", 0.83}};
  GeneratedRuns runs;
  runs.header = "sparsity,num_nonzero_params,tokens,loss";
  int i = 0;
  for (const double sparsity : {0.0, 0.5, 0.75, 0.875}) {
    for (const double params : {1e7, 3e7, 1e8, 3e8}) {
      for (const double tokens : {1e9, 4e9, 1.6e10}) {
        const double loss = SparseLoss(truth, sparsity, params, tokens) * std::exp(Noise(i++));
        runs.rows.push_back(Format(sparsity) + "," + Format(params) + "," + Format(tokens) + "," + Format(loss));
        runs.compute_flops.push_back(6 * params * tokens);
      }
    }
  }
  return runs;
}

// Krajewski et al.'s eq. 9, L = c + (g / G^gamma + a) / N^alpha + b / D^beta: G in {1, 2, 4, 8}.
double MoeLoss(const Json& p, double params, double tokens, double granularity) {
  const auto v = [&p](const char* key) { return p.at(key).get<double>(); };
  return v("c") + (v("g") / std::pow(granularity, v("gamma")) + v("a")) / std::pow(params, v("alpha")) +
         v("b") / std::pow(tokens, v("beta"));
}

GeneratedRuns MoeRuns() {
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  const Json truth = {{"a", law.a}, {"alpha", law.alpha}, {"b", law.b}, {"beta", law.beta},
                      {"g", law.g}, {"gamma", law.gamma}, {"c", law.c}};
  GeneratedRuns runs;
  runs.header = "total_params,granularity,tokens,loss";
  int i = 0;
  for (const double granularity : {1.0, 2.0, 4.0, 8.0}) {
    for (const double params : {1e7, 3e7, 1e8, 3e8}) {
      for (const double tokens : {1e9, 4e9, 1.6e10}) {
        const double loss = MoeLoss(truth, params, tokens, granularity) * std::exp(Noise(i++));
        runs.rows.push_back(Format(params) + "," + Format(granularity) + "," + Format(tokens) + "," + Format(loss));
        runs.compute_flops.push_back(6 * params * tokens);
      }
    }
  }
  return runs;
}

// The bundled generated dictionary runs (n, k, tokens, d_model, loss); C = T x the training FLOPs per token with
// sparse kernels (core/dictionary.h), as validate holds them out.
GeneratedRuns DictionaryRuns() {
  GeneratedRuns runs;
  std::stringstream file(ReadWholeFile(SourcePath("data/dictionary_runs_generated.csv")));
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (runs.header.empty()) {
      runs.header = line;
      continue;
    }
    const std::vector<double> row = Numbers(line);
    runs.rows.push_back(line);
    runs.compute_flops.push_back(row[2] * DictionaryFlopsPerToken({row[3], row[0], row[1]}, DictionaryKernels::SPARSE));
  }
  return runs;
}

// Gao et al.'s L(n, k) + B / T^beta: exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n) + exp(zeta + eta ln k).
double DictionaryLoss(const Json& fit, double latents, double k, double tokens) {
  const auto v = [&fit](const char* law, const char* key) { return fit.at(law).at(key).get<double>(); };
  const double ln_k = std::log(k), ln_n = std::log(latents);
  return std::exp(v("converged_law", "alpha") + v("converged_law", "beta_k") * ln_k +
                  v("converged_law", "beta_n") * ln_n + v("converged_law", "gamma") * ln_k * ln_n) +
         std::exp(v("converged_law", "zeta") + v("converged_law", "eta") * ln_k) +
         v("token_law", "B") * std::pow(tokens, -v("token_law", "beta"));
}

// DeepSeek-style sweep (tests/cli/hyperparams_cli_test.cc): a 3 x 3 grid around B* = 0.5 C^0.30, eta* = 0.6 C^-0.15.
std::string HyperparamsSweep() {
  std::string csv = "compute,batch_tokens,learning_rate,loss\n";
  for (const double c : {1e18, 1e19, 1e20}) {
    const double b_star = 0.5 * std::pow(c, 0.30), lr_star = 0.6 * std::pow(c, -0.15);
    for (int i = -1; i <= 1; ++i) {
      for (int j = -1; j <= 1; ++j) {
        const double x = i * std::log(2.0), y = j * std::log(2.0);
        csv += Format(c) + "," + Format(b_star * std::pow(2.0, i)) + "," + Format(lr_star * std::pow(2.0, j)) + "," +
               Format(3.0 * (1 + 0.01 * x * x + 0.01 * y * y)) + "\n";
      }
    }
  }
  return csv;
}

struct LawCase {
  std::string law;
  std::string save;       // the command that records the golden (its path is appended)
  std::string runs;       // check's runs argument ("" = the bundled runs)
  std::string perturbed;  // a parameter to move by 1%
  size_t num_parameters;
};

std::vector<LawCase> Cases() {
  const std::string moe = WriteTempFile("golden_moe_runs.csv", MoeRuns().Csv(1e300));
  const std::string sweep = WriteTempFile("golden_sweep.csv", HyperparamsSweep());
  const std::string dictionary = SourcePath("data/dictionary_runs_generated.csv");
  return {
      {"data-constrained", "fit --law data-constrained", "", "R_N_star", 2},
      {"sparse", "fit --law sparse", "", "b_N", 7},
      {"routing", "fit --law routing", "", "S-Base.d", 18},
      {"moe", "fit '" + moe + "' --law moe", "'" + moe + "'", "gamma", 7},
      {"hyperparams", "fit --law hyperparams '" + sweep + "'", "'" + sweep + "'", "lr_exponent", 4},
      {"dictionary", "dictionary --runs '" + dictionary + "'", "'" + dictionary + "'", "zeta", 8},
  };
}

TEST(TableLawGolden, EachLawPassesItsOwnGoldenAndNamesTheParameterThatDrifted) {
  for (const LawCase& c : Cases()) {
    SCOPED_TRACE(c.law);
    const std::string golden_path = WriteTempFile("golden_" + c.law + ".json", "");
    const CommandResult saved = RunScaleplan(c.save + " --save-golden '" + golden_path + "' >/dev/null");
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    const Json golden = Json::parse(ReadWholeFile(golden_path));
    EXPECT_EQ(golden["law"], c.law);
    EXPECT_EQ(golden["parameters"].size(), c.num_parameters);
    EXPECT_EQ(golden.contains("objective"), c.law != "hyperparams");
    EXPECT_EQ(golden["data"]["hash"].get<std::string>().size(), 16u);

    const Json passed = ParseOut(RunScaleplan("check " + c.runs + " --golden '" + golden_path + "' --format json"));
    EXPECT_TRUE(passed["passed"].get<bool>()) << passed.dump(2);
    EXPECT_TRUE(passed["data"]["hash_matches"].get<bool>());
    EXPECT_EQ(passed["num_checked"].get<size_t>(), c.num_parameters + (c.law == "hyperparams" ? 0 : 1));

    // 1% on one parameter: exit 1 (drift), that parameter and no other.
    Json moved = golden;
    moved["parameters"][c.perturbed] = golden["parameters"][c.perturbed].get<double>() * 1.01;
    const std::string moved_path = WriteTempFile("golden_" + c.law + "_moved.json", moved.dump(2));
    const CommandResult drift = RunScaleplan("check " + c.runs + " --golden '" + moved_path + "' --format json");
    EXPECT_EQ(drift.exit_code, 1) << drift.err;
    const Json report = Json::parse(drift.out);
    EXPECT_EQ(report["num_failed"], 1);
    for (const Json& check : report["checks"]) {
      EXPECT_EQ(check["verdict"] == "DRIFT", check["quantity"] == c.perturbed) << check.dump();
    }
    EXPECT_NE(drift.err.find("1 quantities drifted"), std::string::npos) << drift.err;
  }
}

TEST(TableLawGolden, TheUniqueTokensColumnIsRecordedAndCanBeRenamed) {
  const GeneratedRuns runs = DataConstrainedRuns();
  const std::string path = WriteTempFile("dc_runs.csv", runs.Csv(1e300));
  const std::string golden_path = WriteTempFile("dc_golden.json", "");
  ASSERT_EQ(RunScaleplan("fit '" + path + "' --law data-constrained --save-golden '" + golden_path + "' >/dev/null")
                .exit_code,
            0);
  const Json golden = Json::parse(ReadWholeFile(golden_path));
  EXPECT_EQ(golden["options"]["unique_tokens_column"], "U");
  EXPECT_EQ(RunScaleplan("check '" + path + "' --golden '" + golden_path + "'").exit_code, 0);
  // validate names the runs by the same hash (over U too).
  const Json validated =
      ParseOut(RunScaleplan("validate '" + path + "' --law data-constrained --holdout-above 1e21 --format json"));
  EXPECT_EQ(validated["data"]["hash"], golden["data"]["hash"]);

  // The same runs with U under another header: refused until --u-col names it, then the same hash and a pass.
  GeneratedRuns renamed = runs;
  renamed.header = "N,D,unique,loss";
  const std::string renamed_path = WriteTempFile("dc_runs_renamed.csv", renamed.Csv(1e300));
  CommandResult r = RunScaleplan("check '" + renamed_path + "' --golden '" + golden_path + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("not data-constrained runs: missing column for U"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no column is named 'U'"), std::string::npos) << r.err;
  const Json json = ParseOut(
      RunScaleplan("check '" + renamed_path + "' --golden '" + golden_path + "' --u-col unique --format json"));
  EXPECT_TRUE(json["passed"].get<bool>());
  EXPECT_TRUE(json["data"]["hash_matches"].get<bool>());
}

// A golden records its start grid as text and `check` refits from that text: the data-constrained default grid
// (R_D* and R_N* from 20/3 to 20 in steps of 20/3) must read back as the starts the fit used. Written to 6 digits it
// did not, and on every other bundled Muennighoff run the refit landed in another optimum (R_D* 23.75 -> 13.90).
TEST(TableLawGolden, AGoldenOfADataConstrainedSubsetHoldsOnItsOwnRuns) {
  std::stringstream in(testing::ReadWholeFile(testing::SourcePath("data/muennighoff2023_runs.csv")));
  std::string line, text;
  int row = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // the file has CRLF line ends
    if (line.empty() || line[0] == '#') continue;
    text += line + (row++ == 0 ? ",src\n" : (row % 2 ? ",b\n" : ",a\n"));
  }
  const std::string runs = testing::WriteTempFile("muennighoff_halves.csv", text);
  const std::string golden = testing::WriteTempFile("muennighoff_half_golden.json", "");
  const std::string options =
      " --law data-constrained --loss-col val_loss_c4 --n-col N_params --d-col D_tokens --filter src=b";
  const auto fit = RunScaleplan("fit '" + runs + "'" + options + " --save-golden '" + golden + "'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(testing::ReadWholeFile(golden).find("R_D_star=6.666666666666667:20:6.666666666666666"), std::string::npos);
  const auto check = RunScaleplan("check '" + runs + "' --golden '" + golden + "'" +
                                  " --loss-col val_loss_c4 --n-col N_params --d-col D_tokens --filter src=b");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(TableLawGolden, AGoldenCheckedWithAnotherLawsRunsGetsOneMessageAndExitThree) {
  const std::string golden_path = WriteTempFile("sparse_golden.json", "");
  ASSERT_EQ(RunScaleplan("fit --law sparse --save-golden '" + golden_path + "' >/dev/null").exit_code, 0);
  const std::string chinchilla = SourcePath("data/chinchilla_runs.csv");
  CommandResult r = RunScaleplan("check '" + chinchilla + "' --golden '" + golden_path + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err.find("scaleplan check: error: " + chinchilla), 0u) << r.err;
  EXPECT_NE(r.err.find("not sparse runs: "), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  // A golden of runs on file needs the file named; --u-col belongs to data-constrained goldens.
  r = RunScaleplan("check --golden '" + golden_path + "' --u-col U");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--u-col goes with a data-constrained golden"), std::string::npos) << r.err;
  // A dictionary is held out by its training compute, which needs the width d.
  const std::string no_width =
      WriteTempFile("dictionary_no_width.csv", "n,k,tokens,loss\n4096,8,2e8,0.9\n16384,8,4e8,0.8\n65536,8,8e8,0.7\n");
  r = RunScaleplan("validate '" + no_width + "' --law dictionary --holdout-above 1e20");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("needs a tokens and a width (d_model) column"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  // validate --law names the laws it validates.
  r = RunScaleplan("validate --law chinchila --holdout-above 1e21");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--law must be chinchilla, kaplan, isoflop, data-constrained, sparse, moe, dictionary, "
                       "routing, hyperparams or frantar2023-t5, not 'chinchila'"),
            std::string::npos)
      << r.err;
}

// Clark et al.'s eq. 1 with the fit's coefficients of `router`: log10 L = a log10 N + b log10 E^ + c log10 N log10 E^
// + d, 1 / E^ = 1 / (E - 1 + (1 / E_start - 1 / E_max)^-1) + 1 / E_max.
double RoutingLoss(const Json& router, double params, double experts) {
  const auto v = [&router](const char* key) { return router.at(key).get<double>(); };
  const double e_hat = 1.0 / (1.0 / (experts - 1 + 1.0 / (1.0 / v("E_start") - 1.0 / v("E_max"))) + 1.0 / v("E_max"));
  const double log_n = std::log10(params), log_e = std::log10(e_hat);
  return std::pow(10.0, v("a") * log_n + v("b") * log_e + v("c") * log_n * log_e + v("d"));
}

TEST(TableLawGolden, ValidateRoutingHoldsOutAlongSixNDAndPredictsEachRunByItsRoutersLaw) {
  // The bundled runs (routing frequency 0.5, k 1, seed 42) at C = 6 N D <= 1e20, N = dense_parameter_count.
  std::stringstream file(ReadWholeFile(SourcePath("data/clark2022_routing_runs.csv")));
  std::string line, header;
  std::getline(file, header);
  const std::vector<std::string> names = Split(header);
  const auto column = [&names](const std::string& name) {
    return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  };
  struct Run {
    std::string router;
    double params, experts, tokens, loss;
  };
  const double threshold = 1e20;
  std::vector<Run> runs;
  std::string train = header + "\n";
  while (std::getline(file, line)) {
    const std::vector<std::string> f = Split(line);
    if (std::stod(f[column("routing_frequency")]) != 0.5 || f[column("k")] != "1" || f[column("seed")] != "42") {
      continue;
    }
    const Run run{f[column("router_type")], std::stod(f[column("dense_parameter_count")]),
                  std::stod(f[column("num_experts")]), std::stod(f[column("num_tokens")]),
                  std::stod(f[column("loss_validation")])};
    runs.push_back(run);
    if (6 * run.params * run.tokens <= threshold) train += line + "\n";
  }
  ASSERT_EQ(runs.size(), 163u);
  const std::string train_path = WriteTempFile("routing_train.csv", train);
  const Json fit = ParseOut(RunScaleplan("fit '" + train_path + "' --law routing --format json 2>/dev/null"));
  std::map<std::string, Json> laws;
  for (const Json& router : fit["routers"]) laws[router["router"].get<std::string>()] = router;
  ASSERT_EQ(laws.size(), 3u);

  const Json validated =
      ParseOut(RunScaleplan("validate --law routing --holdout-above " + Format(threshold) + " --format json"));
  ASSERT_EQ(validated["law"], "routing");
  const Json& fold = validated["folds"][0];
  ASSERT_TRUE(fold["usable"].get<bool>()) << fold.dump(2);
  double sum = 0, sum_sq = 0, max_abs = 0;
  int heldout = 0, dense = 0;
  for (const Run& run : runs) {
    if (6 * run.params * run.tokens <= threshold) continue;
    double log_predicted = 0;
    if (run.router == "Dense") {  // the mean over the routers of log L(N, E = 1)
      for (const auto& [name, law] : laws) log_predicted += std::log(RoutingLoss(law, run.params, 1.0)) / 3;
      ++dense;
    } else {
      log_predicted = std::log(RoutingLoss(laws.at(run.router), run.params, run.experts));
    }
    const double r = log_predicted - std::log(run.loss);
    sum += r;
    sum_sq += r * r;
    max_abs = std::max(max_abs, std::fabs(r));
    ++heldout;
  }
  EXPECT_EQ(heldout, 80);  // the 370M and 1.3B runs
  EXPECT_EQ(dense, 2);
  EXPECT_EQ(fold["num_heldout"].get<int>(), heldout);
  EXPECT_EQ(fold["num_train"].get<int>(), 163 - heldout);
  EXPECT_NEAR(fold["rmse_log"].get<double>(), std::sqrt(sum_sq / heldout), 1e-6);
  EXPECT_NEAR(fold["bias_log"].get<double>(), sum / heldout, 1e-6);
  EXPECT_NEAR(fold["max_abs_log"].get<double>(), max_abs, 1e-6);

  // The same runs without their tokens: fit reads them, validate says what it needs (exit 3).
  const std::string no_tokens =
      WriteTempFile("routing_no_tokens.csv",
                    "router_type,num_experts,dense_parameter_count,loss_validation\nDense,1,1e8,3\nS-Base,8,1e8,2.9\n");
  const CommandResult r = RunScaleplan("validate '" + no_tokens + "' --law routing --holdout-above 1e20");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("needs a tokens column (num_tokens; C = 6 N D): this file lacks one"), std::string::npos)
      << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
}

TEST(TableLawGolden, AFoldWhoseFitOverflowsIsUnusableInsteadOfAnInfiniteRmse) {
  // Fitted on the 12 dictionary runs at C <= 1e17, the law overflows 4 decades further out.
  const std::string dictionary = SourcePath("data/dictionary_runs_generated.csv");
  const CommandResult r =
      RunScaleplan("validate '" + dictionary + "' --law dictionary --holdout-above 1e17 --format json");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  const Json fold = ParseOut(r)["folds"][0];
  EXPECT_FALSE(fold["usable"].get<bool>());
  EXPECT_EQ(fold["num_heldout"].get<int>(), 50);
  EXPECT_NE(fold["status"].get<std::string>().find("is inf, not a finite positive number (the fit overflows there)"),
            std::string::npos)
      << fold.dump(2);
  EXPECT_EQ(fold["rmse_log"].get<double>(), 0.0);  // no statistics, never inf
  const CommandResult table = RunScaleplan("validate '" + dictionary + "' --law dictionary --holdout-above 1e17");
  EXPECT_EQ(table.out.find("inf  "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("the fit is not usable: the fitted law's loss for the held-out run"), std::string::npos)
      << table.out;
}

// validate's statistics against the law's closed form evaluated, in this test, with the parameters that `fit` gives
// for the runs at or below the threshold (fitted separately, on a file holding only those runs).
struct ValidateCase {
  std::string law;
  GeneratedRuns runs;
  double threshold_flops;
  std::function<double(const Json& fit, const std::vector<double>& row)> predict;  // row: the CSV's numbers
};

TEST(TableLawGolden, ValidatePredictsHeldOutRunsWithTheLawsClosedForm) {
  const std::vector<ValidateCase> cases = {
      {"data-constrained", DataConstrainedRuns(), 1e20,
       [](const Json& fit, const std::vector<double>& row) {
         DataConstrainedLaw law;
         law.base = MuennighoffC4BaseLaw();
         law.R_D_star = fit.at("R_D_star").get<double>();
         law.R_N_star = fit.at("R_N_star").get<double>();
         return law.Loss(row[0], row[1], row[2]);
       }},
      {"sparse", SparseRuns(), 1e19,
       [](const Json& fit, const std::vector<double>& row) { return SparseLoss(fit, row[0], row[1], row[2]); }},
      {"moe", MoeRuns(), 1e19,
       [](const Json& fit, const std::vector<double>& row) { return MoeLoss(fit, row[0], row[2], row[1]); }},
      {"dictionary", DictionaryRuns(), 1e20,
       [](const Json& fit, const std::vector<double>& row) { return DictionaryLoss(fit, row[0], row[1], row[2]); }},
  };
  for (const ValidateCase& c : cases) {
    SCOPED_TRACE(c.law);
    const std::string all = WriteTempFile("validate_" + c.law + "_all.csv", c.runs.Csv(1e300));
    const std::string train = WriteTempFile("validate_" + c.law + "_train.csv", c.runs.Csv(c.threshold_flops));
    // `dictionary --runs` fits the dictionary laws; `fit --law` the others.
    const Json fit = c.law == "dictionary"
                         ? ParseOut(RunScaleplan("dictionary --runs '" + train + "' --format json"))["fit"]
                         : ParseOut(RunScaleplan("fit '" + train + "' --law " + c.law + " --format json 2>/dev/null"));
    const Json validated = ParseOut(RunScaleplan("validate '" + all + "' --law " + c.law + " --holdout-above " +
                                                 Format(c.threshold_flops) + " --format json"));
    ASSERT_EQ(validated["law"], c.law);
    const Json& fold = validated["folds"][0];
    ASSERT_TRUE(fold["usable"].get<bool>()) << fold.dump(2);

    double sum = 0, sum_sq = 0, max_abs = 0;
    int heldout = 0;
    for (size_t i = 0; i < c.runs.rows.size(); ++i) {
      if (c.runs.compute_flops[i] <= c.threshold_flops) continue;
      const std::vector<double> row = Numbers(c.runs.rows[i]);
      const double r = std::log(c.predict(fit, row)) - std::log(row.back());
      sum += r;
      sum_sq += r * r;
      max_abs = std::max(max_abs, std::fabs(r));
      ++heldout;
    }
    ASSERT_GT(heldout, 0);
    EXPECT_EQ(fold["num_heldout"].get<int>(), heldout);
    EXPECT_EQ(fold["num_train"].get<int>(), static_cast<int>(c.runs.rows.size()) - heldout);
    EXPECT_NEAR(fold["rmse_log"].get<double>(), std::sqrt(sum_sq / heldout), 1e-9);
    EXPECT_NEAR(fold["bias_log"].get<double>(), sum / heldout, 1e-9);
    EXPECT_NEAR(fold["max_abs_log"].get<double>(), max_abs, 1e-9);
    // The law fits its own noise-free form: held-out errors of the order of the 1% noise, not more.
    EXPECT_LT(fold["rmse_log"].get<double>(), 0.05);
  }
}

}  // namespace
}  // namespace scaleplan::testing
