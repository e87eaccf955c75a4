// The CUDA backend's tests run its kernels against the references when a device is there and skip, saying why,
// when it is not. The loading path itself (compiled out, module missing or broken, no driver) is tested everywhere.
#include "gpu_probe/cuda_backend.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "gpu_probe/kernel_check.h"
#include "gpu_probe/probe.h"
#include "gpu_probe/reference_kernels.h"
#include "tests/testing.h"

namespace scaleplan::probe {
namespace {

TEST(CudaBackendTest, CompiledOutBackendSaysWhy) {
  if (CudaBackendCompiledIn()) GTEST_SKIP() << "this build has the CUDA module";
  std::string why;
  EXPECT_EQ(OpenCudaBackend(&why), nullptr);
  EXPECT_EQ(why, "this scaleplan was built without the CUDA backend (nvcc was not found when it was configured)");
}

TEST(CudaBackendTest, ABrokenModuleFileIsAReasonNotACrash) {
  if (!CudaBackendCompiledIn()) GTEST_SKIP() << "this build has no CUDA module to load";
  const std::string fake = testing::WriteTempFile("libscaleplan_probe_cuda.so", "not a shared library");
  setenv("SCALEPLAN_PROBE_CUDA_MODULE", fake.c_str(), 1);
  std::string why;
  const auto backend = OpenCudaBackend(&why);
  unsetenv("SCALEPLAN_PROBE_CUDA_MODULE");
  EXPECT_EQ(backend, nullptr);
  EXPECT_NE(why.find("cannot load " + fake + ": "), std::string::npos) << why;
}

TEST(CudaBackendTest, CandidatesStartWithTheEnvironmentThenTheExecutableFolder) {
  setenv("SCALEPLAN_PROBE_CUDA_MODULE", "/opt/x/libscaleplan_probe_cuda.so", 1);
  const std::vector<std::string> candidates = CudaModuleCandidates();
  unsetenv("SCALEPLAN_PROBE_CUDA_MODULE");
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/opt/x/libscaleplan_probe_cuda.so");
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(candidates[1], (executable.parent_path() / "libscaleplan_probe_cuda.so").string());
}

TEST(CudaBackendTest, AutoFallsBackToTheCpuWithAReasonAndExplicitCudaFails) {
  std::string why;
  if (OpenCudaBackend(&why) != nullptr) GTEST_SKIP() << "a CUDA device is available here";
  std::vector<std::string> notes;
  const auto backend = OpenBackend(BackendChoice::AUTO, 1, &notes);
  EXPECT_EQ(backend->Name(), "cpu");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "CUDA backend not used: " + why + "; probing the CPU");
  try {
    OpenBackend(BackendChoice::CUDA, 1, nullptr);
    FAIL() << "explicit CUDA without a device did not fail";
  } catch (const BackendUnavailableError& error) {
    EXPECT_EQ(std::string(error.what()), "the CUDA backend is not available: " + why);
  }
}

class CudaKernelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    backend_ = OpenCudaBackend(&why);
    if (!backend_) GTEST_SKIP() << "no CUDA backend: " << why;
  }
  std::unique_ptr<Backend> backend_;
};

TEST_F(CudaKernelsTest, EveryKernelMatchesItsReference) {
  for (DType dtype : {DType::FP32, DType::TF32, DType::BF16}) {
    EXPECT_NO_THROW(CheckKernel(*backend_, KernelKind::ENCODER_GEMM, dtype)) << DTypeName(dtype);
  }
  for (KernelKind kind : {KernelKind::TOPK, KernelKind::DECODER_GATHER, KernelKind::SCATTER_ADD, KernelKind::TRIAD,
                          KernelKind::FMA_PEAK}) {
    EXPECT_NO_THROW(CheckKernel(*backend_, kind)) << KernelName(kind);
  }
}

