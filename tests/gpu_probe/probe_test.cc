#include "gpu_probe/probe.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "gpu_probe/cpu_backend.h"
#include "gpu_probe/host_info.h"
#include "gpu_probe/report.h"

namespace scaleplan::probe {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

TEST(ProbeTest, CacheKneeIsTheLastSizeClearlyFasterThanMemory) {
  // L2 ~100 GB/s, L3 ~80 GB/s up to 32 MiB, then memory at ~40 GB/s.
  const std::vector<CacheSweepPoint> sweep = {{1 * kMiB, 100e9}, {4 * kMiB, 95e9},   {16 * kMiB, 80e9},
                                              {32 * kMiB, 76e9}, {64 * kMiB, 46e9},  {128 * kMiB, 42e9},
                                              {256 * kMiB, 40e9}, {512 * kMiB, 41e9}};
  const CacheKnee knee = FindCacheKnee(sweep);
  EXPECT_DOUBLE_EQ(knee.last_level_cache_bytes, 32 * kMiB);
  EXPECT_DOUBLE_EQ(knee.memory_bytes_per_second, 41e9);
  EXPECT_TRUE(knee.knee_found);
}

TEST(ProbeTest, NoPlateauMeansNoKnee) {
  const CacheKnee knee = FindCacheKnee({{1 * kMiB, 100e9}, {2 * kMiB, 80e9}, {4 * kMiB, 60e9}});
  EXPECT_FALSE(knee.knee_found);
  EXPECT_DOUBLE_EQ(knee.last_level_cache_bytes, 2 * kMiB);  // 80 >= 1.25 * 60, 60 is not
}

TEST(ProbeTest, MeasurementUsesTheMedianAndTheFormulas) {
  TimedRun run;
  run.executed = {KernelKind::TRIAD, DType::FP32, 0, 0, 1000000, 0};
  run.seconds = {0.004, 0.001, 0.002};
  const KernelMeasurement kernel = MakeMeasurement(run);
  EXPECT_EQ(kernel.name, "triad");
  EXPECT_DOUBLE_EQ(kernel.seconds_median, 0.002);
  EXPECT_DOUBLE_EQ(kernel.seconds_best, 0.001);
  EXPECT_DOUBLE_EQ(kernel.flops, 2e6);
  EXPECT_DOUBLE_EQ(kernel.bytes, 12e6);
  EXPECT_DOUBLE_EQ(kernel.flops_per_second, 1e9);
  EXPECT_DOUBLE_EQ(kernel.bytes_per_second, 6e9);
  EXPECT_DOUBLE_EQ(kernel.working_set_bytes, 12e6);
}

TEST(ProbeTest, RooflineFractions) {
  KernelMeasurement gemm;
  gemm.name = "encoder_gemm";
  gemm.flops = 100.0;
  gemm.bytes = 10.0;  // intensity 10 flop/B
  gemm.flops_per_second = 50.0;
  FillRoofline(/*fma_peak_flops=*/200.0, /*bandwidth_bytes_per_s=*/8.0, &gemm);  // roof min(200, 10 * 8) = 80
  EXPECT_DOUBLE_EQ(gemm.arithmetic_intensity, 10.0);
  EXPECT_DOUBLE_EQ(gemm.roofline_fraction, 50.0 / 80.0);
  KernelMeasurement gather;
  gather.name = "decoder_gather";
  gather.flops = 1.0;
  gather.bytes = 4.0;
  gather.bytes_per_second = 6.0;
  FillRoofline(200.0, 8.0, &gather);
  EXPECT_DOUBLE_EQ(gather.roofline_fraction, 0.75);
}

TEST(ProbeTest, QuickSweepStreamsAtLeastFourCachesPerSparseCall) {
  CpuBackend backend(1);
  const double llc = 32 * kMiB;
  const std::vector<KernelSpec> plan = PlanSweep(ProbeMode::QUICK, backend, llc);
  int sparse = 0;
  for (const KernelSpec& spec : plan) {
    EXPECT_EQ(spec.Problem(), "") << spec.Describe();
    EXPECT_EQ(spec.dtype, DType::FP32);  // the CPU runs fp32 only
    if (spec.kind == KernelKind::DECODER_GATHER || spec.kind == KernelKind::SCATTER_ADD) {
      ++sparse;
      EXPECT_GE(4.0 * spec.batch * spec.k * spec.d, 4.0 * llc) << spec.Describe();
      EXPECT_GE(4.0 * spec.n * spec.d, 4.0 * llc) << spec.Describe();  // the dictionary itself
    }
  }
  EXPECT_EQ(sparse, 2);
}

TEST(ProbeTest, FullSweepCoversThePublishedShapes) {
  CpuBackend backend(1);
  const std::vector<KernelSpec> plan = PlanSweep(ProbeMode::FULL, backend, 32 * kMiB);
  int gemms = 0;
  for (const KernelSpec& spec : plan) gemms += spec.kind == KernelKind::ENCODER_GEMM ? 1 : 0;
  EXPECT_EQ(gemms, 3 * 5 * 3);  // d x n x batch, fp32 only
  bool has_largest = false;
  for (const KernelSpec& spec : plan) {
    has_largest = has_largest || (spec.kind == KernelKind::TOPK && spec.n == 262144 && spec.k == 128);
  }
  EXPECT_TRUE(has_largest);
}

TEST(ProbeTest, OptionsCheck) {
  std::string why;
  EXPECT_TRUE(ProbeOptions{}.Check(&why));
  ProbeOptions options;
  options.threads = -1;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "threads must be >= 0 (0 = all usable CPUs)");
  options = ProbeOptions{};
  options.max_seconds_per_shape = -2.0;
  EXPECT_FALSE(options.Check(&why));
}

