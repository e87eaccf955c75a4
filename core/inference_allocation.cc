#include "core/inference_allocation.h"

#include <cmath>
#include <functional>
#include <limits>

#include "core/error.h"

namespace scaleplan {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kSecondsPerHour = 3600.0;

// The search for N, shared by both laws. `tokens_for_loss(N)` returns the training tokens at which a model of N
// parameters reaches the target loss, or infinity when it never does. `min_params` is a size below which no model
// reaches it and `max_params` one above the optimum (the baseline's size: adding 2 N T, which grows with N, can
// only move the optimum to a smaller model).
Allocation SearchParams(const std::function<double(double)>& tokens_for_loss, double min_params, double max_params,
                        const InferenceCostOptions& options) {
  const double weight = options.InferenceFlopWeight();
  const double inference_tokens = options.inference_tokens;
  // Variable u = log(log(N / N_min)): resolves both a model just above N_min (huge T) and one near the baseline.
  const auto params_at = [min_params](double u) { return min_params * std::exp(std::exp(u)); };
  const auto objective = [&](double u) {
    const double num_params = params_at(u);
    const double num_tokens = tokens_for_loss(num_params);
    if (!std::isfinite(num_tokens)) return kInfinity;
    return 6.0 * num_params * num_tokens + weight * 2.0 * num_params * inference_tokens;
  };
  const double u_hi = std::log(std::log(max_params / min_params));
  const ScalarMinimum best = MinimizeScanGolden(objective, u_hi - 40.0, u_hi, 241, 1e-12);
  SCALEPLAN_CHECK(std::isfinite(best.value), "no model size reaches the target loss");
  Allocation out;
  out.num_params = params_at(best.x);
  out.num_tokens = tokens_for_loss(out.num_params);
  out.compute_flops = 6.0 * out.num_params * out.num_tokens;
  out.tokens_per_param = out.num_tokens / out.num_params;
  return out;
}

// The root of a decreasing g on [lo, hi] with g(lo) > 0 >= g(hi), by regula falsi with the Illinois modification
// (superlinear, never leaves the bracket). Returns exp(x) for the end of the final bracket where g <= 0, so the
// tokens returned always reach the target.
double SolveTokens(const std::function<double(double)>& g, double lo, double hi) {
  double g_lo = g(lo);
  double g_hi = g(hi);
  int side = 0;
  for (int i = 0; i < 100 && hi - lo > 1e-13 * std::fabs(hi); ++i) {
    const double x = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
    if (!(x > lo && x < hi)) break;
    const double g_x = g(x);
    if (g_x > 0.0) {
      lo = x;
      g_lo = g_x;
      if (side == 1) g_hi *= 0.5;
      side = 1;
    } else {
      hi = x;
      g_hi = g_x;
      if (side == -1) g_lo *= 0.5;
      side = -1;
    }
  }
  return std::exp(hi);
}

double WeightedObjective(const LifetimeCost& cost, const InferenceCostOptions& options) {
  return cost.training_flops + options.InferenceFlopWeight() * cost.inference_flops;
}

void FillComparison(const InferenceCostOptions& options, InferenceAwarePlan* plan) {
  plan->cost = ComputeLifetimeCost(plan->allocation.num_params, plan->allocation.num_tokens, options);
  plan->chinchilla_cost = ComputeLifetimeCost(plan->chinchilla.num_params, plan->chinchilla.num_tokens, options);
  plan->flops_saving_fraction = 1.0 - plan->cost.total_flops / plan->chinchilla_cost.total_flops;
  if (plan->chinchilla_cost.cost_usd > 0.0) {
    plan->cost_saving_fraction = 1.0 - plan->cost.cost_usd / plan->chinchilla_cost.cost_usd;
  } else {
    plan->cost_saving_fraction =
        1.0 - WeightedObjective(plan->cost, options) / WeightedObjective(plan->chinchilla_cost, options);
  }
}

void CheckOptions(const InferenceCostOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), "invalid inference cost options: " + why);
}

}  // namespace

double InferenceCostOptions::InferenceFlopWeight() const {
  const double training_price = training_price_usd_per_hour > 0.0 ? training_price_usd_per_hour : 1.0;
  const double inference_price = training_price_usd_per_hour > 0.0 ? EffectiveInferencePrice() : 1.0;
  return (inference_price / EffectiveInferenceMfu()) / (training_price / training_mfu);
}

