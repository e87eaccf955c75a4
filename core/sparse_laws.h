// Sparse models: weight-sparse scaling (Frantar et al. 2023), the FLOPs of sparse training (Evci et al. 2020),
// and mixture-of-experts scaling (Krajewski et al. 2024; Clark et al. 2022). Laws, costs and their run tables;
// fitting/sparse_fit.h fits them on the shared multi-start machinery.
//
// 1. Frantar, Riquelme, Houlsby, Alistarh and Evci 2023, "Scaling Laws for Sparsely-Connected Foundation Models",
//    eq. 1, with S the fraction of weights that are zero, N the non-zero parameters and D the training tokens:
//      L(S, N, D) = (a_S (1 - S)^b_S + c_S) (1 / N)^b_N + (a_D / D)^b_D + c
//    At fixed non-zero N a sparse model reaches the loss of a dense one with M(S) times as many parameters,
//      M(S) = ((a_S + c_S) / (a_S (1 - S)^b_S + c_S))^(1 / b_N)        (the effective-parameter multiplier).
//    The published T5 coefficients are those the authors' notebook prints (google-research/jaxpruner,
//    jaxpruner/projects/bigsparse/sparsity-scaling.ipynb) in the form
//      (a (1 - S)^b + c) (N / 1e6)^-d + e (D / 1e5 steps)^-f + g,
//    a 0.56778512, b 0.72161276, c 1.52265016, d 0.24513173, e 0.63361517, f 0.20270772, g 0.65074219. In eq. 1's
//    form: a_S = a 1e6^d, c_S = c 1e6^d, b_N = d, b_D = f, a_D = 1e5 steps e^(1/f), c = g. Their M(S) is 1.5860,
//    2.1568 and 2.6300 at S = 0.5, 0.75 and 0.875. The T5 runs count steps; their tokens per step are not
//    published with the data, so plans take T5's usual batch, 128 sequences of 512 tokens (kT5TokensPerStep).
//    The notebook's coefficients are not the optimum of the Huber objective (fitting/sparse_fit.h).
//
// 2. Evci, Gale, Menick, Castro and Elsen 2020, "Rigging the Lottery: Making All Tickets Winners": the FLOPs of one
//    training step with f_D the dense forward FLOPs and f_S = (1 - S) f_D those of the sparse network (ideal sparse
//    kernels): dense 3 f_D; a static mask and SET 3 f_S; SNFS 2 f_S + f_D (a dense gradient every step); RigL
//    (3 f_S dT + 2 f_S + f_D) / (dT + 1) while the mask is updated every dT steps, 3 f_S after the updates stop
//    (at 0.8 of training in the paper); gradual magnitude pruning (Zhu and Gupta 2017, "To prune, or not to
//    prune") trains dense until pruning begins, then at the sparsity of the cubic schedule
//      s(t) = S (1 - (1 - (t - t_0) / (t_1 - t_0))^3)   for t_0 <= t <= t_1,   S after t_1.
//    Check values (fractions of dense): S 0.9, dT 100: RigL while updating 0.10297, over a run that stops
//    updating at 0.8 0.10238, SNFS 0.400; S 0.8: 0.20264, 0.20211, 0.467.
//    What the count does not buy: unstructured sparsity runs at dense speed on tensor cores (only the 2:4 pattern,
//    S = 0.5, has hardware support, at up to about 2x on the matrix products), so the achieved speed-up is the
//    user's to set (SparseTrainingOptions::speedup; 1 by default): it scales time, never the FLOPs counted.
//
// 3. Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts", eq. 9, with G the granularity:
//      L(N, D, G) = c + (g / G^gamma + a) / N^alpha + b / D^beta
//    MoE a 18.1, alpha 0.115, b 30.8, beta 0.147, g 2.1, gamma 0.58, c 0.47; dense (g = 0) a 16.3, alpha 0.126,
//    b 26.7, beta 0.127, c 0.47 (their Table 1). At N 1e9, D 2e10: dense 2.98031, MoE with G = 1 3.27613.
//    N counts all non-embedding parameters, every expert included (total, not active): section 5 fits the law to
//    "the total number of non-embedding parameters N", and section 6.1 writes N = d_model^2 (8 E + 4) n_blocks.
//    Their cost model (eq. 10) counts the training FLOPs as F = (12 d_model^2 c_f + d_model E G c_r) D n_blocks:
//    12 d_model^2 are the active parameters of a block (attention 4 d^2 and one dense-sized FFN 8 d^2, whatever G)
//    and d_model E G those of its router, so d is the model width and the active count is what costs compute,
//    while N (total) is what the law sees. Section 6.1 fixes d_model = 64 n_blocks and the experiments E = 64.
//    The text defers c_f and c_r to an appendix not reachable here; c_f = 6 and c_r = 14 reproduce the FLOPs column
//    of their Table 2 (compute-optimal N, D, G per budget) to 0.5% on all seven rows, and the optimum of eq. 9 under
//    this model reproduces its active parameters and tokens to 2.5% and, over powers of two, its G on every row
//    (tests/core/sparse_laws_test.cc). Table 2's losses lie 0.01 to 0.025 above eq. 9 with Table 1's rounded
//    coefficients.

