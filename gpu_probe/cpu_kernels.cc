#include "gpu_probe/cpu_kernels.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <new>
#include <utility>
#include <vector>

#include <cblas.h>
#include <immintrin.h>

#include "core/error.h"

namespace scaleplan::probe::cpu {
namespace {

// Keeps the FMA loop's other chains alive (their sum is stored here). Atomic because every thread of the pool
// stores to it at once: a plain (or volatile) float would be a data race.
std::atomic<float> g_fma_sink{0.0f};

constexpr int kFmaAccumulators = 12;  // vector accumulators in flight: covers 2 FMA ports x up to 6 cycles latency

__attribute__((target("avx512f"))) float FmaLoopAvx512(std::int64_t iterations, float start, float multiplier,
                                                       float addend) {
  __m512 acc[kFmaAccumulators];
#pragma GCC unroll 16
  for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm512_set1_ps(start + static_cast<float>(j));
  const __m512 m = _mm512_set1_ps(multiplier);
  const __m512 c = _mm512_set1_ps(addend);
  for (std::int64_t t = 0; t < iterations; ++t) {
#pragma GCC unroll 16
    for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm512_fmadd_ps(acc[j], m, c);
  }
  __m512 sum = acc[1];
#pragma GCC unroll 16
  for (int j = 2; j < kFmaAccumulators; ++j) sum = _mm512_add_ps(sum, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_fma_sink.store(lanes[0], std::memory_order_relaxed);
  _mm512_store_ps(lanes, acc[0]);
  return lanes[0];
}

__attribute__((target("avx2,fma"))) float FmaLoopAvx2(std::int64_t iterations, float start, float multiplier,
                                                      float addend) {
  __m256 acc[kFmaAccumulators];
#pragma GCC unroll 16
  for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm256_set1_ps(start + static_cast<float>(j));
  const __m256 m = _mm256_set1_ps(multiplier);
  const __m256 c = _mm256_set1_ps(addend);
  for (std::int64_t t = 0; t < iterations; ++t) {
#pragma GCC unroll 16
    for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm256_fmadd_ps(acc[j], m, c);
  }
  __m256 sum = acc[1];
#pragma GCC unroll 16
  for (int j = 2; j < kFmaAccumulators; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  g_fma_sink.store(lanes[0], std::memory_order_relaxed);
  _mm256_store_ps(lanes, acc[0]);
  return lanes[0];
}

// No FMA unit: a multiply and an add per step (counted as the same two flops).
float FmaLoopSse2(std::int64_t iterations, float start, float multiplier, float addend) {
  __m128 acc[kFmaAccumulators];
#pragma GCC unroll 16
  for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm_set1_ps(start + static_cast<float>(j));
  const __m128 m = _mm_set1_ps(multiplier);
  const __m128 c = _mm_set1_ps(addend);
  for (std::int64_t t = 0; t < iterations; ++t) {
#pragma GCC unroll 16
    for (int j = 0; j < kFmaAccumulators; ++j) acc[j] = _mm_add_ps(_mm_mul_ps(acc[j], m), c);
  }
  __m128 sum = acc[1];
#pragma GCC unroll 16
  for (int j = 2; j < kFmaAccumulators; ++j) sum = _mm_add_ps(sum, acc[j]);
  g_fma_sink.store(_mm_cvtss_f32(sum), std::memory_order_relaxed);
  return _mm_cvtss_f32(acc[0]);
}

enum class FmaPath { AVX512, AVX2, SSE2 };

FmaPath DetectFmaPath() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return FmaPath::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FmaPath::AVX2;
  return FmaPath::SSE2;
}

// "a is a better top-k candidate than b": larger value, or equal value and smaller index.
struct Better {
  bool operator()(const std::pair<float, std::int32_t>& a, const std::pair<float, std::int32_t>& b) const {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
};

// One row: a heap of the k best seen so far whose top is the worst of them. Elements are scanned in index order,
// so a later element replaces the worst only when strictly larger (on equal values the earlier index wins). Blocks
// of 32 scores with nothing above the current threshold are skipped with one vectorisable test.
void TopKRow(const float* row, std::int64_t n, std::int64_t k, std::vector<std::pair<float, std::int32_t>>* heap,
             float* values, std::int32_t* indices) {
  heap->clear();
  for (std::int64_t i = 0; i < k; ++i) heap->emplace_back(row[i], static_cast<std::int32_t>(i));
  std::make_heap(heap->begin(), heap->end(), Better());
  float threshold = heap->front().first;
  const auto consider = [&](std::int64_t j) {
    if (row[j] > threshold) {
      std::pop_heap(heap->begin(), heap->end(), Better());
      heap->back() = {row[j], static_cast<std::int32_t>(j)};
      std::push_heap(heap->begin(), heap->end(), Better());
      threshold = heap->front().first;
    }
  };
  constexpr std::int64_t kBlock = 32;
  std::int64_t i = k;
  for (; i + kBlock <= n; i += kBlock) {
    int any = 0;
    for (std::int64_t j = 0; j < kBlock; ++j) any |= static_cast<int>(row[i + j] > threshold);
    if (any == 0) continue;
    for (std::int64_t j = i; j < i + kBlock; ++j) consider(j);
  }
  for (; i < n; ++i) consider(i);
  std::sort(heap->begin(), heap->end(), Better());
  for (std::int64_t j = 0; j < k; ++j) {
    values[j] = (*heap)[j].first;
    indices[j] = (*heap)[j].second;
  }
}

constexpr std::int64_t kFloatsPerLine = 64 / sizeof(float);
constexpr std::int64_t kPrefetchLines = 8;  // how far ahead on every row the sparse kernels prefetch (into L2)

// out[0, d) = sum_j scales[j] * rows[j][0, d), one cache line of output at a time across all the rows: the rows are
// picked at random, so streaming them one after another leaves the memory system one row's worth of misses to
// overlap; walking them side by side keeps `count` independent streams in flight. Per element the sum still runs
// over j in order.
void GatherRows(std::int64_t d, std::int64_t count, const float* const* rows, const float* scales, float* out) {
  std::int64_t e = 0;
  for (; e + kFloatsPerLine <= d; e += kFloatsPerLine) {
    float sum[kFloatsPerLine] = {};
    const bool prefetch = e + kPrefetchLines * kFloatsPerLine < d;
    for (std::int64_t j = 0; j < count; ++j) {
      const float* __restrict x = rows[j] + e;
      if (prefetch) __builtin_prefetch(x + kPrefetchLines * kFloatsPerLine, 0, 2);
      const float scale = scales[j];
      for (std::int64_t i = 0; i < kFloatsPerLine; ++i) sum[i] += scale * x[i];
    }
    for (std::int64_t i = 0; i < kFloatsPerLine; ++i) out[e + i] = sum[i];
  }
  for (; e < d; ++e) {
    float sum = 0.0f;
    for (std::int64_t j = 0; j < count; ++j) sum += scales[j] * rows[j][e];
    out[e] = sum;
  }
}

// rows[j][0, d) += scales[j] * grad[0, d) for j < count, side by side as in GatherRows. A row may appear twice;
// per element the updates still run over j in order.
void ScatterRows(std::int64_t d, std::int64_t count, float* const* rows, const float* scales, const float* grad) {
  std::int64_t e = 0;
  for (; e + kFloatsPerLine <= d; e += kFloatsPerLine) {
    float g[kFloatsPerLine];
    for (std::int64_t i = 0; i < kFloatsPerLine; ++i) g[i] = grad[e + i];
    const bool prefetch = e + kPrefetchLines * kFloatsPerLine < d;
    for (std::int64_t j = 0; j < count; ++j) {
      float* __restrict y = rows[j] + e;
      if (prefetch) __builtin_prefetch(y + kPrefetchLines * kFloatsPerLine, 1, 2);
      const float scale = scales[j];
      for (std::int64_t i = 0; i < kFloatsPerLine; ++i) y[i] += scale * g[i];
    }
  }
  for (; e < d; ++e) {
    for (std::int64_t j = 0; j < count; ++j) rows[j][e] += scales[j] * grad[e];
  }
}

// Not inlined, so a repeated call cannot be merged away.
__attribute__((noinline)) void TriadRange(std::int64_t begin, std::int64_t end, float scalar, const float* __restrict b,
                                          const float* __restrict c, float* __restrict a) {
  for (std::int64_t i = begin; i < end; ++i) a[i] = b[i] + scalar * c[i];
}

}  // namespace

void* AllocateForKernels(std::size_t bytes) {
  constexpr std::size_t kLine = 64;
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t alignment = bytes >= 2 * kHugePage ? kHugePage : kLine;
  const std::size_t rounded = std::max(alignment, (bytes + alignment - 1) / alignment * alignment);
  void* memory = std::aligned_alloc(alignment, rounded);
  if (memory == nullptr) throw std::bad_alloc();
  if (alignment == kHugePage) madvise(memory, rounded, MADV_HUGEPAGE);  // advice only: ignore a refusal
  return memory;
}

bool TransparentHugePagesAvailable() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return text.find("[always]") != std::string::npos || text.find("[madvise]") != std::string::npos;
}

void SetBlasThreads(int num_threads) { openblas_set_num_threads(num_threads); }

void EncoderGemm(std::int64_t batch, std::int64_t d, std::int64_t n, const float* x, const float* w_enc,
                 float* scores) {
  // Row-major: scores (batch x n) = x (batch x d) * w_enc^T (w_enc is n x d, leading dimension d).
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(batch), static_cast<blasint>(n),
              static_cast<blasint>(d), 1.0f, x, static_cast<blasint>(d), w_enc, static_cast<blasint>(d), 0.0f, scores,
              static_cast<blasint>(n));
}

void TopK(ThreadPool& pool, std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
          std::int32_t* indices) {
  SCALEPLAN_CHECK(k >= 1 && k <= n, "TopK needs 1 <= k <= n");
  pool.ParallelFor(batch, [&](std::int64_t begin, std::int64_t end) {
    std::vector<std::pair<float, std::int32_t>> heap;
    heap.reserve(static_cast<std::size_t>(k));
    for (std::int64_t b = begin; b < end; ++b) TopKRow(scores + b * n, n, k, &heap, values + b * k, indices + b * k);
  });
}

void DecoderGather(ThreadPool& pool, std::int64_t batch, std::int64_t d, std::int64_t k, const float* values,
                   const std::int32_t* indices, const float* w_dec, float* out) {
  pool.ParallelFor(batch, [&](std::int64_t begin, std::int64_t end) {
    std::vector<const float*> rows(static_cast<std::size_t>(k));
    for (std::int64_t b = begin; b < end; ++b) {
      for (std::int64_t j = 0; j < k; ++j) rows[j] = w_dec + static_cast<std::int64_t>(indices[b * k + j]) * d;
      GatherRows(d, k, rows.data(), values + b * k, out + b * d);
    }
  });
}

void ScatterAdd(ThreadPool& pool, std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k,
                const float* values, const std::int32_t* indices, const float* grad_out, float* grad_w_dec) {
  const int parts = pool.num_threads();
  pool.RunOnAll([&](int t) {
    const std::int64_t first_row = ThreadPool::RangeBegin(n, parts, t);
    const std::int64_t end_row = ThreadPool::RangeBegin(n, parts, t + 1);
    // This thread's updates, token by token in (b, j) order, applied side by side within a token.
    std::vector<float*> rows;
    std::vector<float> scales;
    for (std::int64_t b = 0; b < batch; ++b) {
      rows.clear();
      scales.clear();
      for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t row = indices[b * k + j];
        if (row < first_row || row >= end_row) continue;
        rows.push_back(grad_w_dec + row * d);
        scales.push_back(values[b * k + j]);
      }
      if (!rows.empty())
        ScatterRows(d, static_cast<std::int64_t>(rows.size()), rows.data(), scales.data(), grad_out + b * d);
    }
  });
}

