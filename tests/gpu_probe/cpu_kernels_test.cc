#include "gpu_probe/cpu_kernels.h"

#include <atomic>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "gpu_probe/cpu_backend.h"
#include "gpu_probe/kernel_check.h"
#include "gpu_probe/reference_kernels.h"
#include "gpu_probe/thread_pool.h"
#include "tests/testing.h"

namespace scaleplan::probe {
namespace {

std::vector<float> RandomFloats(std::mt19937_64& random, std::size_t count) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(random);
  return values;
}

std::vector<std::int32_t> RandomIndices(std::mt19937_64& random, std::size_t count, std::int64_t n) {
  std::uniform_int_distribution<std::int32_t> pick(0, static_cast<std::int32_t>(n - 1));
  std::vector<std::int32_t> indices(count);
  for (std::int32_t& index : indices) index = pick(random);
  return indices;
}

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (std::int64_t count : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
      pool.ParallelFor(count, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
      });
      for (std::int64_t i = 0; i < count; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " threads, index " << i;
    }
  }
}

TEST(ThreadPoolTest, RunOnAllGivesEachThreadItsIndexAndRethrows) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> seen(3);
  pool.RunOnAll([&](int t) { ++seen[static_cast<std::size_t>(t)]; });
  for (const auto& count : seen) EXPECT_EQ(count.load(), 1);
  EXPECT_THROW(pool.RunOnAll([](int t) {
    if (t == 2) throw std::runtime_error("worker failed");
  }),
               std::runtime_error);
  // The pool still works after a failure.
  std::atomic<int> calls{0};
  pool.RunOnAll([&](int) { ++calls; });
  EXPECT_EQ(calls.load(), 3);
}

TEST(CpuKernelsTest, AlignedBufferIsCacheLineAligned) {
  cpu::AlignedBuffer<float> buffer(1001);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % 64, 0u);
  EXPECT_EQ(buffer.size(), 1001u);
}

TEST(CpuKernelsTest, FillUniformDoesNotDependOnTheThreadCount) {
  ThreadPool one(1);
  ThreadPool three(3);
  std::vector<float> a(1000), b(1000);
  cpu::FillUniform(one, a.data(), 1000, 42);
  cpu::FillUniform(three, b.data(), 1000, 42);
  EXPECT_EQ(a, b);
  for (float value : a) {
    EXPECT_GE(value, -1.0f);
    EXPECT_LT(value, 1.0f);
  }
}

class CpuKernelsThreadsTest : public ::testing::TestWithParam<int> {
 protected:
  std::mt19937_64 random_{testing::TestSeed()};
};

TEST_P(CpuKernelsThreadsTest, EncoderGemmMatchesReference) {
  CpuBackend backend(GetParam());
  const std::int64_t batch = 17, d = 45, n = 71;
  const std::vector<float> x = RandomFloats(random_, batch * d);
  const std::vector<float> w = RandomFloats(random_, n * d);
  std::vector<float> scores(batch * n);
  backend.EncoderGemm(DType::FP32, batch, d, n, x.data(), w.data(), scores.data());
  EXPECT_EQ(CompareWithReference(scores, reference::EncoderGemm(batch, d, n, x.data(), w.data()),
                                 GemmTolerance(DType::FP32), 1e-6),
            "");
}

TEST_P(CpuKernelsThreadsTest, TopKMatchesReferenceWithTies) {
  CpuBackend backend(GetParam());
  const std::int64_t batch = 5, n = 777;
  std::vector<float> scores = RandomFloats(random_, batch * n);
  for (float& score : scores) score = std::round(score * 8.0f) / 8.0f;  // 17 distinct values: ties everywhere
  for (std::int64_t k : {1, 13, 64, 777}) {
    std::vector<float> values(batch * k);
    std::vector<std::int32_t> indices(batch * k);
    backend.TopK(batch, n, k, scores.data(), values.data(), indices.data());
    std::vector<float> want_values;
    std::vector<std::int32_t> want_indices;
    reference::TopK(batch, n, k, scores.data(), &want_values, &want_indices);
    EXPECT_EQ(values, want_values) << "k = " << k;
    EXPECT_EQ(indices, want_indices) << "k = " << k;
  }
}

