#include "cli/sparse_plan.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "cli/plan_support.h"
#include "cli/shared_options.h"
#include "core/error.h"
#include "core/frontier_plan.h"
#include "core/parallel_layout.h"
#include "core/sparse_laws.h"
#include "core/sparse_plans.h"
#include "core/training_plan.h"
#include "core/units.h"
#include "fitting/fit_json.h"
#include "fitting/plan_law.h"
#include "fitting/sparse_fit.h"
#include "fitting/sparse_plan_law.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

// What `parse` returns; a value it refuses (an InputError at the option) is a usage error, exit code 2 like every
// refused option value, in the one form "--option: reason: 'text'".
template <typename Parse>
auto OptionValue(Parse parse) {
  try {
    return parse();
  } catch (const InputError& error) {
    throw UsageError(error.what());
  }
}

// A number option that must lie in a range: a UsageError "--option: must lie in RANGE: 'text'" otherwise.
double RangedOption(const std::string& text, const std::string& option, double lo, bool lo_open, double hi,
                    bool hi_open, const std::string& range_text) {
  InputLocation where{option};
  const double value = OptionValue([&] { return ParseQuantity(text, where); });
  const bool above = lo_open ? value > lo : value >= lo;
  const bool below = hi_open ? value < hi : value <= hi;
  if (!above || !below) {
    where.text = text;
    throw UsageError(FormatInputError("must lie in " + range_text, where));
  }
  return value;
}

// The hardware side of a sparse plan: the accelerator and what the count may be. An MoE plan's layout search
// predicts its MFU; a weight-sparse plan is timed at --mfu.
struct SparseClusterFlags {
  std::string accelerator;  // "" = no hardware
  std::int64_t num_devices = 0;
  double max_days = 0.0;
  double price_usd_per_hour = 0.0;
  double mfu = 0.0;  // weight sparsity only; 0 = TrainingPlanOptions' default
};

// The weight-sparse and the dense plan on the device at the MFU (core PlanTrainingHardware): the memory holds every
// weight, zeros included (an unstructured mask stores the dense matrix), and the time is for the FLOPs the hardware
// runs, dense_equivalent_flops (at --sparse-speedup), not the ideal count.
struct SparseHardware {
  TrainingHardware sparse, dense;
  TrainingPlanOptions options;
};
SparseHardware TimeSparsePlans(const SparsePlan& sparse, const SparsePlan& dense, const SparseClusterFlags& flags) {
  const Accelerator accelerator = ResolveAccelerator(flags.accelerator, "");
  SparseHardware out;
  if (flags.mfu > 0) out.options.mfu = flags.mfu;
  out.options.num_accelerators = flags.num_devices;
  out.options.max_days = flags.max_days;
  out.options.price_usd_per_hour = flags.price_usd_per_hour;
  std::string why;
  if (!out.options.Check(&why)) throw UsageError(why);
  out.sparse = PlanTrainingHardware(sparse.num_params, sparse.dense_equivalent_flops, accelerator, out.options,
                                    RecomputeChoice::AUTO);
  out.dense = PlanTrainingHardware(dense.num_params, dense.dense_equivalent_flops, accelerator, out.options,
                                   RecomputeChoice::AUTO);
  return out;
}

// The architecture of a fine-grained MoE plan as the layout planner sees it (core MoeTransformerShape).
nlohmann::ordered_json MoeArchitectureJson(const TransformerShape& shape, const ParameterCounts& counts) {
  return {{"num_params", counts.non_embedding},
          {"num_active_params", counts.active_non_embedding},
          {"num_params_with_embeddings", counts.total},
          {"num_experts", shape.num_experts},
          {"top_k", shape.active_experts},
          {"expert_d_ff", shape.ExpertFfn()},
          {"d_model", shape.d_model},
          {"num_layers", shape.num_layers},
          {"num_heads", shape.num_heads},
          {"vocab_size", shape.vocab_size},
          {"context_length", shape.context_length}};
}

