// Drives the real `scaleplan dictionary`: the JSON contract, the prior's label, the frontier example end to end,
// located errors and exit codes.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `scaleplan ARGS` through the shell, capturing stdout and stderr separately.
Result RunScaleplan(const std::string& args) {
  const std::string dir = testing::WriteTempFile("placeholder", "");
  const std::string base = std::filesystem::path(dir).parent_path().string();
  const std::string out_path = base + "/stdout.txt";
  const std::string err_path = base + "/stderr.txt";
  const std::string command =
      std::string(SCALEPLAN_BINARY) + " " + args + " > '" + out_path + "' 2> '" + err_path + "' < /dev/null";
  const int status = std::system(command.c_str());
  Result result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = Slurp(out_path);
  result.err = Slurp(err_path);
  return result;
}

const char* const kPriorLabel = "prior (Gao et al. 2024 coefficients, not fitted to your runs)";

// Written out from the paper and the issue, independently of core/.
double PublishedLoss(double n, double k) {
  const double ln_n = std::log(n), ln_k = std::log(k);
  return std::exp(-0.50 + 0.26 * ln_k - 0.017 * ln_n - 0.042 * ln_k * ln_n) + std::exp(-1.32 - 0.085 * ln_k);
}
double ConvergenceTokens(double n) { return 40e9 * std::pow(n / 16777216.0, 0.6); }