// 4. Clark et al. 2022, "Unified Scaling Laws for Routed Language Models", eq. 1, with N the dense (per-token)
//    parameters and E the experts:
//      log10 L = a log10 N + b log10 E^ + c log10 N log10 E^ + d,
//      1 / E^ = 1 / (E - 1 + (1 / E_start - 1 / E_max)^-1) + 1 / E_max      (E^ = E_start at E = 1)
//    Table 3 of the paper (eq. 1 solved per router): S-BASE a -0.082, b -0.108, c 0.009, d 1.104, E_start 1.847,
//    E_max 314.478; RL-R -0.083, -0.126, 0.012, 1.111, 1.880, 469.982; HASH -0.087, -0.136, 0.012, 1.157, 4.175,
//    477.741. At N 1.3e9, S-BASE: E 1 2.2374, E 64 2.0498, E 512 1.9823. The paper's text was not reachable from
//    here: the table is as transcribed by a secondary literature summary, whose S-BASE row agrees digit for digit
//    with the issue's. The table rounds to three decimals, and c multiplies log10 N log10 E^ (up to about 20 on
//    the bundled runs), so c's rounding alone moves a prediction by up to 2%: RL-R's row predicts its bundled runs
//    with a log RMSE of 0.0178 (1.5% high on average), and with c 0.0115 instead of 0.012 with 0.0078. Each row
//    predicts its router's runs within a log RMSE of 0.018, and the per-router refit (fitting/sparse_fit.h) lands
//    next to RL-R's row (a -0.0830, b -0.1258, c 0.0115, d 1.1103).
//    The authors' released example fits the same form (with E_start and E_max as powers of two) to the bundled runs.
#ifndef SCALEPLAN_CORE_SPARSE_LAWS_H_
#define SCALEPLAN_CORE_SPARSE_LAWS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/runs_table.h"
#include "core/transformer.h"

namespace scaleplan {

// ---------------------------------------------------------------------------------------------------------------
// 1. Weight sparsity.

inline constexpr double kT5TokensPerStep = 128.0 * 512.0;  // 65,536: T5's usual batch (an assumption, see above)

struct SparseLaw {
  double a_S = 0.0, b_S = 0.0, c_S = 0.0;  // the sparsity factor a_S (1 - S)^b_S + c_S
  double b_N = 0.0;                        // exponent of the non-zero parameters
  double a_D = 0.0, b_D = 0.0;             // the data term (a_D / D)^b_D; a_D in the unit of D
  double c = 0.0;                          // the loss floor

