// The sparse laws of core/sparse_laws.h fitted by the shared multi-start machinery (fitting/multistart.h) and
// bootstrapped by fitting/bootstrap.h, with the objective of every law here: the sum over runs of Huber_1e-3 of
// the natural-log residual, minimised by L-BFGS from a grid of starts.
//
// Frantar et al. 2023, eq. 1: parameters (log a_S, b_S, log c_S, b_N, log a_D, b_D, log c),
//   log L_hat = LSE(LSE(log a_S + b_S log(1 - S), log c_S) - b_N log N,  b_D (log a_D - log D),  log c).
// The authors' notebook minimised the mean of the same Huber terms from 25 random starts with BFGS. Its printed
// T5 coefficients score 3.6497e-4 on the 48 bundled runs under this (summed) objective, and are not its optimum:
// the multi-start below reaches 2.3425e-4 with different exponents (b_S about 1.34, b_N 0.232, b_D 0.385; log
// RMSE 0.0071 against 0.0104). As with Chinchilla, a lower objective is not automatically a better extrapolation:
// SparseHeldOut compares both laws on the notebook's held-out run.
// Identifiability: the sparsity factor a_S (1 - S)^b_S + c_S takes one value per sparsity level, so 3 levels are
// needed for its 3 parameters (one level cannot identify b_S); N and D follow fitting/identifiability.h's rules.
//
// Clark et al. 2022, eq. 1: parameters (a, b, c, d, ln E_start, ln E_max), the prediction ln 10 times eq. 1's
// log10 L; fitted per router to that router's runs with the Dense runs as its E = 1, as the authors' example
// does. DeepMind's own fit minimised the mean squared log10 error (from 500 random starts), so their published
// coefficients are not expected to be this objective's optimum; the fit is shown beside them.
#ifndef SCALEPLAN_FITTING_SPARSE_FIT_H_
#define SCALEPLAN_FITTING_SPARSE_FIT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sparse_laws.h"
#include "fitting/bootstrap.h"
#include "fitting/multistart.h"

namespace scaleplan {

// ---------------------------------------------------------------------------------------------------------------
// Frantar et al. 2023.

class SparseModel {
 public:
  static constexpr int kNumParams = 7;

  explicit SparseModel(const SparseRunsTable& table);
  // The runs with multiplicities (a bootstrap resample); runs with count 0 are left out.
  SparseModel(const SparseRunsTable& table, const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[static_cast<size_t>(i)]; }
  double Weight(int i) const { return weight_[static_cast<size_t>(i)]; }

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    const size_t k = static_cast<size_t>(i);
    const T sparsity_factor = LogSumExp2(p[0] + p[1] * log_density_[k], p[2]);
    return LogSumExp3(sparsity_factor - p[3] * log_params_[k], p[5] * (p[4] - log_tokens_[k]), p[6]);
  }

  // 5,184 starts, evenly spaced on each axis (so that FormatGrid writes them exactly): log a_S, log c_S in
  // {0, 2.5, 5}, b_S in {0.25, 0.875, 1.5}, b_N in {0.1, 0.2, 0.3, 0.4}, log a_D in {10, 15, 20, 25} (D in tokens),
  // b_D in {0.1, 0.25, 0.4}, log c in {-1, -0.5, 0, 0.5}.
  static InitGrid DefaultGrid();
  static SparseLaw ToLaw(const std::vector<double>& params);
  static std::vector<double> FromLaw(const SparseLaw& law);

 private:
  std::vector<double> log_density_, log_params_, log_tokens_, log_loss_, weight_;
};

// Huber objective (summed) and log-residual statistics of a law on the runs.
double SparseObjective(const SparseLaw& law, const SparseRunsTable& table, double huber_delta = 1e-3);

struct SparseLawStats {
  double objective = 0.0;
  double rmse = 0.0;     // of log L_hat - log L
  double max_abs = 0.0;
};
SparseLawStats SparseStats(const SparseLaw& law, const SparseRunsTable& table, double huber_delta = 1e-3);

struct SparseFit {
  SparseLaw law;
  MultiStartResult search;
  MultiStartOptions options;
  InitGrid grid;
  SparseLawStats stats;
  int num_sparsity_levels = 0;
  std::vector<std::string> warnings;
  // Bootstrap percentile intervals (empty without a bootstrap), in the order of SparseIntervalNames().
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  BootstrapSamples bootstrap;
};

// a_S, b_S, c_S, b_N, a_D, b_D, c.
const std::vector<std::string>& SparseIntervalNames();

// Throws InputError naming the source when the runs cannot identify the law: fewer than 8 runs, fewer than 3
// distinct sparsity levels (b_S), fewer than 3 distinct N or D, or log N and log D collinear. A fit that does not
// converge is returned with search.usable = false. bootstrap.num_resamples == 0: no bootstrap.
SparseFit FitSparseLaw(const SparseRunsTable& table, const MultiStartOptions& options = {},
                       const InitGrid& grid = SparseModel::DefaultGrid(), const BootstrapOptions* bootstrap = nullptr,
                       const ProgressCallback& progress = nullptr);

