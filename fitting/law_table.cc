#include "fitting/law_table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <type_traits>

#include "core/budgets.h"
#include "core/error.h"
#include "core/hash.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/dictionary_fit.h"
#include "fitting/sparse_fit.h"

namespace scaleplan {
namespace {

// The runs of `table` at `subset`, in that order, with the table's other members (source, columns) kept.
template <typename Table>
Table SubsetOf(const Table& table, const std::vector<size_t>& subset) {
  Table out = table;
  out.runs.clear();
  out.runs.reserve(subset.size());
  for (const size_t index : subset) out.runs.push_back(table.runs.at(index));
  return out;
}

TrainingRun ViewRun(double num_params, double num_tokens, double compute_flops, double loss_nats, size_t index) {
  TrainingRun run;
  run.num_params = num_params;
  run.num_tokens = num_tokens;
  run.compute_flops = compute_flops;
  run.loss_nats = loss_nats;
  run.line = static_cast<int>(index);
  return run;
}

// The common view and hash of each reader's table.
void Describe(const DataConstrainedRunsTable& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const DataConstrainedRun& run = table.runs[i];
    for (const double value : {run.num_params, run.num_tokens, run.unique_tokens, run.loss_nats}) hash->Add(value);
    runs->view.runs.push_back(
        ViewRun(run.num_params, run.num_tokens, 6 * run.num_params * run.num_tokens, run.loss_nats, i));
  }
  runs->unique_tokens_column = table.unique_tokens_column;
}

// A dictionary's C: T tokens times the training FLOPs per token of core/dictionary.h's cost model with the
// planner's default (sparse) kernels, 2 d n + 8 d k + 8 d k_aux; 0 without a width or a tokens column.
void Describe(const DictionaryRunsTable& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const DictionaryRun& run = table.runs[i];
    for (const double value : {run.num_latents, run.k, run.num_tokens, run.loss}) hash->Add(value);
    const DictionaryShape shape{run.d_model, run.num_latents, run.k};
    const double compute_flops = run.d_model > 0 && run.num_tokens > 0
                                     ? run.num_tokens * DictionaryFlopsPerToken(shape, DictionaryKernels::SPARSE)
                                     : 0.0;
    runs->view.runs.push_back(ViewRun(run.num_latents, run.num_tokens, compute_flops, run.loss, i));
  }
}

void Describe(const SparseRunsTable& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const SparseRun& run = table.runs[i];
    for (const double value : {run.sparsity, run.num_nonzero_params, run.num_tokens, run.loss_nats}) hash->Add(value);
    runs->view.runs.push_back(
        ViewRun(run.num_nonzero_params, run.num_tokens, 6 * run.num_nonzero_params * run.num_tokens, run.loss_nats, i));
  }
}

void Describe(const MoeRunsTable& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const MoeRun& run = table.runs[i];
    for (const double value : {run.num_params, run.num_tokens, run.granularity, run.loss_nats}) hash->Add(value);
    runs->view.runs.push_back(
        ViewRun(run.num_params, run.num_tokens, 6 * run.num_params * run.num_tokens, run.loss_nats, i));
  }
}

// Routing runs: N the dense (per-token) parameters, D the tokens when the file has them, C = 6 N D (0 without D).
// The hash covers what the fit reads (router, N, E, loss), not D, so goldens recorded before D was read still match.
void Describe(const RoutingRunsTable& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const RoutingRun& run = table.runs[i];
    for (const char c : run.router) hash->Add(static_cast<double>(c));
    for (const double value : {run.num_params, run.num_experts, run.loss_nats}) hash->Add(value);
    runs->view.runs.push_back(
        ViewRun(run.num_params, run.num_tokens, 6 * run.num_params * run.num_tokens, run.loss_nats, i));
  }
}

void Describe(const HyperparamsRuns& table, LawRuns* runs, ValuesHash* hash) {
  for (size_t i = 0; i < table.runs.size(); ++i) {
    const HyperparamsRun& run = table.runs[i];
    for (const double value : {run.compute_flops, run.batch_tokens, run.learning_rate, run.loss_nats}) {
      hash->Add(value);
    }
    runs->view.runs.push_back(ViewRun(run.num_params, 0.0, run.compute_flops, run.loss_nats, i));
  }
}