TEST(ProbeTest, ModeTimingGrowsWithTheMode) {
  EXPECT_EQ(ModeTiming(ProbeMode::QUICK).repeats, 3);
  EXPECT_GT(ModeTiming(ProbeMode::FULL).repeats, ModeTiming(ProbeMode::STANDARD).repeats);
}

TEST(ProbeTest, ExplicitCpuBackend) {
  std::vector<std::string> notes;
  const auto backend = OpenBackend(BackendChoice::CPU, 2, &notes);
  EXPECT_EQ(backend->Name(), "cpu");
  EXPECT_TRUE(notes.empty());
}

TEST(HostInfoTest, ParsesModelAndRelevantFlags) {
  const std::string cpuinfo =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n"
      "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw bmi2\n\nprocessor\t: 1\nmodel name\t: other\n"
      "flags\t\t: fpu\n";
  std::string model;
  std::vector<std::string> isa;
  ParseCpuInfo(cpuinfo, &model, &isa);
  EXPECT_EQ(model, "AMD EPYC 9654 96-Core Processor");
  EXPECT_EQ(isa, (std::vector<std::string>{"avx", "avx2", "fma", "avx512f", "avx512bw"}));
}

TEST(HostInfoTest, ReportsTheOpenblasCoretypeVariableOnlyWhenSet) {
  const char* previous = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = previous != nullptr ? previous : "";
  setenv("OPENBLAS_CORETYPE", "Sandybridge", 1);
  const HostInfo forced = CollectHostInfo(3);
  unsetenv("OPENBLAS_CORETYPE");
  const HostInfo free = CollectHostInfo(3);
  if (previous != nullptr) setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  ASSERT_TRUE(forced.openblas_coretype.has_value());
  EXPECT_EQ(*forced.openblas_coretype, "Sandybridge");
  EXPECT_FALSE(free.openblas_coretype.has_value());
  EXPECT_EQ(forced.threads, 3);
  EXPECT_FALSE(forced.blas_corename.empty());
}

}  // namespace
}  // namespace scaleplan::probe

namespace scaleplan::probe {
namespace {

// The n column holds latents; the calibration kernels' sizes (elements, FMAs) are said in words after their row.
TEST(ProbeTableTest, TheLatentsColumnHoldsNoElementCounts) {
  HardwareProfile profile;
  profile.backend = "cpu";
  KernelMeasurement triad;
  triad.name = "triad";
  triad.n = 44739242;
  KernelMeasurement gemm;
  gemm.name = "encoder_gemm";
  gemm.batch = 256;
  gemm.d = 768;
  gemm.n = 16384;
  profile.kernels = {triad, gemm};
  const std::string table = FormatProbeTable(profile, {});
  const size_t triad_row = table.find("\ntriad ");
  ASSERT_NE(triad_row, std::string::npos) << table;
  const std::string row = table.substr(triad_row + 1, table.find('\n', triad_row + 1) - triad_row - 1);
  EXPECT_EQ(row.find("44739242"), std::string::npos) << row;
  EXPECT_NE(row.find("(44.7M elements per array)"), std::string::npos) << row;
  EXPECT_NE(table.find(" 16384 "), std::string::npos) << table;  // a dictionary kernel keeps its n
}

}  // namespace
}  // namespace scaleplan::probe