TEST_F(CudaKernelsTest, TopKOnALongRowWithTiesAtTheThreshold) {
  // 5000 scores, all 0.25 except three larger ones: the k = 10 set is those three, then indices 0..6.
  std::vector<float> scores(5000, 0.25f);
  scores[4999] = 3.0f;
  scores[17] = 2.0f;
  scores[2500] = 1.0f;
  std::vector<float> values(10);
  std::vector<std::int32_t> indices(10);
  backend_->TopK(1, 5000, 10, scores.data(), values.data(), indices.data());
  EXPECT_EQ(indices, (std::vector<std::int32_t>{4999, 17, 2500, 0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values[0], 3.0f);
  EXPECT_EQ(values[9], 0.25f);
}

TEST_F(CudaKernelsTest, TopKOnRowsOfTheSweepsLengthWithTiesAcrossWarpSlices) {
  // n not a multiple of the block, k at the sweep's largest; scores on a coarse grid, so the k-th value has ties
  // spread over every warp's slice of the row, and only some of them are taken.
  const std::int64_t batch = 3;
  const std::int64_t n = 131075;
  const std::int64_t k = 128;
  std::vector<float> scores(static_cast<std::size_t>(batch * n));
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] = static_cast<float>((i * 2654435761u) % 4099u) / 64.0f;
  std::vector<float> values(static_cast<std::size_t>(batch * k));
  std::vector<std::int32_t> indices(values.size());
  backend_->TopK(batch, n, k, scores.data(), values.data(), indices.data());
  std::vector<float> want_values;
  std::vector<std::int32_t> want_indices;
  reference::TopK(batch, n, k, scores.data(), &want_values, &want_indices);
  EXPECT_EQ(values, want_values);
  EXPECT_EQ(indices, want_indices);
}

TEST_F(CudaKernelsTest, TwoOpenBackendsShareTheModule) {
  std::string why;
  std::unique_ptr<Backend> second = OpenCudaBackend(&why);
  ASSERT_NE(second, nullptr) << why;
  second.reset();  // closing one must leave the other usable
  EXPECT_NO_THROW(CheckKernel(*backend_, KernelKind::ENCODER_GEMM, DType::FP32));
}

TEST_F(CudaKernelsTest, TimedRunsReturnOneDurationPerRepeat) {
  TimingOptions timing;
  timing.warmup = 1;
  timing.repeats = 2;
  const TimedRun run = backend_->Time({KernelKind::TRIAD, DType::FP32, 0, 0, 1 << 20, 0}, timing);
  ASSERT_EQ(run.seconds.size(), 2u);
  for (double seconds : run.seconds) EXPECT_GT(seconds, 0.0);
  const TimedRun fma = backend_->Time({KernelKind::FMA_PEAK, DType::FP32, 0, 0, 1 << 24, 0}, timing);
  EXPECT_GE(fma.executed.n, 1 << 24);
  for (const KernelSpec& spec : {KernelSpec{KernelKind::TOPK, DType::FP32, 64, 0, 131072, 128},
                                 KernelSpec{KernelKind::DECODER_GATHER, DType::FP32, 256, 768, 16384, 32},
                                 KernelSpec{KernelKind::SCATTER_ADD, DType::FP32, 256, 768, 16384, 32}}) {
    const TimedRun sparse = backend_->Time(spec, timing);
    ASSERT_EQ(sparse.seconds.size(), 2u) << spec.Describe();
    EXPECT_GT(sparse.seconds[0], 0.0) << spec.Describe();
  }
  for (DType dtype : {DType::FP32, DType::TF32, DType::BF16}) {
    if (!backend_->Supports(dtype)) continue;
    const KernelSpec gemm{KernelKind::ENCODER_GEMM, dtype, 256, 768, 4096, 0};
    EXPECT_EQ(backend_->Time(gemm, timing).seconds.size(), 2u) << gemm.Describe();
  }
}

}  // namespace
}  // namespace scaleplan::probe