  // True when every coefficient is finite, a_S, c_S, b_N, a_D, b_D positive, b_S and c not negative.
  bool Check(std::string* why) const;
  // L(S, N, D); S in [0, 1), N the non-zero parameters, D in a_D's unit.
  double Loss(double sparsity, double num_nonzero_params, double num_tokens) const;
  // M(S): how many times more parameters a dense model needs to match this sparsity at fixed non-zero N.
  double EffectiveParamsMultiplier(double sparsity) const;
};

// The notebook's form, (a (1 - S)^b + c) (N / n_unit)^-d + e (D / d_unit)^-f + g.
struct NotebookSparseCoefficients {
  double a = 0.0, b = 0.0, c = 0.0, d = 0.0, e = 0.0, f = 0.0, g = 0.0;
};
inline constexpr NotebookSparseCoefficients kFrantarT5Notebook{0.56778512, 0.72161276, 1.52265016, 0.24513173,
                                                               0.63361517, 0.20270772, 0.65074219};

// Eq. 1's coefficients of a notebook-form law whose N is counted in units of `params_unit` and D in `tokens_unit`.
SparseLaw SparseLawFromNotebook(const NotebookSparseCoefficients& notebook, double params_unit, double tokens_unit);

// The notebook's T5 law with D in tokens at `tokens_per_step` (1 gives D in steps).
SparseLaw FrantarT5Law(double tokens_per_step = kT5TokensPerStep);

// ---------------------------------------------------------------------------------------------------------------
// 2. The FLOPs of sparse training.

enum class SparseMethod { DENSE, STATIC, SET, SNFS, RIGL, GMP };

// "dense", "static", "set", "snfs", "rigl", "gmp"; ParseSparseMethod throws InputError at `where` otherwise.
std::string SparseMethodName(SparseMethod method);
SparseMethod ParseSparseMethod(std::string_view text, const std::string& where = "--sparse-method");

struct SparseTrainingOptions {
  double update_interval_steps = 100.0;  // RigL and SET: dT, steps between mask updates
  double update_end_fraction = 0.8;      // RigL: updates stop after this fraction of training (Evci et al.)
  double prune_begin_fraction = 0.25;    // GMP: pruning begins (t_0 over the run; scaleplan's default)
  double prune_end_fraction = 0.75;      // GMP: final sparsity reached (t_1 over the run; scaleplan's default)
  double speedup = 1.0;                  // achieved wall-clock speed-up of sparse steps over dense (1: none, as
                                         // unstructured sparsity on tensor cores; up to about 2 for 2:4 at S 0.5)