// The table's runs as their reader returned them; a precondition: runs.law_name is the law reading them.
template <typename Table>
const Table& TableOf(const LawRuns& runs) {
  const Table* table = std::get_if<Table>(&runs.table);
  SCALEPLAN_CHECK(table != nullptr, "the runs of law '" + runs.law_name + "' are not this law's runs");
  return *table;
}

// A bootstrap's intervals and counts, names prefixed with `prefix` ("S-Base." for a router's).
void AddIntervals(const std::vector<std::pair<std::string, std::pair<double, double>>>& intervals,
                  const BootstrapSamples& samples, const std::string& prefix, TableLawFit* fit) {
  for (const auto& [name, interval] : intervals) fit->intervals.emplace_back(prefix + name, interval);
  fit->bootstrap_resamples = samples.num_resamples;  // per fit (each router of a routing law resampled alike)
  fit->bootstrap_failed += samples.num_failed;
}

void SetSearch(const MultiStartResult& search, TableLawFit* fit) {
  fit->usable = search.usable;
  fit->status = search.status;
  fit->objective = search.objective;
}

// The grid a law's fit starts from: its own, or --grid's axes laid over it.
InitGrid FitGrid(const TableLawOptions& options, const InitGrid& grid) {
  return options.grid_spec.empty() ? grid : ParseGridSpec(options.grid_spec, grid);
}

// The bootstrap a law's fit runs, nullptr for none.
const BootstrapOptions* BootstrapOf(const TableLawOptions& options) {
  return options.bootstrap ? &*options.bootstrap : nullptr;
}

// The entry of a fit of one law to all runs (sparse, moe): its search, its bootstrap intervals, the coefficients
// `values` named `names` and, when usable, each run's loss as run_loss(law, run) predicts it.
template <typename Table, typename Fit, typename RunLoss>
TableLawFit SingleLawFit(const Table& table, const Fit& fit, const std::vector<std::string>& names,
                         const std::vector<double>& values, RunLoss run_loss) {
  TableLawFit out;
  SetSearch(fit.search, &out);
  AddIntervals(fit.intervals, fit.bootstrap, "", &out);
  for (size_t k = 0; k < names.size(); ++k) out.parameters.emplace_back(names[k], values[k]);
  if (out.usable) {
    out.predict_loss = [&table, law = fit.law, run_loss](size_t i) { return run_loss(law, table.runs.at(i)); };
  }
  return out;
}

