// Data-constrained scaling (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models", section 3.1): the
// Chinchilla law with repeated data and excess parameters worth less than fresh ones.
//
// With U unique tokens available, D total training tokens and N parameters (all of them, as in Chinchilla):
//   U_D = min(U, D)                                 the unique tokens the run sees
//   R_D = D / U_D - 1                               repetitions beyond the first epoch
//   D'  = U_D + U_D R_D* (1 - exp(-R_D / R_D*))     effective data: repeated tokens decay with constant R_D*
//   U_N = min(N, N_opt(C_U))                        C_U = the budget whose Chinchilla-optimal token count is U_D,
//                                                   i.e. the compute that consumes U_D once: C_U = 6 (G U_D)^(1/b)
//   R_N = N / U_N - 1                               parameters beyond what U_D supports
//   N'  = U_N + U_N R_N* (1 - exp(-R_N / R_N*))     effective parameters, decay constant R_N*
//   L(N, D, U) = E + A / N'^alpha + B / D'^beta
// (G, a, b as in core/chinchilla_law.h). As R_D -> infinity D' -> U_D (1 + R_D*): repeating data ~16 times gains
// at most as much as ~16 epochs' worth of fresh data. Muennighoff et al. fit R_D* = 15.387756 and R_N* = 5.309743
// with their C4 base law frozen (logs a = 6.255414, b = 7.3049974, e = 0.6254804, alpha = beta = 0.3526596).
//
// Since D' <= D and N' <= N, L(N, D, U) >= the plain Chinchilla loss of (N, D), with equality when D <= U and
// N <= U_N. So when the Chinchilla-optimal plan for a budget needs no more than U tokens it is also the optimum
// here; only when U binds does the allocation change (more epochs, a different size), found by a 1-D search.
#ifndef SCALEPLAN_CORE_DATA_CONSTRAINED_H_
#define SCALEPLAN_CORE_DATA_CONSTRAINED_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/scalar_search.h"
#include "core/runs_table.h"

namespace scaleplan {

// Muennighoff et al. 2023's published decay constants and their C4 base law (logs of A, B, E; alpha = beta).
inline constexpr double kMuennighoffRdStar = 15.387756;
inline constexpr double kMuennighoffRnStar = 5.309743;
inline constexpr double kMuennighoffLogA = 6.255414;
inline constexpr double kMuennighoffLogB = 7.3049974;
inline constexpr double kMuennighoffLogE = 0.6254804;
inline constexpr double kMuennighoffAlpha = 0.3526596;

// The C4 base law Muennighoff et al. fitted to Hoffmann et al.'s C4 IsoFLOP points (alpha tied to beta).
ChinchillaLaw MuennighoffC4BaseLaw();

struct DataConstrainedLaw {
  ChinchillaLaw base;
  double R_D_star = kMuennighoffRdStar;  // decay constant of repeated data, in repetitions
  double R_N_star = kMuennighoffRnStar;  // decay constant of excess parameters, in multiples of U_N

  // True when the base law is valid and both decay constants are finite and positive.
  bool Check(std::string* why) const;

