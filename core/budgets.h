// Compute budgets: runs grouped by training compute, as in an IsoFLOP design (Hoffmann et al. 2022, Approach 2),
// where several model sizes are trained on each of a few fixed budgets.
//
// The runs are sorted by compute and split wherever one run's compute exceeds the previous run's by more than a
// relative tolerance: C_next > C_prev * (1 + tolerance). Groups are chained, so a group may span more than the
// tolerance end to end (digitised or rounded budgets scatter a little around the nominal value).
//
// The default tolerance, 3.5%, is chosen on the bundled Chinchilla runs (data/chinchilla_runs.csv, whose compute is
// read off a figure and scatters around each budget). On the 240 runs `scaleplan fit` uses, Hoffmann et al.'s 9
// IsoFLOP budgets (6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21 and 3e21 FLOPs) are then the 9 largest groups,
// 8 to 21 runs each, and the runs of other experiments fall into groups of at most 6. Every tolerance from 3.2% to
// 3.7% gives these 9 groups; below 3.2% the 1e20 budget loses 4 of its 15 runs, from 3.8% on it absorbs 4 runs of
// other experiments. Budgets laid out on purpose are usually 1.5x or more apart, far beyond the tolerance.
#ifndef SCALEPLAN_CORE_BUDGETS_H_
#define SCALEPLAN_CORE_BUDGETS_H_

#include <cstddef>
#include <vector>

#include "core/runs_table.h"

namespace scaleplan {

inline constexpr double kDefaultBudgetTolerance = 0.035;

// An IsoFLOP fit (Approach 2) leaves out budgets with fewer runs than this: a parabola has 3 coefficients, and 5
// runs leave 2 degrees of freedom to see the curvature. (Validation's min_budget_runs answers another question,
// which budgets to hold out, and has its own default.)
inline constexpr int kDefaultIsoFlopMinBudgetRuns = 5;

// Groups the runs of `table` by compute. Returns the indices (into table.runs) of each group: groups in ascending
// compute, indices within a group in ascending compute (ties by index). Every run is in exactly one group.
// `relative_tolerance` must be positive and finite (a precondition: front ends validate the option).
std::vector<std::vector<size_t>> GroupByBudget(const RunsTable& table,
                                               double relative_tolerance = kDefaultBudgetTolerance);

// The geometric mean of a group's compute, in FLOPs: the budget the group stands for. `group` must not be empty.
double BudgetComputeFlops(const RunsTable& table, const std::vector<size_t>& group);

// The groups with at least `min_runs` runs, in the same order.
std::vector<std::vector<size_t>> BudgetsWithAtLeast(const std::vector<std::vector<size_t>>& groups,
                                                    size_t min_runs);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_BUDGETS_H_