  bool Check(std::string* why) const;
};

// FLOPs of one step at sparsity S as a fraction of a dense step (3 f_D), for a step during mask updates (RigL)
// or at the final sparsity (GMP: (1 - S), as after pruning).
double SparseStepFlopsFraction(SparseMethod method, double sparsity, const SparseTrainingOptions& options = {});

// FLOPs of a whole run as a fraction of the dense run's: RigL updates for update_end_fraction of it and trains at
// 3 f_S after; GMP integrates the cubic schedule, begin + (end - begin) (1 - 3 S / 4) + (1 - end) (1 - S).
double SparseRunFlopsFraction(SparseMethod method, double sparsity, const SparseTrainingOptions& options = {});

// ---------------------------------------------------------------------------------------------------------------
// 2b. The compute-optimal sparse model. The budget C counts the FLOPs the method executes with ideal sparse kernels
// (f_S = (1 - S) f_D, as Frantar et al. assume): C = 6 (N / (1 - S)) D r(S), with N the non-zero parameters, N / (1 - S)
// the dense count and r(S) = SparseRunFlopsFraction. So D = C / (k N) with k = 6 r(S) / (1 - S), and
//   L(N) = F_S N^-b_N + (a_D k N / C)^b_D + c,   F_S = a_S (1 - S)^b_S + c_S,
// is least where b_N F_S N^-b_N = b_D (a_D k / C)^b_D N^b_D:
//   N_opt = (b_N F_S / (b_D (a_D k / C)^b_D))^(1 / (b_N + b_D)).
// For static masks and SET k = 6 whatever S, and F_S falls with S, so the optimum sparsity is the search's upper
// bound; RigL's dense gradients and GMP's dense start make k grow as 1 / (1 - S), which gives an interior optimum.

struct SparsePlan {
  SparseMethod method = SparseMethod::STATIC;
  double sparsity = 0.0;
  double num_nonzero_params = 0.0;  // N
  double num_params = 0.0;          // N / (1 - S), zeros included
  double num_tokens = 0.0;          // D
  double loss_nats = 0.0;
  double training_flops = 0.0;      // 6 (N / (1 - S)) D r(S): the FLOPs the method executes
  double flops_fraction = 0.0;      // r(S), of the dense model of num_params on the same tokens
  // What sets the time on hardware that realises the speed-up s of SparseTrainingOptions: the dense model's
  // 6 (N / (1 - S)) D at 1 / s (GMP: its dense start at full cost). With s = 1 (unstructured sparsity on tensor
  // cores) the run takes as long as training the dense-sized model.
  double dense_equivalent_flops = 0.0;
};

// The compute-optimal N and D at a fixed sparsity (S = 0 with any method is the dense plan).
SparsePlan PlanSparseAtSparsity(const SparseLaw& law, double compute_flops, double sparsity, SparseMethod method,
                                const SparseTrainingOptions& options = {});

// The sparsity in [0, max_sparsity] (and its N, D) with the lowest loss at the budget: a scan of 991 points refined by
// golden-section search (core/scalar_search.h).
SparsePlan PlanOptimalSparsity(const SparseLaw& law, double compute_flops, SparseMethod method,
                               const SparseTrainingOptions& options = {}, double max_sparsity = 0.99);

// `count` sparsities evenly spaced from 0 to max_sparsity, both included.
std::vector<double> EvenSparsities(double max_sparsity, int count);

// Loss against sparsity at one budget and method (the GUI's chart): the compute-optimal plan at each of
// EvenSparsities(max_sparsity, count), the optimum over [0, max_sparsity] and the dense plan at the same budget.
struct SparsityCurve {
  std::vector<SparsePlan> plans;
  SparsePlan optimum;
  SparsePlan dense;
};
SparsityCurve MakeSparsityCurve(const SparseLaw& law, double compute_flops, SparseMethod method,
                                const SparseTrainingOptions& options = {}, int count = 100, double max_sparsity = 0.99);

// ---------------------------------------------------------------------------------------------------------------
// 3. Fine-grained mixture of experts (Krajewski et al. 2024).

struct FineGrainedMoeLaw {
  double a = 0.0, alpha = 0.0, b = 0.0, beta = 0.0;
  double g = 0.0, gamma = 0.0;  // granularity term; g = 0 is the dense law
  double c = 0.0;

  bool Check(std::string* why) const;
  // N total non-embedding parameters, D tokens, G >= 1 the granularity.
  double Loss(double num_params, double num_tokens, double granularity) const;
};

FineGrainedMoeLaw KrajewskiMoeLaw();
FineGrainedMoeLaw KrajewskiDenseLaw();

inline constexpr double kKrajewskiFlopsPerActiveParam = 6.0;  // c_f
inline constexpr double kKrajewskiRouterFlops = 14.0;         // c_r

// A fine-grained MoE shape: width, depth, expansion rate E and granularity G (G experts of 1/G of a dense FFN's
// width are active per token; E G experts in all).
struct MoeShape {
  double d_model = 0.0;
  double num_blocks = 0.0;
  double expansion_rate = 1.0;  // E >= 1
  double granularity = 1.0;     // G >= 1