TEST_P(CpuKernelsThreadsTest, TopKKeepsTheEarliestOfEqualScores) {
  CpuBackend backend(GetParam());
  std::vector<float> scores(100, 1.0f);
  scores[90] = 2.0f;
  std::vector<float> values(3);
  std::vector<std::int32_t> indices(3);
  backend.TopK(1, 100, 3, scores.data(), values.data(), indices.data());
  EXPECT_EQ(indices, (std::vector<std::int32_t>{90, 0, 1}));
  EXPECT_EQ(values, (std::vector<float>{2.0f, 1.0f, 1.0f}));
}

TEST_P(CpuKernelsThreadsTest, DecoderGatherMatchesReference) {
  CpuBackend backend(GetParam());
  const std::int64_t batch = 9, d = 133, n = 40, k = 7;  // d not a multiple of a cache line
  const std::vector<float> values = RandomFloats(random_, batch * k);
  const std::vector<std::int32_t> indices = RandomIndices(random_, batch * k, n);
  const std::vector<float> w_dec = RandomFloats(random_, n * d);
  std::vector<float> out(batch * d, 99.0f);
  backend.DecoderGather(batch, d, n, k, values.data(), indices.data(), w_dec.data(), out.data());
  EXPECT_EQ(CompareWithReference(out, reference::DecoderGather(batch, d, k, values.data(), indices.data(),
                                                               w_dec.data()),
                                 1e-5, 1e-6),
            "");
}

TEST_P(CpuKernelsThreadsTest, ScatterAddMatchesReferenceAndIsThreadCountIndependent) {
  CpuBackend backend(GetParam());
  CpuBackend single(1);
  const std::int64_t batch = 21, d = 70, n = 13, k = 5;  // n small: rows updated by many tokens
  const std::vector<float> values = RandomFloats(random_, batch * k);
  const std::vector<std::int32_t> indices = RandomIndices(random_, batch * k, n);
  const std::vector<float> grad_out = RandomFloats(random_, batch * d);
  const std::vector<float> initial = RandomFloats(random_, n * d);
  std::vector<float> got = initial;
  backend.ScatterAdd(batch, d, n, k, values.data(), indices.data(), grad_out.data(), got.data());
  EXPECT_EQ(CompareWithReference(got, reference::ScatterAdd(batch, d, n, k, values.data(), indices.data(),
                                                            grad_out.data(), initial.data()),
                                 1e-5, 1e-6),
            "");
  std::vector<float> serial = initial;
  single.ScatterAdd(batch, d, n, k, values.data(), indices.data(), grad_out.data(), serial.data());
  EXPECT_EQ(got, serial);  // bit for bit: each row is updated in (b, j) order whatever the thread count
}

TEST_P(CpuKernelsThreadsTest, TriadMatchesReference) {
  CpuBackend backend(GetParam());
  const std::int64_t count = 1003;
  const std::vector<float> b = RandomFloats(random_, count);
  const std::vector<float> c = RandomFloats(random_, count);
  std::vector<float> a(count, 0.0f);
  backend.Triad(count, -2.5f, b.data(), c.data(), a.data());
  EXPECT_EQ(CompareWithReference(a, reference::Triad(count, -2.5f, b.data(), c.data()), 1e-6, 0.0), "");
}