void PrintMoeLayout(const FrontierPlan& plan) {
  const TransformerShape& shape = plan.shape;
  char line[512];
  std::snprintf(line, sizeof line,
                "\n  laid out as %lld layers x d_model %lld, %lld heads, %lld experts of width %lld with top-%lld "
                "(%s parameters without embeddings, %s active; 32k vocabulary, 4,096 context)\n",
                static_cast<long long>(shape.num_layers), static_cast<long long>(shape.d_model),
                static_cast<long long>(shape.num_heads), static_cast<long long>(shape.num_experts),
                static_cast<long long>(shape.ExpertFfn()), static_cast<long long>(shape.active_experts),
                FormatQuantity(static_cast<double>(plan.counts.non_embedding)).c_str(),
                FormatQuantity(static_cast<double>(plan.counts.active_non_embedding)).c_str());
  std::cout << line;
  const LayoutEstimate* best = plan.Best();
  if (best == nullptr) {
    std::cout << "  cluster: " << plan.num_devices << " x " << plan.accelerator << ": INFEASIBLE\n";
    for (const std::string& reason : plan.reasons) std::cout << "      - " << reason << '\n';
    return;
  }
  std::snprintf(line, sizeof line, "  cluster: %lld x %s: %s days, %s GPU-hours, $%s at $%.2f/h\n",
                static_cast<long long>(plan.num_devices), plan.accelerator.c_str(),
                FormatSignificant(plan.days, 3).c_str(), FormatQuantity(plan.gpu_hours).c_str(),
                FormatQuantity(plan.cost_usd).c_str(), plan.price_usd_per_hour);
  std::cout << line;
  std::snprintf(line, sizeof line, "  layout: %s; predicted MFU %.1f%%; %s FLOPs per token in the layout's count\n",
                DescribeLayout(best->layout).c_str(), 100.0 * best->mfu,
                FormatScientific(plan.flops_per_token).c_str());
  std::cout << line;
  std::cout << "  memory per device " << FormatBytes(best->memory.Total()) << " of "
            << FormatBytes(best->usable_memory_bytes) << "; step " << FormatSignificant(best->step_seconds, 3)
            << " s (expert-parallel all-to-all " << FormatSignificant(best->step.ep_comm_seconds, 3) << " s)\n";
  if (plan.meets_max_days) std::cout << "  meets --max-days: " << (*plan.meets_max_days ? "yes" : "NO") << '\n';
  for (const std::string& reason : plan.reasons) std::cout << "      - " << reason << '\n';
  for (const std::string& note : plan.notes) std::cout << "  note: " << note << '\n';
}

// The fine-grained MoE plan at each budget: one table block, or one JSON object per line (as the dense plan's rows),
// each with its extrapolation warnings. A budget whose optimum is no plan (D below one token) is refused, exit 3.
int PlanMoe(const MoePlanLaw& law, const std::vector<double>& budgets, const std::string& granularity_text,
            const MoePlanOptions& options, const SparseClusterFlags& cluster, OutputFormat output) {
  const std::optional<double> granularity =
      granularity_text.empty()
          ? std::nullopt
          : std::optional<double>(RangedOption(granularity_text, "--granularity", 1.0, false, options.max_granularity,
                                               false, "[1, " + FormatSignificant(options.max_granularity, 6) + "]"));
  const std::optional<Accelerator> accelerator =
      cluster.accelerator.empty() ? std::nullopt
                                  : std::optional<Accelerator>(ResolveAccelerator(cluster.accelerator, ""));
  std::vector<MoePlan> plans;
  for (const double compute_flops : budgets) {
    plans.push_back(granularity ? PlanFineGrainedMoeAtGranularity(law.law, compute_flops, *granularity, options)
                                : PlanFineGrainedMoe(law.law, compute_flops, options));
    RequireUsableMoePlan(plans.back(), law.label, compute_flops);
  }
  bool failed = false;
  if (output == OutputFormat::TABLE) {
    std::cout << "Compute-optimal fine-grained MoE ("
              << (law.label == "krajewski2024" ? std::string("Krajewski et al. 2024, eq. 9")
                                               : "the law fitted in " + law.label + ", Krajewski et al.'s eq. 9 form")
              << ", and their cost model)\n";
  }
  for (size_t k = 0; k < budgets.size(); ++k) {
    const double compute_flops = budgets[k];
    const MoePlan& plan = plans[k];
    // With an accelerator, the architecture goes to the layout planner for memory, time and cost; D is the plan's.
    std::optional<FrontierPlan> layout;
    if (accelerator) {
      FrontierRequest request;
      request.shape = MoeTransformerShape(plan.shape);
      request.num_tokens = plan.num_tokens;
      // The batch law at the FLOPs the MoE executes (its active parameters'), not at 6 N_total D.
      request.global_batch_tokens = DefaultGlobalBatchTokens(plan.training_flops, plan.num_tokens);
      request.num_devices = cluster.num_devices;
      request.max_days = cluster.max_days;
      request.price_usd_per_hour = cluster.price_usd_per_hour;
      std::string why;
      if (!request.Check(&why)) throw UsageError(why);
      layout = PlanFrontier(request, *accelerator);
    }
    failed = failed || (layout && (!layout->feasible || (layout->meets_max_days && !*layout->meets_max_days)));
    if (output == OutputFormat::JSON) {
      // The same JSON as the Python module's plan_moe (core/sparse_plans.h), with the layout when laid out.
      nlohmann::ordered_json json = MoePlanToJson(plan, law.label, compute_flops, options, law.ranges);
      if (layout) {
        json["architecture"] = MoeArchitectureJson(layout->shape, layout->counts);
        nlohmann::ordered_json cluster_json;
        AddFrontierPlanJson(*layout, &cluster_json);
        json["layout_plan"] = cluster_json;
      }
      std::cout << json.dump() << '\n';
      continue;
    }
    // G, the experts and the blocks are the continuous optimum of eq. 9: three significant figures, never a
    // count to build (--accelerator rounds the shape to a whole model).
    char line[768];
    std::snprintf(line, sizeof line,
                  "\n  at %s FLOPs\n  N (total, non-embedding)  %s\n  N active                  %s\n"
                  "  D (tokens)                %s\n"
                  "  granularity G             %s (%s experts at expansion rate E %s)\n"
                  "  shape                     d_model %s, %s blocks (d_model = %s x blocks, as Krajewski et al.)\n"
                  "  loss                      %.4f\n",
                  FormatScientific(compute_flops).c_str(), FormatQuantity(plan.num_params).c_str(),
                  FormatQuantity(plan.num_active_params).c_str(), FormatQuantity(plan.num_tokens).c_str(),
                  FormatSignificant(plan.granularity, 3).c_str(), FormatNumber(plan.shape.NumExperts(), 3).c_str(),
                  FormatSignificant(options.expansion_rate, 3).c_str(), FormatNumber(plan.shape.d_model, 3).c_str(),
                  FormatSignificant(plan.shape.num_blocks, 3).c_str(),
                  FormatSignificant(options.width_per_block, 3).c_str(), plan.loss_nats);
    std::cout << line;
    if (layout) PrintMoeLayout(*layout);
    for (const std::string& warning : MoePlanWarnings(plan, law.ranges)) {
      std::cout << "  warning: " << FormatScientific(compute_flops) << " FLOPs " << warning << '\n';
    }
  }
  if (output == OutputFormat::TABLE) {
    std::cout << "\n  N, G, the experts and the blocks are the continuous optimum of eq. 9 (--granularity fixes G);\n"
                 "  --accelerator rounds the shape to whole layers and experts.\n";
  }
  return failed ? kExitCheckFailed : kExitOk;
}

}  // namespace

