#include "fitting/residuals.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace scaleplan {

ResidualStats ComputeResiduals(const RunsTable& table, const std::function<double(const TrainingRun&)>& predict,
                               double huber_delta) {
  ResidualStats stats;
  stats.num_runs = static_cast<int>(table.runs.size());
  if (table.runs.empty()) return stats;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (const TrainingRun& run : table.runs) {
    const double predicted = predict(run);
    const double r = std::log(predicted) - std::log(run.loss_nats);
    sum += r;
    sum_sq += r * r;
    stats.max_abs = std::max(stats.max_abs, std::fabs(r));
    stats.max_abs_nats = std::max(stats.max_abs_nats, std::fabs(predicted - run.loss_nats));
    stats.num_beyond_delta += std::fabs(r) > huber_delta ? 1 : 0;
  }
  stats.mean = sum / stats.num_runs;
  stats.rmse = std::sqrt(sum_sq / stats.num_runs);
  return stats;
}

std::string PoorFitWarning(double rmse, bool group_by_offered) {
  if (!(rmse > kPoorFitRmse)) return "";
  char text[256];
  std::snprintf(text, sizeof text,
                "poor fit: log-space RMSE %.3f is above %.2f (runs from several sources or set-ups? %s them)", rmse,
                kPoorFitRmse, group_by_offered ? "--filter or --group-by separates" : "--filter separates");
  return text;
}

}  // namespace scaleplan