TEST_P(CpuKernelsThreadsTest, EveryKernelPassesItsCheck) {
  CpuBackend backend(GetParam());
  for (KernelKind kind : {KernelKind::ENCODER_GEMM, KernelKind::TOPK, KernelKind::DECODER_GATHER,
                          KernelKind::SCATTER_ADD, KernelKind::TRIAD, KernelKind::FMA_PEAK}) {
    EXPECT_NO_THROW(CheckKernel(backend, kind)) << KernelName(kind);
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, CpuKernelsThreadsTest, ::testing::Values(1, 2, 3));

TEST(CpuKernelsTest, FmaLoopFollowsTheRecurrence) {
  std::int64_t fmas = 0;
  const float got = cpu::FmaLoop(50, 10.0f, 0.9f, 0.25f, &fmas);
  const float want = reference::FmaRecurrence(50, 10.0f, 0.9f, 0.25f);
  EXPECT_NEAR(got, want, 1e-6 * std::abs(want));
  EXPECT_EQ(fmas, 50 * cpu::FmaChains());
  EXPECT_GT(cpu::FmaChains(), 0);
  EXPECT_FALSE(cpu::FmaCodePath().empty());
}

TEST(CpuKernelsTest, FmaRecurrenceClosedForm) {
  // x <- 0.5 x + 1 from 0: x_t = 2 - 2^(1-t), exact in float for small t.
  EXPECT_EQ(reference::FmaRecurrence(1, 0.0f, 0.5f, 1.0f), 1.0f);
  EXPECT_EQ(reference::FmaRecurrence(3, 0.0f, 0.5f, 1.0f), 1.75f);
}

// A backend whose TopK is off by one in one place, and one whose gather drops the last latent.
class BrokenTopK : public CpuBackend {
 public:
  BrokenTopK() : CpuBackend(1) {}
  void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
            std::int32_t* indices) override {
    CpuBackend::TopK(batch, n, k, scores, values, indices);
    std::swap(indices[3], indices[4]);
    std::swap(values[3], values[4]);
  }
};

class BrokenGather : public CpuBackend {
 public:
  BrokenGather() : CpuBackend(2) {}
  void DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                     const std::int32_t* indices, const float* w_dec, float* out) override {
    // Reads k - 1 latents per token (with the token stride still k).
    for (std::int64_t b = 0; b < batch; ++b) {
      for (std::int64_t e = 0; e < d; ++e) out[b * d + e] = 0.0f;
      for (std::int64_t j = 0; j + 1 < k; ++j) {
        for (std::int64_t e = 0; e < d; ++e) out[b * d + e] += values[b * k + j] * w_dec[indices[b * k + j] * d + e];
      }
    }
    (void)n;
  }
};

TEST(KernelCheckTest, AWrongTopKIsAnErrorNamingTheMismatch) {
  BrokenTopK backend;
  try {
    CheckKernel(backend, KernelKind::TOPK);
    FAIL() << "the broken TopK passed its check";
  } catch (const KernelCheckError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("kernel check failed: cpu topk B=7 n=1003 k=67 does not match the reference "
                           "implementation: row 0, rank 3"),
              std::string::npos)
        << message;
  }
}

TEST(KernelCheckTest, AWrongGatherIsAnErrorCountingBadElements) {
  BrokenGather backend;
  try {
    CheckKernel(backend, KernelKind::DECODER_GATHER);
    FAIL() << "the broken gather passed its check";
  } catch (const KernelCheckError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("cpu decoder_gather B=19 d=101 n=53 k=9 does not match"), std::string::npos) << message;
    EXPECT_NE(message.find("elements off; first at element 0"), std::string::npos) << message;
  }
}

TEST(KernelCheckTest, CompareWithReferenceUsesTheMagnitude) {
  reference::Accumulated want;
  want.value = {1.0, 100.0};
  want.magnitude = {1.0, 1000.0};
  EXPECT_EQ(CompareWithReference({1.0f, 100.5f}, want, 1e-3, 0.0), "");  // 0.5 <= 1e-3 * 1000
  EXPECT_NE(CompareWithReference({1.01f, 100.0f}, want, 1e-3, 0.0), "");  // 0.01 > 1e-3 * 1
  EXPECT_EQ(CompareWithReference({1.0f}, want, 1e-3, 0.0), "size 1 != reference size 2");
}

}  // namespace
}  // namespace scaleplan::probe
