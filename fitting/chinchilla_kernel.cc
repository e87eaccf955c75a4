#include "fitting/chinchilla_kernel.h"

namespace scaleplan {
namespace {

using Kernel = double (*)(const ChinchillaKernelData&, const double*, double, double*);

bool UseAvx2() {
#if defined(SCALEPLAN_HAS_AVX2_KERNEL)
  static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return available;
#else
  return false;
#endif
}

}  // namespace

double ChinchillaHuberKernel(const ChinchillaKernelData& data, const double* p, double delta, double* gradient) {
#if defined(SCALEPLAN_HAS_AVX2_KERNEL)
  if (UseAvx2()) return internal::ChinchillaHuberKernelAvx2(data, p, delta, gradient);
#endif
  return internal::ChinchillaHuberKernelBaseline(data, p, delta, gradient);
}

const char* ChinchillaKernelPath() { return UseAvx2() ? "avx2" : "baseline"; }

}  // namespace scaleplan
