// Drives the real `scaleplan` binary: `plan` under data limits, inference demand and hardware limits (with its
// exit code 1 for infeasible plans), the frontier, and `sweep`'s rows, header, shards, JSON lines and bootstrap
// interval columns.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;

using testing::ReadWholeFile;
using testing::RunScaleplan;
using Result = testing::CommandResult;

using testing::Lines;
using testing::Split;

// Besiroglu et al. 2024's point estimate (`--law epoch`), written out independently of core/.
constexpr double kE = 1.817, kA = 482.01, kB = 2085.43, kAlpha = 0.3478, kBeta = 0.3658;
double G() { return std::pow(kAlpha * kA / (kBeta * kB), 1 / (kAlpha + kBeta)); }
double ChinchillaLoss(double n, double d) { return kE + kA / std::pow(n, kAlpha) + kB / std::pow(d, kBeta); }

// Muennighoff et al.'s data-constrained loss on the epoch base law, with the published R_D*, R_N*.
double DataConstrainedLoss(double n, double d, double u) {
  const double rd_star = 15.387756, rn_star = 5.309743;
  const double a = kBeta / (kAlpha + kBeta), b = kAlpha / (kAlpha + kBeta);
  const double ud = std::min(u, d);
  const double un = std::min(n, G() * std::pow(G() * ud, a / b));
  const double rd = std::max(d / ud - 1, 0.0), rn = std::max(n / un - 1, 0.0);
  const double n_eff = un + un * rn_star * (1 - std::exp(-rn / rn_star));
  const double d_eff = ud + ud * rd_star * (1 - std::exp(-rd / rd_star));
  return kE + kA / std::pow(n_eff, kAlpha) + kB / std::pow(d_eff, kBeta);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(PlanCli, UniqueTokenLimitMatchesBruteForce) {
  Result r = RunScaleplan("plan --law epoch --compute 1e24 --unique-tokens 100B --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  const double n = json["num_params"], d = json["num_tokens"];
  EXPECT_DOUBLE_EQ(json["epochs"].get<double>(), d / 100e9);
  EXPECT_DOUBLE_EQ(json["unique_tokens"].get<double>(), 100e9);
  EXPECT_TRUE(json["data_limited"].get<bool>());
  EXPECT_NEAR(json["loss"].get<double>(), DataConstrainedLoss(n, d, 100e9), 1e-12);
  double best_loss = INFINITY, best_n = 0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = std::exp(std::log(1e9) + (std::log(1e13) - std::log(1e9)) * i / 200000);
    const double loss = DataConstrainedLoss(x, 1e24 / (6 * x), 100e9);
    if (loss < best_loss) best_loss = loss, best_n = x;
  }
  EXPECT_LE(json["loss"].get<double>(), best_loss + 1e-12);
  EXPECT_NEAR(n / best_n, 1.0, 1e-4);

  // A limit the Chinchilla-optimal plan does not reach changes nothing but the epochs.
  Result plain = RunScaleplan("plan --law epoch --compute 1e24 --format json");
  Result loose = RunScaleplan("plan --law epoch --compute 1e24 --unique-tokens 100T --format json");
  ASSERT_EQ(loose.exit_code, 0) << loose.err;
  const Json a = Json::parse(plain.out), b = Json::parse(loose.out);
  EXPECT_EQ(a["num_params"].get<double>(), b["num_params"].get<double>());
  EXPECT_EQ(a["loss"].get<double>(), b["loss"].get<double>());
  EXPECT_FALSE(b["data_limited"].get<bool>());
}

TEST(PlanCli, InferenceDemandMatchesBruteForce) {
  Result r = RunScaleplan("plan --law epoch --target-loss 2.0 --inference-tokens 10T --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  // The Chinchilla-optimal model of loss 2.0 (closed form: invert L_opt(C) = E + K (C/6)^(-alpha beta/(alpha+beta))).
  const double k = kA * std::pow(G(), -kAlpha) + kB * std::pow(G(), kBeta);
  const double half_budget = std::pow(k / (2.0 - kE), (kAlpha + kBeta) / (kAlpha * kBeta));
  const double chinchilla_n = G() * std::pow(half_budget, kBeta / (kAlpha + kBeta));
  EXPECT_NEAR(json["chinchilla_num_params"].get<double>() / chinchilla_n, 1.0, 1e-9);
  // Brute force over N of 6 N D(N) + 2 N T on L(N, D) = 2.0.
  const double n_min = std::pow(kA / (2.0 - kE), 1 / kAlpha);
  double best = INFINITY, best_n = 0;
  for (int i = 0; i <= 400000; ++i) {
    const double n = n_min * std::exp(std::exp(std::log(1e-6) + (std::log(5.0) - std::log(1e-6)) * i / 400000));
    const double d = std::pow(kB / (2.0 - kE - kA / std::pow(n, kAlpha)), 1 / kBeta);
    const double total = 6 * n * d + 2 * n * 10e12;
    if (total < best) best = total, best_n = n;
  }
  const double n = json["num_params"], d = json["num_tokens"];
  EXPECT_NEAR(n / best_n, 1.0, 1e-3);
  EXPECT_LE(json["total_flops"].get<double>(), best * (1 + 1e-12));
  EXPECT_NEAR(ChinchillaLoss(n, d), 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(json["inference_flops"].get<double>(), 2 * n * 10e12);
  EXPECT_LT(n, chinchilla_n);
  EXPECT_GT(json["flops_saving_fraction"].get<double>(), 0.0);
}

TEST(PlanCli, TooFewDevicesForTheMemoryIsInfeasibleWithExitCode1) {
  Result r = RunScaleplan("plan --mfu 0.4 --law epoch --params 70B --accelerator H100-SXM --count 2 --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_FALSE(json["feasible"].get<bool>());
  EXPECT_EQ(json["num_accelerators"].get<int>(), 2);
  // 70B parameters at 16 bytes each cannot sit in two devices' 2 x 72 GB.
  EXPECT_GT(json["model_state_bytes"].get<double>(), 2 * 72e9);
  EXPECT_GT(json["min_devices_for_memory"].get<int>(), 2);
  ASSERT_EQ(json["reasons"].size(), 1u);
  EXPECT_NE(json["reasons"][0].get<std::string>().find("per device, more than the 72 GB usable"), std::string::npos);
  EXPECT_NE(r.err.find("scaleplan plan: infeasible on H100-SXM"), std::string::npos);
  // With enough devices (the default: the fewest that hold it) the same plan is feasible.
  Result enough = RunScaleplan("plan --mfu 0.4 --law epoch --params 70B --accelerator H100-SXM --format json");
  EXPECT_EQ(enough.exit_code, 0) << enough.err;
  const Json fits = Json::parse(enough.out);
  EXPECT_TRUE(fits["feasible"].get<bool>());
  EXPECT_EQ(fits["num_accelerators"], fits["min_devices_for_memory"]);
  EXPECT_LE(fits["memory_bytes_per_device"].get<double>(), 72e9);
}

TEST(PlanCli, MaxDaysVerdictAndClosedFormTime) {
  Result r = RunScaleplan("plan --mfu 0.4 --law epoch --compute 1e24 --accelerator H100-SXM --count 1024 --max-days 10 "
                          "--format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json json = Json::parse(r.out);
  // 1e24 FLOPs on 1024 x 989 TFLOP/s at 40% MFU.
  const double days = 1e24 / (1024 * 989e12 * 0.4) / 86400;
  EXPECT_NEAR(json["days"].get<double>() / days, 1.0, 1e-12);
  EXPECT_NEAR(json["gpu_hours"].get<double>() / (1024 * days * 24), 1.0, 1e-12);
  EXPECT_NEAR(json["cost_usd"].get<double>() / (3.00 * 1024 * days * 24), 1.0, 1e-12);
  EXPECT_EQ(json["min_devices_for_days"].get<int>(), static_cast<int>(std::ceil(1024 * days / 10)));
  EXPECT_FALSE(json["feasible"].get<bool>());
  EXPECT_NE(json["reasons"][0].get<std::string>().find("more than the 10.0-day limit"), std::string::npos);
  // Within the limit it passes; table output says so too.
  Result ok = RunScaleplan("plan --mfu 0.4 --law epoch --compute 1e24 --accelerator H100-SXM --count 1024 --max-days 30 "
                           "--price-per-hour 2.5");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("verdict: feasible"), std::string::npos);
  EXPECT_NE(ok.out.find("$2.50/h"), std::string::npos);
}

// A given MFU never times more devices than the global batch can keep busy: each sequence splits over at most a node
// of tensor parallelism (8 H100s) times the context parallelism a 4,096-token sequence allows (4), and pipeline stages
// need a micro-batch each. 1e23 FLOPs in 0.001 days would need 2,925,702 H100s at 40%; the batch has 2,379
// sequences, so at most 2,379 x 32 devices; `sweep` rows at a given MFU are capped the same way. Llama 3 405B's own run (16,384 H100s, about 4,000 sequences of 4,096
// tokens per step, about 40% MFU) stays feasible.
TEST(PlanCli, AGivenMfuCapsTheCountAtWhatTheBatchKeepsBusy) {
  const Result r =
      RunScaleplan("plan --compute 1e23 --accelerator H100-SXM --mfu 0.4 --count 0 --max-days 0.001 --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json json = Json::parse(r.out);
  const long long needed = static_cast<long long>(std::ceil(1e23 / (989e12 * 0.4 * 0.001 * 86400)));
  EXPECT_EQ(json["min_devices_for_days"].get<long long>(), needed);
  const long long sequences = std::llround(json["batch_tokens"].get<double>() / 4096.0);
  EXPECT_EQ(sequences, json["batch_sequences"].get<long long>());
  EXPECT_EQ(json["num_accelerators"].get<long long>(), sequences * 8 * 4);
  EXPECT_LT(sequences * 8 * 4, needed);
  EXPECT_FALSE(json["feasible"].get<bool>());
  EXPECT_NE(json["reasons"].back().get<std::string>().find(std::to_string(needed) +
                                                           " devices would be needed, but the global batch of " +
                                                           std::to_string(sequences) + " sequences"),
            std::string::npos)
      << json["reasons"];
  // A sweep's MFU row is the same plan: capped at the same count, infeasible, timed on the capped count.
  const Result sweep = RunScaleplan("sweep --compute 1e23 --accelerator H100-SXM --mfu 0.4 --max-days 0.001");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> row = Split(Lines(sweep.out).at(1));
  EXPECT_EQ(std::strtoll(row[13].c_str(), nullptr, 10), sequences * 8 * 4);
  EXPECT_EQ(std::strtod(row[16].c_str(), nullptr), json["days"].get<double>());
  EXPECT_EQ(row[19], "false");
  const Result llama = RunScaleplan(
      "plan --arch llama3-405b --tokens 15.6T --accelerator H100-SXM --count 16384 --mfu 0.4 --global-batch-tokens 16M "
      "--format json");
  EXPECT_EQ(llama.exit_code, 0) << llama.out << llama.err;
  EXPECT_TRUE(Json::parse(llama.out)["feasible"].get<bool>());
}

TEST(PlanCli, FrontierTrillionParametersOnH100) {
  Result r = RunScaleplan("plan --mfu 0.4 --law epoch --params 1T --accelerator H100-SXM --format json");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  const Json json = Json::parse(r.out);
  // Compute-optimal tokens for 1T: C = 6 (N / G)^(1/a), D = C / (6 N).
  const double compute = 6 * std::pow(1e12 / G(), (kAlpha + kBeta) / kBeta);
  EXPECT_NEAR(json["compute_flops"].get<double>() / compute, 1.0, 1e-12);
  EXPECT_NEAR(json["num_tokens"].get<double>() / (compute / 6e12), 1.0, 1e-12);
  // Time on the chosen count, and the count for the model state alone (16 bytes per parameter).
  const double devices = json["num_accelerators"];
  const double days = compute / (devices * 989e12 * 0.4) / 86400;
  EXPECT_NEAR(json["days"].get<double>() / days, 1.0, 1e-9);
  EXPECT_EQ(json["min_devices_for_model_state"].get<double>(),
            std::ceil(json["model_state_bytes"].get<double>() / 72e9));
  EXPECT_NEAR(json["model_state_bytes"].get<double>() / 16e12, 1.0, 0.05);
  EXPECT_EQ(json["devices_for_90_days"].get<double>(), std::ceil(compute / (989e12 * 0.4 * 90 * 86400)));
  EXPECT_EQ(r.exit_code, json["feasible"].get<bool>() ? 0 : 1);
  // It says how far it extrapolates: in compute and in model size (the largest bundled run has 16.2B parameters);
  // that its 16.2T tokens are more than the largest open corpora hold; and, on the fewest devices that hold it
  // (no --max-days), that it takes over a year.
  ASSERT_EQ(json["warnings"].size(), 3u);
  const std::string warning = json["warnings"][0];
  EXPECT_NE(warning.find("beyond the largest fitted run"), std::string::npos) << warning;
  EXPECT_NE(warning.find("N is 61.8x the largest fitted model"), std::string::npos) << warning;
  EXPECT_EQ(json["warnings"][1].get<std::string>().rfind("trains on 16.2T tokens, more than the largest open", 0), 0u);
  EXPECT_GT(json["days"].get<double>(), 365.0);
  EXPECT_NE(json["warnings"][2].get<std::string>().find("more than 365 (feasible only because no --max-days"),
            std::string::npos);

  Result table = RunScaleplan("plan --mfu 0.4 --law epoch --params 1T,10T,100T --accelerator H100-SXM");
  EXPECT_NE(table.out.find("H100-SXM x "), std::string::npos);
  EXPECT_NE(table.out.find("to finish in 90 days"), std::string::npos);
  EXPECT_NE(table.out.find("model state 16 TB"), std::string::npos);
  EXPECT_NE(table.out.find("model state 1.6 PB"), std::string::npos);
}

TEST(PlanCli, ShapesHaveExactCounts) {
  Result r = RunScaleplan("plan --law epoch --params 7B --shape --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  ASSERT_FALSE(json["shapes"].empty());
  for (const Json& shape : json["shapes"]) {
    // Count written out: embedding + unembedding V d, per layer attention 2 d^2 + 2 d x 8 x 128 (8 KV heads of
    // 128), SwiGLU 3 d f and two RMSNorms 2 d, plus the final norm d.
    const double d = shape["d_model"], f = shape["d_ff"], v = shape["vocab_size"], l = shape["num_layers"];
    const double count = 2 * v * d + l * (2 * d * d + 2 * d * 1024 + 3 * d * f + 2 * d) + d;
    EXPECT_EQ(shape["num_params"].get<double>(), count);
    EXPECT_NEAR(count / 7e9, 1.0, 0.10);
    EXPECT_EQ(static_cast<long long>(shape["d_model"].get<double>()) % 128, 0);
    // Heads split over 8-way tensor parallelism.
    EXPECT_EQ(static_cast<long long>(shape["num_heads"].get<double>()) % 8, 0);
    EXPECT_EQ(shape["num_kv_heads"].get<double>(), 8);
  }
  // Ranked by aspect ratio: d_model / layers moves away from 128 down the list.
  double previous = 0;
  for (const Json& shape : json["shapes"]) {
    const double distance =
        std::fabs(std::log(shape["d_model"].get<double>() / shape["num_layers"].get<double>() / 128.0));
    EXPECT_GE(distance, previous);
    previous = distance;
  }
}

TEST(PlanCli, MeasuredProfileReplacesTheCataloguePeak) {
  const std::string profile = testing::WriteTempFile(
      "profile.json",
      R"({"schema_version": 1, "backend": "cuda", "device": "NVIDIA H100 80GB HBM3", "peak_flops": 5e14,
          "bandwidth_bytes_per_s": 2e12, "host": {"cpu_model": "x", "isa": [], "threads": 1, "blas_corename": "x"},
          "cuda_device": {"name": "NVIDIA H100 80GB HBM3", "sm_count": 132, "memory_bytes": 80e9}, "kernels": []})");
  Result r = RunScaleplan("plan --mfu 0.4 --law epoch --compute 1e22 --accelerator H100-SXM --count 64 --profile '" +
                          profile + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_DOUBLE_EQ(json["peak_flops_per_second"].get<double>(), 5e14);
  EXPECT_NEAR(json["days"].get<double>() / (1e22 / (64 * 5e14 * 0.4) / 86400), 1.0, 1e-12);
  EXPECT_TRUE(json["warnings"].empty()) << json["warnings"];
  // Without --accelerator the plan is on the measured device, with the CUDA profile's own memory size.
  Result alone = RunScaleplan("plan --law epoch --compute 1e22 --count 64 --profile '" + profile + "' --format json");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(Json::parse(alone.out)["accelerator"], "NVIDIA H100 80GB HBM3");
  EXPECT_DOUBLE_EQ(Json::parse(alone.out)["peak_flops_per_second"].get<double>(), 5e14);
  // Another device (an A100 plan with the H100's profile): the A100's catalogue peak, and the warning says so.
  Result other =
      RunScaleplan("plan --mfu 0.4 --law epoch --compute 1e22 --accelerator A100-80GB --count 64 --profile '" +
                   profile + "' --format json");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  const Json a100 = Json::parse(other.out);
  EXPECT_DOUBLE_EQ(a100["peak_flops_per_second"].get<double>(), 312e12);
  ASSERT_EQ(a100["warnings"].size(), 1u) << a100["warnings"];
  EXPECT_EQ(a100["warnings"][0], "the profile '" + profile +
                                     "' was measured on NVIDIA H100 80GB HBM3 (cuda), not on A100-80GB: its 500 "
                                     "TFLOP/s is not applied; the plan uses the A100-80GB's catalogue peaks");
}

TEST(PlanCli, UsageErrorsExit2) {
  for (const char* args : {"plan --accelerator H100", "plan --law epoch --count 8", "plan --law epoch --mfu 1.5",
                           "plan --law epoch --unique-tokens 1B,2B", "plan --law epoch --recompute some",
                           "plan --law epoch --target-loss 1.9 --unique-tokens 1B",
                           "sweep --law epoch --shard 3/3", "sweep --law epoch --shard x",
                           "sweep --law epoch --compute 1e20:1e26:0", "sweep --law epoch --compute 1e26:1e20:3",
                           "sweep --law epoch --accelerator H100", "sweep --law epoch --mfu 0", "sweep --format xml",
                           "sweep --law epoch --count 1.5", "sweep --law epoch --bootstrap 20",
                           "sweep --fit /nonexistent.json --bootstrap", "sweep --bootstrap 5", "sweep --ci 1.5",
                           "sweep --law epoch --d-model 4096", "sweep --law epoch --k 64"}) {
    Result r = RunScaleplan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  EXPECT_NE(RunScaleplan("plan --law epoch --target-loss 1.9 --unique-tokens 1B").err.find("not reachable with 1B"),
            std::string::npos);
  Result help = RunScaleplan("sweep --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("num_params_lower"), std::string::npos);
  EXPECT_NE(help.out.find("scaleplan sweep --dictionary --d-model 4096,8192"), std::string::npos);
  EXPECT_NE(RunScaleplan("plan --help").out.find("non-embedding"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------------
const char* kHeader =
    "compute_flops,inference_tokens,unique_tokens,num_params,num_tokens,tokens_per_param,loss,epochs,"
    "chinchilla_num_params,training_flops,inference_flops,total_flops,accelerator,num_accelerators,mfu,"
    "min_devices_for_memory,days,gpu_hours,cost_usd,feasible";

TEST(SweepCli, RowsHeaderAndValuesMatchPlan) {
  const std::string path = testing::WriteTempFile("sweep.csv", "old");
  Result r = RunScaleplan("sweep --law epoch --compute 1e20:1e26:13 --out '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadWholeFile(path));
  ASSERT_EQ(lines.size(), 14u);
  EXPECT_EQ(lines[0], kHeader);
  for (int i = 0; i < 13; ++i) {
    const std::vector<std::string> fields = Split(lines[i + 1]);
    ASSERT_EQ(fields.size(), 20u) << lines[i + 1];
    const double compute = std::strtod(fields[0].c_str(), nullptr);
    EXPECT_NEAR(compute / std::pow(10.0, 20 + 0.5 * i), 1.0, 1e-15);
    if (i % 2 == 0) {
      EXPECT_EQ(fields[0], "1e+" + std::to_string(20 + i / 2));  // decades land exactly
    }
    EXPECT_EQ(fields[7], "");  // no unique-token limit: no epochs
    EXPECT_EQ(fields[12], "H100-SXM");
  }
  // A row equals `plan` for the same budget and device, number for number.
  const std::vector<std::string> row = Split(lines[9]);  // 1e24
  Result plan = RunScaleplan("plan --mfu 0.4 --law epoch --compute 1e24 --accelerator H100-SXM --format json");
  // With inference tokens the first row is the budget's (inference-aware) plan, which the sweep row is.
    const Json json = Json::parse(plan.out.substr(0, plan.out.find('\n')));
  EXPECT_EQ(std::strtod(row[3].c_str(), nullptr), json["num_params"].get<double>());
  EXPECT_EQ(std::strtod(row[6].c_str(), nullptr), json["loss"].get<double>());
  EXPECT_EQ(std::strtoll(row[13].c_str(), nullptr, 10), json["num_accelerators"].get<long long>());
  EXPECT_EQ(std::strtoll(row[15].c_str(), nullptr, 10), json["min_devices_for_memory"].get<long long>());
  EXPECT_EQ(std::strtod(row[16].c_str(), nullptr), json["days"].get<double>());
  EXPECT_EQ(std::strtod(row[18].c_str(), nullptr), json["cost_usd"].get<double>());
  EXPECT_EQ(row[19], json["feasible"].get<bool>() ? "true" : "false");
}

TEST(SweepCli, LargeGridStreamsEveryRowAndLeavesNoTemporaryFile) {
  const std::string path = testing::WriteTempFile("big.csv", "");
  // 25 budgets x 9 devices x 5 counts x 3 MFUs x 2 demands x 2 limits = 13,500 rows.
  Result r = RunScaleplan("sweep --law epoch --compute 1e20:1e26:25 --accelerator H100-SXM,H100-PCIe,H200,A100-40GB,"
                          "A100-80GB,B200,L40S,MI300X,V100-SXM2-32GB --count 0,8,64,512,4096 --mfu 0.3,0.4,0.5 "
                          "--inference-tokens 0,1T --unique-tokens 0,100B --out '" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(ReadWholeFile(path)).size(), 13501u);
  EXPECT_NE(r.err.find("wrote 13500 rows"), std::string::npos) << r.err;
  int temporary = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    temporary += entry.path().filename().string().find(".tmp.") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(temporary, 0);
  Result bad = RunScaleplan("sweep --law epoch --out /nonexistent-dir/sweep.csv");
  EXPECT_EQ(bad.exit_code, 5);
  EXPECT_NE(bad.err.find("cannot write '/nonexistent-dir/sweep.csv'"), std::string::npos);
}

TEST(SweepCli, ShardsConcatenateToTheFullSweep) {
  const std::string grid =
      "sweep --law epoch --compute 1e20:1e24:5 --accelerator H100-SXM,A100-80GB --count 0,64 --mfu 0.3,0.5 "
      "--inference-tokens 0,1T --unique-tokens 0,100B";
  Result full = RunScaleplan(grid);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const std::vector<std::string> all = Lines(full.out);
  ASSERT_EQ(all.size(), 161u);  // header + 5 x 2 x 2 x 2 x 2 x 2
  std::vector<std::string> joined = {all[0]};
  for (int i = 0; i < 7; ++i) {
    Result part = RunScaleplan(grid + " --shard " + std::to_string(i) + "/7");
    ASSERT_EQ(part.exit_code, 0) << part.err;
    const std::vector<std::string> lines = Lines(part.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], kHeader);
    EXPECT_TRUE(lines.size() - 1 == 160 / 7 || lines.size() - 1 == 160 / 7 + 1) << lines.size();
    joined.insert(joined.end(), lines.begin() + 1, lines.end());
  }
  EXPECT_EQ(joined, all);
  EXPECT_EQ(Lines(RunScaleplan(grid + " --shard 6/7 --no-header").out).front(), all[all.size() - 22]);
}

// --shard auto in a Slurm array task: --array=3-11:2 runs tasks 3, 5, 7, 9, 11; task 7 is shard 2 of 5.
TEST(SweepCli, ShardAutoReadsTheSlurmArray) {
  const std::string grid = "sweep --law epoch --compute 1e20:1e24:9 --accelerator H100-SXM";
  const Result explicit_shard = RunScaleplan(grid + " --shard 2/5");
  ASSERT_EQ(explicit_shard.exit_code, 0) << explicit_shard.err;
  const std::string array = "env -u SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=3 "
                            "SLURM_ARRAY_TASK_MAX=11 SLURM_ARRAY_TASK_STEP=2 ";
  const Result from_max = testing::RunCommand(array + SCALEPLAN_BINARY + " " + grid + " --shard auto");
  ASSERT_EQ(from_max.exit_code, 0) << from_max.err;
  EXPECT_EQ(from_max.out, explicit_shard.out);
  const Result from_count = testing::RunCommand(array + "SLURM_ARRAY_TASK_COUNT=5 " + SCALEPLAN_BINARY + " " + grid +
                                                " --shard auto");
  EXPECT_EQ(from_count.out, explicit_shard.out);
  // Task 8 is not in the array 3, 5, ..., 11; no array at all is a usage error too.
  const Result off_grid = testing::RunCommand(
      "env SLURM_ARRAY_TASK_ID=8 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_MAX=11 SLURM_ARRAY_TASK_STEP=2 " +
      std::string(SCALEPLAN_BINARY) + " " + grid + " --shard auto");
  EXPECT_EQ(off_grid.exit_code, 2);
  EXPECT_NE(off_grid.err.find("task 8 is not in an evenly spaced array from 3 by 2"), std::string::npos)
      << off_grid.err;
  const Result none = testing::RunCommand("env -u SLURM_ARRAY_TASK_ID " + std::string(SCALEPLAN_BINARY) + " " + grid +
                                          " --shard auto");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("SLURM_ARRAY_TASK_ID is not set"), std::string::npos) << none.err;
}

TEST(SweepCli, JsonLinesParseWithTheColumnsAsKeys) {
  Result r = RunScaleplan("sweep --law epoch --compute 1e21,1e23 --inference-tokens 0,10T --unique-tokens 0,50B "
                          "--count 0,2 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 16u);
  std::vector<std::string> columns = Split(kHeader);
  for (const std::string& line : lines) {
    const nlohmann::ordered_json json = nlohmann::ordered_json::parse(line);
    std::vector<std::string> keys;
    for (const auto& [key, value] : json.items()) keys.push_back(key);
    EXPECT_EQ(keys, columns);
    EXPECT_TRUE(json["feasible"].is_boolean());
    EXPECT_EQ(json["accelerator"], "H100-SXM");
    if (json["unique_tokens"].get<double>() == 0) {
      EXPECT_TRUE(json["epochs"].is_null());
    } else {
      EXPECT_DOUBLE_EQ(json["epochs"].get<double>(), json["num_tokens"].get<double>() / 50e9);
    }
    if (json["inference_tokens"].get<double>() > 0) {
      EXPECT_LT(json["num_params"].get<double>(), json["chinchilla_num_params"].get<double>());
      EXPECT_DOUBLE_EQ(json["inference_flops"].get<double>(), 2 * json["num_params"].get<double>() * 10e12);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Interval columns.

const char* kIntervalHeader = "num_params_lower,num_params_upper,num_tokens_lower,num_tokens_upper,loss_lower,loss_upper";

// A fit of the bundled runs saved with 60 resampled laws at the 90% level, made once by the real `fit` command.
const std::string& BootstrapFitPath() {
  static const std::string path = [] {
    const std::string out = testing::WriteTempFile("bootstrap_fit.json", "");
    const Result r = RunScaleplan("fit --bootstrap 60 --seed 11 --ci 0.9 --out '" + out + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }();
  return path;
}

// The rows of a CSV sweep as column name -> cell text.
std::vector<std::map<std::string, std::string>> CsvRows(const std::string& text) {
  const std::vector<std::string> lines = Lines(text);
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  const std::vector<std::string> header = Split(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = Split(lines[i]);
    EXPECT_EQ(cells.size(), header.size()) << lines[i];
    std::map<std::string, std::string> row;
    for (size_t j = 0; j < header.size() && j < cells.size(); ++j) row[header[j]] = cells[j];
    rows.push_back(row);
  }
  return rows;
}

double Cell(const std::map<std::string, std::string>& row, const std::string& column) {
  const auto found = row.find(column);
  EXPECT_NE(found, row.end()) << column;
  return found == row.end() ? NAN : std::strtod(found->second.c_str(), nullptr);
}

// The textbook percentile interval: linear interpolation between order statistics at (1 - level) / 2 and its
// complement, written out here rather than taken from core/.
std::pair<double, double> Percentiles(std::vector<double> values, double level) {
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) {
    const double position = q * static_cast<double>(values.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, values.size() - 1);
    return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
  };
  return {at((1 - level) / 2), at(1 - (1 - level) / 2)};
}

TEST(SweepCli, IntervalColumnsFromASavedBootstrapFitEqualPlanAndBracketThePlan) {
  const std::string fit = BootstrapFitPath();
  Result r = RunScaleplan("sweep --fit '" + fit + "' --compute 1e20:1e24:3 --inference-tokens 0,1T "
                          "--unique-tokens 0,50B --count 0,64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).at(0), std::string(kHeader) + "," + kIntervalHeader);
  const auto rows = CsvRows(r.out);
  ASSERT_EQ(rows.size(), 24u);  // 3 budgets x 2 demands x 2 limits x 2 counts
  for (size_t i = 0; i < rows.size(); i += 2) {
    const auto& row = rows[i];
    // The two device counts of a plan share its intervals.
    for (const std::string column : {"num_params_lower", "num_params_upper", "num_tokens_lower", "num_tokens_upper",
                                     "loss_lower", "loss_upper"}) {
      EXPECT_EQ(row.at(column), rows[i + 1].at(column)) << column;
    }
    for (const std::string quantity : {"num_params", "num_tokens", "loss"}) {
      EXPECT_LE(Cell(row, quantity + "_lower"), Cell(row, quantity)) << quantity << " row " << i;
      EXPECT_GE(Cell(row, quantity + "_upper"), Cell(row, quantity)) << quantity << " row " << i;
      EXPECT_LT(Cell(row, quantity + "_lower"), Cell(row, quantity + "_upper")) << quantity << " row " << i;
    }
    // `plan` for the same budget, demand and limit reports the same intervals, number for number.
    std::string args = "plan --fit '" + fit + "' --compute " + row.at("compute_flops") + " --format json";
    if (Cell(row, "inference_tokens") > 0) args += " --inference-tokens " + row.at("inference_tokens");
    if (Cell(row, "unique_tokens") > 0) args += " --unique-tokens " + row.at("unique_tokens");
    Result plan = RunScaleplan(args);
    ASSERT_EQ(plan.exit_code, 0) << args << "\n" << plan.err;
    // With inference tokens the first row is the budget's (inference-aware) plan, which the sweep row is.
    const Json json = Json::parse(plan.out.substr(0, plan.out.find('\n')));
    EXPECT_EQ(Cell(row, "num_params"), json["num_params"].get<double>()) << args;
    const Json& in = json["intervals"];
    EXPECT_EQ(Cell(row, "num_params_lower"), in["num_params"][0].get<double>()) << args;
    EXPECT_EQ(Cell(row, "num_params_upper"), in["num_params"][1].get<double>()) << args;
    EXPECT_EQ(Cell(row, "num_tokens_lower"), in["num_tokens"][0].get<double>()) << args;
    EXPECT_EQ(Cell(row, "num_tokens_upper"), in["num_tokens"][1].get<double>()) << args;
    EXPECT_EQ(Cell(row, "loss_lower"), in["loss"][0].get<double>()) << args;
    EXPECT_EQ(Cell(row, "loss_upper"), in["loss"][1].get<double>()) << args;
    EXPECT_EQ(json["interval_level"].get<double>(), 0.9);
  }
}

TEST(SweepCli, IntervalColumnsEqualTheClosedFormOverTheSavedLaws) {
  // Without inference or a data limit every resampled law's plan is Chinchilla's closed form:
  // N = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)), D = C / (6 N).
  const std::string fit = BootstrapFitPath();
  const Json saved = Json::parse(ReadWholeFile(fit));
  const double level = saved["bootstrap"]["confidence"];
  ASSERT_EQ(level, 0.9);
  Result r = RunScaleplan("sweep --fit '" + fit + "' --compute 1e21,1e25 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    const Json row = Json::parse(line);
    const double compute = row["compute_flops"];
    std::vector<double> params, tokens, losses;
    for (const Json& law : saved["bootstrap"]["laws"]) {
      const double e = law[0], a = law[1], b = law[2], alpha = law[3], beta = law[4];
      const double g = std::pow(alpha * a / (beta * b), 1 / (alpha + beta));
      const double n = g * std::pow(compute / 6, beta / (alpha + beta));
      const double d = compute / (6 * n);
      params.push_back(n);
      tokens.push_back(d);
      losses.push_back(e + a / std::pow(n, alpha) + b / std::pow(d, beta));
    }
    const auto [n_lo, n_hi] = Percentiles(params, level);
    const auto [d_lo, d_hi] = Percentiles(tokens, level);
    const auto [l_lo, l_hi] = Percentiles(losses, level);
    EXPECT_NEAR(row["num_params_lower"].get<double>() / n_lo, 1.0, 1e-9);
    EXPECT_NEAR(row["num_params_upper"].get<double>() / n_hi, 1.0, 1e-9);
    EXPECT_NEAR(row["num_tokens_lower"].get<double>() / d_lo, 1.0, 1e-9);
    EXPECT_NEAR(row["num_tokens_upper"].get<double>() / d_hi, 1.0, 1e-9);
    EXPECT_NEAR(row["loss_lower"].get<double>(), l_lo, 1e-12);
    EXPECT_NEAR(row["loss_upper"].get<double>(), l_hi, 1e-12);
    // The JSON keys: the model columns, then the six interval columns.
    const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(line);
    std::vector<std::string> keys;
    for (const auto& [key, value] : ordered.items()) keys.push_back(key);
    std::vector<std::string> expected = Split(kHeader);
    for (const std::string& column : Split(kIntervalHeader)) expected.push_back(column);
    EXPECT_EQ(keys, expected);
  }
}

TEST(SweepCli, BootstrapOptionResamplesLikePlan) {
  Result sweep = RunScaleplan("sweep --bootstrap 30 --seed 5 --ci 0.8 --compute 1e21,1e23 --inference-tokens 0,2T "
                              "--format jsonl");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> lines = Lines(sweep.out);
  ASSERT_EQ(lines.size(), 4u);
  for (const std::string& line : lines) {
    const Json row = Json::parse(line);
    const double inference = row["inference_tokens"];
    char budget[32];
    std::snprintf(budget, sizeof budget, "%.17g", row["compute_flops"].get<double>());
    Result plan = RunScaleplan(std::string("plan --bootstrap 30 --seed 5 --ci 0.8 --compute ") + budget +
                               (inference > 0 ? " --inference-tokens 2T" : "") + " --format json");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    // With inference tokens the first row is the budget's (inference-aware) plan, which the sweep row is.
    const Json json = Json::parse(plan.out.substr(0, plan.out.find('\n')));
    EXPECT_EQ(row["num_params"].get<double>(), json["num_params"].get<double>());
    EXPECT_EQ(row["num_params_lower"].get<double>(), json["intervals"]["num_params"][0].get<double>());
    EXPECT_EQ(row["num_params_upper"].get<double>(), json["intervals"]["num_params"][1].get<double>());
    EXPECT_EQ(row["num_tokens_lower"].get<double>(), json["intervals"]["num_tokens"][0].get<double>());
    EXPECT_EQ(row["num_tokens_upper"].get<double>(), json["intervals"]["num_tokens"][1].get<double>());
    EXPECT_EQ(row["loss_lower"].get<double>(), json["intervals"]["loss"][0].get<double>());
    EXPECT_EQ(row["loss_upper"].get<double>(), json["intervals"]["loss"][1].get<double>());
  }
}

TEST(SweepCli, NoIntervalColumnsWithoutResampledLaws) {
  // A fit saved without --bootstrap, a published law and (with --ci alone) nothing to take an interval over.
  const std::string plain_fit = testing::WriteTempFile("plain_fit.json", "");
  ASSERT_EQ(RunScaleplan("fit --out '" + plain_fit + "'").exit_code, 0);
  for (const std::string& law : {"--fit '" + plain_fit + "'", std::string("--law epoch"),
                                 "--fit '" + plain_fit + "' --ci 0.8"}) {
    Result csv = RunScaleplan("sweep " + law + " --compute 1e21,1e22");
    ASSERT_EQ(csv.exit_code, 0) << law << "\n" << csv.err;
    const std::vector<std::string> lines = Lines(csv.out);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], kHeader) << law;
    EXPECT_EQ(Split(lines[1]).size(), 20u);
    Result jsonl = RunScaleplan("sweep " + law + " --compute 1e21 --format jsonl");
    ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
    const Json row = Json::parse(jsonl.out);
    EXPECT_EQ(row.size(), 20u) << law;
    EXPECT_FALSE(row.contains("num_params_lower")) << law;
  }
}

// Each sweep row within 90 days, and its device count never below the previous row's nor above it by more than 25%
// (or one 8-device node). Returns the last count.
long long ExpectSmoothDeviceCounts(const std::vector<std::string>& lines) {
  long long previous = 0;
  for (const std::string& line : lines) {
    const Json row = Json::parse(line);
    const long long count = row["num_accelerators"].get<long long>();
    EXPECT_LE(row["days"].get<double>(), 90.0 * (1 + 1e-12)) << line;
    EXPECT_GE(count, previous) << line;
    EXPECT_LE(count, std::max<long long>(static_cast<long long>(std::ceil(1.25 * previous)), previous + 8)) << line;
    previous = count;
  }
  return previous;
}

// The automatic device count for a target duration follows the budget smoothly (issue 19, item 3): as the budget
// grows the count never falls, and a 7% larger budget takes at most 25% more devices (or one 8-device node more),
// every plan within the 90 days. 171 budgets from 1e21 to 1e26 FLOPs, 7% apart, on H100s at the default MFU.
TEST(SweepCli, TheDeviceCountForADurationGrowsSmoothlyWithTheBudget) {
  const Result r =
      RunScaleplan("sweep --compute 1e21:1e26:171 --accelerator H100-SXM --max-days 90 --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 171u);
  const long long previous = ExpectSmoothDeviceCounts(lines);
  // At the top, the days bind: 6 N D / (count x 989 TFLOP/s x 0.4) just under 90 days.
  const Json last = Json::parse(lines.back());
  EXPECT_EQ(previous, static_cast<long long>(std::ceil(1e26 / (989e12 * 0.4 * 90 * 86400.0))));
  EXPECT_GT(last["days"].get<double>(), 89.9);
}

// The same on the layout-search path (no --mfu): each budget's count is the fewest whole nodes whose best layout
// meets the 90 days, and it grows with the budget without falling and by at most 25% (or one 8-device node) per 7%.
// The searched layouts used to be ranked by step time although each rounds the global batch to its own replica
// step, so a layout with a smaller batch and a slower time per token could win: the count then fell or jumped 50%
// in 7 of these 170 steps.
TEST(SweepCli, TheSearchedDeviceCountGrowsSmoothlyWithTheBudget) {
  const Result r =
      RunScaleplan("sweep --compute 1e21:1e26:171 --accelerator H100-SXM --layout-search --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 171u);
  ExpectSmoothDeviceCounts(lines);
}

// A plan with a layout search speaks of one model: the memory line and the hyper-parameter note describe the shape
// the layout search lays out (they used to take the memory model's own practical shape for N: "180 x 21504" beside
// "179 layers x 23552" for 1T parameters).
TEST(PlanCli, TheMemoryAndHyperparametersDescribeTheSearchedShape) {
  const Result r = RunScaleplan("plan --params 1T --accelerator H100-SXM");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(RunScaleplan("plan --params 1T --accelerator H100-SXM --format json").out);
  const std::string layers = std::to_string(json["architecture"]["num_layers"].get<long long>());
  const std::string width = std::to_string(json["architecture"]["d_model"].get<long long>());
  EXPECT_NE(r.out.find("model: proposed shape, " + layers + " layers x " + width), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("recomputation; shape " + layers + " x " + width + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("at this shape (" + layers + " x " + width + ","), std::string::npos) << r.out;
}

// A free layout search is never slower than the same search with some fields fixed (its space includes theirs).
// At 7.6e25 FLOPs on 28,672 H100s, fixing PP 16 found 75.4 days where the free search, ranking by step time, had
// picked PP 1 with a smaller rounded batch: 92.7 days.
TEST(PlanCli, AFreeLayoutSearchIsNoSlowerThanAConstrainedOne) {
  const std::string plan = "plan --compute 7.627e25 --accelerator H100-SXM --count 28672 --format json";
  const Result free_search = RunScaleplan(plan);
  const Result fixed = RunScaleplan(plan + " --layout tp=4,pp=16,cp=4");
  ASSERT_EQ(free_search.exit_code, 0) << free_search.err;
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  const double free_days = Json::parse(free_search.out)["days"].get<double>();
  const double fixed_days = Json::parse(fixed.out)["days"].get<double>();
  EXPECT_LT(fixed_days, 80.0);
  EXPECT_LE(free_days, fixed_days * (1 + 1e-12));
}

// Where the unique tokens bind, `chinchilla_num_params` is the unconstrained Chinchilla optimum for the budget (the
// closed form G (C/6)^a), in plan's JSON and sweep's column alike, not the data-limited plan's own N.
TEST(SweepTest, ChinchillaColumnIsTheUnconstrainedOptimumWhereTheDataBinds) {
  const double chinchilla_params = G() * std::pow(1e22 / 6, kBeta / (kAlpha + kBeta));
  const Result plan = RunScaleplan("plan --law epoch --compute 1e22 --unique-tokens 20B --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const Json json = Json::parse(plan.out);
  ASSERT_TRUE(json["data_limited"].get<bool>());
  const double num_params = json["num_params"].get<double>();
  EXPECT_LT(num_params, 0.9 * chinchilla_params);  // fewer parameters, more epochs (R_N* < R_D*)
  EXPECT_NEAR(json["chinchilla_num_params"].get<double>(), chinchilla_params, 1e-9 * chinchilla_params);

  const Result sweep = RunScaleplan("sweep --law epoch --compute 1e22 --unique-tokens 20B");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> lines = Lines(sweep.out);
  ASSERT_EQ(lines.size(), 2u) << sweep.out;
  const std::vector<std::string> header = Split(lines[0]), row = Split(lines[1]);
  const auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return std::stod(row.at(static_cast<size_t>(it - header.begin())));
  };
  EXPECT_NEAR(column("num_params"), num_params, 1e-12 * num_params);
  EXPECT_NEAR(column("chinchilla_num_params"), chinchilla_params, 1e-9 * chinchilla_params);
}

}  // namespace
}  // namespace scaleplan