bool InferenceCostOptions::Check(std::string* why) const {
  auto fail = [why](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (!(inference_tokens >= 0.0) || !std::isfinite(inference_tokens)) {
    return fail("inference_tokens must be 0 (none) or positive");
  }
  if (!(training_mfu > 0.0 && training_mfu <= 1.0)) return fail("training_mfu must lie in (0, 1]");
  if (!(inference_mfu == 0.0 || (inference_mfu > 0.0 && inference_mfu <= 1.0))) {
    return fail("inference_mfu must be 0 (same as training) or lie in (0, 1]");
  }
  if (!(peak_flops_per_second >= 0.0) || !std::isfinite(peak_flops_per_second)) {
    return fail("peak_flops_per_second must be 0 (FLOPs only) or positive");
  }
  if (!(training_price_usd_per_hour >= 0.0) || !std::isfinite(training_price_usd_per_hour) ||
      !(inference_price_usd_per_hour >= 0.0) || !std::isfinite(inference_price_usd_per_hour)) {
    return fail("prices must be 0 (unset) or positive");
  }
  if (inference_price_usd_per_hour > 0.0 && training_price_usd_per_hour == 0.0) {
    return fail("an inference price needs a training price to compare it with");
  }
  return true;
}

LifetimeCost ComputeLifetimeCost(double num_params, double num_tokens, const InferenceCostOptions& options) {
  LifetimeCost cost;
  cost.training_flops = 6.0 * num_params * num_tokens;
  cost.inference_flops = 2.0 * num_params * options.inference_tokens;
  cost.total_flops = cost.training_flops + cost.inference_flops;
  if (options.peak_flops_per_second > 0.0) {
    cost.training_device_hours =
        cost.training_flops / (options.peak_flops_per_second * options.training_mfu) / kSecondsPerHour;
    cost.inference_device_hours =
        cost.inference_flops / (options.peak_flops_per_second * options.EffectiveInferenceMfu()) / kSecondsPerHour;
    if (options.training_price_usd_per_hour > 0.0) {
      cost.cost_usd = cost.training_device_hours * options.training_price_usd_per_hour +
                      cost.inference_device_hours * options.EffectiveInferencePrice();
    }
  }
  return cost;
}

std::optional<InferenceAwarePlan> PlanInferenceAware(const ChinchillaLaw& law, double loss_nats,
                                                     const InferenceCostOptions& options) {
  CheckOptions(options);
  std::string why;
  SCALEPLAN_CHECK(law.Check(&why), "invalid law: " + why);
  const std::optional<Allocation> baseline = law.LeastComputeForLoss(loss_nats);
  if (!baseline) return std::nullopt;

  InferenceAwarePlan plan;
  plan.loss_nats = loss_nats;
  plan.inference_tokens = options.inference_tokens;
  plan.chinchilla = *baseline;
  if (options.inference_tokens == 0.0) {
    plan.allocation = *baseline;
  } else {
    // On L(N, D) = l:  B / D^beta = l - E - A / N^alpha  =>  D = (B / (l - E - A / N^alpha))^(1/beta).
    const double headroom = loss_nats - law.E;
    const double min_params = std::pow(law.A / headroom, 1.0 / law.alpha);
    const auto tokens_for_loss = [&](double num_params) {
      const double data_term = headroom - law.A / std::pow(num_params, law.alpha);
      return data_term > 0.0 ? std::pow(law.B / data_term, 1.0 / law.beta) : kInfinity;
    };
    plan.allocation = SearchParams(tokens_for_loss, min_params, 2.0 * baseline->num_params, options);
  }
  plan.allocation.loss_nats = law.Loss(plan.allocation.num_params, plan.allocation.num_tokens);
  FillComparison(options, &plan);
  return plan;
}

// The data-constrained search from a known baseline (the compute-optimal plan for the target loss).
static InferenceAwarePlan PlanFromBaseline(const DataConstrainedLaw& law, double unique_tokens, double loss_nats,
                                           const DataConstrainedAllocation& baseline,
                                           const InferenceCostOptions& options) {
  InferenceAwarePlan plan;
  plan.loss_nats = loss_nats;
  plan.inference_tokens = options.inference_tokens;
  plan.unique_tokens = unique_tokens;
  plan.chinchilla = baseline.allocation;
  plan.chinchilla_epochs = baseline.epochs;
  if (options.inference_tokens == 0.0) {
    plan.allocation = baseline.allocation;
  } else {
    // The data-constrained loss falls monotonically in D (D' and U_N both grow with it) towards its D -> infinity
    // limit, and is never below Chinchilla's, so the Chinchilla token count brackets D from below.
    const double headroom = loss_nats - law.base.E;
    const double min_params = std::pow(law.base.A / headroom, 1.0 / law.base.alpha);
    const auto tokens_for_loss = [&](double num_params) {
      const double data_term = headroom - law.base.A / std::pow(num_params, law.base.alpha);
      if (!(data_term > 0.0)) return kInfinity;
      double lo = std::pow(law.base.B / data_term, 1.0 / law.base.beta);  // Chinchilla's D: loss >= target here
      if (law.Loss(num_params, lo, unique_tokens) <= loss_nats) return lo;
      const double limit = law.base.E + law.base.A / std::pow(law.EffectiveParams(num_params, 1e300, unique_tokens),
                                                              law.base.alpha) +
                           law.base.B / std::pow(unique_tokens * (1.0 + law.R_D_star), law.base.beta);
      if (!(limit < loss_nats)) return kInfinity;
      double hi = 2.0 * lo;
      while (law.Loss(num_params, hi, unique_tokens) > loss_nats) {
        lo = hi;
        hi *= 2.0;
        if (hi > 1e40) return kInfinity;
      }
      return SolveTokens(
          [&](double log_tokens) { return law.Loss(num_params, std::exp(log_tokens), unique_tokens) - loss_nats; },
          std::log(lo), std::log(hi));
    };
    plan.allocation = SearchParams(tokens_for_loss, min_params, 2.0 * baseline.allocation.num_params, options);
  }
  plan.allocation.loss_nats = law.Loss(plan.allocation.num_params, plan.allocation.num_tokens, unique_tokens);
  plan.epochs = plan.allocation.num_tokens / unique_tokens;
  FillComparison(options, &plan);
  return plan;
}

std::optional<InferenceAwarePlan> PlanInferenceAware(const DataConstrainedLaw& law, double unique_tokens,
                                                     double loss_nats, const InferenceCostOptions& options) {
  if (!(unique_tokens > 0.0)) return PlanInferenceAware(law.base, loss_nats, options);
  CheckOptions(options);
  const std::optional<DataConstrainedAllocation> baseline =
      LeastComputeForLossDataConstrained(law, loss_nats, unique_tokens);
  if (!baseline) return std::nullopt;
  return PlanFromBaseline(law, unique_tokens, loss_nats, *baseline, options);
}

InferenceAwarePlan PlanInferenceAwareForCompute(const DataConstrainedLaw& law, double unique_tokens,
                                                double compute_flops, const InferenceCostOptions& options) {
  // The baseline is the compute-optimal plan for this very budget; its loss is the target.
  const DataConstrainedAllocation baseline = PlanDataConstrained(law, compute_flops, unique_tokens);
  if (!(unique_tokens > 0.0)) {
    std::optional<InferenceAwarePlan> plan = PlanInferenceAware(law.base, baseline.allocation.loss_nats, options);
    SCALEPLAN_CHECK(plan.has_value(), "the loss of a finite budget must be reachable");
    plan->chinchilla = baseline.allocation;  // exactly this budget's plan, not its closed-form round trip
    if (options.inference_tokens == 0.0) plan->allocation = baseline.allocation;
    FillComparison(options, &*plan);
    return *plan;
  }
  CheckOptions(options);
  return PlanFromBaseline(law, unique_tokens, baseline.allocation.loss_nats, baseline, options);
}

InferenceAwarePlan PlanInferenceAwareWithinBudget(const DataConstrainedLaw& law, double unique_tokens,
                                                  double compute_flops, const InferenceCostOptions& options) {
  const InferenceAwarePlan at_budget_loss = PlanInferenceAwareForCompute(law, unique_tokens, compute_flops, options);
  if (!(at_budget_loss.allocation.compute_flops > compute_flops)) return at_budget_loss;  // no inference: the same
  const auto plan_for = [&](double loss_nats) {
    std::optional<InferenceAwarePlan> plan = PlanInferenceAware(law, unique_tokens, loss_nats, options);
    SCALEPLAN_CHECK(plan.has_value(), "a loss above the budget's is reachable");
    return *plan;
  };
  // Bracket: the budget's own loss trains on more than the budget; raise the loss until the training fits.
  double low = at_budget_loss.loss_nats;
  double step = 0.01 * (low - DataConstrainedLossFloor(law, unique_tokens));
  double high = low + step;
  InferenceAwarePlan plan = plan_for(high);
  for (int i = 0; i < 200 && plan.allocation.compute_flops > compute_flops; ++i) {
    low = high;
    step *= 2.0;
    high += step;
    plan = plan_for(high);
  }
  SCALEPLAN_CHECK(plan.allocation.compute_flops <= compute_flops, "no loss brings the training within the budget");
  for (int i = 0; i < 200 && high - low > 1e-15 * high; ++i) {
    const double middle = 0.5 * (low + high);
    const InferenceAwarePlan candidate = plan_for(middle);
    if (candidate.allocation.compute_flops > compute_flops) {
      low = middle;
    } else {
      high = middle;
      plan = candidate;
      if (compute_flops - candidate.allocation.compute_flops <= 1e-7 * compute_flops) break;
    }
  }
  return plan;
}

}  // namespace scaleplan
