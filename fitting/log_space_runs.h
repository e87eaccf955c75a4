// The runs a law is fitted to, in log space, with bootstrap multiplicities. Every law's model derives from it and
// adds its prediction (see fitting/multistart.h for what a model provides).
#ifndef SCALEPLAN_FITTING_LOG_SPACE_RUNS_H_
#define SCALEPLAN_FITTING_LOG_SPACE_RUNS_H_

#include <vector>

#include <Eigen/Core>

#include "core/runs_table.h"

namespace scaleplan {

class LogSpaceRuns {
 public:
  explicit LogSpaceRuns(const RunsTable& table);
  // The runs with multiplicities (a bootstrap resample); runs with count 0 are left out.
  LogSpaceRuns(const RunsTable& table, const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[i]; }
  double Weight(int i) const { return weight_[i]; }

 protected:
  Eigen::ArrayXd log_params_, log_tokens_, log_loss_, weight_;
};

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_LOG_SPACE_RUNS_H_