namespace {

// Every option of `plan` in any of its modes (the dense plan, the weight-sparse and MoE planners, the routing planner):
// one a planner does not take is refused as not applying to it, not as unknown.
// clang-format off
constexpr const char* kPlanOptionNames[] = {
    "compute", "params", "target-loss", "fit", "law", "unique-tokens", "inference-tokens", "accelerator", "count",
    "mfu", "price-per-hour", "max-days", "inference-mfu", "inference-price-per-hour", "profile", "recompute", "shape",
    "bootstrap", "seed", "ci", "arch", "tokens", "precision", "global-batch-tokens", "layout", "hardware",
    "peak-flops", "memory-bytes", "intra-node-bandwidth", "inter-node-bandwidth", "devices-per-node", "ffn-kind",
    "layers", "d-model", "heads", "kv-heads", "head-dim", "ffn", "vocab", "seq-len", "experts", "active-experts",
    "shared-experts", "expert-ffn", "dense-layers", "q-lora-rank", "kv-lora-rank", "qk-nope-head-dim",
    "qk-rope-head-dim", "v-head-dim", "format", "hyperparams", "sparsity", "optimal-sparsity", "max-sparsity",
    "sparse-method", "update-interval", "update-end", "prune-begin", "prune-end", "sparse-speedup", "granularity",
    "expansion-rate", "router"};
// clang-format on

// UsageError "--params does not apply to the fine-grained MoE planner (it plans at a budget: --compute)" for the
// first option in `args` that another mode of `plan` takes and `options` does not; `planner` and `takes` word it.
void RefuseOptionsOfOtherPlanners(const std::vector<std::string>& args, const po::options_description& options,
                                  const std::string& planner, const std::string& takes) {
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) continue;
    const std::string name = arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
    if (options.find_nothrow(name, false) != nullptr) continue;
    for (const char* known : kPlanOptionNames) {
      if (name == known) throw UsageError("--" + name + " does not apply to the " + planner + " (" + takes + ")");
    }
  }
}

// The value of `option` in `args` ("--option V" or "--option=V"; the last one given), "" when absent.
std::string OptionText(const std::vector<std::string>& args, const std::string& option) {
  std::string value;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == option && i + 1 < args.size()) value = args[i + 1];
    if (args[i].rfind(option + "=", 0) == 0) value = args[i].substr(option.size() + 1);
  }
  return value;
}

// The law of the saved fit that --fit names ("" without --fit, or for a file its reader will report on).
std::string FitLawOf(const std::vector<std::string>& args) {
  const std::string path = OptionText(args, "--fit");
  return path.empty() ? "" : SavedFitLawName(path);
}

bool IsRoutingPlanRequest(const std::vector<std::string>& args) {
  return OptionText(args, "--law") == "clark2022" || FitLawOf(args) == "routing";
}

