// Laws of the user's own form (`fit --law-expr`): an expression (core/expression.h) over run columns and named
// parameters, fitted on the multi-start machinery every built-in law uses (fitting/multistart.h):
//
//   minimise  SUM over runs of  w_i * Huber_delta( log L_hat_i(p) - log L_i ),   delta = 1e-3 by default,
//
// with L-BFGS (Ceres' GradientProblem; the gradient by reverse-mode differentiation of the program over all runs at
// once, checked against forward-mode ceres::Jet) from the best-screened points of the start grid the --param options
// span (every point with --exhaustive); the best optimum is kept. The grid gives starts only: the optimiser may leave
// it, and the result says which parameters ended outside (as the built-in fits do). No bounds are imposed. A start
// where the law is not a positive finite number on every run screens as +inf and is never chosen; a line-search step
// into such a region is rejected by the solver.
//
// Names: a --param NAME is a parameter; N, D and C are the runs' parameters, tokens and compute (as every command
// reads them, aliases and --n-col etc. included); U is the unique tokens (the data-constrained aliases: U,
// unique_tokens, U_unique_tokens, num_unique_tokens, U_D) and S the sparsity (S, sparsity); any other name is the
// runs file's column of that header (case-insensitive). A parameter may not share a name with N, D, C, U, S or a
// column it would hide.
#ifndef SCALEPLAN_FITTING_EXPRESSION_FIT_H_
#define SCALEPLAN_FITTING_EXPRESSION_FIT_H_

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/expression.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/diagnostics.h"
#include "fitting/multistart.h"
#include "fitting/residuals.h"
#include "fitting/validation.h"

