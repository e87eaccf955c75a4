#include "core/hardware_profile.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace scaleplan {
namespace {

HardwareProfile SampleProfile() {
  HardwareProfile profile;
  profile.backend = "cpu";
  profile.device = "Test CPU";
  profile.peak_flops = 2.0e11;
  profile.bandwidth_bytes_per_s = 4.0e10;
  profile.host.cpu_model = "Test CPU";
  profile.host.isa = {"avx2", "fma"};
  profile.host.threads = 2;
  profile.host.blas_corename = "Haswell";
  profile.host.blas_config = "OpenBLAS 0.3.21 DYNAMIC_ARCH";
  profile.host.openblas_coretype = "Haswell";
  profile.calibration.fma_peak_flops = 4.5e11;
  profile.calibration.last_level_cache_bytes = 32.0 * 1024 * 1024;
  profile.calibration.cache_knee_found = true;
  profile.calibration.cache_sweep = {{262144.0, 1.2e11}, {536870912.0, 4.4e10}};
  KernelMeasurement gemm;
  gemm.name = "encoder_gemm";
  gemm.dtype = "fp32";
  gemm.d = 768;
  gemm.n = 16384;
  gemm.batch = 256;
  gemm.seconds_median = 0.032;
  gemm.seconds_best = 0.031;
  gemm.flops = 2.0 * 256 * 768 * 16384;
  gemm.bytes = 4.0 * (256 * 768 + 16384 * 768) + 4.0 * 256 * 16384;
  gemm.flops_per_second = gemm.flops / gemm.seconds_median;
  gemm.bytes_per_second = gemm.bytes / gemm.seconds_median;
  gemm.working_set_bytes = gemm.bytes;
  gemm.arithmetic_intensity = gemm.flops / gemm.bytes;
  gemm.roofline_fraction = 0.45;
  profile.kernels.push_back(gemm);
  KernelMeasurement topk = gemm;
  topk.name = "topk";
  topk.d = 0;
  topk.k = 32;
  profile.kernels.push_back(topk);
  return profile;
}

// The sample as a JSON document, to be damaged by the bad-profile tests.
nlohmann::json SampleJson() { return nlohmann::json::parse(HardwareProfileToJson(SampleProfile())); }

// The InputError message for `json`, or "" when it parses.
std::string ErrorFor(const std::string& text) {
  try {
    HardwareProfileFromJson(text, "bad.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(HardwareProfileTest, RoundTripKeepsEveryField) {
  const HardwareProfile original = SampleProfile();
  const HardwareProfile back = HardwareProfileFromJson(HardwareProfileToJson(original), "round-trip");
  EXPECT_EQ(back.schema_version, 1);
  EXPECT_EQ(back.backend, "cpu");
  EXPECT_EQ(back.device, "Test CPU");
  EXPECT_DOUBLE_EQ(back.peak_flops, 2.0e11);
  EXPECT_DOUBLE_EQ(back.bandwidth_bytes_per_s, 4.0e10);
  EXPECT_EQ(back.host.isa, (std::vector<std::string>{"avx2", "fma"}));
  EXPECT_EQ(back.host.threads, 2);
  EXPECT_EQ(back.host.blas_corename, "Haswell");
  ASSERT_TRUE(back.host.openblas_coretype.has_value());
  EXPECT_EQ(*back.host.openblas_coretype, "Haswell");
  EXPECT_FALSE(back.cuda_device.has_value());
  EXPECT_DOUBLE_EQ(back.calibration.fma_peak_flops, 4.5e11);
  EXPECT_TRUE(back.calibration.cache_knee_found);
  ASSERT_EQ(back.calibration.cache_sweep.size(), 2u);
  EXPECT_DOUBLE_EQ(back.calibration.cache_sweep[1].bytes_per_second, 4.4e10);
  ASSERT_EQ(back.kernels.size(), 2u);
  const KernelMeasurement& gemm = back.kernels[0];
  EXPECT_EQ(gemm.name, "encoder_gemm");
  EXPECT_EQ(gemm.n, 16384);
  EXPECT_EQ(gemm.batch, 256);
  EXPECT_DOUBLE_EQ(gemm.flops, 2.0 * 256 * 768 * 16384);
  EXPECT_DOUBLE_EQ(gemm.seconds_best, 0.031);
  EXPECT_DOUBLE_EQ(gemm.roofline_fraction, 0.45);
  EXPECT_EQ(back.kernels[1].k, 32);
}

TEST(HardwareProfileTest, CudaDeviceRoundTrips) {
  HardwareProfile profile = SampleProfile();
  profile.backend = "cuda";
  CudaDeviceInfo gpu;
  gpu.name = "NVIDIA H100";
  gpu.sm_count = 132;
  gpu.compute_capability_major = 9;
  gpu.memory_bytes = 80e9;
  gpu.clock_khz = 1980000;
  profile.cuda_device = gpu;
  const HardwareProfile back = HardwareProfileFromJson(HardwareProfileToJson(profile), "gpu");
  ASSERT_TRUE(back.cuda_device.has_value());
  EXPECT_EQ(back.cuda_device->name, "NVIDIA H100");
  EXPECT_EQ(back.cuda_device->sm_count, 132);
  EXPECT_EQ(back.cuda_device->compute_capability_major, 9);
  EXPECT_EQ(back.cuda_device->clock_khz, 1980000);
}

TEST(HardwareProfileTest, WriterPutsTheSchemaVersionFirst) {
  const std::string text = HardwareProfileToJson(SampleProfile());
  EXPECT_EQ(text.find("\"schema_version\": 1"), text.find('"'));
}

TEST(HardwareProfileTest, OpenblasCoretypeIsOptional) {
  nlohmann::json json = SampleJson();
  json["host"].erase("openblas_coretype");
  const HardwareProfile back = HardwareProfileFromJson(json.dump(), "no-coretype");
  EXPECT_FALSE(back.host.openblas_coretype.has_value());
}

TEST(HardwareProfileTest, RejectsTextThatIsNotJson) {
  const std::string message = ErrorFor("{\"schema_version\": 1,");
  EXPECT_NE(message.find("bad.json: not valid JSON"), std::string::npos) << message;
}

TEST(HardwareProfileTest, RejectsATopLevelArray) {
  EXPECT_NE(ErrorFor("[1, 2]").find("expected an object, found array"), std::string::npos);
}

TEST(HardwareProfileTest, RejectsAMissingKeyByPath) {
  nlohmann::json json = SampleJson();
  json["kernels"][1].erase("seconds_median");
  const std::string message = ErrorFor(json.dump());
  EXPECT_NE(message.find("bad.json: at 'kernels[1].seconds_median': missing required key"), std::string::npos)
      << message;
}

TEST(HardwareProfileTest, RejectsAWrongTypeByPath) {
  nlohmann::json json = SampleJson();
  json["peak_flops"] = "fast";
  const std::string message = ErrorFor(json.dump());
  EXPECT_NE(message.find("at 'peak_flops': expected a number, found string: '\"fast\"'"), std::string::npos)
      << message;
  json = SampleJson();
  json["kernels"][0]["d"] = 76.8;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'kernels[0].d': expected an integer, found number"), std::string::npos);
  json = SampleJson();
  json["host"]["isa"][1] = 3;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'host.isa[1]': expected a string, found integer"), std::string::npos);
}

TEST(HardwareProfileTest, RejectsNegativeThroughput) {
  nlohmann::json json = SampleJson();
  json["kernels"][1]["bytes_per_second"] = -5.0;
  const std::string message = ErrorFor(json.dump());
  EXPECT_NE(message.find("at 'kernels[1].bytes_per_second': must not be negative: '-5.0'"), std::string::npos)
      << message;
}

TEST(HardwareProfileTest, RejectsNonPositivePeaks) {
  nlohmann::json json = SampleJson();
  json["bandwidth_bytes_per_s"] = 0;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'bandwidth_bytes_per_s': must be positive"), std::string::npos);
  json = SampleJson();
  json["peak_flops"] = -1e9;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'peak_flops': must be positive"), std::string::npos);
}

// An integer held in an int is range-checked, not wrapped: 2^32 + 1 threads once read as 1 thread (found by
// tests/fuzz/hardware_profile_fuzz.cc).
TEST(HardwareProfileTest, RejectsACountBeyondAnInt) {
  nlohmann::json json = SampleJson();
  json["host"]["threads"] = 4294967297;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'host.threads': integer out of range: '4294967297'"), std::string::npos)
      << ErrorFor(json.dump());
  json = SampleJson();
  json["cuda_device"] = {{"name", "GPU"}, {"sm_count", 2147483648}, {"memory_bytes", 8e10}};
  EXPECT_NE(ErrorFor(json.dump()).find("at 'cuda_device.sm_count': integer out of range"), std::string::npos);
  json["cuda_device"]["sm_count"] = 2147483647;
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok.json").cuda_device->sm_count, 2147483647);
}

TEST(HardwareProfileTest, RejectsAFutureSchemaVersion) {
  nlohmann::json json = SampleJson();
  json["schema_version"] = 2;
  const std::string message = ErrorFor(json.dump());
  EXPECT_NE(message.find("at 'schema_version': unsupported schema_version 2 (this build reads up to 1"),
            std::string::npos)
      << message;
  json["schema_version"] = 0;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'schema_version': must be at least 1"), std::string::npos);
}

TEST(HardwareProfileTest, RejectsAnUnknownBackendAndABadKernelList) {
  nlohmann::json json = SampleJson();
  json["backend"] = "tpu";
  EXPECT_NE(ErrorFor(json.dump()).find("at 'backend': expected \"cpu\" or \"cuda\""), std::string::npos);
  json = SampleJson();
  json["kernels"] = nlohmann::json::object();
  EXPECT_NE(ErrorFor(json.dump()).find("at 'kernels': expected an array, found object"), std::string::npos);
  json = SampleJson();
  json["kernels"][0] = 7;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'kernels[0]': expected an object, found integer"), std::string::npos);
}

TEST(HardwareProfileTest, IgnoresUnknownKeysOfTheSameSchema) {
  nlohmann::json json = SampleJson();
  json["added_later"] = {{"anything", 1}};
  json["kernels"][0]["extra"] = "x";
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "extra").kernels.size(), 2u);
}

InterconnectProfile SampleInterconnect() {
  InterconnectProfile interconnect;
  interconnect.ranks = 16;
  interconnect.nodes = 2;
  interconnect.ranks_per_node = 8;
  interconnect.backend = "mpi";
  CollectiveMeasurement all_reduce;
  all_reduce.name = "all_reduce";
  all_reduce.scope = "inter_node";
  all_reduce.ranks = 2;
  all_reduce.bytes = 16777216;
  all_reduce.seconds_median = 2e-3;
  all_reduce.seconds_best = 1.5e-3;
  all_reduce.algbw_bytes_per_s = 16777216 / 2e-3;
  all_reduce.busbw_bytes_per_s = all_reduce.algbw_bytes_per_s;
  interconnect.collectives.push_back(all_reduce);
  interconnect.models.push_back({"all_reduce", "inter_node", 2, 3e-6, 8.5e9, {"latency clamped to 0: ..."}});
  return interconnect;
}

TEST(HardwareProfileTest, InterconnectRoundTrips) {
  HardwareProfile profile = SampleProfile();
  profile.interconnect = SampleInterconnect();
  const HardwareProfile back = HardwareProfileFromJson(HardwareProfileToJson(profile), "ic");
  ASSERT_TRUE(back.interconnect.has_value());
  EXPECT_EQ(back.interconnect->ranks, 16);
  EXPECT_EQ(back.interconnect->nodes, 2);
  EXPECT_EQ(back.interconnect->ranks_per_node, 8);
  EXPECT_EQ(back.interconnect->backend, "mpi");
  ASSERT_EQ(back.interconnect->collectives.size(), 1u);
  EXPECT_EQ(back.interconnect->collectives[0].scope, "inter_node");
  EXPECT_EQ(back.interconnect->collectives[0].bytes, 16777216.0);
  EXPECT_EQ(back.interconnect->collectives[0].seconds_best, 1.5e-3);
  const CollectiveModel* model = back.interconnect->FindModel("all_reduce", "inter_node");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->latency_seconds, 3e-6);
  EXPECT_EQ(model->busbw_bytes_per_s, 8.5e9);
  EXPECT_EQ(model->warnings, std::vector<std::string>{"latency clamped to 0: ..."});
  EXPECT_EQ(back.interconnect->FindModel("all_reduce", "intra_node"), nullptr);
  EXPECT_FALSE(HardwareProfileFromJson(HardwareProfileToJson(SampleProfile()), "none").interconnect.has_value());
}

