// The CPU backend: OpenBLAS GEMM and our own threaded kernels (cpu_kernels.h).
#ifndef SCALEPLAN_GPU_PROBE_CPU_BACKEND_H_
#define SCALEPLAN_GPU_PROBE_CPU_BACKEND_H_

#include "gpu_probe/backend.h"
#include "gpu_probe/thread_pool.h"

namespace scaleplan::probe {

class CpuBackend : public Backend {
 public:
  // `threads` >= 1: our kernels and OpenBLAS both use that many threads.
  explicit CpuBackend(int threads);

  int threads() const { return pool_.num_threads(); }

  std::string Name() const override { return "cpu"; }
  bool Supports(DType dtype) const override { return dtype == DType::FP32; }
  double MemoryBytes() const override;
  void Describe(HardwareProfile* profile) const override;

  void EncoderGemm(DType dtype, std::int64_t batch, std::int64_t d, std::int64_t n, const float* x,
                   const float* w_enc, float* scores) override;
  void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
            std::int32_t* indices) override;
  void DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                     const std::int32_t* indices, const float* w_dec, float* out) override;
  void ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                  const std::int32_t* indices, const float* grad_out, float* grad_w_dec) override;
  void Triad(std::int64_t elements, float scalar, const float* b, const float* c, float* a) override;
  float FmaLoop(std::int64_t iterations, float start, float multiplier, float addend) override;

  TimedRun Time(const KernelSpec& spec, const TimingOptions& timing) override;

 private:
  ThreadPool pool_;
};

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_CPU_BACKEND_H_