std::vector<TableLaw> MakeTable() {
  std::vector<TableLaw> entries;

  TableLaw kaplan;
  kaplan.name = "kaplan";
  kaplan.description = "the Kaplan et al. 2020 law";
  kaplan.own_reader = false;
  kaplan.default_grid = KaplanModel::DefaultGrid();
  kaplan.min_runs = KaplanModel::kNumParams + 1;
  kaplan.fit = [grid = kaplan.default_grid](const LawRuns& runs, const std::vector<size_t>& subset,
                                            const TableLawOptions& options) {
    const RunsTable& table = TableOf<RunsTable>(runs);
    const InitGrid fit_grid = FitGrid(options, grid);
    const KaplanFit fit = FitKaplan(SubsetOf(table, subset), options.search, fit_grid);
    TableLawFit out = ToTableLawFit(fit);
    if (out.usable) {
      out.predict_loss = [&table, law = fit.law](size_t i) {
        const TrainingRun& run = table.runs.at(i);
        return law.Loss(run.num_params, run.num_tokens);
      };
    }
    return out;
  };
  entries.push_back(kaplan);

  TableLaw isoflop;
  isoflop.name = "isoflop";
  isoflop.description = "IsoFLOP profiles (Approach 2)";
  isoflop.own_reader = false;
  isoflop.has_grid = false;
  isoflop.fit = [](const LawRuns& runs, const std::vector<size_t>& subset, const TableLawOptions& options) {
    const RunsTable table = SubsetOf(TableOf<RunsTable>(runs), subset);
    const auto groups = BudgetsWithAtLeast(GroupByBudget(table, options.budget_tolerance),
                                           static_cast<size_t>(options.min_budget_runs));
    return ToTableLawFit(FitIsoFlop(table, groups, nullptr, options.keep_extrapolated_minima));
  };
  entries.push_back(isoflop);

  TableLaw data_constrained;
  data_constrained.name = "data-constrained";
  data_constrained.bundled_runs = true;
  data_constrained.description = "the data-constrained law (Muennighoff et al. 2023; base law frozen at their C4 fit)";
  data_constrained.default_grid = DataConstrainedModel::NotebookGrid();
  data_constrained.min_runs = 3;
  data_constrained.fit = [grid = data_constrained.default_grid](const LawRuns& runs, const std::vector<size_t>& subset,
                                                                const TableLawOptions& options) {
    const DataConstrainedRunsTable& table = TableOf<DataConstrainedRunsTable>(runs);
    const InitGrid fit_grid = options.grid_spec.empty() ? grid : ParseGridSpec(options.grid_spec, grid);
    const DataConstrainedFit fit = FitDataConstrained(SubsetOf(table, subset), MuennighoffC4BaseLaw(), options.search,
                                                      fit_grid, options.bootstrap ? &*options.bootstrap : nullptr);
    TableLawFit out;
    out.usable = fit.usable;
    out.status = fit.status;
    out.objective = fit.objective;
    out.parameters = {{"R_D_star", fit.R_D_star}, {"R_N_star", fit.R_N_star}};
    AddIntervals(fit.intervals, fit.bootstrap, "", &out);
    if (out.usable) {
      out.predict_loss = [&table, law = fit.law](size_t i) {
        const DataConstrainedRun& run = table.runs.at(i);
        return law.Loss(run.num_params, run.num_tokens, run.unique_tokens);
      };
    }
    return out;
  };
  entries.push_back(data_constrained);

  TableLaw dictionary;
  dictionary.name = "dictionary";
  dictionary.description = "the sparse-autoencoder laws (Gao et al. 2024's L(n, k) and the token term B / T^beta)";
  dictionary.has_grid = false;
  dictionary.min_runs = 7;
  dictionary.fit = [](const LawRuns& runs, const std::vector<size_t>& subset, const TableLawOptions& options) {
    const DictionaryRunsTable& table = TableOf<DictionaryRunsTable>(runs);
    DictionaryFitOptions fit_options;
    fit_options.search = options.search;
    fit_options.token_law_k = options.token_law_k;
    const DictionaryFit fit = FitDictionaryLaws(SubsetOf(table, subset), fit_options);
    TableLawFit out;
    out.usable = fit.usable;
    out.status = fit.status;
    if (fit.usable && options.bootstrap) {
      const DictionaryBootstrap boot = BootstrapDictionaryLaws(fit, *options.bootstrap);
      for (const auto& [name, interval] : boot.converged_intervals) {
        out.intervals.emplace_back(name, std::pair{interval.lower, interval.upper});
      }
      out.bootstrap_resamples = boot.converged_samples.num_resamples;
      out.bootstrap_failed = boot.converged_samples.num_failed;
    }
    const std::vector<double> values = LatentsSparsityValues(fit.converged_law);
    for (size_t k = 0; k < values.size(); ++k) out.parameters.emplace_back(LatentsSparsityNames()[k], values[k]);
    out.objective = fit.converged_search.objective;
    if (fit.has_token_law) {
      out.parameters.emplace_back("token_B", fit.laws.token_coefficient);
      out.parameters.emplace_back("token_beta", fit.laws.token_exponent);
      out.objective += fit.token_fit.search.objective;
    }
    if (out.usable) {
      out.predict_loss = [&table, dictionary_laws = fit.laws](size_t i) {
        const DictionaryRun& run = table.runs.at(i);
        return dictionary_laws.Loss(run.num_latents, run.k, run.num_tokens);
      };
    }
    return out;
  };
  entries.push_back(dictionary);

  TableLaw sparse;
  sparse.name = "sparse";
  sparse.bundled_runs = true;
  sparse.description = "the weight-sparse law (Frantar et al. 2023, eq. 1)";
  sparse.default_grid = SparseModel::DefaultGrid();
  sparse.min_runs = 8;
  sparse.fit = [grid = sparse.default_grid](const LawRuns& runs, const std::vector<size_t>& subset,
                                            const TableLawOptions& options) {
    const SparseRunsTable& table = TableOf<SparseRunsTable>(runs);
    const InitGrid fit_grid = FitGrid(options, grid);
    const SparseFit fit = FitSparseLaw(SubsetOf(table, subset), options.search, fit_grid, BootstrapOf(options));
    const SparseLaw& law = fit.law;
    return SingleLawFit(table, fit, SparseIntervalNames(),
                        {law.a_S, law.b_S, law.c_S, law.b_N, law.a_D, law.b_D, law.c},
                        [](const SparseLaw& fitted, const SparseRun& run) {
                          return fitted.Loss(run.sparsity, run.num_nonzero_params, run.num_tokens);
                        });
  };
  entries.push_back(sparse);

  TableLaw moe;
  moe.name = "moe";
  moe.compute_name = "6 N D with N the total parameters (nominal compute)";
  moe.description = "the fine-grained MoE law (Krajewski et al. 2024, eq. 9)";
  moe.default_grid = MoeModel::DefaultGrid();
  moe.min_runs = MoeModel::kNumParams + 1;
  moe.fit = [grid = moe.default_grid](const LawRuns& runs, const std::vector<size_t>& subset,
                                      const TableLawOptions& options) {
    const MoeRunsTable& table = TableOf<MoeRunsTable>(runs);
    const InitGrid fit_grid = FitGrid(options, grid);
    const MoeFit fit = FitMoeLaw(SubsetOf(table, subset), options.search, fit_grid, BootstrapOf(options));
    const FineGrainedMoeLaw& law = fit.law;
    return SingleLawFit(table, fit, MoeIntervalNames(), {law.a, law.alpha, law.b, law.beta, law.g, law.gamma, law.c},
                        [](const FineGrainedMoeLaw& fitted, const MoeRun& run) {
                          return fitted.Loss(run.num_params, run.num_tokens, run.granularity);
                        });
  };
  entries.push_back(moe);

  TableLaw routing;
  routing.name = "routing";
  routing.bundled_runs = true;
  routing.description = "the routing law (Clark et al. 2022, eq. 1, per router)";
  routing.default_grid = RoutingModel::DefaultGrid();
  routing.min_runs = 7;
  // Dense runs alone (`--group-by router_type`'s Dense group) never fit, however many: each router's fit takes them
  // as its E = 1 anchor beside its routed runs.
  routing.require_fittable = [](const LawRuns& runs, const std::vector<size_t>& subset) {
    const RoutingRunsTable& table = TableOf<RoutingRunsTable>(runs);
    for (size_t i : subset) {
      if (table.runs.at(i).router != "Dense") return;
    }
    throw InputError("a routing fit needs routed runs: these " + std::to_string(subset.size()) +
                         " runs are all Dense (the E = 1 anchor that fit --law routing adds to every router's runs)",
                     InputLocation{table.source});
  };
  routing.fit = [grid = routing.default_grid](const LawRuns& runs, const std::vector<size_t>& subset,
                                              const TableLawOptions& options) {
    const RoutingRunsTable& table = TableOf<RoutingRunsTable>(runs);
    const InitGrid fit_grid = FitGrid(options, grid);
    const std::vector<RoutingFit> fits =
        FitRoutingLaws(SubsetOf(table, subset), options.search, fit_grid, BootstrapOf(options));
    TableLawFit out;
    out.usable = !fits.empty();
    out.status = fits.empty() ? "no routed runs (every run is Dense)" : "converged";
    auto router_laws = std::make_shared<std::map<std::string, RoutingLaw>>();
    for (const RoutingFit& fit : fits) {
      const RoutingLaw& law = fit.law;
      const double values[] = {law.a, law.b, law.c, law.d, law.e_start, law.e_max};
      for (size_t k = 0; k < RoutingIntervalNames().size(); ++k) {
        out.parameters.emplace_back(fit.router + "." + RoutingIntervalNames()[k], values[k]);
      }
      out.objective += fit.objective;
      AddIntervals(fit.intervals, fit.bootstrap, fit.router + ".", &out);
      (*router_laws)[fit.router] = law;
      if (out.usable && !fit.search.usable) {
        out.usable = false;
        out.status = "the fit of router " + fit.router + " is not usable: " + fit.search.status;
      }
    }
    if (out.usable) {  // each run as RoutingRunLoss predicts it
      out.predict_loss = [&table, router_laws](size_t i) {
        return RoutingRunLoss(*router_laws, table.runs.at(i), table.source);
      };
    }
    return out;
  };
  entries.push_back(routing);

  TableLaw hyperparams;
  hyperparams.name = "hyperparams";
  hyperparams.description = "the batch-size and learning-rate laws (DeepSeek LLM's method, Bi et al. 2024)";
  hyperparams.has_grid = false;
  hyperparams.fit = [](const LawRuns& runs, const std::vector<size_t>& subset, const TableLawOptions& options) {
    const HyperparamsRuns table = SubsetOf(TableOf<HyperparamsRuns>(runs), subset);
    const auto budgets = HyperparamsBudgets(table, options.hyperparams);
    CheckHyperparamsSweep(table, budgets);
    const HyperparamsFit fit = FitHyperparams(table, budgets, options.hyperparams);
    TableLawFit out;
    out.usable = fit.usable;
    out.status = fit.usable ? "converged" : fit.status;
    out.has_objective = false;
    out.parameters = {{"batch_coefficient", fit.batch_coefficient},
                      {"batch_exponent", fit.batch_exponent},
                      {"lr_coefficient", fit.lr_coefficient},
                      {"lr_exponent", fit.lr_exponent}};
    if (fit.usable && options.bootstrap) {
      const HyperparamsBootstrap boot = BootstrapHyperparams(table, budgets, options.hyperparams, *options.bootstrap);
      for (const auto& [name, interval] : {std::pair{"batch_coefficient", boot.batch_coefficient},
                                           std::pair{"batch_exponent", boot.batch_exponent},
                                           std::pair{"lr_coefficient", boot.lr_coefficient},
                                           std::pair{"lr_exponent", boot.lr_exponent}}) {
        out.intervals.emplace_back(name, std::pair{interval.lower, interval.upper});
      }
      out.bootstrap_resamples = boot.options.num_resamples;
      out.bootstrap_failed = boot.num_failed;
    }
    return out;
  };
  entries.push_back(hyperparams);
  return entries;
}

