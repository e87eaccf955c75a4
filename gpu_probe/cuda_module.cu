// The CUDA probe module: cuBLAS GEMMs and our own TopK, gather, scatter-add, triad and FMA kernels behind the C
// interface of cuda_module_abi.h. Built as a shared module (cudart linked statically, cuBLAS dynamically) and
// loaded with dlopen() by cuda_backend.cc, so the scaleplan binary starts on machines without CUDA.
//
// Conventions: row-major buffers as in kernel_cost.h; every CUDA or cuBLAS call is checked and a failure becomes a
// CudaFailure exception, which the exported functions turn into a non-zero return and a one-line message. Work is
// issued on the legacy default stream (cuBLAS's default too), so events on stream 0 time it.
#include "gpu_probe/cuda_module_abi.h"

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

class CudaFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void ThrowIfFailed(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    // A failed runtime call (an out-of-memory cudaMalloc, say) also leaves its code as the runtime's last error;
    // clear it, or the next launch check would report it again against a kernel that ran fine.
    cudaGetLastError();
    throw CudaFailure(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                      ")");
  }
}

void ThrowIfFailed(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw CudaFailure(std::string(call) + " failed: " + cublasGetStatusName(status) + " (" +
                      cublasGetStatusString(status) + ")");
  }
}

#define SCALEPLAN_CUDA_TRY(call) ThrowIfFailed((call), #call)

void Require(bool condition, const std::string& message) {
  if (!condition) throw CudaFailure(message);
}

// Runs `body`; returns 0, or 1 with the exception's message copied to `error`.
template <typename Body>
int Guarded(char* error, int error_size, Body body) {
  const char* message = nullptr;
  std::string text;
  try {
    body();
    return 0;
  } catch (const std::exception& failure) {
    text = failure.what();
    message = text.c_str();
  } catch (...) {
    message = "unknown error in the CUDA probe module";
  }
  if (error != nullptr && error_size > 0) std::snprintf(error, static_cast<std::size_t>(error_size), "%s", message);
  return 1;
}

cublasHandle_t g_cublas = nullptr;  // set by the first scaleplan_cuda_open
int g_open_count = 0;                // successful scaleplan_cuda_open calls not yet closed

void RequireOpen() { Require(g_cublas != nullptr, "the CUDA probe module was not opened"); }

// Device memory for `count` elements of T, freed on destruction.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(long long count) : count_(count) {
    Require(count >= 0, "negative buffer size");
    if (count_ > 0) SCALEPLAN_CUDA_TRY(cudaMalloc(&data_, Bytes()));
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return data_; }
  long long count() const { return count_; }
  std::size_t Bytes() const { return static_cast<std::size_t>(count_) * sizeof(T); }
  void Upload(const T* host) { SCALEPLAN_CUDA_TRY(cudaMemcpy(data_, host, Bytes(), cudaMemcpyHostToDevice)); }
  void Download(T* host) const { SCALEPLAN_CUDA_TRY(cudaMemcpy(host, data_, Bytes(), cudaMemcpyDeviceToHost)); }

 private:
  T* data_ = nullptr;
  long long count_ = 0;
};

class Event {
 public:
  Event() { SCALEPLAN_CUDA_TRY(cudaEventCreate(&event_)); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

void CheckLaunch() { SCALEPLAN_CUDA_TRY(cudaGetLastError()); }

constexpr int kThreads = 256;  // threads per block for every kernel below (a multiple of 32)

// Blocks for a grid-stride loop over `count` elements.
unsigned GridFor(long long count) {
  const long long blocks = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

// ---------------------------------------------------------------------------------------------------------------
// Fill kernels: SplitMix64 of (seed, i), so the contents do not depend on the launch geometry.

__device__ unsigned long long Mix(unsigned long long seed, long long i) {
  unsigned long long z = seed + 0x9E3779B97F4A7C15ull * static_cast<unsigned long long>(i + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ void StoreElement(float* element, float value) { *element = value; }
__device__ __forceinline__ void StoreElement(__nv_bfloat16* element, float value) {
  *element = __float2bfloat16(value);  // round to nearest even
}

// Uniform in [-1, 1), stored as T (float, or __nv_bfloat16 for the bf16 GEMM).
template <typename T>
__global__ void FillUniformKernel(T* data, long long count, unsigned long long seed) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    StoreElement(&data[i], static_cast<float>(static_cast<double>(Mix(seed, i) >> 40) * (2.0 / 16777216.0) - 1.0));
  }
}

__global__ void FillIndicesKernel(int* indices, long long count, long long n, unsigned long long seed) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    indices[i] = static_cast<int>(Mix(seed, i) % static_cast<unsigned long long>(n));
  }
}

__global__ void ToBf16Kernel(const float* in, __nv_bfloat16* out, long long count) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    out[i] = __float2bfloat16(in[i]);
  }
}

