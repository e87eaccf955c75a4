// The Kaplan et al. 2020 joint law (core/kaplan_law.h) fitted by the same machinery as Approach 3: the summed Huber
// loss of log-space residuals, L-BFGS from a grid of starts. Parameters (log N_c, log D_c, alpha_N, alpha_D);
//   log L_hat = alpha_D * LSE((alpha_N / alpha_D)(log N_c - log N), log D_c - log D).
// The law expects NON-embedding parameters: give it runs whose N excludes the embeddings.
#ifndef SCALEPLAN_FITTING_KAPLAN_FIT_H_
#define SCALEPLAN_FITTING_KAPLAN_FIT_H_

#include <Eigen/Core>

#include "core/kaplan_law.h"
#include "core/runs_table.h"
#include "fitting/identifiability.h"
#include "fitting/log_space_runs.h"
#include "fitting/multistart.h"
#include "fitting/residuals.h"

namespace scaleplan {

class KaplanModel : public LogSpaceRuns {
 public:
  static constexpr int kNumParams = 4;
  using LogSpaceRuns::LogSpaceRuns;

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    return p[3] * LogSumExp2((p[2] / p[3]) * (p[0] - log_params_[i]), p[1] - log_tokens_[i]);
  }

  // log N_c, log D_c in {15, 20, ..., 35}; alpha_N, alpha_D in {0.05, 0.1, 0.2, 0.4, 0.8}: 625 starts.
  static InitGrid DefaultGrid();
  static KaplanLaw ToLaw(const std::vector<double>& params);
  // The law as the identifiability check words it (fitting/identifiability.h). Without an additive constant, two
  // distinct N and two distinct D suffice.
  static LawTerms Terms();
};

struct KaplanFit {
  KaplanLaw law;
  MultiStartResult search;
  ResidualStats residuals;
  MultiStartOptions options;
  std::vector<std::string> warnings;  // what weakens the fit although the runs identify the law (identifiability.h)
};

// Throws InputError when the runs cannot identify the law (fitting/identifiability.h).
KaplanFit FitKaplan(const RunsTable& table, const MultiStartOptions& options,
                    const InitGrid& grid = KaplanModel::DefaultGrid());

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_KAPLAN_FIT_H_