// 'probe --collectives' alone measures no kernels: zero peaks are allowed then, and only then.
TEST(HardwareProfileTest, InterconnectOnlyProfileHasZeroPeaks) {
  HardwareProfile profile = SampleProfile();
  profile.kernels.clear();
  profile.peak_flops = 0.0;
  profile.bandwidth_bytes_per_s = 0.0;
  profile.interconnect = SampleInterconnect();
  EXPECT_EQ(HardwareProfileFromJson(HardwareProfileToJson(profile), "ic").peak_flops, 0.0);
  profile.interconnect.reset();
  EXPECT_NE(ErrorFor(HardwareProfileToJson(profile)).find("at 'peak_flops': must be positive"), std::string::npos);
}

TEST(HardwareProfileTest, RejectsAMalformedInterconnectByPath) {
  HardwareProfile profile = SampleProfile();
  profile.interconnect = SampleInterconnect();
  const nlohmann::json good = nlohmann::json::parse(HardwareProfileToJson(profile));
  nlohmann::json json = good;
  json["interconnect"]["collectives"][0]["scope"] = "rack";
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.collectives[0].scope': expected \"intra_node\" or"),
            std::string::npos);
  json = good;
  json["interconnect"]["models"][0]["name"] = "broadcast";
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.models[0].name': expected all_reduce"), std::string::npos);
  json = good;
  json["interconnect"]["models"][0]["busbw_bytes_per_s"] = 0;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.models[0].busbw_bytes_per_s': must be positive"),
            std::string::npos);
  json = good;
  json["interconnect"]["collectives"][0].erase("seconds_median");
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.collectives[0].seconds_median': missing required key"),
            std::string::npos);
  json = good;
  json["interconnect"]["ranks"] = 1;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.ranks': must be at least 2"), std::string::npos);
  json = good;
  json["interconnect"]["backend"] = "tcp";
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.backend'"), std::string::npos);
  json = good;
  json["interconnect"]["models"][0]["warnings"] = {"fine", 3};
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.models[0].warnings[1]': expected a string, found integer"),
            std::string::npos);
  // Profiles written before the probe checked its fits have no warnings: read as none.
  json = good;
  json["interconnect"]["models"][0].erase("warnings");
  EXPECT_TRUE(HardwareProfileFromJson(json.dump(), "old").interconnect->models[0].warnings.empty());
  json = good;
  json["interconnect"]["models"] = "none";
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.models': expected an array, found string"),
            std::string::npos);
}