template <typename T>
void FillUniform(T* data, long long count, unsigned long long seed) {
  FillUniformKernel<T><<<GridFor(count), kThreads>>>(data, count, seed);
  CheckLaunch();
}

// ---------------------------------------------------------------------------------------------------------------
// Encoder GEMM. Row-major scores (batch x n) = X (batch x d) * W_enc^T is, read column-major, the n x batch matrix
// W_enc * X^T: W_enc (row-major n x d) is a column-major d x n matrix with leading dimension d, used transposed;
// X (row-major batch x d) is a column-major d x batch matrix with leading dimension d, used as is.

struct GemmOperands {
  const void* x = nullptr;
  const void* w_enc = nullptr;
  cudaDataType_t type = CUDA_R_32F;
};

void RunGemm(int dtype, long long batch, long long d, long long n, const GemmOperands& in, float* scores) {
  const float alpha = 1.0f;
  const float beta = 0.0f;
  const cublasComputeType_t compute =
      dtype == SCALEPLAN_CUDA_DTYPE_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  SCALEPLAN_CUDA_TRY(cublasGemmEx(g_cublas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(batch),
                                  static_cast<int>(d), &alpha, in.w_enc, in.type, static_cast<int>(d), in.x, in.type,
                                  static_cast<int>(d), &beta, scores, CUDA_R_32F, static_cast<int>(n), compute,
                                  CUBLAS_GEMM_DEFAULT));
}

int CheckedGemmDType(int dtype) {
  Require(dtype >= SCALEPLAN_CUDA_DTYPE_FP32 && dtype <= SCALEPLAN_CUDA_DTYPE_BF16, "unknown dtype");
  return dtype;
}

// Holds the GEMM inputs on the device in the element type `dtype` asks for: fp32 for fp32 and tf32, bf16 for bf16.
// Only those buffers live on the device while the GEMM runs, so it holds what WorkingSetBytes counts.
class GemmInputs {
 public:
  GemmInputs(int dtype, long long batch, long long d, long long n)
      : bf16_(CheckedGemmDType(dtype) == SCALEPLAN_CUDA_DTYPE_BF16),
        x_(bf16_ ? 0 : batch * d),
        w_enc_(bf16_ ? 0 : n * d),
        x_bf16_(bf16_ ? batch * d : 0),
        w_bf16_(bf16_ ? n * d : 0) {}

  // Pseudo-random contents, generated on the device.
  void Fill(unsigned long long seed) {
    if (bf16_) {
      FillUniform(x_bf16_.get(), x_bf16_.count(), seed);
      FillUniform(w_bf16_.get(), w_bf16_.count(), seed + 1);
    } else {
      FillUniform(x_.get(), x_.count(), seed);
      FillUniform(w_enc_.get(), w_enc_.count(), seed + 1);
    }
  }

  // Copies host fp32 inputs (bf16: through a temporary fp32 device buffer, rounded to nearest on the device).
  void Upload(const float* x, const float* w_enc) {
    if (bf16_) {
      UploadAsBf16(x, &x_bf16_);
      UploadAsBf16(w_enc, &w_bf16_);
    } else {
      x_.Upload(x);
      w_enc_.Upload(w_enc);
    }
  }

  GemmOperands Operands() const {
    GemmOperands operands;
    if (bf16_) {
      operands.x = x_bf16_.get();
      operands.w_enc = w_bf16_.get();
      operands.type = CUDA_R_16BF;
    } else {
      operands.x = x_.get();
      operands.w_enc = w_enc_.get();
      operands.type = CUDA_R_32F;
    }
    return operands;
  }

 private:
  static void UploadAsBf16(const float* host, DeviceBuffer<__nv_bfloat16>* out) {
    DeviceBuffer<float> staging(out->count());
    staging.Upload(host);
    ToBf16Kernel<<<GridFor(out->count()), kThreads>>>(staging.get(), out->get(), out->count());
    CheckLaunch();
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());  // before `staging` is freed
  }

  bool bf16_;
  DeviceBuffer<float> x_;
  DeviceBuffer<float> w_enc_;
  DeviceBuffer<__nv_bfloat16> x_bf16_;
  DeviceBuffer<__nv_bfloat16> w_bf16_;
};

// ---------------------------------------------------------------------------------------------------------------
// TopK, one block per row (kThreads threads, kWarps warps):
//  1. radix select of the k-th largest key t, 8 bits at a time from the top: each of 4 counting passes over the row
//     builds a histogram of the next 8 bits of the keys that start with the bits found so far, and a prefix sum over
//     the bins (largest digit first) picks the digit; it also yields k - count(key > t), the ties at t wanted;
//  2. each warp counts the keys above t and equal to t in its own contiguous slice of the row, and a prefix over the
//     warps gives every warp its first output slot and the ties still wanted when its slice starts;
//  3. every warp walks its slice in index order and compacts the chosen elements (ballots give each its slot), so
//     the ties go to the smallest indices;
//  4. rank sort of the k chosen: value descending, then index ascending (ranks are distinct as indices are).
// The row is read 6 times (from L2 when the rows of the resident blocks fit there, else from memory).
// Keys map floats to unsigned integers in the same order; -0 is mapped like +0 so equal floats have equal keys.
// Scores must not be NaN.

constexpr int kWarps = kThreads / 32;
constexpr int kRadixBits = 8;
constexpr int kRadixBins = 1 << kRadixBits;
static_assert(kRadixBins == kThreads, "the digit search gives every thread of the block one bin");

__device__ __forceinline__ unsigned OrderedKey(float value) {
  const unsigned bits = value == 0.0f ? 0u : __float_as_uint(value);
  return (bits & 0x80000000u) != 0u ? ~bits : (bits | 0x80000000u);
}

// Inclusive prefix sum of `value` over the threads of the block, in thread order (blockDim.x == kThreads). Every
// thread of the block must call it.
__device__ int BlockInclusiveSum(int value) {
  __shared__ int warp_totals[kWarps];
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = threadIdx.x >> 5;
  for (unsigned offset = 1; offset < 32u; offset <<= 1) {
    const int other = __shfl_up_sync(0xffffffffu, value, offset);
    if (lane >= offset) value += other;
  }
  if (lane == 31u) warp_totals[warp] = value;
  __syncthreads();
  for (unsigned w = 0; w < warp; ++w) value += warp_totals[w];
  __syncthreads();  // everyone has read warp_totals before a next call overwrites it
  return value;
}

__global__ void __launch_bounds__(kThreads)
    TopKKernel(const float* scores, long long n, int k, float* values, int* indices) {
  __shared__ int histogram[kRadixBins];
  __shared__ unsigned found_digit;
  __shared__ int found_remaining;
  __shared__ int warp_above[kWarps];
  __shared__ int warp_ties[kWarps];
  __shared__ float chosen_values[SCALEPLAN_CUDA_MAX_K];
  __shared__ int chosen_indices[SCALEPLAN_CUDA_MAX_K];
  const float* row = scores + static_cast<long long>(blockIdx.x) * n;

  // 1. Invariant: the k-th largest key has the bits of `threshold` where `known` is set, and it is the
  //    remaining-th largest of the keys that do (there are at least `remaining` of them).
  unsigned threshold = 0u;
  unsigned known = 0u;
  int remaining = k;
  for (int shift = 32 - kRadixBits; shift >= 0; shift -= kRadixBits) {
    histogram[threadIdx.x] = 0;
    __syncthreads();
    for (long long i = threadIdx.x; i < n; i += kThreads) {
      const unsigned key = OrderedKey(row[i]);
      if ((key & known) == threshold) atomicAdd(&histogram[(key >> shift) & (kRadixBins - 1u)], 1);
    }
    __syncthreads();
    // Thread t owns digit kRadixBins - 1 - t, so the prefix sum counts the keys with that digit or a larger one.
    // Exactly one thread sees the count cross `remaining`: its digit is the next one of the k-th largest key.
    const unsigned digit = (kRadixBins - 1u) - threadIdx.x;
    const int count = histogram[digit];
    const int at_or_above = BlockInclusiveSum(count);
    if (at_or_above >= remaining && at_or_above - count < remaining) {
      found_digit = digit;
      found_remaining = remaining - (at_or_above - count);
    }
    __syncthreads();
    threshold |= found_digit << shift;
    known |= (kRadixBins - 1u) << shift;
    remaining = found_remaining;  // rewritten only after the next pass's barriers, which every thread passes first
  }
  const int ties_wanted = remaining;  // k - count(key > threshold)

  // 2. Slices of whole 32-element groups, in index order: warp w takes [begin, end).
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = threadIdx.x >> 5;
  const long long slice = ((n + kWarps - 1) / kWarps + 31) / 32 * 32;
  const long long begin = min(n, static_cast<long long>(warp) * slice);
  const long long end = min(n, begin + slice);
  int above = 0;
  int ties = 0;
  for (long long i = begin + lane; i < end; i += 32) {
    const unsigned key = OrderedKey(row[i]);
    above += key > threshold ? 1 : 0;
    ties += key == threshold ? 1 : 0;
  }
  for (int offset = 16; offset > 0; offset >>= 1) {
    above += __shfl_down_sync(0xffffffffu, above, offset);
    ties += __shfl_down_sync(0xffffffffu, ties, offset);
  }
  if (lane == 0u) {
    warp_above[warp] = above;
    warp_ties[warp] = ties;
  }
  __syncthreads();
  int written = 0;  // identical on the 32 lanes of a warp, as is ties_left
  int ties_before = 0;
  for (unsigned w = 0; w < warp; ++w) {
    written += warp_above[w];
    ties_before += warp_ties[w];
  }
  written += min(ties_before, ties_wanted);
  int ties_left = max(ties_wanted - ties_before, 0);

  // 3. Slots [written, written + taken) of this warp follow those of the warps before it.
  const unsigned lanes_below = (1u << lane) - 1u;
  for (long long base = begin; base < end; base += 32) {  // the same trip count on every lane
    const long long i = base + lane;
    const bool valid = i < end;
    const float value = valid ? row[i] : 0.0f;
    const unsigned key = OrderedKey(value);
    const bool tie = valid && key == threshold;
    const unsigned tie_mask = __ballot_sync(0xffffffffu, tie);
    const bool take = (valid && key > threshold) || (tie && __popc(tie_mask & lanes_below) < ties_left);
    const unsigned take_mask = __ballot_sync(0xffffffffu, take);
    if (take) {
      const int slot = written + __popc(take_mask & lanes_below);
      chosen_values[slot] = value;
      chosen_indices[slot] = static_cast<int>(i);
    }
    written += __popc(take_mask);
    ties_left -= min(__popc(tie_mask), ties_left);
  }
  __syncthreads();

  // 4. Rank sort.
  for (int i = threadIdx.x; i < k; i += kThreads) {
    const float value = chosen_values[i];
    const int index = chosen_indices[i];
    int rank = 0;
    for (int j = 0; j < k; ++j) {
      const float other = chosen_values[j];
      rank += (other > value || (other == value && chosen_indices[j] < index)) ? 1 : 0;
    }
    values[static_cast<long long>(blockIdx.x) * k + rank] = value;
    indices[static_cast<long long>(blockIdx.x) * k + rank] = index;
  }
}

void LaunchTopK(long long batch, long long n, long long k, const float* scores, float* values, int* indices) {
  TopKKernel<<<static_cast<unsigned>(batch), kThreads>>>(scores, n, static_cast<int>(k), values, indices);
  CheckLaunch();
}

// ---------------------------------------------------------------------------------------------------------------
// Sparse decoder, one block per token: out[b, e] = sum_j values[b, j] * w_dec[indices[b, j], e], threads along e.

__global__ void DecoderGatherKernel(const float* values, const int* indices, const float* w_dec, long long d, int k,
                                    float* out) {
  const long long b = blockIdx.x;
  for (long long e = threadIdx.x; e < d; e += blockDim.x) {
    float sum = 0.0f;
#pragma unroll 4
    for (int j = 0; j < k; ++j) {
      sum = fmaf(values[b * k + j], w_dec[static_cast<long long>(indices[b * k + j]) * d + e], sum);
    }
    out[b * d + e] = sum;
  }
}

void LaunchGather(long long batch, long long d, long long k, const float* values, const int* indices,
                  const float* w_dec, float* out) {
  DecoderGatherKernel<<<static_cast<unsigned>(batch), kThreads>>>(values, indices, w_dec, d, static_cast<int>(k), out);
  CheckLaunch();
}

// Sparse backward, one block per token: grad_w_dec[indices[b, j], e] += values[b, j] * grad_out[b, e]. Tokens may
// pick the same row, so the adds are atomic.

__global__ void ScatterAddKernel(const float* values, const int* indices, const float* grad_out, long long d, int k,
                                 float* grad_w_dec) {
  const long long b = blockIdx.x;
  for (long long e = threadIdx.x; e < d; e += blockDim.x) {
    const float grad = grad_out[b * d + e];
    for (int j = 0; j < k; ++j) {
      atomicAdd(&grad_w_dec[static_cast<long long>(indices[b * k + j]) * d + e], values[b * k + j] * grad);
    }
  }
}

void LaunchScatterAdd(long long batch, long long d, long long k, const float* values, const int* indices,
                      const float* grad_out, float* grad_w_dec) {
  ScatterAddKernel<<<static_cast<unsigned>(batch), kThreads>>>(values, indices, grad_out, d, static_cast<int>(k),
                                                               grad_w_dec);
  CheckLaunch();
}

// ---------------------------------------------------------------------------------------------------------------
// Calibration: STREAM triad, and an FMA loop with kFmaChains independent chains per thread.

__global__ void TriadKernel(long long count, float scalar, const float* b, const float* c, float* a) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride) {
    a[i] = b[i] + scalar * c[i];
  }
}

void LaunchTriad(long long count, float scalar, const float* b, const float* c, float* a) {
  TriadKernel<<<GridFor(count), kThreads>>>(count, scalar, b, c, a);
  CheckLaunch();
}

constexpr int kFmaChains = 8;

// Chain j of every thread starts at start + j; thread 0 writes its chain 0 to *chain0, and every thread the sum of all
// its chains to sink, so that no chain of any thread can be optimised away.
__global__ void FmaKernel(long long iterations, float start, float multiplier, float addend, float* chain0,
                          float* sink) {
  float acc[kFmaChains];
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) acc[j] = start + static_cast<float>(j);
  // Unrolled so that the loop counter costs little next to 8 x 16 FMAs per trip.
#pragma unroll 16
  for (long long t = 0; t < iterations; ++t) {
#pragma unroll
    for (int j = 0; j < kFmaChains; ++j) acc[j] = fmaf(acc[j], multiplier, addend);
  }
  float sum = 0.0f;
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) sum += acc[j];
  const long long thread = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  sink[thread] = sum;
  if (thread == 0) *chain0 = acc[0];
}

struct FmaGeometry {
  unsigned blocks = 1;
  long long Threads() const { return static_cast<long long>(blocks) * kThreads; }
};

// Exactly one full wave: as many blocks as fit on every SM at once (2048 threads per SM on sm_80 and sm_90, 1536 on
// sm_86 and sm_89), so no SM idles through a partial last wave.
FmaGeometry FmaGeometryForDevice() {
  int device = 0;
  int sm_count = 0;
  int blocks_per_sm = 0;
  SCALEPLAN_CUDA_TRY(cudaGetDevice(&device));
  SCALEPLAN_CUDA_TRY(cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device));
  SCALEPLAN_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, FmaKernel, kThreads, 0));
  FmaGeometry geometry;
  geometry.blocks = static_cast<unsigned>(std::max(sm_count, 1) * std::max(blocks_per_sm, 1));
  return geometry;
}

// ---------------------------------------------------------------------------------------------------------------
// Timing with events on the default stream.

template <typename Launch>
void TimeLaunches(int warmup, int repeats, int calls_per_sample, double* seconds, Launch launch) {
  Require(warmup >= 0 && repeats >= 1 && calls_per_sample >= 1, "bad warm-up, repeat or call count");
  for (int i = 0; i < warmup; ++i) launch();
  SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
  Event start;
  Event stop;
  for (int i = 0; i < repeats; ++i) {
    SCALEPLAN_CUDA_TRY(cudaEventRecord(start.get(), 0));
    for (int call = 0; call < calls_per_sample; ++call) launch();
    SCALEPLAN_CUDA_TRY(cudaEventRecord(stop.get(), 0));
    SCALEPLAN_CUDA_TRY(cudaEventSynchronize(stop.get()));
    float milliseconds = 0.0f;
    SCALEPLAN_CUDA_TRY(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
    seconds[i] = 1e-3 * static_cast<double>(milliseconds) / calls_per_sample;
  }
}

constexpr unsigned long long kSeed = 0x5CA1E9A7ull;

void TimeSpec(const ScaleplanCudaKernelSpec& spec, int warmup, int repeats, int calls_per_sample, double* seconds,
              long long* executed_n) {
  const long long batch = spec.batch;
  const long long d = spec.d;
  const long long n = spec.n;
  const long long k = spec.k;
  *executed_n = n;
  switch (spec.kind) {
    case SCALEPLAN_CUDA_KERNEL_ENCODER_GEMM: {
      Require(batch > 0 && d > 0 && n > 0 && batch <= 2147483647LL && d <= 2147483647LL && n <= 2147483647LL,
              "encoder_gemm: bad shape");
      GemmInputs inputs(spec.dtype, batch, d, n);
      DeviceBuffer<float> scores(batch * n);
      inputs.Fill(kSeed);
      const GemmOperands operands = inputs.Operands();
      TimeLaunches(warmup, repeats, calls_per_sample, seconds,
                   [&] { RunGemm(spec.dtype, batch, d, n, operands, scores.get()); });
      return;
    }
    case SCALEPLAN_CUDA_KERNEL_TOPK: {
      Require(batch > 0 && batch <= INT_MAX && n <= INT_MAX && k >= 1 && k <= n && k <= SCALEPLAN_CUDA_MAX_K,
              "topk: needs 1 <= k <= min(n, " + std::to_string(SCALEPLAN_CUDA_MAX_K) + ") and batch, n < 2^31");
      DeviceBuffer<float> scores(batch * n);
      DeviceBuffer<float> values(batch * k);
      DeviceBuffer<int> indices(batch * k);
      FillUniform(scores.get(), batch * n, kSeed);
      TimeLaunches(warmup, repeats, calls_per_sample, seconds,
                   [&] { LaunchTopK(batch, n, k, scores.get(), values.get(), indices.get()); });
      return;
    }
    case SCALEPLAN_CUDA_KERNEL_DECODER_GATHER:
    case SCALEPLAN_CUDA_KERNEL_SCATTER_ADD: {
      Require(batch > 0 && batch <= 2147483647LL && d > 0 && k >= 1 && k <= n && n <= 2147483647LL,
              "decoder_gather/scatter_add: bad shape");
      DeviceBuffer<float> dictionary(n * d);
      DeviceBuffer<float> dense(batch * d);
      DeviceBuffer<float> values(batch * k);
      DeviceBuffer<int> indices(batch * k);
      FillUniform(dictionary.get(), n * d, kSeed);
      FillUniform(dense.get(), batch * d, kSeed + 1);
      FillUniform(values.get(), batch * k, kSeed + 2);
      FillIndicesKernel<<<GridFor(batch * k), kThreads>>>(indices.get(), batch * k, n, kSeed + 3);
      CheckLaunch();
      if (spec.kind == SCALEPLAN_CUDA_KERNEL_DECODER_GATHER) {
        TimeLaunches(warmup, repeats, calls_per_sample, seconds,
                     [&] { LaunchGather(batch, d, k, values.get(), indices.get(), dictionary.get(), dense.get()); });
      } else {
        TimeLaunches(warmup, repeats, calls_per_sample, seconds, [&] {
          LaunchScatterAdd(batch, d, k, values.get(), indices.get(), dense.get(), dictionary.get());
        });
      }
      return;
    }
    case SCALEPLAN_CUDA_KERNEL_TRIAD: {
      Require(n > 0, "triad: bad length");
      DeviceBuffer<float> a(n);
      DeviceBuffer<float> b(n);
      DeviceBuffer<float> c(n);
      FillUniform(a.get(), n, kSeed);
      FillUniform(b.get(), n, kSeed + 1);
      FillUniform(c.get(), n, kSeed + 2);
      TimeLaunches(warmup, repeats, calls_per_sample, seconds,
                   [&] { LaunchTriad(n, 3.0f, b.get(), c.get(), a.get()); });
      return;
    }
    case SCALEPLAN_CUDA_KERNEL_FMA_PEAK: {
      Require(n > 0, "fma_peak: bad count");
      const FmaGeometry geometry = FmaGeometryForDevice();
      const long long per_step = geometry.Threads() * kFmaChains;
      const long long iterations = (n + per_step - 1) / per_step;
      *executed_n = iterations * per_step;
      DeviceBuffer<float> chain0(1);
      DeviceBuffer<float> sink(geometry.Threads());
      TimeLaunches(warmup, repeats, calls_per_sample, seconds, [&] {
        FmaKernel<<<geometry.blocks, kThreads>>>(iterations, 0.25f, 0.75f, 0.5f, chain0.get(), sink.get());
        CheckLaunch();
      });
      return;
    }
    default: throw CudaFailure("unknown kernel code " + std::to_string(spec.kind));
  }
}

// The sparse kernels index W_dec with these; an index outside [0, n) would read or write outside the buffer.
void RequireIndicesInRange(const int* indices, long long count, long long n) {
  for (long long i = 0; i < count; ++i) {
    if (indices[i] < 0 || indices[i] >= n) {
      throw CudaFailure("index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
                        " is outside [0, " + std::to_string(n) + ")");
    }
  }
}

}  // namespace

extern "C" {

int scaleplan_cuda_abi_version(void) { return SCALEPLAN_CUDA_ABI_VERSION; }

int scaleplan_cuda_open(ScaleplanCudaDeviceInfo* info, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    Require(info != nullptr, "scaleplan_cuda_open: null info");
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver) {
      // The runtime reports a missing driver the same way as an old one; tell them apart.
      void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
      if (driver == nullptr) throw CudaFailure("no CUDA driver installed (libcuda.so.1 not found)");
      dlclose(driver);
      throw CudaFailure("the CUDA driver is older than the CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
                        std::to_string(CUDART_VERSION % 1000 / 10) + " runtime this module was built with");
    }
    if (status == cudaErrorNoDevice || (status == cudaSuccess && count == 0)) throw CudaFailure("no CUDA device found");
    if (status != cudaSuccess) {
      throw CudaFailure(std::string("no usable CUDA device: ") + cudaGetErrorName(status) + " (" +
                        cudaGetErrorString(status) + ")");
    }
    SCALEPLAN_CUDA_TRY(cudaSetDevice(0));
    cudaDeviceProp properties;
    SCALEPLAN_CUDA_TRY(cudaGetDeviceProperties(&properties, 0));
    *info = ScaleplanCudaDeviceInfo{};
    std::snprintf(info->name, sizeof(info->name), "%s", properties.name);
    info->sm_count = properties.multiProcessorCount;
    info->compute_capability_major = properties.major;
    info->compute_capability_minor = properties.minor;
    info->memory_bus_width_bits = properties.memoryBusWidth;
    info->memory_bytes = static_cast<double>(properties.totalGlobalMem);
    info->l2_cache_bytes = static_cast<double>(properties.l2CacheSize);
    SCALEPLAN_CUDA_TRY(cudaDeviceGetAttribute(&info->clock_khz, cudaDevAttrClockRate, 0));
    SCALEPLAN_CUDA_TRY(cudaDeviceGetAttribute(&info->memory_clock_khz, cudaDevAttrMemoryClockRate, 0));
    SCALEPLAN_CUDA_TRY(cudaDriverGetVersion(&info->driver_version));
    SCALEPLAN_CUDA_TRY(cudaRuntimeGetVersion(&info->runtime_version));
    // The module holds code for the architectures it was built for (and PTX the driver can compile for newer ones);
    // on an older device the first launch would fail, so say so now, while the caller can still fall back.
    cudaFuncAttributes attributes;
    const cudaError_t loaded = cudaFuncGetAttributes(&attributes, TopKKernel);
    if (loaded != cudaSuccess) {
      cudaGetLastError();
      throw CudaFailure("the CUDA probe module's kernels cannot run on " + std::string(properties.name) +
                        " (compute capability " + std::to_string(properties.major) + "." +
                        std::to_string(properties.minor) + "): " + cudaGetErrorName(loaded) + " (" +
                        cudaGetErrorString(loaded) + ")" +
                        (loaded == cudaErrorNoKernelImageForDevice
                             ? "; rebuild with this architecture in CMAKE_CUDA_ARCHITECTURES"
                             : ""));
    }
    if (g_cublas == nullptr) SCALEPLAN_CUDA_TRY(cublasCreate(&g_cublas));
    ++g_open_count;
  });
}

// Every successful scaleplan_cuda_open is matched by one close; the cuBLAS handle lives until the last.
void scaleplan_cuda_close(void) {
  if (g_open_count > 0) --g_open_count;
  if (g_open_count == 0 && g_cublas != nullptr) {
    cublasDestroy(g_cublas);
    g_cublas = nullptr;
  }
}

int scaleplan_cuda_encoder_gemm(int dtype, long long batch, long long d, long long n, const float* x,
                                const float* w_enc, float* scores, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(batch > 0 && d > 0 && n > 0 && batch <= 2147483647LL && d <= 2147483647LL && n <= 2147483647LL,
            "encoder_gemm: bad shape");
    GemmInputs inputs(dtype, batch, d, n);
    DeviceBuffer<float> device_scores(batch * n);
    inputs.Upload(x, w_enc);
    const GemmOperands operands = inputs.Operands();
    RunGemm(dtype, batch, d, n, operands, device_scores.get());
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_scores.Download(scores);
  });
}

int scaleplan_cuda_topk(long long batch, long long n, long long k, const float* scores, float* values, int* indices,
                        char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(batch > 0 && batch <= INT_MAX && n <= INT_MAX && k >= 1 && k <= n && k <= SCALEPLAN_CUDA_MAX_K,
            "topk: bad shape");
    DeviceBuffer<float> device_scores(batch * n);
    DeviceBuffer<float> device_values(batch * k);
    DeviceBuffer<int> device_indices(batch * k);
    device_scores.Upload(scores);
    LaunchTopK(batch, n, k, device_scores.get(), device_values.get(), device_indices.get());
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_values.Download(values);
    device_indices.Download(indices);
  });
}

int scaleplan_cuda_decoder_gather(long long batch, long long d, long long n, long long k, const float* values,
                                  const int* indices, const float* w_dec, float* out, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(batch > 0 && batch <= INT_MAX && d > 0 && k > 0 && k <= n && n <= INT_MAX, "decoder_gather: bad shape");
    RequireIndicesInRange(indices, batch * k, n);
    DeviceBuffer<float> device_values(batch * k);
    DeviceBuffer<int> device_indices(batch * k);
    DeviceBuffer<float> device_w_dec(n * d);
    DeviceBuffer<float> device_out(batch * d);
    device_values.Upload(values);
    device_indices.Upload(indices);
    device_w_dec.Upload(w_dec);
    LaunchGather(batch, d, k, device_values.get(), device_indices.get(), device_w_dec.get(), device_out.get());
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_out.Download(out);
  });
}

int scaleplan_cuda_scatter_add(long long batch, long long d, long long n, long long k, const float* values,
                               const int* indices, const float* grad_out, float* grad_w_dec, char* error,
                               int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(batch > 0 && batch <= INT_MAX && d > 0 && k > 0 && k <= n && n <= INT_MAX, "scatter_add: bad shape");
    RequireIndicesInRange(indices, batch * k, n);
    DeviceBuffer<float> device_values(batch * k);
    DeviceBuffer<int> device_indices(batch * k);
    DeviceBuffer<float> device_grad_out(batch * d);
    DeviceBuffer<float> device_grad_w_dec(n * d);
    device_values.Upload(values);
    device_indices.Upload(indices);
    device_grad_out.Upload(grad_out);
    device_grad_w_dec.Upload(grad_w_dec);
    LaunchScatterAdd(batch, d, k, device_values.get(), device_indices.get(), device_grad_out.get(),
                     device_grad_w_dec.get());
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_grad_w_dec.Download(grad_w_dec);
  });
}

int scaleplan_cuda_triad(long long elements, float scalar, const float* b, const float* c, float* a, char* error,
                         int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(elements > 0, "triad: bad length");
    DeviceBuffer<float> device_a(elements);
    DeviceBuffer<float> device_b(elements);
    DeviceBuffer<float> device_c(elements);
    device_b.Upload(b);
    device_c.Upload(c);
    LaunchTriad(elements, scalar, device_b.get(), device_c.get(), device_a.get());
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_a.Download(a);
  });
}

int scaleplan_cuda_fma(long long iterations, float start, float multiplier, float addend, float* chain0, char* error,
                       int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(iterations >= 0, "fma: negative iteration count");
    const FmaGeometry geometry = FmaGeometryForDevice();
    DeviceBuffer<float> device_chain0(1);
    DeviceBuffer<float> sink(geometry.Threads());
    FmaKernel<<<geometry.blocks, kThreads>>>(iterations, start, multiplier, addend, device_chain0.get(), sink.get());
    CheckLaunch();
    SCALEPLAN_CUDA_TRY(cudaDeviceSynchronize());
    device_chain0.Download(chain0);
  });
}

int scaleplan_cuda_time(const ScaleplanCudaKernelSpec* spec, int warmup, int repeats, int calls_per_sample,
                        double* seconds, long long* executed_n, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    RequireOpen();
    Require(spec != nullptr && seconds != nullptr && executed_n != nullptr, "scaleplan_cuda_time: null argument");
    TimeSpec(*spec, warmup, repeats, calls_per_sample, seconds, executed_n);
  });
}

}  // extern "C"