namespace scaleplan {

// More parameters than this are refused (automatic differentiation is instantiated per parameter count).
inline constexpr int kMaxExpressionParams = 16;

// One --param: NAME=LO:HI:STEP (every value from LO to HI inclusive, STEP apart; at most 1000) or NAME=VALUE.
struct ExpressionParam {
  std::string name;
  std::vector<double> starts;
};

// Parses one --param. Throws InputError (file "--param") for a missing '=', a bad name, a value that is not a
// number, or a range with HI < LO, STEP <= 0 or more than 1000 values.
ExpressionParam ParseExpressionParam(std::string_view text);

// The expression and its parameters, checked against each other: every --param is used, no --param is given twice
// or named N, D, C, U or S. Throws InputError (file "--param") for those. Names that are not parameters are columns,
// found when the law is bound to runs (BindExpressionLaw).
struct ExpressionLawSpec {
  Expression expression;
  std::vector<ExpressionParam> params;
  std::vector<std::string> ParamNames() const;
  InitGrid Grid() const;  // one axis per --param, in --param order
};
ExpressionLawSpec MakeExpressionLawSpec(const std::string& text, const std::vector<ExpressionParam>& params);

// The expression's column names, one value per run each, and the bound program.
struct ExpressionRuns {
  RunsTable table;                          // the runs (their loss is the target)
  std::vector<std::string> column_names;    // as the expression names them
  std::vector<std::string> column_headers;  // the header each was read from ("N" -> "Model Size")
  ExpressionRows rows;                      // one row per run, column_names order
  ExpressionProgram program;                // parameters in --param order, columns in column_names order
};

// Binds the law's names to `table`'s runs. `csv_text` is the runs file the table was read from ("" for bundled runs,
// which have N, D and C only): columns other than N, D and C are read from it, row by row at the table's lines.
// Throws ExpressionError (at the name) for a name that is neither a parameter nor a column, and InputError naming
// the file for a missing U or S column or a cell that is not a finite number.
ExpressionRuns BindExpressionLaw(const ExpressionLawSpec& spec, const RunsTable& table, std::string_view csv_text);

// Identifiability verdicts for an expression (fitting/identifiability.h in spirit): not identifiable (InputError
// naming the source, exit 3) with fewer runs or distinct column rows than parameters + 1, or a column the expression
// reads that takes one value on every run; warnings for fewer than 2 runs per parameter and for two positive columns
// whose logs correlate above 0.99 (above 0.9999: not identifiable). Returns the warnings.
std::vector<std::string> RequireExpressionIdentifiable(const ExpressionRuns& runs, int num_params);

struct ExpressionFit {
  std::string expression;
  std::vector<std::string> param_names;
  std::vector<double> params;  // at the best optimum, param_names order
  MultiStartResult search;
  ResidualStats residuals;
  MultiStartOptions options;
  InitGrid grid;
  std::vector<std::string> warnings;
};

// Fits the law. Throws InputError for runs that cannot identify it (RequireExpressionIdentifiable). A fit that does
// not converge is returned with search.usable = false and the reason in search.status.
ExpressionFit FitExpressionLaw(const ExpressionRuns& runs, const ExpressionLawSpec& spec,
                               const MultiStartOptions& options, const ProgressCallback& progress = nullptr);

// The law's prediction on each run at `params` (NaN where it is not finite).
std::vector<double> PredictExpression(const ExpressionRuns& runs, const std::vector<double>& params);

// The objective at `params` on the runs with multiplicities `counts` (empty: all once); +inf where the law is not a
// positive finite number on some run.
double ExpressionObjective(const ExpressionRuns& runs, const std::vector<double>& params, double huber_delta,
                           const std::vector<int>& counts = {});

// The objective and its gradient as the fit computes them (ExpressionBatch's reverse pass, core/expression.h), and
// the same by forward-mode automatic differentiation run by run with ceres::Jet (the reference); `gradient` gets one
// entry per parameter.
double ExpressionObjectiveAndGradient(const ExpressionRuns& runs, const std::vector<double>& params, double huber_delta,
                                      std::vector<double>* gradient);
double ExpressionObjectiveAndJetGradient(const ExpressionRuns& runs, const std::vector<double>& params,
                                         double huber_delta, std::vector<double>* gradient);

struct ExpressionBootstrap {
  BootstrapOptions options;
  BootstrapSamples samples;
  std::vector<std::pair<std::string, Interval>> intervals;  // one per parameter, param_names order
};

// Resamples the runs of a usable fit (fitting/bootstrap.h's method: candidates from the full fit, screened, the best
// refitted).
ExpressionBootstrap BootstrapExpressionLaw(const ExpressionRuns& runs, const ExpressionFit& fit,
                                           const BootstrapOptions& options, const ProgressCallback& progress = nullptr);

// Which additive term of the law each parameter (spec.params order) belongs to: the expression split at its
// outermost + and - (through unary minus), terms numbered from 0 in order; a parameter in several terms gets the
// first. 'E + A/N^alpha + B/D^beta' gives E 0, A 1, alpha 1, B 2, beta 2, as the built-in Chinchilla diagnostics
// number them: the correlation rule of fitting/diagnostics.h exempts a coefficient and its exponent within one term.
std::vector<int> ExpressionParamTerms(const ExpressionLawSpec& spec);

// The Jacobian of the log predictions, d log L_hat_i / d p_j (rows: runs, columns: spec.params order), exactly, by
// forward-mode differentiation with ceres::Jet through the program the fit evaluates.
Eigen::MatrixXd ExpressionLogJacobian(const ExpressionRuns& runs, const std::vector<double>& params);

// Diagnostics (fitting/diagnostics.h) of a usable fit at its optimum: the parameters as the expression names them
// (none in log), with the bootstrap rule when `bootstrap` has intervals. For the Chinchilla form written as an
// expression they equal the built-in fit's diagnostics (DiagnoseChinchillaFit), E, A and B by the delta method there.
FitDiagnostics DiagnoseExpressionFit(const ExpressionRuns& runs, const ExpressionLawSpec& spec,
                                     const ExpressionFit& fit, const ExpressionBootstrap* bootstrap = nullptr);

// The saved fit (`fit --law-expr ... --out FIT.json`): schema_version, law "expression", expression, parameters
// {name: value}, starts {name: [start values]} (the --param grid), columns {name: header}, objective, usable, status,
// warnings, search, residuals, data {source, num_runs, hash}, and with a bootstrap intervals {name: [lower, upper]} and
// bootstrap {resamples, failed, seed, confidence}.
nlohmann::ordered_json ExpressionFitToJson(const ExpressionFit& fit, const ExpressionRuns& runs,
                                           const ExpressionBootstrap* bootstrap = nullptr);

// The law as `validate` refits it (fitting/validation.h): each fold's training runs are fitted from the law's start
// grid, and each held-out run is predicted from its row of `runs` (found by its file line).
LawFitter ExpressionFitter(const ExpressionLawSpec& spec, const ExpressionRuns& runs, const MultiStartOptions& options);

// A saved expression fit read back: the law as it was fitted (expression and start grid), the options that matter
// to a refit, and the fitted values.
struct SavedExpressionFit {
  ExpressionLawSpec spec;
  double huber_delta = 1e-3;
  std::vector<double> params;  // spec.params order
  std::string data_source;
  int data_num_runs = 0;
  std::string data_hash;
};

// Parses a file ExpressionFitToJson wrote. Throws InputError naming `source` and the key for malformed JSON, a law
// other than "expression", a missing or mistyped key (expression, parameters, starts, search.huber_delta), a fit
// marked unusable, or an expression that no longer parses.
SavedExpressionFit ParseSavedExpressionFit(std::string_view json_text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_EXPRESSION_FIT_H_