// The notebook's held-out T5 run (cell 17): S 0.75, 48 x 12 x 1024^2 non-zero parameters, 5e5 steps, measured
// loss 1.48278.
struct SparseHeldOutRun {
  double sparsity = 0.75;
  double num_nonzero_params = 48.0 * 12.0 * 1024.0 * 1024.0;
  double steps = 5e5;
  double loss_nats = 1.48278;
};

// {"law": "sparse", "source", parameters a_S ... c, "exponents": {b_S, b_N, b_D}, "objective", "usable", "status",
//  "residuals": {num_runs, rmse, max_abs}, "sparsity_levels", "search": {...}, "intervals" (with a bootstrap),
//  "warnings", "published" (when given: the published law, its objective and residuals on the same runs),
//  "held_out" (when tokens_per_step > 0: both laws' predictions of SparseHeldOutRun), "data": {source, num_runs}}.
nlohmann::ordered_json SparseFitToJson(const SparseFit& fit, const SparseRunsTable& table,
                                       const SparseLaw* published, double tokens_per_step);
nlohmann::ordered_json SparseLawToJson(const SparseLaw& law);

// The law of a sparse fit saved by `fit --law sparse --out FILE` (SparseFitToJson's top-level a_S ... c; D in
// tokens). Throws InputError naming the file and the key for a file that is not a usable sparse fit.
SparseLaw LoadSavedSparseLaw(const std::string& path);

// ---------------------------------------------------------------------------------------------------------------
// Clark et al. 2022.

class RoutingModel {
 public:
  static constexpr int kNumParams = 6;

  explicit RoutingModel(const RoutingRunsTable& table);
  RoutingModel(const RoutingRunsTable& table, const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[static_cast<size_t>(i)]; }
  double Weight(int i) const { return weight_[static_cast<size_t>(i)]; }

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    using std::exp;
    using std::log;
    const size_t k = static_cast<size_t>(i);
    const T e_start = exp(p[4]);
    const T e_max = exp(p[5]);
    const T inverse = T(1.0) / (T(experts_[k] - 1.0) + T(1.0) / (T(1.0) / e_start - T(1.0) / e_max)) +
                      T(1.0) / e_max;
    const T log10_e = -log(inverse) / T(kLn10);
    const T log10_n = T(log10_params_[k]);
    return T(kLn10) * (p[0] * log10_n + p[1] * log10_e + p[2] * log10_n * log10_e + p[3]);
  }

  // 1,296 starts: a in {-0.12, -0.08, -0.04}, b in {-0.2, -0.1, 0, 0.1}, c in {-0.01, 0, 0.01, 0.02},
  // d in {0.8, 1.1, 1.4}, ln E_start in {0, 0.7, 1.4}, ln E_max in {4, 5.5, 7}.
  static InitGrid DefaultGrid();
  static RoutingLaw ToLaw(const std::vector<double>& params);
  static std::vector<double> FromLaw(const RoutingLaw& law);

 private:
  static constexpr double kLn10 = 2.302585092994045684;
  std::vector<double> log10_params_, experts_, log_loss_, weight_;
};

double RoutingObjective(const RoutingLaw& law, const RoutingRunsTable& table, double huber_delta = 1e-3);

struct RoutingFit {
  std::string router;
  int num_runs = 0;
  RoutingLaw law;
  MultiStartResult search;
  MultiStartOptions options;  // the search's (its Huber delta is the diagnostics')
  double objective = 0.0;
  double rmse = 0.0;  // of the natural-log residuals
  bool has_published = false;
  RoutingLaw published;
  double published_objective = 0.0;
  double published_rmse = 0.0;  // of the natural-log residuals of the published law on the same runs
  // Bootstrap percentile intervals (empty without a bootstrap), in the order of RoutingIntervalNames(); each
  // router's runs (with the Dense ones) are resampled on their own.
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  BootstrapSamples bootstrap;
};

// a, b, c, d, E_start, E_max.
const std::vector<std::string>& RoutingIntervalNames();

// Table 3's coefficients of S-Base, RL-R and Hash (ClarkSBaseLaw, ClarkRlrLaw, ClarkHashLaw); none for other names.
std::optional<RoutingLaw> PublishedRoutingLaw(const std::string& router);

// Fits every router other than Dense, in Clark et al.'s order (S-Base, RL-R, Hash, then other routers as their runs
// appear), each to its runs plus the Dense runs. Throws InputError when a router has
// fewer than 7 runs, fewer than 3 distinct N or fewer than 3 distinct E. bootstrap == nullptr or
// bootstrap->num_resamples == 0: no bootstrap; progress counts fits and resamples over all routers.
std::vector<RoutingFit> FitRoutingLaws(const RoutingRunsTable& table, const MultiStartOptions& options = {},
                                       const InitGrid& grid = RoutingModel::DefaultGrid(),
                                       const BootstrapOptions* bootstrap = nullptr,
                                       const ProgressCallback& progress = nullptr);

