// `scaleplan plan` with an accelerator and no --mfu: the layout search (core/frontier_plan.h) on the real binary.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;
using testing::RunScaleplan;
using Result = testing::CommandResult;

Json PlanJson(const std::string& args, int expected_exit = 0) {
  const Result r = RunScaleplan("plan --law epoch " + args + " --format json");
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  return Json::parse(r.out);
}

// probe --collectives' profile with the interconnect section below, measured by `backend` on `device`.
std::string InterconnectProfile(const std::string& name, const std::string& backend, const std::string& device,
                                const std::string& collectives_backend) {
  std::string text = R"({
    "schema_version": 1, "backend": "BACKEND", "device": "DEVICE", "peak_flops": 0, "bandwidth_bytes_per_s": 0,
    "host": {"cpu_model": "test", "isa": [], "threads": 1, "blas_corename": "x"}, "kernels": [],
    "interconnect": {"ranks": 16, "nodes": 2, "ranks_per_node": 8, "backend": "COLLECTIVES", "collectives": [],
      "models": [{"name": "all_reduce", "scope": "intra_node", "ranks": 8, "latency_seconds": 2e-6,
                  "busbw_bytes_per_s": 3.0e11},
                 {"name": "all_reduce", "scope": "inter_node", "ranks": 2, "latency_seconds": 5e-6,
                  "busbw_bytes_per_s": 2.0e10}]}})";
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"BACKEND", backend},
                                   {"DEVICE", device},
                                   {"COLLECTIVES", collectives_backend}}) {
    text.replace(text.find(key), key.size(), value);
  }
  return testing::WriteTempFile(name, text);
}

// A measured interconnect of the planned device (NCCL between H100s) replaces the catalogue's, and the plan says so.
TEST(FrontierPlanCli, AProfileWithAnInterconnectIsTheSourceOfTheCommunicationFigures) {
  const std::string profile = InterconnectProfile("interconnect.json", "cuda", "NVIDIA H100 80GB HBM3", "nccl");
  const std::string args = "--params 70B --compute 1e24 --accelerator H100-SXM --count 1024";
  const Json measured = PlanJson(args + " --profile '" + profile + "'");
  EXPECT_EQ(measured["interconnect_source"], "profile");
  const Json catalogue = PlanJson(args);
  EXPECT_EQ(measured["warnings"], catalogue["warnings"]);  // no profile warning: it measured H100s
  EXPECT_EQ(catalogue["interconnect_source"], "catalogue");
  // The slower measured links (300 and 20 GB/s against the catalogue's 370 and 24 GB/s of bus bandwidth) cost time.
  EXPECT_GT(measured["step_seconds"].get<double>(), catalogue["step_seconds"].get<double>());
  // The text says where the communication figures came from, and only when they are the profile's.
  const std::string said =
      "  communication: costed with the measured all-reduce bus bandwidth and latency of profile '" + profile +
      "' (interconnect_source: profile)\n";
  EXPECT_NE(testing::RunScaleplan("plan --law epoch " + args + " --profile '" + profile + "'").out.find(said),
            std::string::npos);
  EXPECT_EQ(testing::RunScaleplan("plan --law epoch " + args).out.find("  communication:"), std::string::npos);
}

// `text` with its first `from` replaced by `to` (a failure when there is none).
std::string Replaced(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.substr(0, at) + to + text.substr(at + from.size());
}

