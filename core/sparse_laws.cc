#include "core/sparse_laws.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "core/scalar_search.h"
#include "core/units.h"

namespace scaleplan::embedded {
extern const std::string_view kFrantarT5RunsCsv;
extern const std::string_view kClarkRoutingRunsCsv;
}  // namespace scaleplan::embedded

namespace scaleplan {
namespace {

bool Fail(std::string* why, const std::string& message) {
  if (why != nullptr) *why = message;
  return false;
}

bool AllFinite(std::initializer_list<double> values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

void RequireSparsity(double sparsity) {
  SCALEPLAN_CHECK(sparsity >= 0.0 && sparsity < 1.0, "sparsity must lie in [0, 1)");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 1. Weight sparsity.

bool SparseLaw::Check(std::string* why) const {
  if (!AllFinite({a_S, b_S, c_S, b_N, a_D, b_D, c})) return Fail(why, "every coefficient must be finite");
  if (!(a_S > 0 && c_S > 0 && b_N > 0 && a_D > 0 && b_D > 0)) {
    return Fail(why, "a_S, c_S, b_N, a_D and b_D must be positive");
  }
  if (b_S < 0 || c < 0) return Fail(why, "b_S and c must not be negative");
  return true;
}

double SparseLaw::Loss(double sparsity, double num_nonzero_params, double num_tokens) const {
  RequireSparsity(sparsity);
  SCALEPLAN_CHECK(num_nonzero_params > 0 && num_tokens > 0, "N and D must be positive");
  return (a_S * std::pow(1.0 - sparsity, b_S) + c_S) * std::pow(num_nonzero_params, -b_N) +
         std::pow(a_D / num_tokens, b_D) + c;
}

double SparseLaw::EffectiveParamsMultiplier(double sparsity) const {
  RequireSparsity(sparsity);
  return std::pow((a_S + c_S) / (a_S * std::pow(1.0 - sparsity, b_S) + c_S), 1.0 / b_N);
}

SparseLaw SparseLawFromNotebook(const NotebookSparseCoefficients& notebook, double params_unit, double tokens_unit) {
  SCALEPLAN_CHECK(params_unit > 0 && tokens_unit > 0, "units must be positive");
  SparseLaw law;
  // (a (1-S)^b + c) (N / u_N)^-d = (a u_N^d (1-S)^b + c u_N^d) N^-d;  e (D / u_D)^-f = (u_D e^(1/f) / D)^f.
  const double scale = std::pow(params_unit, notebook.d);
  law.a_S = notebook.a * scale;
  law.b_S = notebook.b;
  law.c_S = notebook.c * scale;
  law.b_N = notebook.d;
  law.a_D = tokens_unit * std::pow(notebook.e, 1.0 / notebook.f);
  law.b_D = notebook.f;
  law.c = notebook.g;
  return law;
}

SparseLaw FrantarT5Law(double tokens_per_step) {
  return SparseLawFromNotebook(kFrantarT5Notebook, 1e6, 1e5 * tokens_per_step);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The FLOPs of sparse training.

std::string SparseMethodName(SparseMethod method) {
  switch (method) {
    case SparseMethod::DENSE: return "dense";
    case SparseMethod::STATIC: return "static";
    case SparseMethod::SET: return "set";
    case SparseMethod::SNFS: return "snfs";
    case SparseMethod::RIGL: return "rigl";
    case SparseMethod::GMP: return "gmp";
  }
  return "dense";
}

SparseMethod ParseSparseMethod(std::string_view text, const std::string& where) {
  for (SparseMethod method : {SparseMethod::DENSE, SparseMethod::STATIC, SparseMethod::SET, SparseMethod::SNFS,
                              SparseMethod::RIGL, SparseMethod::GMP}) {
    if (text == SparseMethodName(method)) return method;
  }
  InputLocation location{where};
  location.text = std::string(text);
  throw InputError("must be one of dense, static, set, snfs, rigl or gmp", location);
}

bool SparseTrainingOptions::Check(std::string* why) const {
  if (!(update_interval_steps >= 1) || !std::isfinite(update_interval_steps)) {
    return Fail(why, "the mask update interval must be at least 1 step");
  }
  if (!(update_end_fraction >= 0 && update_end_fraction <= 1)) {
    return Fail(why, "the fraction of training with mask updates must lie in [0, 1]");
  }
  if (!(prune_begin_fraction >= 0 && prune_begin_fraction <= prune_end_fraction && prune_end_fraction <= 1)) {
    return Fail(why, "pruning must begin and end within the run, 0 <= begin <= end <= 1");
  }
  if (!(speedup > 0) || !std::isfinite(speedup)) return Fail(why, "the sparse speed-up must be positive");
  return true;
}

double SparseStepFlopsFraction(SparseMethod method, double sparsity, const SparseTrainingOptions& options) {
  RequireSparsity(sparsity);
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  const double density = 1.0 - sparsity;  // f_S / f_D
  const double interval = options.update_interval_steps;
  switch (method) {
    case SparseMethod::DENSE: return 1.0;
    case SparseMethod::STATIC:
    case SparseMethod::SET:
    case SparseMethod::GMP: return density;
    case SparseMethod::SNFS: return (2.0 * density + 1.0) / 3.0;
    case SparseMethod::RIGL: return (3.0 * density * interval + 2.0 * density + 1.0) / (3.0 * (interval + 1.0));
  }
  return 1.0;
}

double SparseRunFlopsFraction(SparseMethod method, double sparsity, const SparseTrainingOptions& options) {
  const double step = SparseStepFlopsFraction(method, sparsity, options);
  const double density = 1.0 - sparsity;
  if (method == SparseMethod::RIGL) {
    return options.update_end_fraction * step + (1.0 - options.update_end_fraction) * density;
  }
  if (method == SparseMethod::GMP) {
    // Dense before t_0; over [t_0, t_1] the mean density is 1 - S + S / 4 (the mean of (1 - u)^3 over [0, 1]);
    // the final density after t_1.
    const double begin = options.prune_begin_fraction;
    const double end = options.prune_end_fraction;
    return begin + (end - begin) * (1.0 - 0.75 * sparsity) + (1.0 - end) * density;
  }
  return step;
}

// ---------------------------------------------------------------------------------------------------------------
// 2b. The compute-optimal sparse model.

SparsePlan PlanSparseAtSparsity(const SparseLaw& law, double compute_flops, double sparsity, SparseMethod method,
                                const SparseTrainingOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(law.Check(&why), "invalid sparse law: " + why);
  SCALEPLAN_CHECK(compute_flops > 0 && std::isfinite(compute_flops), "the budget must be positive");
  RequireSparsity(sparsity);
  SparsePlan plan;
  plan.method = method;
  plan.sparsity = sparsity;
  const double density = 1.0 - sparsity;
  plan.flops_fraction = SparseRunFlopsFraction(method, sparsity, options);
  const double flops_per_token_per_param = 6.0 * plan.flops_fraction / density;  // k
  const double factor = law.a_S * std::pow(density, law.b_S) + law.c_S;          // F_S
  const double log_params =
      (std::log(law.b_N * factor) - std::log(law.b_D) -
       law.b_D * (std::log(law.a_D) + std::log(flops_per_token_per_param) - std::log(compute_flops))) /
      (law.b_N + law.b_D);
  plan.num_nonzero_params = std::exp(log_params);
  plan.num_params = plan.num_nonzero_params / density;
  plan.num_tokens = compute_flops / (flops_per_token_per_param * plan.num_nonzero_params);
  plan.loss_nats = law.Loss(sparsity, plan.num_nonzero_params, plan.num_tokens);
  plan.training_flops = 6.0 * plan.num_params * plan.num_tokens * plan.flops_fraction;
  const double dense_flops = 6.0 * plan.num_params * plan.num_tokens;
  const double dense_share = method == SparseMethod::GMP ? options.prune_begin_fraction
                             : method == SparseMethod::DENSE ? 1.0
                                                             : 0.0;
  plan.dense_equivalent_flops = dense_flops * (dense_share + (1.0 - dense_share) / options.speedup);
  return plan;
}

SparsePlan PlanOptimalSparsity(const SparseLaw& law, double compute_flops, SparseMethod method,
                               const SparseTrainingOptions& options, double max_sparsity) {
  SCALEPLAN_CHECK(max_sparsity >= 0 && max_sparsity < 1, "the largest sparsity searched must lie in [0, 1)");
  const ScalarMinimum best = MinimizeScanGolden(
      [&](double s) { return PlanSparseAtSparsity(law, compute_flops, s, method, options).loss_nats; }, 0.0,
      max_sparsity, 991, 1e-9);
  return PlanSparseAtSparsity(law, compute_flops, best.x, method, options);
}

std::vector<double> EvenSparsities(double max_sparsity, int count) {
  SCALEPLAN_CHECK(max_sparsity >= 0 && max_sparsity < 1, "the largest sparsity must lie in [0, 1)");
  SCALEPLAN_CHECK(count >= 2, "a curve needs at least 2 sparsities");
  std::vector<double> sparsities(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) sparsities[static_cast<size_t>(i)] = max_sparsity * i / (count - 1);
  return sparsities;
}

SparsityCurve MakeSparsityCurve(const SparseLaw& law, double compute_flops, SparseMethod method,
                                const SparseTrainingOptions& options, int count, double max_sparsity) {
  SparsityCurve curve;
  for (double sparsity : EvenSparsities(max_sparsity, count)) {
    curve.plans.push_back(PlanSparseAtSparsity(law, compute_flops, sparsity, method, options));
  }
  curve.optimum = PlanOptimalSparsity(law, compute_flops, method, options, max_sparsity);
  curve.dense = PlanSparseAtSparsity(law, compute_flops, 0.0, SparseMethod::DENSE, options);
  return curve;
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Fine-grained mixture of experts.

bool FineGrainedMoeLaw::Check(std::string* why) const {
  if (!AllFinite({a, alpha, b, beta, g, gamma, c})) return Fail(why, "every coefficient must be finite");
  if (!(a > 0 && alpha > 0 && b > 0 && beta > 0)) return Fail(why, "a, alpha, b and beta must be positive");
  if (g < 0 || gamma < 0 || c < 0) return Fail(why, "g, gamma and c must not be negative");
  return true;
}

double FineGrainedMoeLaw::Loss(double num_params, double num_tokens, double granularity) const {
  SCALEPLAN_CHECK(num_params > 0 && num_tokens > 0, "N and D must be positive");
  SCALEPLAN_CHECK(granularity >= 1, "the granularity must be at least 1");
  return c + (g / std::pow(granularity, gamma) + a) / std::pow(num_params, alpha) +
         b / std::pow(num_tokens, beta);
}

FineGrainedMoeLaw KrajewskiMoeLaw() { return {18.1, 0.115, 30.8, 0.147, 2.1, 0.58, 0.47}; }
FineGrainedMoeLaw KrajewskiDenseLaw() { return {16.3, 0.126, 26.7, 0.127, 0.0, 0.0, 0.47}; }

bool MoeShape::Check(std::string* why) const {
  if (!(d_model > 0 && num_blocks > 0) || !AllFinite({d_model, num_blocks})) {
    return Fail(why, "d_model and the number of blocks must be positive");
  }
  if (!(expansion_rate >= 1) || !std::isfinite(expansion_rate)) {
    return Fail(why, "the expansion rate E must be at least 1");
  }
  if (!(granularity >= 1) || !std::isfinite(granularity)) return Fail(why, "the granularity G must be at least 1");
  return true;
}

double MoeShape::ActiveParams() const { return 12.0 * d_model * d_model * num_blocks; }
double MoeShape::TotalParams() const { return (4.0 + 8.0 * expansion_rate) * d_model * d_model * num_blocks; }
double MoeShape::NumExperts() const { return expansion_rate * granularity; }
double MoeShape::TrainingFlopsPerToken() const {
  return (kKrajewskiFlopsPerActiveParam * 12.0 * d_model * d_model +
          kKrajewskiRouterFlops * d_model * expansion_rate * granularity) *
         num_blocks;
}

bool MoePlanOptions::Check(std::string* why) const {
  if (!(expansion_rate >= 1) || !std::isfinite(expansion_rate)) {
    return Fail(why, "the expansion rate E must be at least 1");
  }
  if (!(width_per_block > 0) || !std::isfinite(width_per_block)) {
    return Fail(why, "d_model per block must be positive");
  }
  if (!(max_granularity >= 1) || !std::isfinite(max_granularity)) {
    return Fail(why, "the largest granularity must be at least 1");
  }
  return true;
}

MoeShape MoeShapeForParams(double total_params, double granularity, const MoePlanOptions& options) {
  SCALEPLAN_CHECK(total_params > 0, "N must be positive");
  MoeShape shape;
  shape.expansion_rate = options.expansion_rate;
  shape.granularity = granularity;
  shape.d_model = std::cbrt(total_params * options.width_per_block / (4.0 + 8.0 * options.expansion_rate));
  shape.num_blocks = shape.d_model / options.width_per_block;
  return shape;
}

MoePlan PlanFineGrainedMoeAtGranularity(const FineGrainedMoeLaw& law, double compute_flops, double granularity,
                                        const MoePlanOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(law.Check(&why), "invalid MoE law: " + why);
  SCALEPLAN_CHECK(options.Check(&why), why);
  SCALEPLAN_CHECK(compute_flops > 0 && std::isfinite(compute_flops), "the budget must be positive");
  auto tokens = [&](double n) {
    return compute_flops / MoeShapeForParams(n, granularity, options).TrainingFlopsPerToken();
  };
  // log10 N over [3, 16]: far wider than any budget's optimum.
  const ScalarMinimum best = MinimizeScanGolden(
      [&](double log_n) {
        const double n = std::pow(10.0, log_n);
        return law.Loss(n, tokens(n), granularity);
      },
      std::log10(kMoeSearchMinParams), std::log10(kMoeSearchMaxParams), 1301, 1e-10);
  MoePlan plan;
  plan.num_params = std::pow(10.0, best.x);
  plan.shape = MoeShapeForParams(plan.num_params, granularity, options);
  plan.num_active_params = plan.shape.ActiveParams();
  plan.num_tokens = tokens(plan.num_params);
  plan.granularity = granularity;
  plan.loss_nats = law.Loss(plan.num_params, plan.num_tokens, granularity);
  plan.training_flops = plan.shape.TrainingFlopsPerToken() * plan.num_tokens;
  return plan;
}

MoePlan PlanFineGrainedMoe(const FineGrainedMoeLaw& law, double compute_flops, const MoePlanOptions& options) {
  const ScalarMinimum best = MinimizeScanGolden(
      [&](double log_g) {
        return PlanFineGrainedMoeAtGranularity(law, compute_flops, std::pow(2.0, log_g), options).loss_nats;
      },
      0.0, std::log2(options.max_granularity), 161, 1e-7);
  return PlanFineGrainedMoeAtGranularity(law, compute_flops, std::pow(2.0, best.x), options);
}

TransformerShape MoeTransformerShape(const MoeShape& shape, std::int64_t vocab_size, std::int64_t context_length) {
  std::string why;
  SCALEPLAN_CHECK(shape.Check(&why), why);
  SCALEPLAN_CHECK(vocab_size > 0 && context_length > 0, "the vocabulary and the context must be positive");
  constexpr std::int64_t kHeadDim = 128;
  TransformerShape out;
  out.num_layers = std::max<std::int64_t>(1, std::llround(shape.num_blocks));
  out.d_model = std::max<std::int64_t>(kHeadDim, std::llround(shape.d_model / kHeadDim) * kHeadDim);
  out.num_heads = out.d_model / kHeadDim;
  out.num_kv_heads = out.num_heads;
  out.head_dim = kHeadDim;
  out.d_ff = 4 * out.d_model;
  out.glu = false;
  out.vocab_size = vocab_size;
  out.context_length = context_length;
  // The power of two nearest G: expert widths 4 d / G' stay whole and divide by tensor parallelism.
  const std::int64_t top_k = std::int64_t{1} << std::max<std::int64_t>(0, std::llround(std::log2(shape.granularity)));
  out.active_experts = top_k;
  out.num_experts = std::max<std::int64_t>(top_k, std::llround(shape.expansion_rate * static_cast<double>(top_k)));
  out.expert_d_ff = std::max<std::int64_t>(1, std::llround(static_cast<double>(out.d_ff) / static_cast<double>(top_k)));
  if (out.num_experts == 1) out.expert_d_ff = 0;  // E = G = 1: a dense model
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Routed language models.

bool RoutingLaw::Check(std::string* why) const {
  if (!AllFinite({a, b, c, d, e_start, e_max})) return Fail(why, "every coefficient must be finite");
  if (!(e_start > 0 && e_start < e_max)) return Fail(why, "E_start and E_max must satisfy 0 < E_start < E_max");
  return true;
}

double RoutingLaw::SaturatedExperts(double num_experts) const {
  SCALEPLAN_CHECK(num_experts >= 1, "the number of experts must be at least 1");
  const double inverse = 1.0 / (num_experts - 1.0 + 1.0 / (1.0 / e_start - 1.0 / e_max)) + 1.0 / e_max;
  return 1.0 / inverse;
}

double RoutingLaw::Loss(double num_params, double num_experts) const {
  SCALEPLAN_CHECK(num_params > 0, "N must be positive");
  const double log_n = std::log10(num_params);
  const double log_e = std::log10(SaturatedExperts(num_experts));
  return std::pow(10.0, a * log_n + b * log_e + c * log_n * log_e + d);
}

RoutingLaw ClarkSBaseLaw() { return {-0.082, -0.108, 0.009, 1.104, 1.847, 314.478}; }
RoutingLaw ClarkRlrLaw() { return {-0.083, -0.126, 0.012, 1.111, 1.880, 469.982}; }
RoutingLaw ClarkHashLaw() { return {-0.087, -0.136, 0.012, 1.157, 4.175, 477.741}; }

RoutingPlan PlanRoutedModel(const RoutingLaw& law, double num_params, double num_experts) {
  SCALEPLAN_CHECK(num_params > 0 && num_experts >= 1, "a positive N and at least one expert");
  RoutingPlan plan;
  plan.num_params = num_params;
  plan.num_experts = num_experts;
  plan.saturated_experts = law.SaturatedExperts(num_experts);
  plan.loss_nats = law.Loss(num_params, num_experts);
  plan.dense_loss_nats = law.Loss(num_params, 1.0);
  const double s1 = std::log10(law.SaturatedExperts(1.0));
  const double slope = law.a + law.c * s1;  // d log10 L(N, 1) / d log10 N
  if (slope < 0) {
    plan.effective_params = std::pow(10.0, (std::log10(plan.loss_nats) - law.b * s1 - law.d) / slope);
    plan.effective_multiplier = plan.effective_params / num_params;
  }
  return plan;
}

double RoutingCutoffParams(const RoutingLaw& law) {
  if (law.c > 0) return std::pow(10.0, -law.b / law.c);  // routing helps below, hurts above
  return law.b < 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

// ---------------------------------------------------------------------------------------------------------------
// Runs.

bool SparseRunsOptions::Check(std::string* why) const {
  if (!(tokens_per_step >= 0) || !std::isfinite(tokens_per_step)) {
    return Fail(why, "--tokens-per-step must be positive");
  }
  return true;
}

namespace {

// What a run selection (SelectCsvRows) adds to a sparse, MoE or routing runs table: what it skipped and left out, as
// notes, and the groups.
template <typename Table>
void AddSelection(const CsvSelection& selected, Table* table) {
  for (const std::string& warning : selected.warnings) table->notes.push_back(warning);
  for (const std::string& note : selected.notes) table->notes.push_back(note);
  table->group_columns = selected.group_columns;
  table->group_values = selected.group_values;
}

}  // namespace

SparseRunsTable ParseSparseRunsCsv(std::string_view text, const std::string& source,
                                   const SparseRunsOptions& options) {
  std::string why;
  if (!options.Check(&why)) throw InputError(why, InputLocation{source});
  const CsvTable csv = ParseCsv(text, source, options.selection.delimiter);
  const CsvColumnRule sparsity_rule{"S (sparsity)", {"sparsity", "s"}, "--sparsity-col", options.sparsity_column};
  const CsvColumnRule density_rule{"density (1 - S)", {"density"}, "", ""};
  const CsvColumnRule params_rule{
      options.params_are_dense ? "N (all weights, zeros included)" : "N (non-zero parameters)",
      options.params_are_dense
          ? std::vector<std::string>{"num_params_dense", "n", "params", "num_params", "n_params"}
          : std::vector<std::string>{"num_nonzero_params", "nonzero_params", "n", "params", "num_params",
                                     "n_params"},
      "--n-col", options.params_column};
  const bool steps = options.tokens_per_step > 0;
  const CsvColumnRule tokens_rule{steps ? "training steps" : "D (training tokens)",
                                  steps ? std::vector<std::string>{"steps", "num_steps", "train_steps"}
                                        : std::vector<std::string>{"d", "tokens", "num_tokens", "d_tokens",
                                                                   "train_tokens"},
                                  "--d-col", options.tokens_column};
  const CsvColumnRule loss_rule{"the loss", {"loss", "val_loss", "val-loss", "eval_loss", "final_loss"},
                                "--loss-col", options.loss_column};
  std::optional<size_t> sparsity = FindCsvColumn(csv, sparsity_rule);
  std::optional<size_t> density;
  if (!sparsity) {
    density = FindCsvColumn(csv, density_rule);
    if (!density) throw MissingCsvColumnError(csv, sparsity_rule);
  }
  const size_t params = RequireCsvColumn(csv, params_rule);
  const size_t tokens = RequireCsvColumn(csv, tokens_rule);
  const size_t loss = RequireCsvColumn(csv, loss_rule);
  if (csv.rows.empty()) {
    throw InputError("no runs: the file has a header but no data rows", InputLocation{source, csv.header_line});
  }
  SparseRunsTable table;
  table.source = source;
  if (density) table.notes.push_back("S = 1 - " + csv.header[*density]);
  if (options.params_are_dense) table.notes.push_back("N non-zero = " + csv.header[params] + " x (1 - S)");
  if (steps) {
    table.notes.push_back("D = " + csv.header[tokens] + " x " + FormatSignificant(options.tokens_per_step, 6) +
                          " tokens per step");
  }
  const CsvSelection selected = SelectCsvRows(csv, options.selection, loss);
  AddSelection(selected, &table);
  for (size_t i = 0; i < selected.table.rows.size(); ++i) {
    const CsvRow& row = selected.table.rows[i];
    SparseRun run;
    run.line = row.line;
    run.group = selected.groups[i];
    const size_t s_column = sparsity ? *sparsity : *density;
    InputLocation where = CsvCellLocation(csv, row, s_column);
    const double value = ParseQuantity(row.fields[s_column], where);
    run.sparsity = sparsity ? value : 1.0 - value;
    if (!(run.sparsity >= 0.0 && run.sparsity < 1.0)) {
      where.text = row.fields[s_column];
      throw InputError(sparsity ? "the sparsity must lie in [0, 1)" : "the density must lie in (0, 1]", where);
    }
    run.num_nonzero_params = ParsePositiveCsvCell(csv, row, params);
    if (options.params_are_dense) run.num_nonzero_params *= 1.0 - run.sparsity;
    run.num_tokens = ParsePositiveCsvCell(csv, row, tokens);
    if (steps) run.num_tokens *= options.tokens_per_step;
    run.loss_nats = ParsePositiveCsvCell(csv, row, loss);
    table.runs.push_back(run);
  }
  return table;
}

SparseRunsTable LoadSparseRunsCsv(const std::string& path, const SparseRunsOptions& options) {
  return ParseSparseRunsCsv(ReadWholeFile(path), path, options);
}

SparseRunsTable BundledFrantarT5Runs(double tokens_per_step, const RunSelection& selection) {
  SparseRunsOptions options;
  options.params_column = "num_nonzero_params";
  options.tokens_column = "steps";
  options.tokens_per_step = tokens_per_step;
  options.selection = selection;
  options.selection.delimiter = 0;  // the bundled file's own
  return ParseSparseRunsCsv(embedded::kFrantarT5RunsCsv, kBundledFrantarLabel, options);
}

namespace {

// The routing runs of a parsed CSV table (ParseRoutingRunsCsv), the selection applied to its rows.
RoutingRunsTable ReadRoutingRuns(const CsvTable& csv, const RunSelection& selection) {
  const std::string& source = csv.source;
  const size_t router = RequireCsvColumn(csv, {"the router", {"router_type", "router"}, "", ""});
  const size_t params =
      RequireCsvColumn(csv, {"N (dense parameters)", {"dense_parameter_count", "n", "num_params"}, "", ""});
  const size_t experts = RequireCsvColumn(csv, {"E (experts)", {"num_experts", "e", "experts"}, "", ""});
  const size_t loss = RequireCsvColumn(csv, {"the loss", {"loss_validation", "loss"}, "", ""});
  const std::optional<size_t> top_k = FindCsvColumn(csv, {"k (top-k)", {"k", "top_k"}, "", ""});
  const std::optional<size_t> frequency =
      FindCsvColumn(csv, {"the routing frequency", {"routing_frequency"}, "", ""});
  const std::optional<size_t> seed = FindCsvColumn(csv, {"the seed", {"seed"}, "", ""});
  const std::optional<size_t> tokens =
      FindCsvColumn(csv, {"D (training tokens)", {"num_tokens", "tokens", "d", "train_tokens"}, "", ""});
  if (csv.rows.empty()) {
    throw InputError("no runs: the file has a header but no data rows", InputLocation{source, csv.header_line});
  }
  RoutingRunsTable table;
  table.source = source;
  const CsvSelection selected = SelectCsvRows(csv, selection, loss);
  AddSelection(selected, &table);
  for (size_t i = 0; i < selected.table.rows.size(); ++i) {
    const CsvRow& row = selected.table.rows[i];
    RoutingRun run;
    run.line = row.line;
    run.group = selected.groups[i];
    run.router = row.fields[router];
    run.num_params = ParsePositiveCsvCell(csv, row, params);
    run.num_experts = ParsePositiveCsvCell(csv, row, experts);
    run.loss_nats = ParsePositiveCsvCell(csv, row, loss);
    if (top_k) run.top_k = ParsePositiveCsvCell(csv, row, *top_k);
    if (frequency) run.routing_frequency = ParsePositiveCsvCell(csv, row, *frequency);
    if (seed) run.seed = ParseQuantity(row.fields[*seed], CsvCellLocation(csv, row, *seed));
    if (tokens) run.num_tokens = ParsePositiveCsvCell(csv, row, *tokens);
    if (run.num_experts < 1) {
      InputLocation where = CsvCellLocation(csv, row, experts);
      where.text = row.fields[experts];
      throw InputError("the number of experts must be at least 1", where);
    }
    if (run.router != "Dense" && run.num_experts < run.top_k) {
      InputLocation where = CsvCellLocation(csv, row, experts);
      where.text = row.fields[experts];
      throw InputError("fewer experts than the top-k (k = " + row.fields[*top_k] + " experts per token)", where);
    }
    table.runs.push_back(run);
  }
  return table;
}

}  // namespace

RoutingRunsTable ParseRoutingRunsCsv(std::string_view text, const std::string& source, const RunSelection& selection) {
  return ReadRoutingRuns(ParseCsv(text, source, selection.delimiter), selection);
}

RoutingRunsTable LoadRoutingRunsCsv(const std::string& path, const RunSelection& selection) {
  return ParseRoutingRunsCsv(ReadWholeFile(path), path, selection);
}

RoutingRunsTable BundledClarkRuns(const RunSelection& selection) {
  // The rows Clark et al.'s fitting code reads, then the user's selection among them (line numbers stay the file's).
  const CsvTable csv = ParseCsv(embedded::kClarkRoutingRunsCsv, kBundledClarkLabel);
  RunSelection clark;
  for (const char* filter : {"routing_frequency=0.5", "k=1", "seed=42"}) {
    clark.filters.push_back(ParseRunFilter(filter));
  }
  RunSelection user = selection;
  user.delimiter = 0;  // the bundled file's own
  return ReadRoutingRuns(SelectCsvRows(csv, clark, std::nullopt).table, user);
}

RoutingRunsTable RoutingRunsFor(const RoutingRunsTable& table, const std::string& router) {
  RoutingRunsTable out;
  out.source = table.source;
  for (const RoutingRun& run : table.runs) {
    if (run.router == "Dense" || run.router == router) out.runs.push_back(run);
  }
  return out;
}

MoeRunsTable ParseMoeRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns) {
  const CsvTable csv = ParseCsv(text, source, columns.selection.delimiter);
  const size_t params = RequireCsvColumn(
      csv, {"N (total parameters)", {"total_params", "num_params", "total_parameter_count", "n", "params"}, "--n-col",
            columns.params});
  const size_t tokens = RequireCsvColumn(
      csv, {"D (training tokens)", {"tokens", "num_tokens", "d", "train_tokens"}, "--d-col", columns.tokens});
  const size_t loss =
      RequireCsvColumn(csv, {"the loss", {"loss", "val_loss", "eval_loss", "final_loss"}, "--loss-col", columns.loss});
  const CsvColumnRule granularity_rule{"G (granularity)", {"granularity", "g"}, "", ""};
  const std::optional<size_t> granularity = FindCsvColumn(csv, granularity_rule);
  std::optional<size_t> expert_size, ffn_size;
  if (!granularity) {
    expert_size = FindCsvColumn(csv, {"the expert size", {"expert_size"}, "", ""});
    ffn_size = FindCsvColumn(csv, {"the dense FFN width", {"d_ff", "ffn_size"}, "", ""});
    if (!expert_size || !ffn_size) {
      throw InputError("missing column for G (granularity): the header has " + QuotedCsvHeader(csv) +
                           "; give a granularity column, or expert_size with d_ff (G = d_ff / expert_size)",
                       InputLocation{source, csv.header_line});
    }
  }
  const std::optional<size_t> active = FindCsvColumn(csv, {"active parameters", {"active_params",
                                                                                 "num_active_params"}, "", ""});
  const std::optional<size_t> experts = FindCsvColumn(csv, {"E (experts)", {"num_experts", "experts"}, "", ""});
  const std::optional<size_t> top_k = FindCsvColumn(csv, {"k (top-k)", {"top_k", "k"}, "", ""});
  if (csv.rows.empty()) {
    throw InputError("no runs: the file has a header but no data rows", InputLocation{source, csv.header_line});
  }
  MoeRunsTable table;
  table.source = source;
  if (!granularity) table.notes.push_back("G = " + csv.header[*ffn_size] + " / " + csv.header[*expert_size]);
  const CsvSelection selected = SelectCsvRows(csv, columns.selection, loss);
  AddSelection(selected, &table);
  for (size_t i = 0; i < selected.table.rows.size(); ++i) {
    const CsvRow& row = selected.table.rows[i];
    MoeRun run;
    run.line = row.line;
    run.group = selected.groups[i];
    run.num_params = ParsePositiveCsvCell(csv, row, params);
    run.num_tokens = ParsePositiveCsvCell(csv, row, tokens);
    run.loss_nats = ParsePositiveCsvCell(csv, row, loss);
    const size_t g_column = granularity ? *granularity : *expert_size;
    run.granularity = granularity ? ParsePositiveCsvCell(csv, row, *granularity)
                                  : ParsePositiveCsvCell(csv, row, *ffn_size) /
                                        ParsePositiveCsvCell(csv, row, *expert_size);
    if (!(run.granularity >= 1.0)) {
      InputLocation where = CsvCellLocation(csv, row, g_column);
      where.text = row.fields[g_column];
      throw InputError(granularity ? "the granularity must be at least 1"
                                   : "the expert size must not exceed the dense FFN width (G = " +
                                         FormatSignificant(run.granularity, 4) + " is below 1)",
                       where);
    }
    if (active) {
      run.num_active_params = ParsePositiveCsvCell(csv, row, *active);
      if (run.num_active_params > run.num_params) {
        InputLocation where = CsvCellLocation(csv, row, *active);
        where.text = row.fields[*active];
        throw InputError("more active parameters than the total (" + row.fields[params] + ")", where);
      }
    }
    if (experts) run.num_experts = ParsePositiveCsvCell(csv, row, *experts);
    if (top_k) run.top_k = ParsePositiveCsvCell(csv, row, *top_k);
    if (experts && top_k && run.num_experts < run.top_k) {
      InputLocation where = CsvCellLocation(csv, row, *experts);
      where.text = row.fields[*experts];
      throw InputError("fewer experts than the top-k (k = " + row.fields[*top_k] + " experts per token)", where);
    }
    table.runs.push_back(run);
  }
  // Eq. 9's setting: G experts of size d_ff / G per token, so the active parameters are the dense model's. A top-k
  // other than G activates another amount, which the law does not describe: said once, with the first such run.
  if (top_k) {
    size_t other = 0;
    const MoeRun* first = nullptr;
    for (const MoeRun& run : table.runs) {
      if (std::fabs(run.top_k / run.granularity - 1.0) > 1e-6) {
        ++other;
        if (first == nullptr) first = &run;
      }
    }
    if (first != nullptr) {
      table.notes.push_back(std::to_string(other) + " of " + std::to_string(table.runs.size()) +
                            " runs route each token to a top-k other than G (first: line " +
                            std::to_string(first->line) + ", top-k " + FormatSignificant(first->top_k, 4) + " at G " +
                            FormatSignificant(first->granularity, 4) +
                            "): eq. 9 assumes top-k = G, G experts of d_ff / G each, so that the active parameters "
                            "are the dense model's (Krajewski et al. 2024); such runs lie outside the law's setting");
    }
  }
  return table;
}

MoeRunsTable LoadMoeRunsCsv(const std::string& path, const RunsColumns& columns) {
  return ParseMoeRunsCsv(ReadWholeFile(path), path, columns);
}

}  // namespace scaleplan
