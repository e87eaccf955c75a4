#include "fitting/log_space_runs.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace scaleplan {

LogSpaceRuns::LogSpaceRuns(const RunsTable& table) : LogSpaceRuns(table, std::vector<int>(table.runs.size(), 1)) {}

LogSpaceRuns::LogSpaceRuns(const RunsTable& table, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  const Eigen::Index n = std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; });
  log_params_.resize(n);
  log_tokens_.resize(n);
  log_loss_.resize(n);
  weight_.resize(n);
  Eigen::Index k = 0;
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    log_params_[k] = std::log(table.runs[i].num_params);
    log_tokens_[k] = std::log(table.runs[i].num_tokens);
    log_loss_[k] = std::log(table.runs[i].loss_nats);
    weight_[k] = counts[i];
    ++k;
  }
}

}  // namespace scaleplan