// The measured figures are the ones used: with zero latency a pipeline stage's send costs bytes / inter-node bus
// bandwidth, so halving the measured bandwidth doubles the PP time at a fixed layout (TP 8 fills each 8-GPU node:
// every stage boundary crosses nodes), and the compute is unchanged.
TEST(FrontierPlanCli, ThePipelineTimeScalesWithTheMeasuredInterNodeBandwidth) {
  const std::string text =
      Replaced(Replaced(testing::ReadWholeFile(InterconnectProfile("pp.json", "cuda", "NVIDIA H100 80GB HBM3", "nccl")),
                        "\"latency_seconds\": 2e-6", "\"latency_seconds\": 0"),
               "\"latency_seconds\": 5e-6", "\"latency_seconds\": 0");
  const std::string fast = testing::WriteTempFile("pp_fast.json", text);
  const std::string slow = testing::WriteTempFile("pp_slow.json", Replaced(text, "2.0e10", "1.0e10"));
  const std::string args =
      "--params 70B --accelerator H100-SXM --count 160 --layout tp=8,pp=4,dp=5,cp=1,ep=1,v=1,mb=1,"
      "zero=1,recompute=full --profile ";
  const Json at_20 = PlanJson(args + "'" + fast + "'");
  const Json at_10 = PlanJson(args + "'" + slow + "'");
  ASSERT_EQ(at_20["layout"], at_10["layout"]);
  EXPECT_EQ(at_20["layout"]["pp"], 4);
  const double pp_20 = at_20["step_breakdown"]["pp_comm_seconds"].get<double>();
  EXPECT_GT(pp_20, 0.0);
  EXPECT_NEAR(at_10["step_breakdown"]["pp_comm_seconds"].get<double>(), 2.0 * pp_20, 1e-9 * pp_20);
  EXPECT_EQ(at_10["step_breakdown"]["compute_seconds"], at_20["step_breakdown"]["compute_seconds"]);
}

// Links measured by MPI between CPU processes are not an H100 cluster's: as for a CPU's GEMM peak, the catalogue's
// figures stay, interconnect_source says so and every row warns, the plan equal to the one without the profile.
TEST(FrontierPlanCli, AnInterconnectMeasuredOnCpusIsNotAppliedToAnotherDevice) {
  const std::string profile = InterconnectProfile("cpu_links.json", "cpu", "test CPU", "mpi");
  const std::string args = "--params 70B --accelerator H100-SXM";
  const Json refused = PlanJson(args + " --profile '" + profile + "'");
  const Json catalogue = PlanJson(args);
  EXPECT_EQ(refused["interconnect_source"], "catalogue (not the profile's)");
  EXPECT_EQ(refused["num_accelerators"], catalogue["num_accelerators"]);
  EXPECT_EQ(refused["layout"], catalogue["layout"]);
  EXPECT_EQ(refused["step_seconds"], catalogue["step_seconds"]);
  ASSERT_FALSE(refused["warnings"].empty());
  const std::string warning = refused["warnings"].back().get<std::string>();
  EXPECT_NE(warning.find("was measured on test CPU (cpu), not on H100-SXM: its interconnect (mpi all-reduce bus "
                         "bandwidth between 16 ranks) is not applied; the plan uses the H100-SXM's catalogue "
                         "interconnect"),
            std::string::npos)
      << warning;
}