  bool Check(std::string* why) const;
  double ActiveParams() const;  // 12 d^2 n_blocks
  double TotalParams() const;   // (4 + 8 E) d^2 n_blocks (non-embedding)
  double NumExperts() const;    // E G
  double TrainingFlopsPerToken() const;  // (c_f 12 d^2 + c_r d E G) n_blocks
};

// The compute-optimal fine-grained MoE: N (total), D and G minimising eq. 9 at a budget C = F(N, G) D, with F the
// cost model's FLOPs per token of the shape that has N total parameters at expansion rate E and granularity G.
// The shape needs a width-to-depth ratio to split N into d_model and n_blocks (the router's cost depends on d):
// d_model = 64 n_blocks by default, as Krajewski et al. section 6.1 assume.
struct MoePlanOptions {
  double expansion_rate = 64.0;    // E: the experts' total size over a dense FFN's
  double width_per_block = 64.0;   // d_model / n_blocks
  double max_granularity = 256.0;  // G is searched in [1, max_granularity]

  bool Check(std::string* why) const;
};

// The shape with `total_params` non-embedding parameters: (4 + 8 E) d^3 / ratio = N.
MoeShape MoeShapeForParams(double total_params, double granularity, const MoePlanOptions& options = {});

struct MoePlan {
  MoeShape shape;
  double num_params = 0.0;         // N, total non-embedding parameters
  double num_active_params = 0.0;  // 12 d^2 n_blocks
  double num_tokens = 0.0;         // D
  double granularity = 1.0;        // G
  double loss_nats = 0.0;
  double training_flops = 0.0;     // F D
};

// The total parameters the planners search, log-uniformly: far wider than any sensible budget's optimum, so a plan at
// either end is the search's bound, not the law's optimum (core/sparse_plans.h MoePlanWarnings says so).
inline constexpr double kMoeSearchMinParams = 1e3;
inline constexpr double kMoeSearchMaxParams = 1e16;

// At a fixed granularity, and over G in [1, max_granularity] (nested scans refined by golden-section search).
MoePlan PlanFineGrainedMoeAtGranularity(const FineGrainedMoeLaw& law, double compute_flops, double granularity,
                                        const MoePlanOptions& options = {});
MoePlan PlanFineGrainedMoe(const FineGrainedMoeLaw& law, double compute_flops, const MoePlanOptions& options = {});

// The transformer the layout planner (core/frontier_plan.h) lays out for a fine-grained MoE shape, as Krajewski et
// al. section 6.1 count it: round(n_blocks) layers, every one an MoE layer; d_model rounded to a multiple of 128
// (heads of 128, multi-head attention); a plain two-matrix FFN of width 4 d_model split into experts of width
// 4 d_model / G'; G' = the power of two nearest G experts per token (the top-k; their width then stays whole and
// divisible by tensor parallelism) out of round(E G') (a token's experts add up to one dense FFN, so the active
// parameters stay 12 d^2 per layer); a vocabulary and context of scaleplan's practical
// shape (32k, 4,096). The rounding moves the counts a few percent from the shape's.
TransformerShape MoeTransformerShape(const MoeShape& shape, std::int64_t vocab_size = 32000,
                                     std::int64_t context_length = 4096);

// ---------------------------------------------------------------------------------------------------------------
// 4. Routed language models (Clark et al. 2022).

struct RoutingLaw {
  double a = 0.0, b = 0.0, c = 0.0, d = 0.0;
  double e_start = 0.0, e_max = 0.0;  // 1 <= ... ; e_start < e_max

