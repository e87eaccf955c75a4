// The fitted laws as one table of functions, so that `fit --save-golden`, `check` and `validate --law` treat each
// of them the same way:
//
//   law               runs (core/ reader)                       parameters recorded
//   kaplan            N, D, loss (the Chinchilla runs table)     N_c, D_c, alpha_N, alpha_D, exponent_params,
//                                                                exponent_tokens (+ N_opt, D_opt, loss at budgets)
//   isoflop           N, D, C, loss (the Chinchilla runs table)  coeff_params, exponent_params, coeff_tokens,
//                                                                exponent_tokens, frontier_E, frontier_K,
//                                                                frontier_gamma (+ N_opt, D_opt, loss at budgets)
//   data-constrained  N, D, U, loss (LoadDataConstrainedRunsCsv)  R_D_star, R_N_star (base law frozen: C4)
//   dictionary        n, k, T, loss (LoadDictionaryRunsCsv)      alpha, beta_k, beta_n, gamma, zeta, eta
//                                                                (+ token_B, token_beta with a token law)
//   sparse            S, N, D, loss (LoadSparseRunsCsv)          a_S, b_S, c_S, b_N, a_D, b_D, c
//   moe               N, D, G, loss (LoadMoeRunsCsv)             a, alpha, b, beta, g, gamma, c
//   routing           router, N, E, loss; D (LoadRoutingRunsCsv)  ROUTER.a ... ROUTER.E_max for each routed router
//   hyperparams       C, batch, lr, loss (LoadHyperparamsRunsCsv) batch_coefficient, batch_exponent,
//                                                                lr_coefficient, lr_exponent
//
// Chinchilla's law stays outside the table: its golden also reruns a bootstrap (fitting/golden.h).
// Each entry fits its law on any subset of its runs (the law's own fit, fitting/*_fit.h, with the options a golden
// records) and, where the law predicts a run's loss, gives that prediction for every run of the table. Validation
// (fitting/validation.h) then works on the runs' common view: N, D, C (the runs' own C for kaplan; 6 N D for
// data-constrained, sparse and moe; for a dictionary, N = n latents, D = T tokens and C = T times the training FLOPs
// per token of core/dictionary.h with sparse kernels, 0 without a width column; for routing, N the dense (per-token)
// parameters, D the runs' num_tokens column when the file has one and C = 6 N D, 0 without) and the loss of each run.
// A routed run is predicted by its router's law, a Dense run by the mean in log L of the routers' laws at E = 1 (each
// router's fit takes the Dense runs as its E = 1 points). The hyper-parameter and IsoFLOP laws predict no run's loss:
// those are not held out along C (each has a budget validation of its own, fitting/hyperparams_fit.h and
// fitting/isoflop_fit.h).
#ifndef SCALEPLAN_FITTING_LAW_TABLE_H_
#define SCALEPLAN_FITTING_LAW_TABLE_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "core/dictionary_runs.h"
#include "core/hyperparams_runs.h"
#include "core/runs_table.h"
#include "core/sparse_laws.h"
#include "fitting/bootstrap.h"
#include "fitting/hyperparams_fit.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/multistart.h"
#include "fitting/validation.h"

namespace scaleplan {

// How a law's runs are read: the columns its reader detects unless named here.
struct LawRunsOptions {
  // --n-col, --d-col, --c-col, --loss-col and the run selection, which every law's reader applies (bundled runs
  // too; sparse.selection and dictionary.selection are not read)
  RunsColumns columns;
  std::string unique_tokens_column;  // data-constrained: --u-col ("" = detect U, unique_tokens, ...)
  SparseRunsOptions sparse;          // sparse: --sparsity-col, --n-is-dense, --tokens-per-step
  DictionaryColumns dictionary;      // dictionary: --latents-col, --k-col, --tokens-col, --width-col, --loss-col
  HyperparamsColumns hyperparams;    // hyperparams: --batch-col, --lr-col, --seq-len
};

// One law's runs, in the type its reader returns.
using LawRunsTable = std::variant<RunsTable, DataConstrainedRunsTable, DictionaryRunsTable, SparseRunsTable,
                                  MoeRunsTable, RoutingRunsTable, HyperparamsRuns>;

struct LawRuns {
  std::string law_name;
  std::string source;
  LawRunsTable table;
  // One TrainingRun per run, in the table's order: N, D (0 where the runs have none), C (as above; a sweep's own C),
  // the loss, and line = the run's index in the table (how validation's folds find a run's own columns); with
  // --group-by (all but hyperparams) the table's group_columns, group_values and each run's group, and its notes.
  RunsTable view;
  std::string hash;  // 16 hex digits over every column the law reads, in order (a RunsTable: FormatRunsHash)
  std::string unique_tokens_column;  // data-constrained: the header U was read from (a golden records it)