// Figures that contradict each other: a node holding more ranks than the job leaves it, a best sample slower than
// the median, and a second model or measurement of the same collective, scope (and size), which FindModel would skip.
TEST(HardwareProfileTest, RejectsAnInterconnectThatContradictsItself) {
  HardwareProfile profile = SampleProfile();
  profile.interconnect = SampleInterconnect();  // 16 ranks on 2 nodes, 8 on rank 0's
  const nlohmann::json good = nlohmann::json::parse(HardwareProfileToJson(profile));
  nlohmann::json json = good;
  json["interconnect"]["ranks_per_node"] = 15;  // the other node holds one rank: accepted
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok").interconnect->ranks_per_node, 15);
  json["interconnect"]["ranks_per_node"] = 16;
  EXPECT_NE(ErrorFor(json.dump())
                .find("at 'interconnect.ranks_per_node': must be at most 15: 16 ranks on 2 nodes "
                      "leave no more on one node"),
            std::string::npos)
      << ErrorFor(json.dump());
  json = good;
  json["interconnect"]["nodes"] = 1;
  EXPECT_NE(ErrorFor(json.dump()).find("at 'interconnect.ranks_per_node': must equal the ranks (16) on a single node"),
            std::string::npos)
      << ErrorFor(json.dump());
  json["interconnect"]["ranks_per_node"] = 16;
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok").interconnect->nodes, 1);

  json = good;
  json["interconnect"]["collectives"][0]["seconds_best"] = 2.5e-3;  // the median is 2e-3
  EXPECT_NE(ErrorFor(json.dump())
                .find("at 'interconnect.collectives[0].seconds_best': the best sample must not be "
                      "slower than the median (0.002 s)"),
            std::string::npos)
      << ErrorFor(json.dump());
  json["interconnect"]["collectives"][0]["seconds_best"] = 2e-3;  // equal: one sample, or all alike
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok").interconnect->collectives[0].seconds_best, 2e-3);

  json = good;
  nlohmann::json second = good["interconnect"]["models"][0];
  second["busbw_bytes_per_s"] = 1e9;
  json["interconnect"]["models"].push_back(second);
  EXPECT_NE(ErrorFor(json.dump())
                .find("at 'interconnect.models[1]': a second model of all_reduce (inter_node) (the "
                      "first is at 'interconnect.models[0]')"),
            std::string::npos)
      << ErrorFor(json.dump());
  json["interconnect"]["models"][1]["scope"] = "intra_node";  // another scope: its own model
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok").interconnect->models.size(), 2u);

  json = good;
  json["interconnect"]["collectives"].push_back(good["interconnect"]["collectives"][0]);
  EXPECT_NE(ErrorFor(json.dump())
                .find("at 'interconnect.collectives[1]': a second measurement of all_reduce "
                      "(inter_node) at 16777216 bytes (the first is at "
                      "'interconnect.collectives[0]')"),
            std::string::npos)
      << ErrorFor(json.dump());
  json["interconnect"]["collectives"][1]["bytes"] = 1024;  // another size: its own measurement
  EXPECT_EQ(HardwareProfileFromJson(json.dump(), "ok").interconnect->collectives.size(), 2u);
}

}  // namespace
}  // namespace scaleplan