  bool Check(std::string* why) const;
  double SaturatedExperts(double num_experts) const;  // E^
  // N the dense (per-token) parameters, E >= 1 the experts.
  double Loss(double num_params, double num_experts) const;
};

// Table 3 of Clark et al. (the solutions of eq. 1 per router): S-Base, RL-R and Hash.
RoutingLaw ClarkSBaseLaw();
RoutingLaw ClarkRlrLaw();
RoutingLaw ClarkHashLaw();

// What a routing law says about a routed model of N dense (per-token) parameters with E experts, in Clark et al.'s
// terms. With x = log10 N, s = log10 E^ and s_1 = log10 E_start (E^ at E = 1, the dense model):
//   the effective parameter count N_bar is the dense size with the same loss, L(N_bar, 1) = L(N, E):
//     log10 N_bar = (log10 L(N, E) - b s_1 - d) / (a + c s_1),
//   and the cutoff N_cutoff = 10^(-b / c) is the size from which more experts stop lowering the loss
//   (d log10 L / d s = b + c x changes sign there; none when c <= 0 < -b, routing then helps at every size).
// Every routed model is trained and served at the FLOPs of its dense (per-token) N; the experts add memory.
struct RoutingPlan {
  double num_params = 0.0;          // N, dense (per-token) parameters
  double num_experts = 1.0;         // E
  double saturated_experts = 1.0;   // E^
  double loss_nats = 0.0;           // L(N, E)
  double dense_loss_nats = 0.0;     // L(N, 1)
  double effective_params = 0.0;    // N_bar; 0 when the law's dense loss does not fall with N (a + c s_1 >= 0)
  double effective_multiplier = 0.0;  // N_bar / N
};
RoutingPlan PlanRoutedModel(const RoutingLaw& law, double num_params, double num_experts);

// N_cutoff, or +infinity when routing helps at every size (c <= 0 with b < 0), or 0 when it helps at none.
double RoutingCutoffParams(const RoutingLaw& law);

// ---------------------------------------------------------------------------------------------------------------
// Runs.

// Weight-sparse runs: S, N non-zero, D tokens, loss.
struct SparseRun {
  double sparsity = 0.0;
  double num_nonzero_params = 0.0;
  double num_tokens = 0.0;
  double loss_nats = 0.0;
  int line = 0;
  int group = 0;  // index into SparseRunsTable::group_values (0 when the runs are not grouped)
};

struct SparseRunsTable {
  std::string source;
  std::vector<SparseRun> runs;
  std::vector<std::string> notes;  // what the reader inferred (density, dense counts, steps) and selected
  // --group-by: the columns and each group's values, in order of first appearance (core/runs_table.h CsvSelection).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
};

struct SparseRunsOptions {
  std::string sparsity_column;      // "" = detect: sparsity, s (or density, d = 1 - S)
  std::string params_column;        // "" = detect: num_nonzero_params, nonzero_params, n, params, num_params
  std::string tokens_column;        // "" = detect: tokens, num_tokens, d_tokens (or steps with tokens_per_step)
  std::string loss_column;          // "" = detect: loss, val_loss, val-loss, eval_loss
  bool params_are_dense = false;    // the N column counts all weights, zeros included: N = N_dense (1 - S)
  double tokens_per_step = 0.0;     // > 0: D is read from a steps column (steps, num_steps) times this
  RunSelection selection;           // --filter, --exclude-lines, --skip-bad-rows, --delimiter, --group-by