  size_t size() const { return view.runs.size(); }
};

// Reads `law_name`'s runs from `path`, or its bundled runs when `path` is empty (data-constrained: Muennighoff et
// al.'s C4 runs; sparse: Frantar et al.'s T5 runs; routing: Clark et al.'s runs). Throws InputError naming the file
// for a missing column (the reader's message, prefixed "not <law> runs: ") and for a law without bundled runs.
LawRuns LoadLawRuns(const std::string& law_name, const std::string& path, const LawRunsOptions& options);

// The runs of one group of `--group-by` (`group`: a table of SplitRunsByGroup of the runs' view), read as
// `--filter COL=VALUE` for each of its columns reads them: LoadLawRuns with those filters added to the selection and
// no grouping. One mechanism for a group's fit, its golden and its check, so a group's golden is the one
// `fit --law LAW --filter COL=VALUE --save-golden` records. Throws InputError as LoadLawRuns does, and when the
// filters keep other runs than the group's (values that differ as text but not as numbers: "1e3" and "1000").
LawRuns LoadLawRunsOfGroup(const std::string& law_name, const std::string& path, const LawRunsOptions& options,
                           const RunsTable& group);

// The runs of kaplan or isoflop: the Chinchilla runs table as the command line read it.
LawRuns LawRunsOfTable(const std::string& law_name, const RunsTable& table);

// How a law is fitted: what fit's options set and a golden records.
struct TableLawOptions {
  MultiStartOptions search;           // huber_delta, starts, exhaustive, threads
  std::string grid_spec;              // overrides of the law's default grid ("" = the default)
  HyperparamsFitOptions hyperparams;  // hyperparams: budgets and the near-optimal region
  double token_law_k = 0.0;           // dictionary: the k of the token law (0 = chosen from the runs)
  // isoflop: how budgets are formed and which enter the exponent fit (fit's options of these names).
  double budget_tolerance = kDefaultBudgetTolerance;
  int min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  bool keep_extrapolated_minima = false;
  // data-constrained, sparse, moe, routing, dictionary, hyperparams: percentile intervals of the coefficients from this
  // bootstrap (each law's own, as `fit --bootstrap` runs it); none when absent.
  std::optional<BootstrapOptions> bootstrap;
};

// A law fitted to some of its runs.
struct TableLawFit {
  bool usable = false;
  std::string status;  // "converged", or why not usable
  std::vector<std::pair<std::string, double>> parameters;
  bool has_objective = true;  // false for hyperparams (exact least squares over budgets)
  double objective = 0.0;     // the Huber sum at the optimum (routing: summed over routers)
  // The fitted law's loss for run `index` of the whole table (fitted on or not); empty when the law does not
  // predict a run's loss (hyperparams) or the fit is not usable.
  std::function<double(size_t index)> predict_loss;
  // The compute-optimal allocation at a budget (kaplan, isoflop); empty for the laws that give none here.
  std::function<Allocation(double compute_flops)> allocate;
  // With TableLawOptions::bootstrap: each coefficient's percentile interval, named as in `parameters` (a dictionary's
  // L(n, k) coefficients only; its token term's resamples are the planner's), and the resamples run and failed.
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  int bootstrap_resamples = 0;
  int bootstrap_failed = 0;
};

// A usable or unusable Kaplan or IsoFLOP fit as the table records it (an IsoFLOP fit is usable only with its loss
// frontier): what the table's entries return, and what fit's golden records of the fit it printed.
TableLawFit ToTableLawFit(const KaplanFit& fit);
TableLawFit ToTableLawFit(const IsoFlopFit& fit);

struct TableLaw {
  std::string name;
  std::string description;  // "the data-constrained law (Muennighoff et al. 2023)"
  bool own_reader = true;   // false: kaplan and isoflop, whose runs are the Chinchilla runs table
  bool bundled_runs = false;  // LoadLawRuns without a path reads bundled runs (data-constrained, sparse, routing)
  bool has_grid = true;     // fitted by multi-start from a grid (all but isoflop, dictionary and hyperparams)
  InitGrid default_grid;    // when has_grid
  int min_runs = 1;         // the fewest runs a fit accepts (validation's folds)
  // What a run's C = 6 N D is when it is not the run's training compute, for notes and axis labels ("" = it is):
  // moe, "6 N D with N the total parameters (nominal compute)".
  std::string compute_name;
  // Optional: throws InputError when no fit of the runs at `subset` is possible however many there are (LawFitter's
  // require_fittable).
  std::function<void(const LawRuns& runs, const std::vector<size_t>& subset)> require_fittable;
  // Fits the law to the runs at `subset` (indices into runs). Throws InputError where the law's fit does.
  std::function<TableLawFit(const LawRuns& runs, const std::vector<size_t>& subset, const TableLawOptions& options)>
      fit;
};

// The entry of `law_name`, or nullptr for a law not in the table (chinchilla, expression).
const TableLaw* FindTableLaw(const std::string& law_name);
// The names of the table's laws, in the order above.
const std::vector<std::string>& TableLawNames();

// Fits every run.
TableLawFit FitTableLaw(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options);

// The law as validation (fitting/validation.h) sees it, over runs.view. A precondition: the law predicts losses.
LawFitter TableLawFitter(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_LAW_TABLE_H_