const std::vector<TableLaw>& Table() {
  static const std::vector<TableLaw> laws = MakeTable();
  return laws;
}

}  // namespace

TableLawFit ToTableLawFit(const KaplanFit& fit) {
  TableLawFit out;
  SetSearch(fit.search, &out);
  const KaplanLaw& law = fit.law;
  const double values[] = {law.n_c, law.d_c, law.alpha_n, law.alpha_d, law.ExponentParams(), law.ExponentTokens()};
  const char* names[] = {"N_c", "D_c", "alpha_N", "alpha_D", "exponent_params", "exponent_tokens"};
  for (size_t k = 0; k < 6; ++k) out.parameters.emplace_back(names[k], values[k]);
  if (out.usable) out.allocate = [law](double compute_flops) { return law.ComputeOptimal(compute_flops); };
  return out;
}

TableLawFit ToTableLawFit(const IsoFlopFit& fit) {
  TableLawFit out;
  out.usable = fit.usable && fit.has_frontier;
  out.status = !fit.usable ? fit.status : fit.has_frontier ? "converged" : fit.frontier_status;
  out.has_objective = false;  // exact least squares
  out.parameters = {{"coeff_params", fit.coeff_params},    {"exponent_params", fit.exponent_params},
                    {"coeff_tokens", fit.coeff_tokens},    {"exponent_tokens", fit.exponent_tokens},
                    {"frontier_E", fit.frontier.E},        {"frontier_K", fit.frontier.K},
                    {"frontier_gamma", fit.frontier.gamma}};
  if (out.usable) out.allocate = [fit](double compute_flops) { return fit.ComputeOptimal(compute_flops); };
  return out;
}

LawRuns LawRunsOfTable(const std::string& law_name, const RunsTable& table) {
  const TableLaw* law = FindTableLaw(law_name);
  SCALEPLAN_CHECK(law != nullptr && !law->own_reader, "LawRunsOfTable holds the runs of kaplan or isoflop");
  LawRuns runs;
  runs.law_name = law_name;
  runs.source = table.source;
  runs.view.source = table.source;
  runs.table = table;
  runs.view = table;  // notes and all; a run's line becomes its index
  for (size_t i = 0; i < runs.view.runs.size(); ++i) runs.view.runs[i].line = static_cast<int>(i);
  runs.hash = FormatRunsHash(table);
  return runs;
}

const TableLaw* FindTableLaw(const std::string& law_name) {
  for (const TableLaw& law : Table()) {
    if (law.name == law_name) return &law;
  }
  return nullptr;
}

const std::vector<std::string>& TableLawNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TableLaw& law : Table()) out.push_back(law.name);
    return out;
  }();
  return names;
}

LawRuns LoadLawRuns(const std::string& law_name, const std::string& path, const LawRunsOptions& options) {
  const TableLaw* law = FindTableLaw(law_name);
  SCALEPLAN_CHECK(law != nullptr && law->own_reader, "LoadLawRuns reads the runs of a law with a reader of its own");
  LawRuns runs;
  runs.law_name = law_name;
  const bool bundled = path.empty();
  if (bundled && !law->bundled_runs) {
    throw InputError("the " + law_name + " law needs a runs file: no " + law_name + " runs are bundled",
                     InputLocation{"<runs>"});
  }
  // Every reader applies the one run selection (core/runs_table.h SelectCsvRows), bundled runs too.
  const RunSelection& selection = options.columns.selection;
  try {
    if (law_name == "data-constrained") {
      runs.table = bundled ? BundledMuennighoffRuns(selection)
                           : LoadDataConstrainedRunsCsv(path, options.columns, options.unique_tokens_column);
    } else if (law_name == "dictionary") {
      DictionaryColumns columns = options.dictionary;
      columns.selection = selection;
      runs.table = LoadDictionaryRunsCsv(path, columns);
    } else if (law_name == "sparse") {
      SparseRunsOptions sparse = options.sparse;
      sparse.params_column = options.columns.params;
      sparse.tokens_column = options.columns.tokens;
      sparse.loss_column = options.columns.loss;
      sparse.selection = selection;
      runs.table = bundled ? BundledFrantarT5Runs(
                                 sparse.tokens_per_step > 0 ? sparse.tokens_per_step : kT5TokensPerStep, selection)
                           : LoadSparseRunsCsv(path, sparse);
    } else if (law_name == "moe") {
      runs.table = LoadMoeRunsCsv(path, options.columns);
    } else if (law_name == "routing") {
      runs.table = bundled ? BundledClarkRuns(selection) : LoadRoutingRunsCsv(path, selection);
    } else {
      HyperparamsColumns columns = options.hyperparams;
      columns.runs = options.columns;
      runs.table = LoadHyperparamsRunsCsv(path, columns);
    }
  } catch (const InputError& error) {
    throw InputError("not " + law_name + " runs: " + error.message(), error.where());
  }
  ValuesHash hash;
  std::visit(
      [&](const auto& table) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(table)>, RunsTable>) {
          runs.source = table.source;
          runs.view.source = table.source;
          Describe(table, &runs, &hash);
          // What the reader noted and selected, and --group-by's groups: the view's runs are grouped as the table's.
          if constexpr (requires { table.notes; }) runs.view.notes = table.notes;
          if constexpr (requires { table.group_values; }) {
            runs.view.group_columns = table.group_columns;
            runs.view.group_values = table.group_values;
            for (size_t i = 0; i < table.runs.size(); ++i) runs.view.runs[i].group = table.runs[i].group;
          }
        }
      },
      runs.table);
  runs.hash = HashToHex(hash.value());
  if (!law->compute_name.empty()) {  // what its C is, wherever the runs' compute is shown or compared
    runs.view.notes.push_back("C is " + law->compute_name + ", not the MoE's training compute, which follows the "
                              "active parameters");
  }
  if (law_name == "routing") {
    for (const std::string& column : runs.view.group_columns) {
      std::string lower = column;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      if (lower != "router_type" && lower != "router") continue;
      runs.view.notes.push_back("grouped by router, each router is fitted without the Dense runs that fit --law "
                                "routing gives every router as its E = 1 anchor, so its coefficients differ from the "
                                "law's own per-router fit; a group of Dense runs alone cannot be fitted");
    }
  }
  return runs;
}