void Triad(ThreadPool& pool, std::int64_t elements, float scalar, const float* b, const float* c, float* a) {
  pool.ParallelFor(elements, [&](std::int64_t begin, std::int64_t end) { TriadRange(begin, end, scalar, b, c, a); });
}

void TriadRepeated(ThreadPool& pool, std::int64_t elements, float scalar, const float* b, const float* c, float* a,
                   int calls) {
  pool.ParallelFor(elements, [&](std::int64_t begin, std::int64_t end) {
    for (int call = 0; call < calls; ++call) TriadRange(begin, end, scalar, b, c, a);
  });
}

void FillUniform(ThreadPool& pool, float* data, std::int64_t count, std::uint64_t seed) {
  pool.ParallelFor(count, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      // SplitMix64 of (seed, i): independent of how the range is split.
      std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i + 1);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      data[i] = static_cast<float>(static_cast<double>(z >> 40) * (2.0 / 16777216.0) - 1.0);
    }
  });
}

float FmaLoop(std::int64_t iterations, float start, float multiplier, float addend, std::int64_t* fmas) {
  static const FmaPath path = DetectFmaPath();
  if (fmas != nullptr) *fmas = iterations * FmaChains();
  switch (path) {
    case FmaPath::AVX512: return FmaLoopAvx512(iterations, start, multiplier, addend);
    case FmaPath::AVX2: return FmaLoopAvx2(iterations, start, multiplier, addend);
    case FmaPath::SSE2: return FmaLoopSse2(iterations, start, multiplier, addend);
  }
  return 0.0f;
}

std::int64_t FmaChains() {
  static const FmaPath path = DetectFmaPath();
  const std::int64_t lanes = path == FmaPath::AVX512 ? 16 : path == FmaPath::AVX2 ? 8 : 4;
  return kFmaAccumulators * lanes;
}

std::string FmaCodePath() {
  switch (DetectFmaPath()) {
    case FmaPath::AVX512: return "avx512f";
    case FmaPath::AVX2: return "avx2+fma";
    case FmaPath::SSE2: return "sse2 (multiply, then add)";
  }
  return "unknown";
}

}  // namespace scaleplan::probe::cpu
