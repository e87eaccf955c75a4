// Inference-aware allocation (Sardana et al. 2023, "Beyond Chinchilla-Optimal: Accounting for Inference in Language
// Model Scaling Laws"): a model that will serve T tokens over its lifetime should be smaller and trained longer
// than the Chinchilla-optimal model of the same quality, because every parameter also costs 2 FLOPs per served token.
//
// For a target loss l and lifetime inference demand T (tokens processed at inference, prompt and generated):
//   minimise over N, D_train   w_train * 6 N D_train + w_infer * 2 N T     subject to   L(N, D_train) = l
// with w = price / MFU per FLOP for each phase (see InferenceCostOptions; with equal MFUs and prices this is
// Sardana et al.'s total-FLOP objective, and with prices it is their cost objective). On the constraint D_train is
// a function of N, D(N) = (B / (l - E - A / N^alpha))^(1/beta) for the Chinchilla law, defined for N above
// N_min = (A / (l - E))^(1/alpha); the objective goes to infinity at N_min and grows like 2 N T for large N. There
// is no closed form: the optimum is found by a scan of log(N / N_min) and a golden-section solve (core/
// data_constrained.h, MinimizeScanGolden), and tested against brute force. With T = 0 it is the Chinchilla-optimal
// plan for loss l (core/chinchilla_law.h, LeastComputeForLoss).
//
// With a unique-token limit U the constraint is the data-constrained law (core/data_constrained.h) and D(N) is
// found by bisection on log D; the baseline is then the data-constrained compute-optimal plan for l.
#ifndef SCALEPLAN_CORE_INFERENCE_ALLOCATION_H_
#define SCALEPLAN_CORE_INFERENCE_ALLOCATION_H_

#include <optional>
#include <string>

#include "core/chinchilla_law.h"
#include "core/data_constrained.h"

namespace scaleplan {

// What one training FLOP and one inference FLOP cost, relative to each other. Only the ratio
//   (inference price / inference MFU) / (training price / training MFU)
// changes the allocation; the absolute figures turn FLOPs into device-hours and dollars for the report.
struct InferenceCostOptions {
  double inference_tokens = 0.0;               // T: lifetime tokens processed at inference; 0 = none (Chinchilla)
  double training_mfu = 0.40;                  // model FLOPs utilisation while training
  double inference_mfu = 0.0;                  // while serving; 0 = training_mfu (then the objective is FLOPs)
  double peak_flops_per_second = 0.0;          // dense peak of one device, for device-hours; 0 = report FLOPs only
  double training_price_usd_per_hour = 0.0;    // per device-hour; 0 = weigh device-time, not dollars
  double inference_price_usd_per_hour = 0.0;   // per device-hour; 0 = training_price_usd_per_hour

  double EffectiveInferenceMfu() const { return inference_mfu > 0.0 ? inference_mfu : training_mfu; }
  double EffectiveInferencePrice() const {
    return inference_price_usd_per_hour > 0.0 ? inference_price_usd_per_hour : training_price_usd_per_hour;
  }
  // How much one inference FLOP weighs against one training FLOP in the objective (1 with the defaults).
  double InferenceFlopWeight() const;

  bool Check(std::string* why) const;
};

// One side of the comparison: a model of N parameters trained on D tokens and then serving T tokens.
struct LifetimeCost {
  double training_flops = 0.0;   // 6 N D
  double inference_flops = 0.0;  // 2 N T
  double total_flops = 0.0;
  double training_device_hours = 0.0;   // FLOPs / (peak x MFU) / 3600, when peak_flops_per_second > 0
  double inference_device_hours = 0.0;
  double cost_usd = 0.0;                // device-hours x price per phase, when a price is given
};

struct InferenceAwarePlan {
  double loss_nats = 0.0;          // the target both plans reach
  double inference_tokens = 0.0;   // T
  double unique_tokens = 0.0;      // U (0 = unlimited)
  Allocation allocation;           // the chosen N and training tokens; compute_flops = 6 N D (training only)
  double epochs = 0.0;             // D / U with a unique-token limit, else 0
  LifetimeCost cost;
  Allocation chinchilla;           // the compute-optimal plan for the same loss (ignores inference)
  double chinchilla_epochs = 0.0;
  LifetimeCost chinchilla_cost;
  double flops_saving_fraction = 0.0;  // 1 - total FLOPs / Chinchilla's total FLOPs (>= 0)
  double cost_saving_fraction = 0.0;   // the same for cost_usd when priced, else for the weighted objective
};

// The plan for `loss_nats` under the Chinchilla law. nullopt when the loss is at or below E.
std::optional<InferenceAwarePlan> PlanInferenceAware(const ChinchillaLaw& law, double loss_nats,
                                                     const InferenceCostOptions& options);

// The same with at most `unique_tokens` unique tokens (<= 0: unlimited). nullopt when the loss is not reachable
// with that data (at or below DataConstrainedLossFloor).
std::optional<InferenceAwarePlan> PlanInferenceAware(const DataConstrainedLaw& law, double unique_tokens,
                                                     double loss_nats, const InferenceCostOptions& options);

// The loss of the compute-optimal plan for `compute_flops` (data-constrained when unique_tokens > 0), reached at
// least lifetime cost. Never nullopt for a positive budget.
InferenceAwarePlan PlanInferenceAwareForCompute(const DataConstrainedLaw& law, double unique_tokens,
                                                double compute_flops, const InferenceCostOptions& options);

// The other question for a budget: the inference-aware plan (least lifetime cost for its loss) whose training takes
// exactly `compute_flops`, i.e. the lowest loss an inference-aware plan reaches within the training budget.
// PlanInferenceAwareForCompute instead keeps the budget's compute-optimal loss and trains for more than the budget.
// Found by bisection on the loss (the training FLOPs of the inference-aware plan fall as the loss rises); at most,
// and within 1e-6 of, the budget.
InferenceAwarePlan PlanInferenceAwareWithinBudget(const DataConstrainedLaw& law, double unique_tokens,
                                                  double compute_flops, const InferenceCostOptions& options);

// The lifetime FLOPs, device-hours and cost of N parameters trained on D tokens and serving options.inference_tokens.
LifetimeCost ComputeLifetimeCost(double num_params, double num_tokens, const InferenceCostOptions& options);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_INFERENCE_ALLOCATION_H_