  bool Check(std::string* why) const;
};

// Throws InputError naming the source, line, column and text for a missing column, a bad number, or a sparsity
// outside [0, 1) (a density outside (0, 1]).
SparseRunsTable ParseSparseRunsCsv(std::string_view text, const std::string& source,
                                   const SparseRunsOptions& options = {});
SparseRunsTable LoadSparseRunsCsv(const std::string& path, const SparseRunsOptions& options = {});

inline const std::string kBundledFrantarLabel = "<bundled sparse T5 runs, Frantar et al. 2023>";

// The 48 T5 runs (data/frantar2023_t5_sparse_runs.csv), N non-zero, D = steps x tokens_per_step, with a run
// selection applied as to a file of them (its delimiter is not used).
SparseRunsTable BundledFrantarT5Runs(double tokens_per_step = kT5TokensPerStep, const RunSelection& selection = {});

// Routed runs: router, N dense parameters, E experts, loss.
struct RoutingRun {
  std::string router;
  double num_params = 0.0;
  double num_experts = 1.0;
  double loss_nats = 0.0;
  double top_k = 1.0;              // k (1 when the file has no k column)
  double routing_frequency = 0.0;  // 0 when the file has no such column
  double seed = 0.0;               // 0 when the file has no seed column
  double num_tokens = 0.0;         // D, the tokens trained on; 0 when the file has no such column
  int line = 0;
  int group = 0;  // index into RoutingRunsTable::group_values (0 when not grouped)
};

struct RoutingRunsTable {
  std::string source;
  std::vector<RoutingRun> runs;
  std::vector<std::string> notes;  // what the selection left out or skipped
  // --group-by: the columns and each group's values, in order of first appearance (core/runs_table.h CsvSelection).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
};

// Columns router_type (or router), dense_parameter_count (or n, num_params), num_experts (or e, experts),
// loss_validation (or loss); optional k, routing_frequency, seed and num_tokens (or tokens, d, train_tokens: the
// fit does not read it; `validate --law routing` holds runs out along C = 6 N D with it). A routed run (router other
// than Dense) with fewer experts than its top-k is refused with a located InputError; a Dense run's k only says which
// routed model's FLOPs its wider FFN matches. `selection` (--filter, --exclude-lines, --skip-bad-rows on the loss,
// --delimiter, --group-by) picks the rows read, as core/runs_table.h's SelectCsvRows does for every runs reader.
RoutingRunsTable ParseRoutingRunsCsv(std::string_view text, const std::string& source,
                                     const RunSelection& selection = {});
RoutingRunsTable LoadRoutingRunsCsv(const std::string& path, const RunSelection& selection = {});

inline const std::string kBundledClarkLabel = "<bundled routing runs, Clark et al. 2022>";

// The 163 runs Clark et al.'s own fitting code uses (routing frequency 0.5, k 1, seed 42) from
// data/clark2022_routing_runs.csv: 5 Dense, 53 S-Base, 54 RL-R, 51 Hash; `selection` then picks among those 163 as
// among a file's rows (its delimiter is not used).
RoutingRunsTable BundledClarkRuns(const RunSelection& selection = {});

// The runs of one router with the Dense runs added as its E = 1 (as Clark et al.'s fitting code does).
RoutingRunsTable RoutingRunsFor(const RoutingRunsTable& table, const std::string& router);

// Mixture-of-experts runs for Krajewski et al.'s form: N total, D tokens, G granularity, loss (and, when the file
// has them, active parameters, experts and top-k, checked but not used by the law).
struct MoeRun {
  double num_params = 0.0;         // N, total non-embedding parameters
  double num_active_params = 0.0;  // 0 when the file has no such column
  double num_experts = 0.0;        // 0 when the file has no such column
  double top_k = 0.0;              // 0 when the file has no such column
  double granularity = 1.0;
  double num_tokens = 0.0;
  double loss_nats = 0.0;
  int line = 0;
  int group = 0;  // index into MoeRunsTable::group_values (0 when the runs are not grouped)
};

struct MoeRunsTable {
  std::string source;
  std::vector<MoeRun> runs;
  std::vector<std::string> notes;
  // --group-by: the columns and each group's values, in order of first appearance (core/runs_table.h CsvSelection).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
};

// Columns (case-insensitive): N total (total_params, num_params, total_parameter_count, n, params; --n-col),
// D (tokens, num_tokens, d, train_tokens; --d-col), the loss (loss, val_loss, eval_loss; --loss-col), and the
// granularity G (granularity, g) or an expert size with the dense FFN's width (expert_size with d_ff or ffn_size:
// G = d_ff / expert_size); optional active_params (num_active_params), num_experts (experts), top_k (k). Throws a
// located InputError for a granularity below 1, experts below the top-k, or active parameters above the total.
// columns.params, .tokens and .loss name N, D and the loss (the compute column is not read); columns.selection picks
// the rows read (SelectCsvRows).
MoeRunsTable ParseMoeRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns = {});
MoeRunsTable LoadMoeRunsCsv(const std::string& path, const RunsColumns& columns = {});

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SPARSE_LAWS_H_
