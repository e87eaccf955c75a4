#include "core/budgets.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace scaleplan {

std::vector<std::vector<size_t>> GroupByBudget(const RunsTable& table, double relative_tolerance) {
  SCALEPLAN_CHECK(relative_tolerance > 0 && std::isfinite(relative_tolerance),
                  "the budget tolerance must be positive and finite");
  std::vector<size_t> order(table.runs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&table](size_t x, size_t y) {
    return table.runs[x].compute_flops < table.runs[y].compute_flops;
  });
  std::vector<std::vector<size_t>> groups;
  double previous_flops = 0.0;
  for (const size_t index : order) {
    const double flops = table.runs[index].compute_flops;
    if (groups.empty() || flops > previous_flops * (1.0 + relative_tolerance)) groups.emplace_back();
    groups.back().push_back(index);
    previous_flops = flops;
  }
  return groups;
}

double BudgetComputeFlops(const RunsTable& table, const std::vector<size_t>& group) {
  SCALEPLAN_CHECK(!group.empty(), "a budget needs at least one run");
  double sum_log = 0.0;
  for (const size_t index : group) {
    SCALEPLAN_CHECK(index < table.runs.size(), "run index out of range");
    sum_log += std::log(table.runs[index].compute_flops);
  }
  return std::exp(sum_log / static_cast<double>(group.size()));
}

std::vector<std::vector<size_t>> BudgetsWithAtLeast(const std::vector<std::vector<size_t>>& groups,
                                                    size_t min_runs) {
  std::vector<std::vector<size_t>> kept;
  std::copy_if(groups.begin(), groups.end(), std::back_inserter(kept),
               [min_runs](const std::vector<size_t>& group) { return group.size() >= min_runs; });
  return kept;
}

}  // namespace scaleplan
