// The body of the Chinchilla Huber kernel (see chinchilla_kernel.h), included once per instruction set with
// SCALEPLAN_KERNEL_NAME set to the function to define. No other code belongs here.
#include <algorithm>
#include <cmath>

#include "fitting/chinchilla_kernel.h"

namespace scaleplan::internal {

double SCALEPLAN_KERNEL_NAME(const ChinchillaKernelData& data, const double* p, double delta, double* gradient) {
  const double a = p[0], b = p[1], big_e = std::exp(p[2]), alpha = p[3], beta = p[4];
  const double* log_n = data.log_params;
  const double* log_d = data.log_tokens;
  const double* log_l = data.log_loss;
  const double* w = data.weight;
  double cost = 0, g_a = 0, g_b = 0, g_e = 0, g_alpha = 0, g_beta = 0;
  // Branch-free Huber: with c = clamp(r, -delta, delta), Huber(r) = c (r - c/2) and dHuber/dr = c.
  for (long i = 0; i < data.num_runs; ++i) {
    const double exp_u = std::exp(a - alpha * log_n[i]);
    const double exp_v = std::exp(b - beta * log_d[i]);
    const double sum = exp_u + exp_v + big_e;
    const double r = std::log(sum) - log_l[i];
    const double c = std::min(std::max(r, -delta), delta);
    cost += w[i] * c * (r - 0.5 * c);
    // d log L_hat / d(u, v, e) are the softmax weights exp_u/sum, exp_v/sum, E/sum.
    const double slope = w[i] * c / sum;
    g_a += slope * exp_u;
    g_b += slope * exp_v;
    g_e += slope;
    g_alpha -= slope * exp_u * log_n[i];
    g_beta -= slope * exp_v * log_d[i];
  }
  if (gradient != nullptr) {
    gradient[0] = g_a;
    gradient[1] = g_b;
    gradient[2] = g_e * big_e;
    gradient[3] = g_alpha;
    gradient[4] = g_beta;
  }
  return cost;
}

}  // namespace scaleplan::internal