// `plan --fit ROUTING.json | --law clark2022 --params N[,N] [--experts E[,E]] [--router R[,R]]`: what a routing law
// (Clark et al. 2022, core/sparse_laws.h) says of routed models of those dense sizes and expert counts: the loss, the
// dense model's, the effective parameter count and each router's cutoff size.
int PlanRoutedModels(const std::vector<std::string>& args) {
  std::string fit_path, law_name, params_text, experts_text = "1,8,64,512", routers_text, format;
  po::options_description options("Routing plan options");
  options.add_options()("help,h", "show this help")
      ("fit", po::value(&fit_path), "a routing fit saved by 'fit --law routing --out' (one law per router)")
      ("law", po::value(&law_name), "clark2022: Clark et al. 2022's Table 3 (S-Base, RL-R, Hash)")
      ("params", po::value(&params_text), "dense (per-token) parameters N, comma-separated: 1.3B,13B")
      ("experts", po::value(&experts_text)->default_value(experts_text), "expert counts E >= 1, comma-separated")
      ("router", po::value(&routers_text), "the routers to plan, comma-separated (default: every router of the law)");
  AddFormatOption(&options, &format);
  po::positional_options_description positional;
  po::variables_map vm;
  RefuseOptionsOfOtherPlanners(args, options, "routing planner",
                               "it plans given dense sizes and expert counts: --params, --experts");
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan plan (--fit ROUTING.json | --law clark2022) --params N[,N] [--experts E[,E]]", options,
              {"scaleplan plan --law clark2022 --params 1.3B --experts 1,64,512",
               "scaleplan fit --law routing --out routing.json && scaleplan plan --fit routing.json --params 1.3B,13B",
               "scaleplan plan --fit routing.json --params 1.3B --router S-Base --format json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  RequireEitherFitOrLaw(fit_path, law_name);
  if (fit_path.empty() && law_name.empty()) throw UsageError("give one of --fit ROUTING.json and --law clark2022");
  if (!law_name.empty() && law_name != "clark2022") {
    throw UsageError("a routing plan's --law is clark2022, not '" + law_name + "'");
  }
  if (params_text.empty()) throw UsageError("--params is required: the dense (per-token) parameters N");
  std::vector<double> params, experts;
  for (const std::string& text : SplitListOption(params_text, "--params")) {
    params.push_back(OptionValue([&] { return ParsePositiveQuantity(text, InputLocation{"--params"}); }));
  }
  for (const std::string& text : SplitListOption(experts_text, "--experts")) {
    InputLocation where{"--experts"};
    experts.push_back(OptionValue([&] { return ParseQuantity(text, where); }));
  }
  RequireExpertCounts(experts);
  // The same laws, router selection, ranges and JSON as the Python module's plan_routed (core/sparse_plans.h).
  const RoutingPlanLaws resolved = ResolveRoutingPlanLaws(
      InputPath(fit_path), law_name,
      routers_text.empty() ? std::vector<std::string>() : SplitListOption(routers_text, "--router"));
  const RouterLaws& laws = resolved.laws;
  const std::string& label = resolved.label;
  if (output == OutputFormat::JSON) {
    std::cout << RoutingPlansToJson(laws, label, params, experts, resolved.ranges).dump(2) << '\n';
    return kExitOk;
  }
  std::cout << "Routed models (Clark et al. 2022, eq. 1; " << (law_name.empty() ? "fitted in " + label
                                                                               : std::string("their Table 3"))
            << "): N dense (per-token) parameters, E experts\n";
  char line[256];
  for (const auto& [router, law] : laws) {
    const double cutoff = RoutingCutoffParams(law);
    std::cout << "\n  " << router << ": "
              << (std::isfinite(cutoff) ? "more experts lower the loss below N_cutoff = " + FormatQuantity(cutoff)
                                        : std::string("more experts lower the loss at every N"))
              << '\n';
    std::snprintf(line, sizeof line, "  %10s %8s %8s %9s %9s %12s %8s\n", "N", "E", "E^", "loss", "dense",
                  "N effective", "x N");
    std::cout << line;
    for (const double n : params) {
      for (const double e : experts) {
        const RoutingPlan plan = PlanRoutedModel(law, n, e);
        const bool effective = plan.effective_params > 0;
        std::snprintf(line, sizeof line, "  %10s %8.4g %8.4g %9.4f %9.4f %12s %8s\n", FormatQuantity(n).c_str(), e,
                      plan.saturated_experts, plan.loss_nats, plan.dense_loss_nats,
                      effective ? FormatQuantity(plan.effective_params).c_str() : "-",
                      effective ? FormatSignificant(plan.effective_multiplier, 3).c_str() : "-");
        std::cout << line;
      }
    }
  }
  std::cout << "\n  E^: the saturating expert count; N effective: the dense size with the same loss, L(N_eff, 1) = "
               "L(N, E).\n  A routed model trains and serves at the FLOPs of its dense N; its experts add memory.\n";
  for (const std::string& warning : RoutingPlanWarnings(params, resolved.ranges)) {
    std::cout << "  warning: " << warning << '\n';
  }
  return kExitOk;
}

}  // namespace