TEST(DictionaryCli, ComputePlanJsonFollowsThePriorAndTheFlopFormulas) {
  Result r = RunScaleplan("dictionary --d-model 4096 --compute 1e20 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_EQ(json["law"], kPriorLabel);
  EXPECT_TRUE(json["prior"].get<bool>());
  const double n = json["num_latents"], k = json["k"], tokens = json["num_tokens"], d = 4096;
  EXPECT_EQ(k, 128);  // the law's loss falls with k over 32..128
  // A whole number of latents (the optimum rounded down), trained to convergence and a little past it: the tokens
  // that spend the budget, less than one latent's worth (1/n relative) over T_conv(n).
  EXPECT_TRUE(json["num_latents"].is_number_integer());
  EXPECT_TRUE(json["k"].is_number_integer());
  EXPECT_TRUE(json["d_model"].is_number_integer());
  EXPECT_GE(tokens / ConvergenceTokens(n), 1.0 - 1e-12);
  EXPECT_LT(tokens / ConvergenceTokens(n) - 1.0, 1.0 / n);
  // Sparse kernels: 2 d n + 8 d k + 8 d k_aux, k_aux = d / 2 = 2048; dense: 10 d n + 8 d k_aux.
  const double sparse_per_token = 2 * d * n + 8 * d * k + 8 * d * 2048;
  EXPECT_NEAR(json["compute_flops"].get<double>() / (sparse_per_token * tokens), 1.0, 1e-12);
  EXPECT_NEAR(json["compute_flops"].get<double>() / 1e20, 1.0, 1e-9);  // no subject: the budget is all training
  EXPECT_TRUE(json["harvest_flops"].is_null());
  EXPECT_NEAR(json["loss"].get<double>(), PublishedLoss(n, k), 1e-12);
  // Memory: 16 bytes per parameter of 2 n d, fp32 scores 4 B n and 8 B (k + k_aux) for B = 4096, 12 B d whole.
  const double memory = 16 * 2 * n * d + 4096 * (4 * n + 8 * (k + 2048)) + 12 * 4096 * d;
  EXPECT_NEAR(json["memory_bytes"].get<double>() / memory, 1.0, 1e-12);
  const Json& dense = json["dense"];
  for (const char* key : {"num_latents", "k", "num_tokens", "compute_flops", "harvest_flops", "loss", "memory_bytes",
                          "devices", "days"}) {
    EXPECT_TRUE(json.contains(key)) << key;
    EXPECT_TRUE(dense.contains(key)) << key;
  }
  EXPECT_EQ(dense["num_latents"].get<double>(), n);
  EXPECT_NEAR(dense["compute_flops"].get<double>() / ((10 * d * n + 8 * d * 2048) * tokens), 1.0, 1e-12);
  EXPECT_NEAR(dense["memory_bytes"].get<double>() - json["memory_bytes"].get<double>(), 8.0 * 4096 * n, 1.0);
  EXPECT_GT(dense["days"].get<double>(), json["days"].get<double>());
  EXPECT_GE(json["devices"].get<int>(), 1);
}

TEST(DictionaryCli, TableSaysItIsThePrior) {
  Result r = RunScaleplan("dictionary --d-model 4096 --compute 1e20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(std::string("law     ") + kPriorLabel), std::string::npos);
  EXPECT_NE(r.out.find("sparse kernels"), std::string::npos);
  EXPECT_NE(r.out.find("dense kernels"), std::string::npos);
}

// A 1T-parameter subject (d_model 32768) and a billion-latent dictionary, end to end.
TEST(DictionaryCli, FrontierExampleRunsEndToEnd) {
  Result r = RunScaleplan("dictionary --d-model 32768 --latents 1B --subject-params 1T --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_EQ(json["law"], kPriorLabel);
  const double n = 1e9, d = 32768, k = json["k"], tokens = json["num_tokens"];
  EXPECT_NEAR(tokens / ConvergenceTokens(n), 1.0, 1e-9);
  // 65.5T parameters at 16 bytes and the scores, over 72 GB (90% of an H100) less 12 B d: 15,130 devices.
  const double sharded = 16 * 2 * n * d + 4096 * (4 * n + 8 * (k + 16384));
  const double room = 0.9 * 80e9 - 12.0 * 4096 * d;
  EXPECT_EQ(json["devices"].get<double>(), std::ceil(sharded / room));
  EXPECT_GT(json["devices"].get<int>(), 1);
  EXPECT_NEAR(json["harvest_flops"].get<double>() / (2e12 * 5.0 / 6.0 * tokens), 1.0, 1e-12);
  EXPECT_GT(json["compute_flops"].get<double>(), json["harvest_flops"].get<double>());
  EXPECT_GT(json["days"].get<double>(), 1.0);
  EXPECT_LT(json["days"].get<double>(), 1000.0);
  EXPECT_GT(json["dense"]["devices"].get<int>(), json["devices"].get<int>());
  bool extrapolates = false;
  for (const auto& warning : json["warnings"]) {
    extrapolates = extrapolates || warning.get<std::string>().find("extrapolation") != std::string::npos;
  }
  EXPECT_TRUE(extrapolates);

  // A million latents on the same subject: producing the activations costs more than training the dictionary.
  Result small = RunScaleplan("dictionary --d-model 32768 --latents 1M --subject-params 1T --format json");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  const Json s = Json::parse(small.out);
  EXPECT_GT(s["harvest_flops"].get<double>(), s["compute_flops"].get<double>());
  EXPECT_NEAR(s["harvest_flops"].get<double>() / s["compute_flops"].get<double>(),
              2e12 * 5.0 / 6.0 / (2 * 32768 * 1e6 + 8.0 * 32768 * (128 + 16384)), 1e-9);
}

TEST(DictionaryCli, RunsReplaceThePrior) {
  const std::string data = testing::SourcePath("data/dictionary_runs_generated.csv");
  Result fit = RunScaleplan("dictionary --runs '" + data + "' --format json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const Json json = Json::parse(fit.out)["fit"];
  EXPECT_EQ(json["num_runs"], 62);
  EXPECT_NEAR(json["converged_law"]["alpha"].get<double>(), -0.45, 0.05);
  EXPECT_NEAR(json["converged_law"]["gamma"].get<double>(), -0.04, 0.003);
  EXPECT_EQ(json["token_law"]["k"], 32);
  EXPECT_NEAR(json["token_law"]["beta"].get<double>(), 0.27, 0.03);

  Result plan = RunScaleplan("dictionary --runs '" + data + "' --d-model 4096 --compute 1e19 --k 32 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const Json p = Json::parse(plan.out);
  EXPECT_FALSE(p["prior"].get<bool>());
  EXPECT_EQ(p["law"].get<std::string>().rfind("fitted to 62 runs of ", 0), 0u);
  // The plan's loss is the fitted L(n, k) plus the fitted token term at the plan's (n, k, T).
  const Json& c = p["fit"]["converged_law"];
  const double n = p["num_latents"], k = 32, tokens = p["num_tokens"];
  const double ln_n = std::log(n), ln_k = std::log(k);
  const double loss = std::exp(c["alpha"].get<double>() + c["beta_k"].get<double>() * ln_k +
                               c["beta_n"].get<double>() * ln_n + c["gamma"].get<double>() * ln_k * ln_n) +
                      std::exp(c["zeta"].get<double>() + c["eta"].get<double>() * ln_k) +
                      p["fit"]["token_law"]["B"].get<double>() * std::pow(tokens, -p["fit"]["token_law"]["beta"].get<double>());
  EXPECT_NEAR(p["loss"].get<double>(), loss, 1e-12);
}

// A CUDA profile supplies the device (its name and memory) and the kernel speeds: the time per token is the
// measured rates' (no MFU, no bandwidth efficiency).
TEST(DictionaryCli, ProfileSpeedsReplaceTheCatalogue) {
  const std::string kernel =
      R"({"name": "%s", "dtype": "bf16", "d": 4096, "n": 131072, "k": 64, "batch": 4096, "seconds_median": 1,
          "seconds_best": 1, "flops": 1, "bytes": 1, "flops_per_second": %s, "bytes_per_second": %s})";
  auto entry = [&](const char* name, const char* flops, const char* bytes) {
    char text[512];
    std::snprintf(text, sizeof text, kernel.c_str(), name, flops, bytes);
    return std::string(text);
  };
  const std::string profile = testing::WriteTempFile(
      "profile.json",
      R"({"schema_version": 1, "backend": "cuda", "device": "Test GPU", "peak_flops": 5e14,
          "bandwidth_bytes_per_s": 2e12, "host": {"cpu_model": "x", "isa": [], "threads": 1, "blas_corename": "x"},
          "cuda_device": {"name": "Test GPU", "sm_count": 100, "memory_bytes": 80e9}, "kernels": [)" +
          entry("encoder_gemm", "4e14", "1") + "," + entry("topk", "1", "1.5e12") + "," +
          entry("decoder_gather", "1", "1e12") + "," + entry("scatter_add", "1", "8e11") + "]}");
  Result r = RunScaleplan("dictionary --d-model 4096 --latents 1M --k 64 --aux-k none --profile '" + profile +
                          "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_EQ(json["accelerator"], "Test GPU");
  const Json& t = json["time_per_token_seconds"];
  const double d = 4096, n = 1e6, k = 64;
  EXPECT_NEAR(t["gemm"].get<double>(), 2 * d * n / 4e14, 1e-18);
  EXPECT_NEAR(t["topk"].get<double>(), (4 * n + 8 * k) / 1.5e12, 1e-18);
  EXPECT_NEAR(t["gather"].get<double>(), 2 * (4 * k * d + 8 * k + 4 * d) / 1e12, 1e-18);
  EXPECT_NEAR(t["scatter"].get<double>(), 2 * (8 * k * d + 4 * d + 8 * k) / 8e11, 1e-18);
  EXPECT_NEAR(t["optimizer"].get<double>(), 32 * 2 * n * d / 4096 / 2e12, 1e-18);  // triad bandwidth
  const double seconds = json["num_tokens"].get<double>() *
                         (t["gemm"].get<double>() + t["topk"].get<double>() + t["gather"].get<double>() +
                          t["scatter"].get<double>() + t["optimizer"].get<double>());
  EXPECT_NEAR(json["days"].get<double>() * 86400 * json["devices"].get<double>() / seconds, 1.0, 1e-12);
}

TEST(DictionaryCli, GeneratorWritesTheCommittedFile) {
  const std::string path = testing::WriteTempFile("generated.csv", "");
  Result r = RunScaleplan("dictionary --generate-runs '" + path + "' --seed 20240606");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Slurp(path), Slurp(testing::SourcePath("data/dictionary_runs_generated.csv")));
}

TEST(DictionaryCli, BadRunsGetLocatedErrorsAndExitCode3) {
  const std::string bad = testing::WriteTempFile("bad.csv", "n,k,loss\n4096,32,0.3\n4096,oops,0.2\n");
  Result r = RunScaleplan("dictionary --runs '" + bad + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "scaleplan dictionary: error: " + bad + ":3: column 2 ('k'): not a number: 'oops'\n");
  EXPECT_TRUE(r.out.empty());
  const std::string big_k = testing::WriteTempFile("big_k.csv", "latents,topk,nmse\n64,64,0.3\n");
  Result k = RunScaleplan("dictionary --runs '" + big_k + "' --d-model 768 --compute 1e18");
  EXPECT_EQ(k.exit_code, 3);
  EXPECT_EQ(k.err, "scaleplan dictionary: error: " + big_k +
                       ":2: column 2 ('topk'): k must be below the number of latents (64): '64'\n");
  const std::string no_k = testing::WriteTempFile("no_k.csv", "n,tokens,loss\n64,1e9,0.3\n");
  EXPECT_NE(RunScaleplan("dictionary --runs '" + no_k + "'").err.find(no_k + ":1: missing column for k"),
            std::string::npos);
  const std::string few = testing::WriteTempFile("few.csv", "n,k,loss\n4096,8,0.5\n8192,16,0.4\n");
  Result too_few = RunScaleplan("dictionary --runs '" + few + "'");
  EXPECT_EQ(too_few.exit_code, 3);
  EXPECT_NE(too_few.err.find("too few runs to fit: 2 runs"), std::string::npos);
  Result missing = RunScaleplan("dictionary --runs /nonexistent/dict.csv");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("/nonexistent/dict.csv: cannot read the file"), std::string::npos);
}

TEST(DictionaryCli, UsageErrorsExit2) {
  for (const char* args :
       {"dictionary", "dictionary --d-model 4096", "dictionary --compute 1e20",
        "dictionary --d-model 4096 --compute 1e20 --gpu-hours 10", "dictionary --d-model 4096 --compute abc",
        "dictionary --d-model 4096 --compute -1", "dictionary --d-model 4096 --compute 1e20 --k 32 --k-range 8:64",
        "dictionary --d-model 4096 --compute 1e20 --k-range 128:32", "dictionary --d-model 4096 --compute 1e20 --bootstrap",
        "dictionary --d-model 4096 --compute 1e20 --aux-k all", "dictionary --d-model 4096 --compute 1e20 --budget most",
        "dictionary --d-model 4096 --compute 1e20 --accelerator TPU9", "dictionary --d-model 4096 --latents 1M --target-loss 0.2",
        "dictionary --d-model 4096 --compute 1e20 --param-type fp8", "dictionary --d-model 4096 --compute 1e20 --mfu 2",
        "dictionary --no-such-flag"}) {
    Result r = RunScaleplan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("Try 'scaleplan dictionary --help'."), std::string::npos) << args;
  }
  EXPECT_NE(RunScaleplan("dictionary --d-model 4096 --compute 1e20 --bootstrap").err.find("it needs --runs"),
            std::string::npos);
}

TEST(DictionaryCli, UnreachableOrInfeasiblePlansExit1) {
  Result target = RunScaleplan("dictionary --d-model 4096 --target-loss 0.1");
  EXPECT_EQ(target.exit_code, 1);
  EXPECT_NE(target.err.find("no k in range reaches loss 0.1"), std::string::npos);
  Result count = RunScaleplan("dictionary --d-model 4096 --latents 16M --count 1");
  EXPECT_EQ(count.exit_code, 1);
  EXPECT_NE(count.err.find("1 devices cannot hold the dictionary"), std::string::npos);
}

TEST(DictionaryCli, HelpHasExamples) {
  Result r = RunScaleplan("dictionary --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("scaleplan dictionary --d-model 4096 --compute 1e20"), std::string::npos);
  EXPECT_NE(r.out.find("--generate-runs"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan
