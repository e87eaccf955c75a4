/* The C interface of the CUDA probe module (libscaleplan_probe_cuda.so), loaded at run time with dlopen() so that
 * the scaleplan binary never needs CUDA libraries to start. Plain C types only; no exception crosses it.
 *
 * Every function returning int returns 0 on success; otherwise non-zero, with a NUL-terminated one-line reason
 * written to `error` (capacity `error_size` bytes). Host pointers only: the module allocates, copies and frees the
 * device buffers itself. Layouts and formulas are those of gpu_probe/kernel_cost.h. Kernel and dtype codes are the
 * values of scaleplan::probe::KernelKind and DType, in order. Calls come from one host thread. */
#ifndef SCALEPLAN_GPU_PROBE_CUDA_MODULE_ABI_H_
#define SCALEPLAN_GPU_PROBE_CUDA_MODULE_ABI_H_

#ifdef __cplusplus
extern "C" {
#endif

/* The module is built with hidden visibility; only these entry points are exported. */
#if defined(__GNUC__)
#define SCALEPLAN_CUDA_API __attribute__((visibility("default")))
#else
#define SCALEPLAN_CUDA_API
#endif

/* Bumped whenever a signature or struct below changes; the loader refuses a module with another version. */
#define SCALEPLAN_CUDA_ABI_VERSION 1

enum {
  SCALEPLAN_CUDA_KERNEL_ENCODER_GEMM = 0,
  SCALEPLAN_CUDA_KERNEL_TOPK = 1,
  SCALEPLAN_CUDA_KERNEL_DECODER_GATHER = 2,
  SCALEPLAN_CUDA_KERNEL_SCATTER_ADD = 3,
  SCALEPLAN_CUDA_KERNEL_TRIAD = 4,
  SCALEPLAN_CUDA_KERNEL_FMA_PEAK = 5
};
enum { SCALEPLAN_CUDA_DTYPE_FP32 = 0, SCALEPLAN_CUDA_DTYPE_TF32 = 1, SCALEPLAN_CUDA_DTYPE_BF16 = 2 };

/* Largest k the TopK kernel accepts. */
#define SCALEPLAN_CUDA_MAX_K 1024

typedef struct ScaleplanCudaDeviceInfo {
  char name[256];
  int sm_count;
  int compute_capability_major;
  int compute_capability_minor;
  int clock_khz;
  int memory_clock_khz;
  int memory_bus_width_bits;
  int driver_version; /* e.g. 13000 */
  int runtime_version;
  double memory_bytes;
  double l2_cache_bytes;
} ScaleplanCudaDeviceInfo;

typedef struct ScaleplanCudaKernelSpec {
  int kind;
  int dtype;
  long long batch;
  long long d;
  long long n;
  long long k;
} ScaleplanCudaKernelSpec;

#ifdef __cplusplus
/* Both sides compile this header; a change of these sizes (LP64) must come with a new SCALEPLAN_CUDA_ABI_VERSION. */
static_assert(sizeof(ScaleplanCudaDeviceInfo) == 304, "ScaleplanCudaDeviceInfo changed: bump the ABI version");
static_assert(sizeof(ScaleplanCudaKernelSpec) == 40, "ScaleplanCudaKernelSpec changed: bump the ABI version");
#endif

SCALEPLAN_CUDA_API int scaleplan_cuda_abi_version(void);

/* Initialises device 0 and cuBLAS; fills `info`. Fails with the reason when there is no driver, no device, or no code
 * in the module for the device. Each successful open is matched by one close; the last close releases cuBLAS. */
SCALEPLAN_CUDA_API int scaleplan_cuda_open(ScaleplanCudaDeviceInfo* info, char* error, int error_size);
SCALEPLAN_CUDA_API void scaleplan_cuda_close(void);

SCALEPLAN_CUDA_API int scaleplan_cuda_encoder_gemm(int dtype, long long batch, long long d, long long n, const float* x,
                                                   const float* w_enc, float* scores, char* error, int error_size);
SCALEPLAN_CUDA_API int scaleplan_cuda_topk(long long batch, long long n, long long k, const float* scores,
                                           float* values, int* indices, char* error, int error_size);
SCALEPLAN_CUDA_API int scaleplan_cuda_decoder_gather(long long batch, long long d, long long n, long long k,
                                                     const float* values, const int* indices, const float* w_dec,
                                                     float* out, char* error, int error_size);
/* grad_w_dec (n x d) is read, accumulated into, and written back. */
SCALEPLAN_CUDA_API int scaleplan_cuda_scatter_add(long long batch, long long d, long long n, long long k,
                                                  const float* values, const int* indices, const float* grad_out,
                                                  float* grad_w_dec, char* error, int error_size);
SCALEPLAN_CUDA_API int scaleplan_cuda_triad(long long elements, float scalar, const float* b, const float* c, float* a,
                                            char* error, int error_size);
/* Runs the FMA kernel for `iterations` steps; *chain0 receives the final value of the chain starting at `start`. */
SCALEPLAN_CUDA_API int scaleplan_cuda_fma(long long iterations, float start, float multiplier, float addend,
                                          float* chain0, char* error, int error_size);

/* Allocates and fills device buffers for `spec`, runs `warmup` untimed calls, then takes `repeats` samples of
 * `calls_per_sample` back-to-back calls timed with CUDA events, writing the seconds per call of each sample to
 * `seconds`. *executed_n receives the n that ran (fma_peak
 * rounds its FMA count up to whole steps; otherwise spec->n). */
SCALEPLAN_CUDA_API int scaleplan_cuda_time(const ScaleplanCudaKernelSpec* spec, int warmup, int repeats,
                                           int calls_per_sample, double* seconds, long long* executed_n, char* error,
                                           int error_size);

#ifdef __cplusplus
}
#endif

#endif /* SCALEPLAN_GPU_PROBE_CUDA_MODULE_ABI_H_ */
