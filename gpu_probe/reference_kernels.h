// Straightforward implementations of the probe's kernels, written for obviousness rather than speed. Every backend
// kernel is compared with these on a small case before it is timed (kernel_check.h), and the tests use them too.
// Sums are accumulated in double; each function also returns, where useful, the sum of absolute terms so that a
// comparison can scale its tolerance to the rounding a float kernel may legitimately incur.
#ifndef SCALEPLAN_GPU_PROBE_REFERENCE_KERNELS_H_
#define SCALEPLAN_GPU_PROBE_REFERENCE_KERNELS_H_

#include <cstdint>
#include <vector>

namespace scaleplan::probe::reference {

// A dense result with, per element, the sum of |terms| that produced it.
struct Accumulated {
  std::vector<double> value;
  std::vector<double> magnitude;
};

// scores[b,i] = sum_e x[b,e] * w_enc[i,e]   (x: batch x d, w_enc: n x d, scores: batch x n)
Accumulated EncoderGemm(std::int64_t batch, std::int64_t d, std::int64_t n, const float* x, const float* w_enc);

// Per row of scores (batch x n): the k largest values, sorted by value descending, ties broken by smaller index.
void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, std::vector<float>* values,
          std::vector<std::int32_t>* indices);

// out[b,e] = sum_j values[b,j] * w_dec[indices[b,j], e]   (w_dec: n x d, out: batch x d)
Accumulated DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t k, const float* values,
                          const std::int32_t* indices, const float* w_dec);

// grad_w_dec[indices[b,j], e] += values[b,j] * grad_out[b,e], starting from `initial` (n x d).
Accumulated ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                       const std::int32_t* indices, const float* grad_out, const float* initial);

// a[i] = b[i] + scalar * c[i]
Accumulated Triad(std::int64_t elements, float scalar, const float* b, const float* c);

// x_{t+1} = x_t * multiplier + addend, `iterations` times from `start`, with a fused multiply-add per step.
float FmaRecurrence(std::int64_t iterations, float start, float multiplier, float addend);

}  // namespace scaleplan::probe::reference

#endif  // SCALEPLAN_GPU_PROBE_REFERENCE_KERNELS_H_
