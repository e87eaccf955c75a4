// The probe's kernels, their shapes and their cost formulas.
//
// Symbols: B = batch (tokens per step), d = activation width, n = dictionary size (latents), k = active latents per
// token, e = bytes per GEMM input element (4 for fp32 and tf32, 2 for bf16). All buffers are row-major.
//
//   kernel          what it computes                                 flops              bytes (compulsory traffic)
//   encoder_gemm    scores[B,n] = X[B,d] * W_enc[n,d]^T              2*B*d*n            e*(B*d + n*d) + 4*B*n
//   topk            per row of scores[B,n]: the k largest values     B*n (comparisons)  4*B*n + 8*B*k
//                   and their indices, sorted by value descending,
//                   ties to the smaller index
//   decoder_gather  out[b,:] = sum_j values[b,j] * W_dec[idx[b,j],:] 2*B*k*d            4*B*k*d + 8*B*k + 4*B*d
//   scatter_add     dW_dec[idx[b,j],:] += values[b,j] * grad[b,:]    2*B*k*d            8*B*k*d + 4*B*d + 8*B*k
//   triad           a[i] = b[i] + s * c[i], i < n                    2*n                12*n
//   fma_peak        n independent fused multiply-adds                2*n                0
//
// The byte counts are each kernel's traffic to memory when its large operand does not fit in cache: the GEMM reads
// each input and writes the output once; topk reads the scores once and writes k (value, index) pairs per row; the
// gather reads one d-row of W_dec per (token, latent) pair (dictionaries much larger than the cache, so reuse across
// tokens is negligible), plus the values and indices, and writes the output; the scatter-add reads and writes one
// d-row of dW_dec per pair, reads the gradient rows once, and the values and indices; the triad follows STREAM
// (three arrays, write-allocate traffic not counted).
#ifndef SCALEPLAN_GPU_PROBE_KERNEL_COST_H_
#define SCALEPLAN_GPU_PROBE_KERNEL_COST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scaleplan::probe {

enum class KernelKind { ENCODER_GEMM, TOPK, DECODER_GATHER, SCATTER_ADD, TRIAD, FMA_PEAK };

// Element type of the GEMM inputs (accumulation is always fp32). TF32 and BF16 exist on the CUDA backend only.
enum class DType { FP32, TF32, BF16 };

std::string_view KernelName(KernelKind kind);  // "encoder_gemm", ...
std::string_view DTypeName(DType dtype);       // "fp32", "tf32", "bf16"
std::optional<KernelKind> ParseKernelName(std::string_view name);
std::optional<DType> ParseDTypeName(std::string_view name);

// One kernel at one shape. Fields that do not apply are 0 (see the table above).
struct KernelSpec {
  KernelKind kind = KernelKind::TRIAD;
  DType dtype = DType::FP32;
  std::int64_t batch = 0;  // B
  std::int64_t d = 0;      // activation width
  std::int64_t n = 0;      // latents; triad: elements per array; fma_peak: number of fused multiply-adds
  std::int64_t k = 0;      // active latents per token

  // Empty when the shape is valid for the kind; otherwise the reason.
  std::string Problem() const;
  // "encoder_gemm fp32 B=256 d=768 n=16384" (only the fields that apply).
  std::string Describe() const;
};

struct KernelCost {
  double flops = 0.0;
  double bytes = 0.0;
};

// The formulas above.
KernelCost CostOf(const KernelSpec& spec);

// Bytes the kernel's buffers occupy (inputs and outputs, at the element types the backends use).
double WorkingSetBytes(const KernelSpec& spec);

// flops / bytes; 0 when bytes is 0.
double ArithmeticIntensity(const KernelCost& cost);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_KERNEL_COST_H_
