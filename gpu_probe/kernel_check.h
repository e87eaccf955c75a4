// Before a kernel is timed it must compute the right answer: each check runs the backend's kernel on a small case
// with awkward sizes (not multiples of any vector width or thread count, duplicate indices, tied scores) and
// compares it with reference_kernels.h. A mismatch is a KernelCheckError, never a number in the profile.
#ifndef SCALEPLAN_GPU_PROBE_KERNEL_CHECK_H_
#define SCALEPLAN_GPU_PROBE_KERNEL_CHECK_H_

#include <stdexcept>
#include <string>
#include <vector>

#include "gpu_probe/backend.h"
#include "gpu_probe/reference_kernels.h"

namespace scaleplan::probe {

class KernelCheckError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Relative tolerance (against the sum of |terms|) a GEMM with `dtype` inputs may deviate by: rounding of fp32 sums,
// or of tf32 (10-bit mantissa) and bf16 (7-bit mantissa) inputs.
double GemmTolerance(DType dtype);

// Empty when every |got[i] - want.value[i]| <= abs_tolerance + rel_tolerance * want.magnitude[i]; otherwise a
// description of the first element that is not (index, both values, the bound) and how many are off.
std::string CompareWithReference(const std::vector<float>& got, const reference::Accumulated& want,
                                 double rel_tolerance, double abs_tolerance);

// Runs `kind` (GEMM inputs `dtype`) on `backend` on its small case and compares; throws KernelCheckError naming the
// backend, the kernel, the case and the first mismatch.
void CheckKernel(Backend& backend, KernelKind kind, DType dtype = DType::FP32);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_KERNEL_CHECK_H_