TEST(FrontierPlanCli, TrillionParameterPlanHasALayoutAndItsKeys) {
  const Json json = PlanJson("--params 1T --compute 3e25 --accelerator H100-SXM");
  EXPECT_EQ(json["mfu_source"], "predicted");
  EXPECT_EQ(json["interconnect_source"], "catalogue");
  EXPECT_TRUE(json["feasible"].get<bool>());
  EXPECT_TRUE(json["meets_max_days"].is_null());
  for (const char* key :
       {"num_params", "num_active_params", "flops_per_token", "layout", "mfu", "flops_per_second_per_device",
        "hardware_flops_per_second_per_device", "step_seconds", "step_breakdown", "memory_breakdown", "days",
        "gpu_hours", "cost_usd", "feasible", "meets_max_days", "reasons", "layouts"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  const Json& layout = json["layout"];
  for (const char* key : {"tp", "pp", "dp", "cp", "ep", "virtual_stages", "micro_batch", "grad_accumulation",
                          "zero_stage", "recomputation"}) {
    EXPECT_TRUE(layout.contains(key)) << key;
  }
  // The split multiplies to the device count; the count finishes within the default 90 days.
  const long long devices = json["num_accelerators"];
  EXPECT_EQ(layout["tp"].get<long long>() * layout["pp"].get<long long>() * layout["dp"].get<long long>() *
                layout["cp"].get<long long>(),
            devices);
  EXPECT_LE(json["days"].get<double>(), 90.0);
  // The step is the sum of its exposed parts.
  double sum = 0;
  for (const auto& item : json["step_breakdown"].items()) sum += item.value().get<double>();
  EXPECT_NEAR(sum / json["step_seconds"].get<double>(), 1.0, 1e-12);
  // MFU is model FLOP/s per device over the dense bf16 peak; the memory fits the usable 90% of 80 GB.
  EXPECT_NEAR(json["mfu"].get<double>(), json["flops_per_second_per_device"].get<double>() / 989e12, 1e-12);
  EXPECT_LE(json["memory_breakdown"]["total_bytes"].get<double>(), 72e9);
  // GPU-hours and cost: days x 24 x devices, at the catalogue's $3.00.
  EXPECT_NEAR(json["gpu_hours"].get<double>() / (json["days"].get<double>() * 24 * devices), 1.0, 1e-9);
  EXPECT_NEAR(json["cost_usd"].get<double>() / (3.0 * json["gpu_hours"].get<double>()), 1.0, 1e-12);
  // Up to five layouts, fastest first, the first being the plan's.
  ASSERT_GE(json["layouts"].size(), 1u);
  EXPECT_LE(json["layouts"].size(), 5u);
  EXPECT_EQ(json["layouts"][0]["layout"], layout);
  for (size_t i = 1; i < json["layouts"].size(); ++i) {
    EXPECT_LE(json["layouts"][i - 1]["step_seconds"].get<double>(), json["layouts"][i]["step_seconds"].get<double>());
  }
}

TEST(FrontierPlanCli, HundredTrillionParametersGetAFeasibleLayout) {
  // 100T was INFEASIBLE before the layout search; with tensor and pipeline parallelism it fits.
  const Json json = PlanJson("--params 100T --compute 1e27 --accelerator B200");
  EXPECT_TRUE(json["feasible"].get<bool>());
  EXPECT_GT(json["num_accelerators"].get<double>(), 1000);
  EXPECT_GT(json["layout"]["pp"].get<int>() * json["layout"]["tp"].get<int>(), 8);
}

TEST(FrontierPlanCli, GivenMfuSkipsTheSearch) {
  const Json json = PlanJson("--params 70B --accelerator H100-SXM --count 1024 --mfu 0.4");
  EXPECT_EQ(json["mfu_source"], "given");
  EXPECT_EQ(json["mfu"].get<double>(), 0.4);
  EXPECT_FALSE(json.contains("layout"));
}

TEST(FrontierPlanCli, ArchitecturesSetTheModel) {
  // DeepSeek-V3 on the 2,048 H800s it was trained on, 14.8T tokens, fp8.
  const Json json = PlanJson("--arch deepseek-v3 --tokens 14.8T --accelerator H800-SXM --count 2048 --precision fp8");
  EXPECT_NEAR(json["num_params"].get<double>() / 671e9, 1.0, 0.002);
  EXPECT_NEAR(json["num_active_params"].get<double>() / 37.5e9, 1.0, 0.02);
  EXPECT_EQ(json["num_tokens"].get<double>(), 14.8e12);
  EXPECT_GT(json["layout"]["ep"].get<int>(), 1);  // small per-expert GEMMs make expert parallelism pay
  EXPECT_EQ(json["precision"], "fp8");
  // MFU against the fp8 peak.
  EXPECT_NEAR(json["mfu"].get<double>(), json["flops_per_second_per_device"].get<double>() / 1979e12, 1e-12);
}

TEST(FrontierPlanCli, DeepSeekV3GpuHoursMatchTheReport) {
  // DeepSeek-V3 report, Table 1: pre-training on 14.8T tokens took 2,664K H800 GPU-hours on 2,048 GPUs, fp8, with
  // batches ramping to 15,360 sequences of 4,096 tokens. The model (without DualPipe's overlap of the all-to-all)
  // lands within 20%.
  const Json json = PlanJson(
      "--arch deepseek-v3 --tokens 14.8T --accelerator H800-SXM --count 2048 --precision fp8 "
      "--global-batch-tokens 62.9M");
  EXPECT_NEAR(json["gpu_hours"].get<double>() / 2.664e6, 1.0, 0.20);
}

TEST(FrontierPlanCli, FixedLayoutIsKeptAndFixesTheCount) {
  const Json json = PlanJson(
      "--arch llama3-405b --tokens 15.6T --accelerator H100-SXM --layout tp=8,pp=16,dp=128 "
      "--global-batch-tokens 16M");
  EXPECT_EQ(json["num_accelerators"].get<int>(), 16384);
  EXPECT_EQ(json["layout"]["tp"].get<int>(), 8);
  EXPECT_EQ(json["layout"]["pp"].get<int>(), 16);
  EXPECT_EQ(json["layout"]["dp"].get<int>(), 128);
  // 16M tokens = 1,953.1 sequences of 8,192, rounded to a whole number of micro-batches per replica.
  EXPECT_EQ(json["global_batch_sequences"].get<int>() % 128, 0);
  EXPECT_NEAR(json["global_batch_sequences"].get<double>() * 8192 / 16e6, 1.0, 0.04);
  ASSERT_EQ(json["notes"].size(), 1u);
  EXPECT_NE(json["notes"][0].get<std::string>().find(
                "rounded to " + std::to_string(json["global_batch_sequences"].get<int>()) + " sequences of 8192 tokens"),
            std::string::npos)
      << json["notes"][0];
}

TEST(FrontierPlanCli, MaxDaysIsASeparateVerdict) {
  const Result r = RunScaleplan(
      "plan --law epoch --params 70B --accelerator H100-SXM --count 64 --max-days 5 "
      "--format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_TRUE(json["feasible"].get<bool>());
  EXPECT_FALSE(json["meets_max_days"].get<bool>());
  EXPECT_NE(r.err.find("over --max-days"), std::string::npos) << r.err;
}

TEST(FrontierPlanCli, NothingFitsNamesTheBindingConstraint) {
  const Result r = RunScaleplan("plan --law epoch --params 1T --accelerator H100-SXM --count 8 --format json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const Json json = Json::parse(r.out);
  EXPECT_FALSE(json["feasible"].get<bool>());
  ASSERT_FALSE(json["reasons"].empty());
  EXPECT_NE(json["reasons"][0].get<std::string>().find("memory per device"), std::string::npos);
}

TEST(FrontierPlanCli, ImpossibleInputIsAUsageError) {
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"--params 70B --accelerator H100-SXM --layout tp=16", "--layout: tp=16 is larger than a node of H100-SXM"},
      {"--params 70B --accelerator H100-SXM --count 64 --layout tp=8,pp=2,dp=2",
       "--layout: tp x pp x cp x dp = 32 is not the device count 64"},
      {"--arch llama3-8b --accelerator H100-SXM --layout tp=3", "--layout: tp=3 does not divide the 32 heads"},
      {"--params 70B --accelerator H100-SXM --layout tq=2", "unknown field 'tq'"},
      {"--arch llama3-8b --accelerator H100-SXM --layout ep=2", "needs a mixture-of-experts model"},
      {"--arch llama3-8b --heads 7", "num_kv_heads must not exceed num_heads"},
      {"--arch llama3-8b --d-model 4000 --heads 32 --head-dim 0", "--head-dim"},
      {"--arch mixtral-8x7b --active-experts 9", "active_experts must lie between 1 and num_experts"},
      {"--arch gpt5", "unknown architecture"},
      {"--arch llama3-8b --params 8B", "already sets N"},
      {"--params 70B --accelerator H100-SXM --precision fp4", "--precision: must be bf16 or fp8"},
      {"--tokens 1T", "--tokens needs --params or --arch"},
      {"--params 70B --layout tp=8", "need --accelerator"},
  };
  for (const Case& c : cases) {
    const Result r = RunScaleplan(std::string("plan --law epoch ") + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

TEST(FrontierPlanCli, HardwareFilesAreCheckedAndOverridesApply) {
  const std::string bad = testing::WriteTempFile(
      "hw.json", R"({"schema_version": 1, "accelerators": [{"name": "X", "vendor": "v", "source": "s",
        "memory_bytes": 80e9, "memory_bytes_per_second": 2e12, "price_usd_per_hour": 1,
        "dense_flops_per_second": {"bf16": 1e15},
        "interconnect": {"devices_per_node": 8, "intra_node_bytes_per_second": -1,
          "inter_node_bytes_per_second": 5e10, "intra_node_latency_seconds": 0, "inter_node_latency_seconds": 0,
          "source": "s"}}]})");
  const Result r = RunScaleplan("plan --law epoch --params 7B --hardware '" + bad + "'");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("/accelerators/0/interconnect/intra_node_bytes_per_second: must be a positive number"),
            std::string::npos)
      << r.err;

  const std::string good = testing::WriteTempFile(
      "hw_good.json", R"({"schema_version": 1, "accelerators": [{"name": "X", "vendor": "v", "source": "s",
        "memory_bytes": 80e9, "memory_bytes_per_second": 2e12, "price_usd_per_hour": 1,
        "dense_flops_per_second": {"bf16": 1e15},
        "interconnect": {"devices_per_node": 4, "intra_node_bytes_per_second": 1e11,
          "inter_node_bytes_per_second": 5e10, "intra_node_latency_seconds": 0, "inter_node_latency_seconds": 0,
          "source": "s"}}]})");
  const Json json = PlanJson("--params 7B --hardware '" + good + "' --count 64");
  EXPECT_EQ(json["accelerator"], "X");
  EXPECT_LE(json["layout"]["tp"].get<int>(), 4);  // a node of 4
  EXPECT_NEAR(json["mfu"].get<double>(), json["flops_per_second_per_device"].get<double>() / 1e15, 1e-12);
  // --peak-flops replaces the peak; --devices-per-node 2 caps TP at 2.
  const Json overridden = PlanJson(
      "--params 7B --accelerator H100-SXM --count 64 --peak-flops 500T "
      "--devices-per-node 2");
  EXPECT_LE(overridden["layout"]["tp"].get<int>(), 2);
  EXPECT_NEAR(overridden["mfu"].get<double>(), overridden["flops_per_second_per_device"].get<double>() / 5e14, 1e-12);
}