bool IsSparsePlanRequest(const std::vector<std::string>& args) {
  for (const char* option : {"--sparsity", "--optimal-sparsity", "--sparse-method"}) {
    for (const std::string& arg : args) {
      if (arg == option || arg.rfind(std::string(option) + "=", 0) == 0) return true;
    }
  }
  const std::string law = OptionText(args, "--law");
  if (law == "krajewski2024" || law == "frantar2023-t5" || law == "clark2022") return true;
  const std::string fit_law = FitLawOf(args);
  return fit_law == "sparse" || fit_law == "moe" || fit_law == "routing";
}

int PlanSparseModels(const std::vector<std::string>& args) {
  if (IsRoutingPlanRequest(args)) return PlanRoutedModels(args);
  std::string compute_text, sparsity_text, method_text = "static", law_name = "frantar2023-t5", format;
  std::string speedup_text, granularity_text, max_sparsity_text = FormatRoundTrip(kDefaultMaxSparsity), fit_path;
  bool optimal = false;
  SparseTrainingOptions training;
  MoePlanOptions moe;
  SparseClusterFlags cluster;
  po::options_description options("Sparse plan options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&compute_text),
       "the training budget in FLOPs the method executes (ideal sparse kernels); krajewski2024 and a moe fit take a "
       "comma-separated list (1e22,1e23), one plan per budget")
      ("law", po::value(&law_name)->default_value(law_name),
       "frantar2023-t5 (weight sparsity; the notebook's T5 law, D = steps x 65,536 tokens) or krajewski2024 "
       "(fine-grained MoE)")
      ("fit", po::value(&fit_path),
       "a sparse fit saved by 'fit --law sparse --out' (default: the T5 law), or a moe fit ('fit --law moe --out'), "
       "planned as krajewski2024 with its own coefficients")
      ("sparsity", po::value(&sparsity_text), "the fraction of zero weights, in [0, 1)")
      ("optimal-sparsity", po::bool_switch(&optimal), "search the sparsity in [0, --max-sparsity] with the lowest loss")
      ("max-sparsity", po::value(&max_sparsity_text)->default_value(max_sparsity_text),
       "the largest sparsity --optimal-sparsity searches")
      ("sparse-method", po::value(&method_text)->default_value(method_text),
       "static, set, rigl, snfs or gmp: how the mask is trained, which sets the FLOPs (Evci et al. 2020)")
      ("update-interval", po::value(&training.update_interval_steps)->default_value(training.update_interval_steps),
       "rigl, set: steps between mask updates")
      ("update-end", po::value(&training.update_end_fraction)->default_value(training.update_end_fraction),
       "rigl: the fraction of training after which the mask stops changing (Evci et al.: 0.8)")
      ("prune-begin", po::value(&training.prune_begin_fraction)->default_value(training.prune_begin_fraction),
       "gmp: the fraction of training at which pruning begins (dense before)")
      ("prune-end", po::value(&training.prune_end_fraction)->default_value(training.prune_end_fraction),
       "gmp: the fraction of training at which the final sparsity is reached")
      ("sparse-speedup", po::value(&speedup_text),
       "the speed-up sparse steps achieve on the hardware: 1 (default) for unstructured sparsity on tensor cores, up "
       "to about 2 for 2:4 at sparsity 0.5; scales time (dense_equivalent_flops), not the FLOPs counted")
      ("granularity", po::value(&granularity_text), "krajewski2024: a fixed granularity G >= 1 (default: optimal)")
      ("expansion-rate", po::value(&moe.expansion_rate)->default_value(moe.expansion_rate),
       "krajewski2024: E, the experts' total size over a dense FFN's")
      ("accelerator", po::value(&cluster.accelerator),
       "a catalogue device: krajewski2024 lays the MoE out on it (core/frontier_plan.h: layout, memory, days, "
       "cost); a weight-sparse plan is timed at --mfu (its time as dense FLOPs) with its memory")
      ("count", CountValue(&cluster.num_devices),
       "with --accelerator: number of devices; 0 = the fewest that hold the model (and meet --max-days)")
      ("max-days", NumberValue<Range::NON_NEGATIVE>(&cluster.max_days),
       "with --accelerator: wall-clock limit in days, 0 = no limit (exit 1 when the plan does not meet it)")
      ("price-per-hour", NumberValue<Range::NON_NEGATIVE>(&cluster.price_usd_per_hour),
       "with --accelerator: USD per device-hour; 0 = the catalogue's")
      ("mfu", NumberValue<Range::NON_NEGATIVE>(&cluster.mfu),
       "weight sparsity with --accelerator: model FLOPs utilisation of the dense bf16 peak (default 0.40)");
  AddFormatOption(&options, &format);
  po::positional_options_description positional;
  po::variables_map vm;
  const bool moe_request = OptionText(args, "--law") == "krajewski2024" || FitLawOf(args) == "moe";
  RefuseOptionsOfOtherPlanners(args, options, moe_request ? "fine-grained MoE planner" : "weight-sparse planner",
                               moe_request ? "it plans at a budget: --compute"
                                           : "it plans at a budget and a sparsity: --compute with --sparsity or "
                                             "--optimal-sparsity");
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan plan --compute C (--sparsity S | --optimal-sparsity) [--sparse-method M] | "
              "scaleplan plan --law krajewski2024 --compute C",
              options,
              {"scaleplan plan --compute 1e21 --sparsity 0.75 --sparse-method rigl",
               "scaleplan plan --compute 1e21 --optimal-sparsity --sparse-method gmp --format json",
               "scaleplan plan --compute 1e21 --sparsity 0.75 --sparse-method rigl --accelerator H100-SXM --count 64",
               "scaleplan plan --law krajewski2024 --compute 1e22",
               "scaleplan plan --law krajewski2024 --compute 1e23 --accelerator H100-SXM --max-days 60",
               "scaleplan plan --fit moe.json --compute 1e22          # a moe fit ('fit --law moe --out moe.json')",
               "scaleplan plan --law clark2022 --params 1.3B --experts 1,64,512   # routed models ('--law clark2022 "
               "--help')"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (compute_text.empty()) throw UsageError("--compute is required");
  const std::vector<double> budgets = ParseNumberList(compute_text, "--compute", Range::POSITIVE);
  std::string why;
  if (cluster.accelerator.empty() &&
      (cluster.num_devices != 0 || cluster.max_days != 0 || cluster.price_usd_per_hour != 0 || cluster.mfu != 0)) {
    throw UsageError("--count, --max-days, --price-per-hour and --mfu need --accelerator");
  }
  // --fit and --law together: refused, as by every planner (--law's default is not given).
  RequireEitherFitOrLaw(fit_path, vm["law"].defaulted() ? "" : law_name);
  // A saved moe fit plans as krajewski2024 does, with its own coefficients.
  const bool moe_fit = !fit_path.empty() && SavedFitLawName(InputPath(fit_path)) == "moe";
  if (moe_fit || law_name == "krajewski2024") {
    if (!sparsity_text.empty() || optimal) {
      throw UsageError("--sparsity goes with --law frantar2023-t5 (weight sparsity)");
    }
    RequireMoePlanOptions(moe);
    if (cluster.mfu != 0) throw UsageError("--mfu: the MoE plan's layout search predicts the MFU");
    return PlanMoe(ResolveMoePlanLaw(InputPath(fit_path), !vm["law"].defaulted()), budgets, granularity_text, moe,
                   cluster, output);
  }
  if (law_name != "frantar2023-t5") {
    throw UsageError("a sparse plan's --law is frantar2023-t5 or krajewski2024, not '" + law_name + "'");
  }
  if (!granularity_text.empty()) throw UsageError("--granularity goes with --law krajewski2024");
  if (budgets.size() != 1) {
    throw UsageError(
        "--compute: the weight-sparse planner takes one budget ('scaleplan sweep --sparsity S --compute "
        "C1,C2' plans several)");
  }
  const double compute_flops = budgets.front();
  if (sparsity_text.empty() == !optimal) {
    throw UsageError((fit_path.empty() ? std::string() : fit_path + ": a sparse fit plans at a sparsity: ") +
                     "give one of --sparsity S and --optimal-sparsity");
  }
  const SparseMethod method = OptionValue([&] { return ParseSparseMethod(method_text, "--sparse-method"); });
  if (method == SparseMethod::DENSE) throw UsageError("--sparse-method dense: plan a dense model with plain 'plan'");
  if (!speedup_text.empty()) {
    training.speedup =
        OptionValue([&] { return ParsePositiveQuantity(speedup_text, InputLocation{"--sparse-speedup"}); });
  }
  if (!training.Check(&why)) throw UsageError(why);
  const double max_sparsity = RangedOption(max_sparsity_text, "--max-sparsity", 0.0, false, 1.0, true, "[0, 1)");
  const SparsePlanLaw resolved = ResolveSparsePlanLaw(InputPath(fit_path));
  const SparseLaw& law = resolved.law;
  const std::string& law_label = resolved.label;
  const SparsePlan plan =
      optimal ? PlanOptimalSparsity(law, compute_flops, method, training, max_sparsity)
              : PlanSparseAtSparsity(law, compute_flops,
                                     RangedOption(sparsity_text, "--sparsity", 0.0, false, 1.0, true, "[0, 1)"),
                                     method, training);
  const SparsePlan dense = PlanSparseAtSparsity(law, compute_flops, 0.0, SparseMethod::DENSE, training);
  std::optional<SparseHardware> hardware;
  if (!cluster.accelerator.empty()) hardware = TimeSparsePlans(plan, dense, cluster);
  const bool failed = hardware && !hardware->sparse.verdict.feasible;
  if (output == OutputFormat::JSON) {
    // The plan's JSON (core/sparse_plans.h SparsePlanToJson), with the hardware of both plans when timed.
    nlohmann::ordered_json json =
        SparsePlanToJson(plan, dense, law_label, compute_flops, optimal, training.speedup, resolved.ranges);
    if (hardware) {
      nlohmann::ordered_json sparse_hardware, dense_hardware;
      AddTrainingHardwareJson(hardware->sparse, hardware->options.mfu, &sparse_hardware);
      AddTrainingHardwareJson(hardware->dense, hardware->options.mfu, &dense_hardware);
      json["hardware"] = sparse_hardware;
      json["dense"]["hardware"] = dense_hardware;
    }
    std::cout << json.dump(2) << '\n';
    return failed ? kExitCheckFailed : kExitOk;
  }
  char line[320];
  std::cout << (optimal ? "Compute-optimal sparsity" : "Sparse plan") << " (Frantar et al. 2023's law: "
            << (fit_path.empty() ? std::string("the T5 notebook's") : fit_path) << ", "
            << SparseMethodName(method) << " training's FLOPs after Evci et al. 2020) at "
            << FormatScientific(compute_flops) << " FLOPs\n\n";
  std::snprintf(line, sizeof line, "  %-22s %12s %12s\n", "", "sparse", "dense");
  std::cout << line;
  auto row = [&](const char* label, const std::string& sparse_value, const std::string& dense_value) {
    std::snprintf(line, sizeof line, "  %-22s %12s %12s\n", label, sparse_value.c_str(), dense_value.c_str());
    std::cout << line;
  };
  row("sparsity", FormatSignificant(plan.sparsity, 4), "0");
  row("N non-zero", FormatQuantity(plan.num_nonzero_params), FormatQuantity(dense.num_nonzero_params));
  row("N (zeros included)", FormatQuantity(plan.num_params), FormatQuantity(dense.num_params));
  row("D (tokens)", FormatQuantity(plan.num_tokens), FormatQuantity(dense.num_tokens));
  row("loss", FormatSignificant(plan.loss_nats, 5), FormatSignificant(dense.loss_nats, 5));
  row("training FLOPs", FormatScientific(plan.training_flops), FormatScientific(dense.training_flops));
  row("time as dense FLOPs", FormatScientific(plan.dense_equivalent_flops),
      FormatScientific(dense.dense_equivalent_flops));
  if (hardware) {
    const DeviceTime& sparse_time = hardware->sparse.time;
    const DeviceTime& dense_time = hardware->dense.time;
    row("devices", std::to_string(sparse_time.num_accelerators), std::to_string(dense_time.num_accelerators));
    row("days", FormatSignificant(sparse_time.days, 3), FormatSignificant(dense_time.days, 3));
    row("device-hours", FormatQuantity(sparse_time.device_hours), FormatQuantity(dense_time.device_hours));
    row("cost (USD)", FormatQuantity(sparse_time.cost_usd), FormatQuantity(dense_time.cost_usd));
    row("feasible", hardware->sparse.verdict.feasible ? "yes" : "NO", hardware->dense.verdict.feasible ? "yes" : "NO");
  }
  std::cout << "\n  FLOPs count ideal sparse kernels; 'time as dense FLOPs' is what the run costs in time at a sparse\n"
               "  speed-up of "
            << FormatSignificant(training.speedup, 4)
            << " (--sparse-speedup): unstructured sparsity runs at dense speed on tensor cores.\n"
               << (fit_path.empty() ? "  D assumes the T5 runs' 65,536 tokens per step.\n" : "");
  if (optimal && plan.sparsity >= max_sparsity - 1e-6) {
    std::cout << "  note: the optimum lies at the search's bound (--max-sparsity): under this method's FLOPs a\n"
                 "        sparser model is always cheaper per non-zero parameter\n";
  }
  if (hardware) {
    std::snprintf(line, sizeof line,
                  "  hardware: %s at MFU %.0f%% of its dense bf16 peak, timed on the FLOPs it runs; its memory holds\n"
                  "  every weight, zeros included\n",
                  cluster.accelerator.c_str(), 100.0 * hardware->options.mfu);
    std::cout << line;
    for (const std::string& reason : hardware->sparse.verdict.reasons) std::cout << "      - " << reason << '\n';
  }
  for (const std::string& warning : SparsePlanWarnings(plan, resolved.ranges)) {
    std::cout << "  warning: " << FormatScientific(compute_flops) << " FLOPs " << warning << '\n';
  }
  return failed ? kExitCheckFailed : kExitOk;
}

bool IsSparseSweepRequest(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--sparsity" || arg.rfind("--sparsity=", 0) == 0) return true;
  }
  return false;
}

