// The CPU backend's kernels (formulas and layouts in kernel_cost.h). The encoder GEMM is OpenBLAS cblas_sgemm; the
// memory-bound kernels are ours, split over a ThreadPool.
#ifndef SCALEPLAN_GPU_PROBE_CPU_KERNELS_H_
#define SCALEPLAN_GPU_PROBE_CPU_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "gpu_probe/thread_pool.h"

namespace scaleplan::probe::cpu {

// Uninitialised memory for `bytes` bytes, aligned to a cache line; blocks of 4 MiB and more are aligned to 2 MiB and
// ask for transparent huge pages (madvise), so that kernels reading rows at random measure memory, not TLB misses.
// Throws std::bad_alloc. Release with std::free.
void* AllocateForKernels(std::size_t bytes);

// Whether the kernel lets madvise ask for transparent huge pages ("always" or "madvise" in
// /sys/kernel/mm/transparent_hugepage/enabled).
bool TransparentHugePagesAvailable();

// Uninitialised storage from AllocateForKernels.
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count)
      : data_(static_cast<T*>(AllocateForKernels(count * sizeof(T)))), size_(count) {}
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  struct Free {
    void operator()(T* pointer) const { std::free(pointer); }
  };
  std::unique_ptr<T[], Free> data_;
  std::size_t size_ = 0;
};

// Sets the number of threads OpenBLAS uses for the GEMM.
void SetBlasThreads(int num_threads);

// scores[batch, n] = x[batch, d] * w_enc[n, d]^T with cblas_sgemm.
void EncoderGemm(std::int64_t batch, std::int64_t d, std::int64_t n, const float* x, const float* w_enc,
                 float* scores);

// Per row of scores[batch, n]: the k largest (value, index) pairs, value descending, ties to the smaller index.
// Scores must not be NaN. Rows are split over the pool.
void TopK(ThreadPool& pool, std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
          std::int32_t* indices);

// out[b, :] = sum_j values[b, j] * w_dec[indices[b, j], :]. Tokens are split over the pool.
void DecoderGather(ThreadPool& pool, std::int64_t batch, std::int64_t d, std::int64_t k, const float* values,
                   const std::int32_t* indices, const float* w_dec, float* out);

// grad_w_dec[indices[b, j], :] += values[b, j] * grad_out[b, :]. Each thread owns a contiguous block of dictionary
// rows and applies, in (b, j) order, only the updates that land there: no atomics, and the result does not depend on
// the thread count.
void ScatterAdd(ThreadPool& pool, std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k,
                const float* values, const std::int32_t* indices, const float* grad_out, float* grad_w_dec);

// a[i] = b[i] + scalar * c[i]. Elements are split over the pool.
void Triad(ThreadPool& pool, std::int64_t elements, float scalar, const float* b, const float* c, float* a);

// `calls` triads back to back, each thread repeating its own range with no barrier in between: the same traffic as
// `calls` Triad calls without the pool's start-up cost, which would swamp cache-resident sizes.
void TriadRepeated(ThreadPool& pool, std::int64_t elements, float scalar, const float* b, const float* c, float* a,
                   int calls);

// Fills `count` floats with a fixed pseudo-random sequence in [-1, 1) (first touch on the thread that later reads
// the same range, as the kernels split their work the same way).
void FillUniform(ThreadPool& pool, float* data, std::int64_t count, std::uint64_t seed);

// The dense FMA loop that calibrates peak arithmetic: FmaChains() independent chains x_{t+1} = x_t * multiplier +
// addend, chain c starting at start + c (per vector), `iterations` steps each, on the widest vector unit this CPU
// has. Returns chain 0's final value; *fmas (if given) receives the number of fused multiply-adds executed.
float FmaLoop(std::int64_t iterations, float start, float multiplier, float addend, std::int64_t* fmas = nullptr);

// Independent FMAs per loop step (vector accumulators x lanes) on the code path FmaLoop takes.
std::int64_t FmaChains();

// The code path FmaLoop takes: "avx512f", "avx2+fma" or "sse2 (multiply, then add)".
std::string FmaCodePath();

}  // namespace scaleplan::probe::cpu

#endif  // SCALEPLAN_GPU_PROBE_CPU_KERNELS_H_