// {"law": "routing", "form", "objective_note", "usable", "routers": [{router, num_runs, a ... E_max, objective, rmse,
//  usable, status, "intervals" and "bootstrap" (with a bootstrap), "published": {a ... E_max, objective, rmse}}],
//  "data"}.
nlohmann::ordered_json RoutingFitsToJson(const std::vector<RoutingFit>& fits, const RoutingRunsTable& table);

// A routing run's loss under per-router laws: a routed run by its router's law; a Dense run, every router's E = 1
// point (each router's fit includes the Dense runs there), by the mean in log L (the space the laws are fitted in) of
// the routers' laws at E = 1, where eq. 1 reduces to the dense power law log10 L = (a + c log10 E_start) log10 N +
// b log10 E_start + d. Throws InputError at `source` for a routed run whose router has no law in `laws`.
double RoutingRunLoss(const std::map<std::string, RoutingLaw>& laws, const RoutingRun& run, const std::string& source);

// The laws of a routing fit saved by `fit --law routing --out FILE`, one per usable router in the file's order
// (RoutingFitsToJson's routers[].a ... E_max). Throws InputError naming the file and the key for a file that is not
// a usable routing fit.
std::vector<std::pair<std::string, RoutingLaw>> LoadSavedRoutingLaws(const std::string& path);
// The same from the file's text, named `source` in messages.
std::vector<std::pair<std::string, RoutingLaw>> ParseSavedRoutingLaws(std::string_view json_text,
                                                                      const std::string& source);

// ---------------------------------------------------------------------------------------------------------------
// Krajewski et al. 2024, eq. 9: parameters (log a, alpha, log b, beta, log g, gamma, log c),
//   log L_hat = LSE(LSE(log g - gamma log G, log a) - alpha log N,  log b - beta log D,  log c).
// The granularity term g / G^gamma + a takes one value per granularity, so 3 granularities are needed for its 3
// parameters; N and D follow fitting/identifiability.h's rules.

class MoeModel {
 public:
  static constexpr int kNumParams = 7;

  explicit MoeModel(const MoeRunsTable& table);
  MoeModel(const MoeRunsTable& table, const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[static_cast<size_t>(i)]; }
  double Weight(int i) const { return weight_[static_cast<size_t>(i)]; }

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    const size_t k = static_cast<size_t>(i);
    const T granularity_factor = LogSumExp2(p[4] - p[5] * log_granularity_[k], p[0]);
    return LogSumExp3(granularity_factor - p[1] * log_params_[k], p[2] - p[3] * log_tokens_[k], p[6]);
  }

  // 2,187 starts: log a in {0, 2, 4}, alpha in {0.05, 0.15, 0.25}, log b in {0, 2.5, 5}, beta in {0.05, 0.15, 0.25},
  // log g in {-2, 0, 2}, gamma in {0.2, 0.6, 1}, log c in {-1, -0.5, 0}.
  static InitGrid DefaultGrid();
  static FineGrainedMoeLaw ToLaw(const std::vector<double>& params);

 private:
  std::vector<double> log_params_, log_tokens_, log_granularity_, log_loss_, weight_;
};

double MoeObjective(const FineGrainedMoeLaw& law, const MoeRunsTable& table, double huber_delta = 1e-3);

struct MoeFit {
  FineGrainedMoeLaw law;
  MultiStartResult search;
  MultiStartOptions options;
  InitGrid grid;
  double rmse = 0.0;
  int num_granularities = 0;
  std::vector<std::string> warnings;
  // Bootstrap percentile intervals (empty without a bootstrap), in the order of MoeIntervalNames().
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  BootstrapSamples bootstrap;
};

// a, alpha, b, beta, g, gamma, c.
const std::vector<std::string>& MoeIntervalNames();

// Throws InputError naming the source when the runs cannot identify the law: fewer than 3 distinct granularities,
// or N and D failing fitting/identifiability.h's rules. bootstrap == nullptr or bootstrap->num_resamples == 0: no
// bootstrap.
MoeFit FitMoeLaw(const MoeRunsTable& table, const MultiStartOptions& options = {},
                 const InitGrid& grid = MoeModel::DefaultGrid(), const BootstrapOptions* bootstrap = nullptr,
                 const ProgressCallback& progress = nullptr);

// {"law": "moe", "form", a, alpha, b, beta, g, gamma, c, "objective", "usable", "status", "residuals",
//  "granularities", "search", "intervals" and "bootstrap" (with a bootstrap), "warnings", "published": Krajewski et
//  al.'s MoE coefficients with their objective on the runs, "data"}.
nlohmann::ordered_json MoeFitToJson(const MoeFit& fit, const MoeRunsTable& table);

// The law of a fit saved by `fit --law moe --out FILE` (MoeFitToJson's top-level a ... c). Throws InputError naming
// the file and the key for a file that is not a usable moe fit; ParseSavedMoeLaw reads the file's text, named
// `source` in messages.
FineGrainedMoeLaw LoadSavedMoeLaw(const std::string& path);
FineGrainedMoeLaw ParseSavedMoeLaw(std::string_view json_text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_SPARSE_FIT_H_
