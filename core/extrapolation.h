// How far a plan or a fit's allocation lies beyond the runs a law was fitted on, and the one wording of that warning
// shared by `plan` (at its budgets), `fit --compute` (at its budgets) and the saved fits (which keep the ranges).
//
// A law fitted on runs spanning [N_min, N_max], [D_min, D_max] and [C_min, C_max] is an extrapolation at an
// allocation (N, D, C) whose any coordinate lies more than kExtrapolationWarningFactor beyond its range, above the
// largest run or below the smallest: one warning names every coordinate that does, with the factor.
#ifndef SCALEPLAN_CORE_EXTRAPOLATION_H_
#define SCALEPLAN_CORE_EXTRAPOLATION_H_

#include <optional>
#include <string>

#include "core/chinchilla_law.h"
#include "core/runs_table.h"

namespace scaleplan {

// How far beyond the fitted runs an allocation may go before it is flagged.
inline constexpr double kExtrapolationWarningFactor = 10.0;

// The range of the runs a law was fitted on; 0 means unknown (a bound that is 0 is never checked).
struct FitRanges {
  double compute_min_flops = 0.0, compute_max_flops = 0.0;
  double num_params_min = 0.0, num_params_max = 0.0;
  double num_tokens_min = 0.0, num_tokens_max = 0.0;
};

// The minimum and maximum of C, N and D over the runs (all 0 for no runs).
FitRanges RangesOfRuns(const RunsTable& table);

// The warning for an allocation (its compute_flops, num_params and num_tokens; a non-positive one is not checked),
// or nullopt when every coordinate lies within `factor` of the ranges. The compute clause comes first, worded
// "extrapolates 57.6x (1.8 orders of magnitude) beyond the largest fitted run (1e+22 FLOPs)"; then
// "N is 61.8x the largest fitted model (16.2B parameters)" and "D is 12x the most tokens of any fitted run (...)",
// or "... below the smallest ..." on the other side; joined by "; ".
std::optional<std::string> ExtrapolationWarning(const FitRanges& ranges, const Allocation& allocation,
                                                double factor = kExtrapolationWarningFactor);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_EXTRAPOLATION_H_