TEST(FrontierPlanCli, SweepRowsAreThePlansLayouts) {
  // Each --layout-search row is `plan --accelerator A --count K --precision P` at the row's budget.
  const Result r = RunScaleplan(
      "sweep --law epoch --compute 1e23,1e25 --accelerator H100-SXM,B200 --count 512,0 "
      "--precision bf16,fp8 --layout-search --format jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = testing::Lines(r.out);
  ASSERT_EQ(lines.size(), 2u * 2 * 2 * 2);
  for (const std::string& line : lines) {
    const Json row = Json::parse(line);
    const std::string count = row["num_accelerators"].get<double>() == 512 ? "512" : "0";
    const Json plan =
        PlanJson("--compute " + std::string(row["compute_flops"].get<double>() == 1e23 ? "1e23" : "1e25") +
                 " --accelerator " + row["accelerator"].get<std::string>() + " --count " + count + " --precision " +
                 row["precision"].get<std::string>());
    EXPECT_EQ(row["num_accelerators"], plan["num_accelerators"]) << line;
    EXPECT_EQ(row["mfu"], plan["mfu"]) << line;
    EXPECT_EQ(row["days"], plan["days"]) << line;
    for (const char* key :
         {"tp", "pp", "dp", "cp", "ep", "virtual_stages", "micro_batch", "zero_stage", "recomputation"}) {
      EXPECT_EQ(row[key], plan["layout"][key]) << key << " in " << line;
    }
  }
  // --mfu and --layout-search contradict each other; --precision needs the search.
  EXPECT_EQ(RunScaleplan("sweep --law epoch --layout-search --mfu 0.4").exit_code, 2);
  EXPECT_EQ(RunScaleplan("sweep --law epoch --precision fp8").exit_code, 2);
  EXPECT_EQ(RunScaleplan("sweep --law epoch --layout-search --precision fp4").exit_code, 2);
}

}  // namespace
}  // namespace scaleplan
