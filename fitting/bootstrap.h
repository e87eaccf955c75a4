// Bootstrap uncertainty for any law fitted by FitMultiStart.
//
// Each resample draws the runs with replacement (multiplicities, not copies) and is refitted with a real
// multi-start: the candidates are the full-data optimum and the other distinct local optima the full fit found (one
// per basin the grid search reached; the full fit's grid starts fill in when it found fewer than `num_candidates`).
// All candidates are screened on the resample (one objective evaluation each) and L-BFGS runs to convergence from
// the `num_refits` best of them; the best optimum is kept. Why not a
// single start from the full-data optimum: a resample can move the global optimum into another basin (the E-A-B
// trade-off is shallow along a ridge), and a start that is always the full-data optimum biases every resample
// towards it, which narrows the intervals. The result reports how often a start other than the full-data optimum
// won.
//
// Reproducible: resample i draws from its own generator, seeded from (seed, i), and results are stored by index,
// so the numbers are identical for any thread count.
#ifndef SCALEPLAN_FITTING_BOOTSTRAP_H_
#define SCALEPLAN_FITTING_BOOTSTRAP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "core/runs_table.h"
#include "core/statistics.h"
#include "fitting/multistart.h"

namespace scaleplan {

// Fewer resamples give no usable percentile interval (--bootstrap refuses them when parsing the option).
inline constexpr int kMinBootstrapResamples = 10;

struct BootstrapOptions {
  int num_resamples = 1000;     // --bootstrap
  std::uint64_t seed = 1;       // --seed
  double confidence = 0.95;     // --ci: central interval level
  int num_candidates = 8;       // starts screened per resample (full-data optima first, then grid starts)
  int num_refits = 2;           // L-BFGS runs per resample, from the best-screened candidates
  int num_threads = 0;          // 0 = all cores; results do not depend on it

  bool Check(std::string* why) const;
};

struct BootstrapSamples {
  std::vector<std::vector<double>> params;  // converged resamples' optima, in resample order
  int num_resamples = 0;
  int num_failed = 0;               // resamples whose refit did not converge (left out)
  int num_won_by_other_start = 0;   // resamples whose best optimum did not come from the full-data optimum
};

// Multiplicities of one resample: `num_runs` draws with replacement from its own generator seeded by (seed, index).
std::vector<int> ResampleCounts(size_t num_runs, std::uint64_t seed, int index);

// Multiplicities of one stratified resample over a table of `num_runs` runs: each stratum (run indices, e.g. the
// runs of one compute budget) keeps its size, its runs drawn with replacement from among its own, stratum b of
// resample i from the generator ResampleCounts uses for index i * strata.size() + b. Runs in no stratum get 0.
// For laws whose groups are design points (IsoFLOP budgets, hyper-parameter sweeps): a resample of the whole
// table would move runs between budgets and leave some budgets with too few runs to fit.
std::vector<int> StratifiedResampleCounts(size_t num_runs, const std::vector<std::vector<size_t>>& strata,
                                          std::uint64_t seed, int index);

// The candidate starts for a resample, from the full fit: its distinct local optima, then its start points.
std::vector<std::vector<double>> BootstrapCandidates(const MultiStartResult& full, int num_candidates);

// Runs the bootstrap of a law over `num_runs` runs: refit(counts, starts, refit_options) refits one resample (the
// runs' multiplicities) from the full fit's candidate starts and returns its search, for any model and search
// (BootstrapWith below: FitMultiStart; an expression law: its own search over a run-time parameter count).
template <class Refit>
BootstrapSamples BootstrapRefits(size_t num_runs, const Refit& refit_resample, const MultiStartResult& full,
                                 const MultiStartOptions& fit_options, const BootstrapOptions& options,
                                 const ProgressCallback& progress = nullptr) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  SCALEPLAN_CHECK(full.usable, "the bootstrap needs a usable full-data fit");
  const std::vector<std::vector<double>> candidates = BootstrapCandidates(full, options.num_candidates);
  const StartSet starts = StartSet::FromList(full.param_names, candidates);
  MultiStartOptions refit = fit_options;
  refit.exhaustive = false;
  refit.num_starts = options.num_refits;
  refit.num_threads = 1;  // parallel over resamples instead

  const int total = options.num_resamples;
  std::vector<MultiStartResult> results(static_cast<size_t>(total));
  ParallelFor(
      total, options.num_threads,
      [&](int i) {
        results[static_cast<size_t>(i)] = refit_resample(ResampleCounts(num_runs, options.seed, i), starts, refit);
      },
      progress ? [&](int done) { progress(done, total); } : std::function<void(int)>());

  BootstrapSamples samples;
  samples.num_resamples = total;
  for (MultiStartResult& result : results) {
    if (!result.usable) {
      ++samples.num_failed;
      continue;
    }
    // Did the full-data optimum (candidate 0) reach this resample's best optimum?
    bool warm_at_best = false;
    for (const auto& [index, objective] : result.final_objectives) {
      warm_at_best = warm_at_best || (index == 0 && objective <= result.objective * (1 + fit_options.best_tolerance));
    }
    samples.num_won_by_other_start += warm_at_best ? 0 : 1;
    samples.params.push_back(std::move(result.params));
  }
  return samples;
}

// Runs the bootstrap of a law over `num_runs` runs: make_model(counts) builds the model of one resample (a model for
// FitMultiStart from the runs' multiplicities), for laws whose model needs more than the table (the data-constrained
// law's frozen base law). Bootstrap below is this with Model(table, counts).
template <class MakeModel>
BootstrapSamples BootstrapWith(size_t num_runs, const MakeModel& make_model, const MultiStartResult& full,
                               const MultiStartOptions& fit_options, const BootstrapOptions& options,
                               const ProgressCallback& progress = nullptr) {
  return BootstrapRefits(
      num_runs,
      [&make_model](const std::vector<int>& counts, const StartSet& starts, const MultiStartOptions& refit) {
        const auto model = make_model(counts);
        return FitMultiStart(model, starts, refit);
      },
      full, fit_options, options, progress);
}

// Runs the bootstrap of a law. Model must be constructible as Model(table, counts); Table is any table of runs
// with a `runs` vector (RunsTable, or a law's own table such as SparseRunsTable).
template <class Model, class Table = RunsTable>
BootstrapSamples Bootstrap(const Table& table, const MultiStartResult& full, const MultiStartOptions& fit_options,
                           const BootstrapOptions& options, const ProgressCallback& progress = nullptr) {
  return BootstrapWith(
      table.runs.size(), [&table](const std::vector<int>& counts) { return Model(table, counts); }, full, fit_options,
      options, progress);
}

// Percentile intervals at `confidence` of each named coefficient over the bootstrap's optima; `values` maps one
// optimum's parameters to the coefficients in the order of `names`. Empty when no resample converged.
template <class Values>
std::vector<std::pair<std::string, std::pair<double, double>>> BootstrapIntervals(const BootstrapSamples& samples,
                                                                                  const std::vector<std::string>& names,
                                                                                  double confidence, Values values) {
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  if (samples.params.empty()) return intervals;
  std::vector<std::vector<double>> columns(names.size());
  for (const std::vector<double>& p : samples.params) {
    const std::vector<double> coefficients = values(p);
    SCALEPLAN_CHECK(coefficients.size() == names.size(), "one value per named coefficient");
    for (size_t k = 0; k < names.size(); ++k) columns[k].push_back(coefficients[k]);
  }
  for (size_t k = 0; k < names.size(); ++k) {
    intervals.emplace_back(names[k], PercentileInterval(columns[k], confidence));
  }
  return intervals;
}

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_BOOTSTRAP_H_