LawRuns LoadLawRunsOfGroup(const std::string& law_name, const std::string& path, const LawRunsOptions& options,
                           const RunsTable& group) {
  SCALEPLAN_CHECK(group.group_values.size() == 1 && group.group_columns.size() == group.group_values.front().size(),
                  "one group of a grouped view");
  LawRunsOptions group_options = options;
  RunSelection& selection = group_options.columns.selection;
  selection.group_by.clear();
  std::string filters;
  for (size_t k = 0; k < group.group_columns.size(); ++k) {
    RunFilter filter;
    filter.column = group.group_columns[k];
    filter.op = FilterOp::EQUAL;
    filter.value = group.group_values.front()[k];
    filter.text = filter.column + "=" + filter.value;
    filters += (k ? " --filter " : "--filter ") + filter.text;
    selection.filters.push_back(std::move(filter));
  }
  LawRuns runs = LoadLawRuns(law_name, path, group_options);
  if (runs.size() != group.runs.size()) {
    throw InputError("group " + GroupLabel(group, 0) + " holds " + std::to_string(group.runs.size()) + " runs but " +
                         filters + " keeps " + std::to_string(runs.size()) +
                         ": its values equal another group's as numbers",
                     InputLocation{runs.source});
  }
  return runs;
}

TableLawFit FitTableLaw(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options) {
  std::vector<size_t> all(runs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return law.fit(runs, all, options);
}

LawFitter TableLawFitter(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options) {
  LawFitter fitter;
  fitter.name = law.name;
  fitter.min_runs = law.min_runs;
  // A fold's runs are the view's, whose line is the run's index in the law's table.
  if (law.require_fittable) {
    fitter.require_fittable = [&law, &runs](const RunsTable& view) {
      std::vector<size_t> subset;
      for (const TrainingRun& run : view.runs) subset.push_back(static_cast<size_t>(run.line));
      law.require_fittable(runs, subset);
    };
  }
  fitter.fit = [&law, &runs, options](const RunsTable& train) {
    std::vector<size_t> subset;
    subset.reserve(train.runs.size());
    for (const TrainingRun& run : train.runs) subset.push_back(static_cast<size_t>(run.line));
    const TableLawFit fit = law.fit(runs, subset, options);
    FittedLaw fitted;
    fitted.usable = fit.usable && static_cast<bool>(fit.predict_loss);
    fitted.status = fit.usable && !fit.predict_loss ? "the " + law.name + " law predicts no run's loss" : fit.status;
    if (fitted.usable) {
      fitted.predict_loss = [predict = fit.predict_loss](const TrainingRun& run) {
        return predict(static_cast<size_t>(run.line));
      };
    }
    return fitted;
  };
  return fitter;
}

}  // namespace scaleplan