  // The terms of the header comment. unique_tokens <= 0 means unlimited (then U_D = D and the law is Chinchilla's).
  double UniqueTokensSeen(double num_tokens, double unique_tokens) const;           // U_D
  double UniqueParams(double num_params, double num_tokens, double unique_tokens) const;  // U_N
  double EffectiveTokens(double num_tokens, double unique_tokens) const;            // D'
  double EffectiveParams(double num_params, double num_tokens, double unique_tokens) const;  // N'
  double Loss(double num_params, double num_tokens, double unique_tokens) const;
};

// The published law: Muennighoff et al.'s C4 base with their R_D*, R_N*.
DataConstrainedLaw MuennighoffC4Law();

// ---------------------------------------------------------------------------------------------------------------
// Planning under a unique-token limit.
struct DataConstrainedAllocation {
  Allocation allocation;          // N, D (total tokens, repeats included), C = 6 N D, tokens/param, loss L(N, D, U)
  double unique_tokens = 0.0;     // U (0 = unlimited)
  double epochs = 0.0;            // D / U (0 when U is unlimited)
  double effective_tokens = 0.0;  // D'
  double effective_params = 0.0;  // N'
  bool data_limited = false;      // U binds: the Chinchilla-optimal plan for this budget would need more than U tokens
  Allocation chinchilla;          // the plain Chinchilla plan for the same budget (or size), for comparison
};

// The compute-optimal N and D for `compute_flops` with at most `unique_tokens` unique tokens (<= 0: unlimited).
// When U does not bind, this is exactly law.base.ComputeOptimal(compute_flops).
DataConstrainedAllocation PlanDataConstrained(const DataConstrainedLaw& law, double compute_flops,
                                              double unique_tokens);

// A fixed N trained on D total tokens drawn from U unique ones (no optimisation): epochs and the loss.
DataConstrainedAllocation EvaluateDataConstrained(const DataConstrainedLaw& law, double num_params,
                                                  double num_tokens, double unique_tokens);

// The lowest loss any N and D reach with U unique tokens: E + A / (U_N (1 + R_N*))^alpha + B / (U (1 + R_D*))^beta
// with U_N = N_opt(C_U). Infinite compute approaches it but never reaches it.
double DataConstrainedLossFloor(const DataConstrainedLaw& law, double unique_tokens);

// Where extra compute stops paying with U unique tokens: the least compute whose optimum is within
// `tolerance_nats` of DataConstrainedLossFloor (0 when U is unlimited, or nothing reaches it below 1e60 FLOPs).
inline constexpr double kSaturationToleranceNats = 1e-3;
double DataConstrainedSaturationFlops(const DataConstrainedLaw& law, double unique_tokens,
                                      double tolerance_nats = kSaturationToleranceNats);

// The least compute whose data-constrained optimum reaches `loss_nats`, with its allocation. nullopt when the
// target is at or below DataConstrainedLossFloor (or needs more than 1e60 FLOPs).
std::optional<DataConstrainedAllocation> LeastComputeForLossDataConstrained(const DataConstrainedLaw& law,
                                                                            double loss_nats, double unique_tokens);

// ---------------------------------------------------------------------------------------------------------------
// Runs with a unique-token column, for fitting R_D* and R_N*.
struct DataConstrainedRun {
  double num_params = 0.0;     // N, all parameters
  double num_tokens = 0.0;     // D, total training tokens (repeats included)
  double unique_tokens = 0.0;  // U; U > D is accepted and means the run saw D unique tokens
  double loss_nats = 0.0;
  int line = 0;
  int group = 0;  // index into DataConstrainedRunsTable::group_values (0 when the runs are not grouped)
};

struct DataConstrainedRunsTable {
  std::string source;
  std::vector<DataConstrainedRun> runs;
  std::string unique_tokens_column;  // header name used for U
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  // the runs reader's (RunsTable::warnings: implausible scales, C and 6ND apart)
  // --group-by (columns.selection.group_by): the columns and each group's values, as RunsTable has them.
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
};

// N, D (or C), loss as ParseRunsCsv finds them (same aliases, same `columns` overrides), plus U from the column
// `unique_tokens_column` or, when that is empty, from one of (case-insensitive): U, unique_tokens, U_unique_tokens,
// num_unique_tokens, U_D. Throws InputError naming the source, line, column and text, like ParseRunsCsv.
DataConstrainedRunsTable ParseDataConstrainedRunsCsv(std::string_view text, const std::string& source,
                                                     const RunsColumns& columns = {},
                                                     const std::string& unique_tokens_column = "");

// Reads and parses a file. Throws InputError when it cannot be read.
DataConstrainedRunsTable LoadDataConstrainedRunsCsv(const std::string& path, const RunsColumns& columns = {},
                                                    const std::string& unique_tokens_column = "");

inline const std::string kBundledMuennighoffLabel = "<bundled data-constrained C4 runs, Muennighoff et al. 2023>";

// The 182 C4 runs Muennighoff et al. fit R_D* and R_N* on (data/muennighoff2023_runs.csv; loss = val_loss_c4), with
// a run selection applied as to a file of them (its delimiter is not used).
DataConstrainedRunsTable BundledMuennighoffRuns(const RunSelection& selection = {});

// ---------------------------------------------------------------------------------------------------------------
}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_DATA_CONSTRAINED_H_