int SweepSparseModels(const std::vector<std::string>& args) {
  std::string compute_text = "1e20,1e21,1e22", sparsity_text, method_text = "static", format = "csv", out_path;
  std::string speedup_text;
  SparseTrainingOptions training;
  po::options_description options("Sparse sweep options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&compute_text)->default_value(compute_text), "budgets in FLOPs, comma-separated")
      ("sparsity", po::value(&sparsity_text), "sparsities in [0, 1), comma-separated")
      ("sparse-method", po::value(&method_text)->default_value(method_text), "static, set, rigl, snfs or gmp")
      ("update-interval", po::value(&training.update_interval_steps)->default_value(training.update_interval_steps),
       "rigl, set: steps between mask updates")
      ("update-end", po::value(&training.update_end_fraction)->default_value(training.update_end_fraction),
       "rigl: the fraction of training after which the mask stops changing")
      ("prune-begin", po::value(&training.prune_begin_fraction)->default_value(training.prune_begin_fraction),
       "gmp: the fraction of training at which pruning begins")
      ("prune-end", po::value(&training.prune_end_fraction)->default_value(training.prune_end_fraction),
       "gmp: the fraction of training at which the final sparsity is reached")
      ("sparse-speedup", po::value(&speedup_text), "the speed-up sparse steps achieve (default 1)")
      ("format", po::value(&format)->default_value(format), "csv (with a header) or jsonl")
      ("out,o", po::value(&out_path), "write the rows to this file instead of stdout");
  po::positional_options_description positional;
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan sweep --sparsity S1,S2,... [--compute C1,C2,...] [options]", options,
              {"scaleplan sweep --sparsity 0,0.5,0.75,0.9 --compute 1e20,1e21 --sparse-method rigl"});
    return kExitOk;
  }
  if (format != "csv" && format != "jsonl") throw UsageError("--format must be 'csv' or 'jsonl', not '" + format + "'");
  const std::vector<double> budgets = ParseNumberList(compute_text, "--compute", Range::POSITIVE);
  const std::vector<double> sparsities = ParseNumberList(sparsity_text, "--sparsity", Range::NON_NEGATIVE);
  for (double s : sparsities) {
    if (!(s < 1.0)) {
      InputLocation where{"--sparsity"};
      where.text = FormatSignificant(s, 6);
      throw UsageError(FormatInputError("must lie in [0, 1)", where));
    }
  }
  const SparseMethod method = OptionValue([&] { return ParseSparseMethod(method_text, "--sparse-method"); });
  if (method == SparseMethod::DENSE) throw UsageError("--sparse-method dense: sweep dense plans without --sparsity");
  if (!speedup_text.empty()) {
    training.speedup =
        OptionValue([&] { return ParsePositiveQuantity(speedup_text, InputLocation{"--sparse-speedup"}); });
  }
  std::string why;
  if (!training.Check(&why)) throw UsageError(why);
  RefuseToOverwriteInput(out_path);
  const SparseLaw law = FrantarT5Law();
  std::string text;
  if (format == "csv") {
    text += "compute_flops,sparsity,sparse_method,num_nonzero_params,num_params,num_tokens,loss,training_flops,"
            "dense_equivalent_flops,dense_loss\n";
  }
  for (double compute : budgets) {
    const double dense_loss = PlanSparseAtSparsity(law, compute, 0.0, SparseMethod::DENSE, training).loss_nats;
    for (double s : sparsities) {
      const SparsePlan plan = PlanSparseAtSparsity(law, compute, s, method, training);
      if (format == "csv") {
        // Shortest round-trip numbers, as every sweep writes them (the JSON lines' numbers read back the same).
        text += FormatRoundTrip(compute) + "," + FormatRoundTrip(s) + "," + SparseMethodName(method) + "," +
                FormatRoundTrip(plan.num_nonzero_params) + "," + FormatRoundTrip(plan.num_params) + "," +
                FormatRoundTrip(plan.num_tokens) + "," + FormatRoundTrip(plan.loss_nats) + "," +
                FormatRoundTrip(plan.training_flops) + "," + FormatRoundTrip(plan.dense_equivalent_flops) + "," +
                FormatRoundTrip(dense_loss) + "\n";
      } else {
        nlohmann::ordered_json row = SparsePlanFieldsJson(plan);
        row["compute_flops"] = compute;
        row["dense_loss"] = dense_loss;
        text += row.dump() + "\n";
      }
    }
  }
  if (out_path.empty()) {
    std::cout << text;
  } else {
    WriteFileAtomically(out_path, text);
  }
  return kExitOk;
}

}  // namespace scaleplan::cli
