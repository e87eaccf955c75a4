// The hot loop of every Chinchilla fit and bootstrap: the summed Huber objective over runs and its gradient.
//
// The same source (chinchilla_kernel_body.h) is compiled twice: for the baseline instruction set and, on x86-64,
// for AVX2 + FMA; the AVX2 build is used when the processor has both. Both builds may reorder sums and call the
// vector math library (they are compiled with -ffast-math), so they agree with a plain scalar evaluation to about
// 1e-14 relative, not bit for bit; a given machine always takes the same path, so results stay reproducible and
// independent of the thread count. Non-finite results (an overflowing exponential far outside any law) are left to
// the caller to detect.
#ifndef SCALEPLAN_FITTING_CHINCHILLA_KERNEL_H_
#define SCALEPLAN_FITTING_CHINCHILLA_KERNEL_H_

namespace scaleplan {

struct ChinchillaKernelData {
  const double* log_params = nullptr;  // log N per run
  const double* log_tokens = nullptr;  // log D per run
  const double* log_loss = nullptr;    // log L per run
  const double* weight = nullptr;      // multiplicity per run
  long num_runs = 0;
};

// SUM_i w_i Huber_delta(log(exp(a - alpha log N_i) + exp(b - beta log D_i) + exp(e)) - log L_i) at
// p = (a, b, e, alpha, beta), and its gradient into `gradient` (5 values) unless it is null.
double ChinchillaHuberKernel(const ChinchillaKernelData& data, const double* p, double delta, double* gradient);

// "avx2" or "baseline": the build the dispatcher uses on this machine.
const char* ChinchillaKernelPath();

namespace internal {
double ChinchillaHuberKernelBaseline(const ChinchillaKernelData&, const double*, double, double*);
double ChinchillaHuberKernelAvx2(const ChinchillaKernelData&, const double*, double, double*);
}  // namespace internal

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_CHINCHILLA_KERNEL_H_
