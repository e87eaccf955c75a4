// What a probe backend provides: the kernels on host data (for the checks on small cases), and timed runs on
// buffers the backend owns (host memory for the CPU, device memory for CUDA).
#ifndef SCALEPLAN_GPU_PROBE_BACKEND_H_
#define SCALEPLAN_GPU_PROBE_BACKEND_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "gpu_probe/kernel_cost.h"
#include "gpu_probe/timing.h"

namespace scaleplan::probe {

// A backend could not run a kernel (a CUDA or cuBLAS call failed, device memory ran out).
class BackendError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A timed kernel: one duration per repeat, and the shape that actually ran (fma_peak rounds its FMA count up to a
// whole number of steps on every thread; everything else runs the requested shape).
struct TimedRun {
  std::vector<double> seconds;
  KernelSpec executed;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string Name() const = 0;        // "cpu" or "cuda"
  virtual bool Supports(DType dtype) const = 0;  // GEMM input types this backend can run
  // Memory the timed buffers may take (RAM or device memory), to skip shapes that cannot fit.
  virtual double MemoryBytes() const = 0;
  // Fills profile.device (and cuda_device for CUDA).
  virtual void Describe(HardwareProfile* profile) const = 0;

  // The kernels on host buffers, row-major, with the layouts of kernel_cost.h.
  virtual void EncoderGemm(DType dtype, std::int64_t batch, std::int64_t d, std::int64_t n, const float* x,
                           const float* w_enc, float* scores) = 0;
  virtual void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
                    std::int32_t* indices) = 0;
  virtual void DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                             const std::int32_t* indices, const float* w_dec, float* out) = 0;
  // Accumulates into grad_w_dec (n x d).
  virtual void ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                          const std::int32_t* indices, const float* grad_out, float* grad_w_dec) = 0;
  virtual void Triad(std::int64_t elements, float scalar, const float* b, const float* c, float* a) = 0;
  // The FMA loop, `iterations` steps on every chain; returns the final value of the chain that starts at `start`.
  virtual float FmaLoop(std::int64_t iterations, float start, float multiplier, float addend) = 0;

  // Times `spec` (which must satisfy spec.Problem().empty()) on freshly allocated, pseudo-randomly filled buffers.
  virtual TimedRun Time(const KernelSpec& spec, const TimingOptions& timing) = 0;
};

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_BACKEND_H_
