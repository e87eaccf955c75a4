#include "gpu_probe/reference_kernels.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace scaleplan::probe::reference {

Accumulated EncoderGemm(std::int64_t batch, std::int64_t d, std::int64_t n, const float* x, const float* w_enc) {
  Accumulated out;
  out.value.assign(static_cast<std::size_t>(batch * n), 0.0);
  out.magnitude.assign(out.value.size(), 0.0);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t i = 0; i < n; ++i) {
      double sum = 0.0;
      double magnitude = 0.0;
      for (std::int64_t e = 0; e < d; ++e) {
        const double term = static_cast<double>(x[b * d + e]) * static_cast<double>(w_enc[i * d + e]);
        sum += term;
        magnitude += std::abs(term);
      }
      out.value[b * n + i] = sum;
      out.magnitude[b * n + i] = magnitude;
    }
  }
  return out;
}

void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, std::vector<float>* values,
          std::vector<std::int32_t>* indices) {
  SCALEPLAN_CHECK(k >= 1 && k <= n, "reference TopK needs 1 <= k <= n");
  values->assign(static_cast<std::size_t>(batch * k), 0.0f);
  indices->assign(static_cast<std::size_t>(batch * k), 0);
  std::vector<std::int32_t> order(static_cast<std::size_t>(n));
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* row = scores + b * n;
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [row](std::int32_t left, std::int32_t right) {
      if (row[left] != row[right]) return row[left] > row[right];
      return left < right;
    });
    for (std::int64_t j = 0; j < k; ++j) {
      (*values)[b * k + j] = row[order[j]];
      (*indices)[b * k + j] = order[j];
    }
  }
}

Accumulated DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t k, const float* values,
                          const std::int32_t* indices, const float* w_dec) {
  Accumulated out;
  out.value.assign(static_cast<std::size_t>(batch * d), 0.0);
  out.magnitude.assign(out.value.size(), 0.0);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t j = 0; j < k; ++j) {
      const double scale = values[b * k + j];
      const float* row = w_dec + static_cast<std::int64_t>(indices[b * k + j]) * d;
      for (std::int64_t e = 0; e < d; ++e) {
        const double term = scale * static_cast<double>(row[e]);
        out.value[b * d + e] += term;
        out.magnitude[b * d + e] += std::abs(term);
      }
    }
  }
  return out;
}

Accumulated ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                       const std::int32_t* indices, const float* grad_out, const float* initial) {
  Accumulated out;
  out.value.assign(initial, initial + n * d);
  out.magnitude.resize(out.value.size());
  for (std::size_t i = 0; i < out.value.size(); ++i) out.magnitude[i] = std::abs(out.value[i]);
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t j = 0; j < k; ++j) {
      const double scale = values[b * k + j];
      const std::int64_t row = indices[b * k + j];
      SCALEPLAN_CHECK(row >= 0 && row < n, "reference ScatterAdd: index out of range");
      for (std::int64_t e = 0; e < d; ++e) {
        const double term = scale * static_cast<double>(grad_out[b * d + e]);
        out.value[row * d + e] += term;
        out.magnitude[row * d + e] += std::abs(term);
      }
    }
  }
  return out;
}

Accumulated Triad(std::int64_t elements, float scalar, const float* b, const float* c) {
  Accumulated out;
  out.value.resize(static_cast<std::size_t>(elements));
  out.magnitude.resize(out.value.size());
  for (std::int64_t i = 0; i < elements; ++i) {
    const double product = static_cast<double>(scalar) * static_cast<double>(c[i]);
    out.value[i] = static_cast<double>(b[i]) + product;
    out.magnitude[i] = std::abs(static_cast<double>(b[i])) + std::abs(product);
  }
  return out;
}

float FmaRecurrence(std::int64_t iterations, float start, float multiplier, float addend) {
  float x = start;
  for (std::int64_t t = 0; t < iterations; ++t) x = std::fma(x, multiplier, addend);
  return x;
}

}  // namespace scaleplan::probe::reference
