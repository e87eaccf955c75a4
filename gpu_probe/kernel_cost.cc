#include "gpu_probe/kernel_cost.h"

#include <limits>
#include <sstream>

namespace scaleplan::probe {

std::string_view KernelName(KernelKind kind) {
  switch (kind) {
    case KernelKind::ENCODER_GEMM: return "encoder_gemm";
    case KernelKind::TOPK: return "topk";
    case KernelKind::DECODER_GATHER: return "decoder_gather";
    case KernelKind::SCATTER_ADD: return "scatter_add";
    case KernelKind::TRIAD: return "triad";
    case KernelKind::FMA_PEAK: return "fma_peak";
  }
  return "unknown";
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::FP32: return "fp32";
    case DType::TF32: return "tf32";
    case DType::BF16: return "bf16";
  }
  return "unknown";
}

std::optional<KernelKind> ParseKernelName(std::string_view name) {
  for (KernelKind kind : {KernelKind::ENCODER_GEMM, KernelKind::TOPK, KernelKind::DECODER_GATHER,
                          KernelKind::SCATTER_ADD, KernelKind::TRIAD, KernelKind::FMA_PEAK}) {
    if (KernelName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<DType> ParseDTypeName(std::string_view name) {
  for (DType dtype : {DType::FP32, DType::TF32, DType::BF16}) {
    if (DTypeName(dtype) == name) return dtype;
  }
  return std::nullopt;
}

std::string KernelSpec::Problem() const {
  // Indices are int32 on every backend.
  constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();
  const auto positive = [](std::int64_t value) { return value > 0; };
  if (kind != KernelKind::ENCODER_GEMM && dtype != DType::FP32) return "only encoder_gemm has tf32 and bf16 variants";
  switch (kind) {
    case KernelKind::ENCODER_GEMM:
      if (!positive(batch) || !positive(d) || !positive(n)) return "encoder_gemm needs batch, d and n > 0";
      if (batch > kMaxIndex || d > kMaxIndex || n > kMaxIndex) return "encoder_gemm dimensions must fit in int32";
      return "";
    case KernelKind::TOPK:
      if (!positive(batch) || !positive(n) || !positive(k)) return "topk needs batch, n and k > 0";
      if (k > n) return "topk needs k <= n";
      if (n > kMaxIndex) return "topk needs n < 2^31";
      return "";
    case KernelKind::DECODER_GATHER:
    case KernelKind::SCATTER_ADD:
      if (!positive(batch) || !positive(d) || !positive(n) || !positive(k)) return "needs batch, d, n and k > 0";
      if (k > n) return "needs k <= n";
      if (n > kMaxIndex) return "needs n < 2^31";
      return "";
    case KernelKind::TRIAD:
    case KernelKind::FMA_PEAK:
      if (!positive(n)) return "needs n > 0";
      return "";
  }
  return "unknown kernel";
}

std::string KernelSpec::Describe() const {
  std::ostringstream out;
  out << KernelName(kind);
  if (kind == KernelKind::ENCODER_GEMM) out << ' ' << DTypeName(dtype);
  if (batch > 0) out << " B=" << batch;
  if (d > 0) out << " d=" << d;
  if (n > 0) out << " n=" << n;
  if (k > 0) out << " k=" << k;
  return out.str();
}

KernelCost CostOf(const KernelSpec& spec) {
  const double b = static_cast<double>(spec.batch);
  const double d = static_cast<double>(spec.d);
  const double n = static_cast<double>(spec.n);
  const double k = static_cast<double>(spec.k);
  switch (spec.kind) {
    case KernelKind::ENCODER_GEMM: {
      const double e = spec.dtype == DType::BF16 ? 2.0 : 4.0;
      return {2.0 * b * d * n, e * (b * d + n * d) + 4.0 * b * n};
    }
    case KernelKind::TOPK: return {b * n, 4.0 * b * n + 8.0 * b * k};
    case KernelKind::DECODER_GATHER: return {2.0 * b * k * d, 4.0 * b * k * d + 8.0 * b * k + 4.0 * b * d};
    case KernelKind::SCATTER_ADD: return {2.0 * b * k * d, 8.0 * b * k * d + 4.0 * b * d + 8.0 * b * k};
    case KernelKind::TRIAD: return {2.0 * n, 12.0 * n};
    case KernelKind::FMA_PEAK: return {2.0 * n, 0.0};
  }
  return {};
}

double WorkingSetBytes(const KernelSpec& spec) {
  const double b = static_cast<double>(spec.batch);
  const double d = static_cast<double>(spec.d);
  const double n = static_cast<double>(spec.n);
  const double k = static_cast<double>(spec.k);
  switch (spec.kind) {
    case KernelKind::ENCODER_GEMM: {
      const double e = spec.dtype == DType::BF16 ? 2.0 : 4.0;
      return e * (b * d + n * d) + 4.0 * b * n;
    }
    case KernelKind::TOPK: return 4.0 * b * n + 8.0 * b * k;
    case KernelKind::DECODER_GATHER:
    case KernelKind::SCATTER_ADD: return 4.0 * n * d + 8.0 * b * k + 4.0 * b * d;
    case KernelKind::TRIAD: return 12.0 * n;
    case KernelKind::FMA_PEAK: return 0.0;
  }
  return 0.0;
}

double ArithmeticIntensity(const KernelCost& cost) { return cost.bytes > 0.0 ? cost.flops / cost.bytes : 0.0; }

}  // namespace scaleplan::probe
