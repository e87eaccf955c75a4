// scaleplan plan: compute-optimal parameters and tokens for a budget, a model size or a target loss; under a
// unique-token limit or a lifetime inference demand; and the devices, days, cost and memory it takes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/plan_support.h"
#include "cli/hyperparams_command.h"
#include "cli/shared_options.h"
#include "cli/sparse_plan.h"
#include "core/architectures.h"
#include "core/bundled_data.h"
#include "core/frontier_plan.h"
#include "core/data_constrained.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "core/inference_allocation.h"
#include "core/plan.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"
#include "fitting/plan_law.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

struct PlanFlags {
  std::string compute_text, params_text, target_loss_text, fit_path, law_name, format;
  std::string unique_tokens_text, inference_tokens_text, accelerator, profile_path, recompute = "auto";
  PlanOptions plan;  // what every row shares (core/plan.h): the model, cluster and hyper-parameter side
  bool shape = false;
  // The cluster stage's option texts, resolved into `plan` by ResolveClusterOptions.
  std::string arch, layout_text, precision = "bf16", global_batch_text, tokens_text, hardware_path, ffn_kind;
  AcceleratorOverrides accelerator_overrides;
};

// Splits "1e22,1e23" (or a single value) into positive quantities, naming the option on error.
std::vector<double> ParseList(const std::string& text, const std::string& option) {
  return ParseNumberList(text, option, Range::POSITIVE);
}

double ParseOne(const std::string& text, const std::string& option) {
  const std::vector<double> values = ParseList(text, option);
  if (values.size() != 1) throw UsageError(option + " takes one value (use 'scaleplan sweep' for grids)");
  return values.front();
}

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

void PrintFrontier(const FrontierPlan& plan, const PlanFlags& flags, std::ostream& out) {
  const TransformerShape& shape = plan.shape;
  out << "  model: " << (flags.arch.empty() ? std::string("proposed shape") : flags.arch) << ", " << shape.num_layers
      << " layers x " << shape.d_model << ", " << shape.num_heads << " heads ("
      << (shape.IsMla() ? std::string("MLA") : std::to_string(shape.KvHeads()) + " KV") << "), "
      << FormatQuantity(static_cast<double>(plan.counts.total)) << " parameters";
  if (shape.IsMoe()) out << " (" << FormatQuantity(static_cast<double>(plan.counts.active)) << " active)";
  out << ", " << FormatScientific(plan.flops_per_token) << " FLOPs per token (" << flags.precision << ")\n";
  const LayoutEstimate* best = plan.Best();
  if (best == nullptr) {
    out << "  cluster: " << plan.num_devices << " x " << plan.accelerator << ": INFEASIBLE\n";
    for (const std::string& reason : plan.reasons) out << "      - " << reason << '\n';
    return;
  }
  char line[400];
  std::snprintf(line, sizeof line, "  cluster: %lld x %s%s: %s days (goodput %.0f%%), %s GPU-hours, $%s at $%.2f/h\n",
                static_cast<long long>(plan.num_devices), plan.accelerator.c_str(),
                !plan.count_searched ? ""
                : !plan.count_meets_days                     ? " (the fastest count: none meets the days)"
                : plan.fewest_num_devices != plan.num_devices ? " (cheaper than the fewest for the days)"
                                                              : " (fewest for the days)",
                FormatSignificant(plan.days, 3).c_str(), 100.0 * best->goodput.goodput,
                FormatQuantity(plan.gpu_hours).c_str(), FormatQuantity(plan.cost_usd).c_str(), plan.price_usd_per_hour);
  out << line;
  std::snprintf(line, sizeof line,
                "  layout: %s; batch %lld x %lld tokens; predicted MFU %.1f%% (%s TFLOP/s per device)\n",
                DescribeLayout(best->layout).c_str(), static_cast<long long>(best->global_batch_sequences),
                static_cast<long long>(shape.context_length), 100.0 * best->mfu,
                FormatSignificant(best->flops_per_second_per_device / 1e12, 3).c_str());
  out << line;
  if (plan.interconnect_source == "profile") {
    out << "  communication: costed with " << plan.interconnect_detail << " (interconnect_source: profile)\n";
  }
  const StepBreakdown& b = best->step;
  std::snprintf(line, sizeof line,
                "  step %.3g s: compute %.3g, TP %.3g, PP %.3g, DP %.3g, EP %.3g, CP %.3g, bubble %.3g\n",
                best->step_seconds, b.compute_seconds, b.tp_comm_seconds, b.pp_comm_seconds, b.dp_comm_seconds,
                b.ep_comm_seconds, b.cp_comm_seconds, b.bubble_seconds);
  out << line;
  const MemoryBreakdown& m = best->memory;
  out << "  memory per device " << FormatBytes(m.Total()) << " of " << FormatBytes(best->usable_memory_bytes)
      << ": weights " << FormatBytes(m.weight_bytes) << ", gradients " << FormatBytes(m.gradient_bytes)
      << ", optimizer " << FormatBytes(m.optimizer_bytes) << ", activations " << FormatBytes(m.activation_bytes)
      << ", logits " << FormatBytes(m.logit_bytes) << ", buffers "
      << FormatBytes(m.buffer_bytes + m.gathered_weight_bytes) << '\n';
  if (plan.search.best.size() > 1) {
    out << "  next best layouts:\n";
    for (size_t i = 1; i < plan.search.best.size(); ++i) {
      const LayoutEstimate& e = plan.search.best[i];
      std::snprintf(line, sizeof line, "    %-60s MFU %.1f%%, %s days\n", DescribeLayout(e.layout).c_str(),
                    100.0 * e.mfu, FormatSignificant(e.days, 3).c_str());
      out << line;
    }
  }
  if (plan.meets_max_days) out << "  meets --max-days: " << (*plan.meets_max_days ? "yes" : "NO") << '\n';
  for (const std::string& reason : plan.reasons) out << "      - " << reason << '\n';
  for (const std::string& note : plan.notes) out << "  note: " << note << '\n';
}

void PrintTable(const std::vector<Plan>& rows, const PlanLaw& law, const PlanFlags& flags, std::ostream& out) {
  char line[320];
  out << "Law: " << law.saved.description << '\n';
  out << "  " << SavedLawFormula(law.saved) << '\n';
  const bool limited = std::any_of(rows.begin(), rows.end(), [](const Plan& r) { return r.data.has_value(); });
  if (limited) {
    std::snprintf(line, sizeof line,
                  "  with repeated data and excess parameters decaying at R_D* = %.4g, R_N* = %.4g "
                  "(Muennighoff et al. 2023)\n",
                  law.data_constrained.R_D_star, law.data_constrained.R_N_star);
    out << line;
  }
  out << '\n';
  std::snprintf(line, sizeof line, "  %-20s %12s %12s %12s %12s %10s%s\n", "plan", "compute", "parameters", "tokens",
                "tokens/param", "loss", limited ? "     epochs" : "");
  out << line;
  for (const Plan& row : rows) {
    const Allocation& a = row.allocation;
    std::snprintf(line, sizeof line, "  %-20s %12s %12s %12s %12s %10.4f", row.mode.c_str(),
                  FormatScientific(a.compute_flops).c_str(), FormatQuantity(a.num_params).c_str(),
                  FormatQuantity(a.num_tokens).c_str(), FormatNumber(a.tokens_per_param).c_str(), a.loss_nats);
    out << line;
    if (row.data) out << Format(" %10.3g", a.num_tokens / row.data->unique_tokens);
    out << '\n';
  }
  for (const Plan& row : rows) {
    const std::string label = FormatQuantity(row.allocation.num_params) + " on " +
                              FormatQuantity(row.allocation.num_tokens) + " tokens";
    if (row.hyperparams) out << HyperparamsTableText(*row.hyperparams, label);
    if (row.inference) {
      const InferenceAwarePlan& p = *row.inference;
      out << "\n  " << (row.mode == "within-budget" ? "within the budget" : "inference-aware") << " (" << label
          << "): serving " << FormatQuantity(p.inference_tokens)
          << " tokens, the Chinchilla-optimal model of the same loss would be "
          << FormatQuantity(p.chinchilla.num_params)
          << " on " << FormatQuantity(p.chinchilla.num_tokens) << " tokens\n";
      if (row.mode == "inference-aware") {
        out << "    the loss of the compute-optimal plan for " << FormatScientific(row.budget_flops)
            << " FLOPs at the least lifetime cost: training takes " << FormatScientific(p.allocation.compute_flops)
            << " FLOPs, " << FormatNumber(p.allocation.compute_flops / row.budget_flops)
            << "x the budget (the within-budget row trains on the budget)\n";
      } else if (row.mode == "within-budget") {
        out << "    the lowest loss at the least lifetime cost whose training takes the budget, "
            << FormatScientific(row.budget_flops) << " FLOPs\n";
      }
      std::snprintf(line, sizeof line,
                    "    lifetime FLOPs %s (training %s + inference %s) vs %s: %.1f%% fewer\n",
                    FormatScientific(p.cost.total_flops).c_str(), FormatScientific(p.cost.training_flops).c_str(),
                    FormatScientific(p.cost.inference_flops).c_str(),
                    FormatScientific(p.chinchilla_cost.total_flops).c_str(), 100.0 * p.flops_saving_fraction);
      out << line;
      if (p.chinchilla_cost.cost_usd > 0.0) {
        std::snprintf(line, sizeof line, "    lifetime cost $%s vs $%s: %.1f%% less\n",
                      FormatQuantity(p.cost.cost_usd).c_str(), FormatQuantity(p.chinchilla_cost.cost_usd).c_str(),
                      100.0 * p.cost_saving_fraction);
        out << line;
      }
    }
    const ModelMemory& memory = row.hardware ? row.hardware->memory : row.memory;
    out << "\n  memory (" << label << "): model state " << FormatBytes(memory.memory.ModelStateBytes())
        << " (bf16 weights and gradients, fp32 master and Adam moments)";
    if (memory.has_shape) {
      out << ", activations " << FormatBytes(memory.memory.ActivationAndLogitBytes()) << " per "
          << memory.shape.context_length << "-token sequence (" << RecomputationName(memory.recomputation)
          << " recomputation; shape " << memory.shape.num_layers << " x " << memory.shape.d_model << ")";
    }
    out << '\n';
    if (row.hardware) {
      const MfuHardware& h = *row.hardware;
      std::snprintf(line, sizeof line,
                    "  %s x %lld at %.0f%% MFU: %.1f days, %s GPU-hours, $%s at $%.2f/h; memory %s of %s usable "
                    "per device\n",
                    h.verdict.accelerator.c_str(), static_cast<long long>(h.time.num_accelerators),
                    100.0 * flags.plan.training.mfu, h.time.days, FormatQuantity(h.time.device_hours).c_str(),
                    FormatQuantity(h.time.cost_usd).c_str(), h.time.price_usd_per_hour,
                    FormatBytes(h.memory_bytes_per_device).c_str(), FormatBytes(h.usable_memory_bytes).c_str());
      out << line;
      out << "    fewest devices: " << h.memory.min_devices_for_memory << " to hold the training state"
          << (h.memory.min_devices_for_memory == 0 ? " (none can)" : "") << ", " << h.memory.min_devices_for_state
          << " for the model state alone, " << h.devices_for_reference_days << " to finish in 90 days\n";
      out << "    verdict: " << (h.time.feasible ? "feasible" : "INFEASIBLE")
          << (h.time.feasible && !(flags.plan.training.max_days > 0.0) && h.time.days > kLongRunDays
                  ? ", but longer than " + Format("%.0f", kLongRunDays) + " days (no --max-days given)"
                  : std::string())
          << '\n';
      for (const std::string& reason : h.verdict.reasons) out << "      - " << reason << '\n';
    }
    if (row.frontier) PrintFrontier(*row.frontier, flags, out);
    if (flags.shape) {
      out << "  shapes for " << FormatQuantity(row.allocation.num_params)
          << " (SwiGLU, 32k vocabulary, 4,096 context, head_dim 128, 8 KV heads, heads a multiple of 8 for\n"
          << "  8-way tensor parallelism; within 10% of N, ranked by d_model / layers nearest 128):\n";
      if (row.shapes.empty()) out << "    none within 10%\n";
      for (const ShapeProposal& p : row.shapes) {
        std::snprintf(line, sizeof line,
                      "    layers %5lld  d_model %6lld  heads %4lld  d_ff %6lld  vocab %lld  params %lld (%+.2f%%)\n",
                      static_cast<long long>(p.shape.num_layers), static_cast<long long>(p.shape.d_model),
                      static_cast<long long>(p.shape.num_heads), static_cast<long long>(p.shape.d_ff),
                      static_cast<long long>(p.shape.vocab_size), static_cast<long long>(p.num_params),
                      100.0 * p.relative_error);
        out << line;
      }
    }
  }
  bool first_interval = true;
  for (const Plan& row : rows) {
    if (!row.intervals) continue;
    if (first_interval) {
      out << "\n  " << Format("%g", 100 * law.saved.confidence) << "% bootstrap intervals ("
          << row.intervals->num_laws << " resampled laws)\n";
      first_interval = false;
    }
    const AllocationIntervals& in = *row.intervals;
    out << "    " << FormatScientific(row.allocation.compute_flops) << " FLOPs: N [" << FormatQuantity(in.num_params.lower)
        << ", " << FormatQuantity(in.num_params.upper) << "], D [" << FormatQuantity(in.num_tokens.lower) << ", "
        << FormatQuantity(in.num_tokens.upper) << "], tokens/param [" << FormatNumber(in.tokens_per_param.lower)
        << ", " << FormatNumber(in.tokens_per_param.upper) << "], loss [" << Format("%.4f", in.loss.lower) << ", "
        << Format("%.4f", in.loss.upper) << "]";
    if (row.mode == "target-loss") {
      out << ", compute [" << FormatScientific(in.compute_flops.lower) << ", "
          << FormatScientific(in.compute_flops.upper) << "]";
    }
    out << '\n';
  }
  bool first = true;
  for (const Plan& row : rows) {
    for (const std::string& warning : row.warnings) {
      if (first) out << '\n';
      first = false;
      out << "  warning: " << FormatScientific(row.allocation.compute_flops) << " FLOPs " << warning << '\n';
    }
  }
}

// Reads the cluster-stage options into *flags: the architecture (--arch with overrides, or a complete set of shape
// options), the precision, the batch and the fixed layout fields. Bad values are usage errors naming the option.
void ResolveClusterOptions(const std::map<std::string, std::string>& shape_texts, const po::variables_map& vm,
                           PlanFlags* flags) {
  ShapeOverrides& o = flags->plan.shape_overrides;
  for (const ShapeOption& option : ShapeOptions()) {
    if (!vm.count(option.name)) continue;
    o.*option.field = ParseCountOption(shape_texts.at(option.name), std::string("--") + option.name, option.min_value,
                                       kMaxShapeOptionValue);
  }
  if (!flags->ffn_kind.empty()) o.glu = ParseFfnKind(flags->ffn_kind);
  flags->plan.arch_shape = ResolvePlanModel(flags->arch, o);
  flags->plan.training.compute_type = ParsePlanPrecision(flags->precision);
  if (!flags->global_batch_text.empty()) {
    flags->plan.global_batch_tokens = ParseOne(flags->global_batch_text, "--global-batch-tokens");
  }
  if (!flags->layout_text.empty()) {
    try {
      flags->plan.fixed_layout = ParsePartialLayout(flags->layout_text, {"--layout"});
    } catch (const InputError& error) {
      throw UsageError(error.what());
    }
  }
  std::string why;
  if (!flags->accelerator_overrides.Check(&why)) throw UsageError(why);
}

int PlanCommand(const std::vector<std::string>& args) {
  if (IsSparsePlanRequest(args)) return PlanSparseModels(args);  // cli/sparse_plan.h
  PlanFlags flags;
  BootstrapOptions bootstrap;
  int num_resamples = 0;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&flags.compute_text),
       "training budget(s) in FLOPs, comma-separated: 1e24, 5.76e23,1e25 (default 5.76e23)")
      ("params", po::value(&flags.params_text), "model size(s), all parameters: the compute-optimal tokens for 70B; "
                                                "with --compute, that size trained on that budget")
      ("target-loss", po::value(&flags.target_loss_text), "the least compute that reaches this loss (nats/token)")
      ("fit", po::value(&flags.fit_path),
       "law from a saved fit ('scaleplan fit --out FIT.json'); a sparse, moe or routing fit goes to its own planner "
       "('plan --fit FIT.json --help')")
      ("law", po::value(&flags.law_name), "a published law: hoffmann, hoffmann-unrounded, epoch "
                                          "(default: fit the bundled runs); frantar2023-t5, krajewski2024 and "
                                          "clark2022 have planners of their own ('plan --law NAME --help')")
      ("unique-tokens", po::value(&flags.unique_tokens_text),
       "at most this many unique training tokens (e.g. 500B): repeat them for more epochs (Muennighoff et al.)")
      ("inference-tokens", po::value(&flags.inference_tokens_text),
       "lifetime tokens the model will process at inference (e.g. 10T): minimise training + inference FLOPs "
       "at the same loss (Sardana et al.)")
      ("accelerator", po::value(&flags.accelerator),
       "device from the catalogue (H100-SXM, H100-PCIe, H800-SXM, H200, A100-40GB, A100-80GB, B200, "
       "GB200-NVL72, MI300X, TPU-v5p, L40S, V100-SXM2-32GB): layout, days, GPU-hours, cost, memory")
      ("count", CountValue(&flags.plan.training.num_accelerators),
       "number of devices; 0 = the fewest that hold the training state (and meet --max-days)")
      ("mfu", NumberValue<Range::FRACTION>(&flags.plan.training.mfu),
       "model FLOPs utilisation against the dense peak (PaLM 0.46, Llama 3 0.38-0.43)")
      ("price-per-hour",
       NumberValue<Range::NON_NEGATIVE>(&flags.plan.training.price_usd_per_hour),
       "USD per device-hour; 0 = the catalogue's planning default")
      ("max-days", NumberValue<Range::NON_NEGATIVE>(&flags.plan.training.max_days),
       "wall-clock limit in days, 0 = no limit; a fixed --count that needs longer is infeasible (exit code 1)")
      ("inference-mfu", NumberValue<Range::NON_NEGATIVE>(&flags.plan.inference.inference_mfu),
       "MFU while serving; 0 = same as --mfu (then the objective is total FLOPs)")
      ("inference-price-per-hour",
       NumberValue<Range::NON_NEGATIVE>(&flags.plan.inference.inference_price_usd_per_hour),
       "USD per device-hour while serving; 0 = the training price")
      ("profile", po::value(&flags.profile_path),
       "a measured hardware profile ('scaleplan probe --out PROFILE.json'): its peak, and the all-reduce bus "
       "bandwidth and latency of 'probe --collectives', replace the catalogue's when it measured the planned device")
      ("recompute", po::value(&flags.recompute)->default_value(flags.recompute),
       "activation recomputation for memory: auto (the one that fits on the fewest devices, selective on a tie), none, "
       "selective, full")
      ("shape", po::bool_switch(&flags.shape), "also propose practical transformer shapes for N, with exact counts")
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap.num_resamples),
       "intervals for N, D, tokens/param and loss from this many resamples of the bundled runs (alone: 1000); "
       "a fit saved with 'fit --bootstrap' brings its own")
      ("seed", CountValue(&bootstrap.seed), "bootstrap seed")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap.confidence), "interval level, e.g. 0.9");
  // The cluster stage: architecture, precision, batch, layout and the cluster's figures.
  std::map<std::string, std::string> shape_texts;
  po::options_description cluster("Model, layout and cluster (with --accelerator and without --mfu: layout search)");
  cluster.add_options()("arch", po::value(&flags.arch),
                        "a published architecture: gpt3-175b, chinchilla-70b, llama3-8b, llama3-70b, "
                        "llama3-405b, mixtral-8x7b, deepseek-v3, megatron-1t (sets N)")(
      "tokens", po::value(&flags.tokens_text),
      "training tokens (with --params or --arch): that many, not the "
      "compute-optimal D")("precision", po::value(&flags.precision)->default_value(flags.precision),
                           "GEMM precision: bf16 or fp8")(
      "global-batch-tokens", po::value(&flags.global_batch_text),
      "global batch in tokens (default: DeepSeek LLM's B_opt = 0.292 C^0.3271), rounded to whole sequences and "
      "replicas")("layout", po::value(&flags.layout_text),
                  "fix layout fields, the rest searched: tp=8,pp=16,dp=128,cp=1,ep=1,v=1,mb=1,zero=1,recompute=full")(
      "hardware", po::value(&flags.hardware_path), "a hardware catalogue file (data/hardware.json's schema)")(
      "peak-flops", NumberValue<Range::NON_NEGATIVE>(&flags.accelerator_overrides.peak_flops_per_second),
      "override the device's dense peak (FLOP/s); 0 = no override: the catalogue's")(
      "memory-bytes", NumberValue<Range::NON_NEGATIVE>(&flags.accelerator_overrides.memory_bytes),
      "override the device's memory (bytes, e.g. 80G); 0 = no override: the catalogue's")(
      "intra-node-bandwidth",
      NumberValue<Range::NON_NEGATIVE>(&flags.accelerator_overrides.intra_node_bytes_per_second),
      "override the per-device link rate inside a node (bytes/s, one direction)")(
      "inter-node-bandwidth",
      NumberValue<Range::NON_NEGATIVE>(&flags.accelerator_overrides.inter_node_bytes_per_second),
      "override the per-device network rate between nodes (bytes/s, one direction)")(
      "devices-per-node", CountValue(&flags.accelerator_overrides.devices_per_node),
      "override the devices in one high-bandwidth domain (8 for HGX, 72 for NVL72)")(
      "ffn-kind", po::value(&flags.ffn_kind), "glu or mlp");
  const std::vector<std::pair<const char*, const char*>> shape_options = {
      {"layers", "layers"},
      {"d-model", "model width"},
      {"heads", "query heads"},
      {"kv-heads", "key/value heads (GQA)"},
      {"head-dim", "head size"},
      {"ffn", "FFN hidden width"},
      {"vocab", "vocabulary"},
      {"seq-len", "sequence length"},
      {"experts", "routed experts (MoE)"},
      {"active-experts", "experts per token (top-k)"},
      {"shared-experts", "shared experts"},
      {"expert-ffn", "expert hidden width"},
      {"dense-layers", "first dense layers of an MoE"},
      {"q-lora-rank", "MLA query rank"},
      {"kv-lora-rank", "MLA key/value rank"},
      {"qk-nope-head-dim", "MLA non-rope head size"},
      {"qk-rope-head-dim", "MLA rope head size"},
      {"v-head-dim", "MLA value head size"}};
  for (const auto& [name, help] : shape_options) {
    cluster.add_options()(name, po::value(&shape_texts[name]), help);
  }
  options.add(cluster);
  AddFormatOption(&options, &flags.format);
  std::string hyperparams_choice;
  AddHyperparamsOption(&options, &hyperparams_choice);
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp(
        "scaleplan plan [--compute C | --params N | --target-loss L] [--fit FIT.json | --law NAME]\n"
        "                      [--unique-tokens U] [--inference-tokens T] [--accelerator NAME [--count K] ...]\n\n"
        "N is all parameters, embeddings included, as the Chinchilla law (Hoffmann et al. 2022) counts them. Kaplan\n"
        "et al. 2020's law counts non-embedding parameters only: convert before comparing the two.\n"
        "Training compute is 6 N D. With --accelerator the plan is laid out on the cluster: the model (--arch, the\n"
        "shape options, or a practical shape for N) is split by tensor, pipeline, context, data and expert\n"
        "parallelism with ZeRO and recomputation, and the fastest layout that fits gives the predicted MFU, the step\n"
        "time, memory per device, days, GPU-hours and cost (without --count: the fewest devices for --max-days, 90\n"
        "when not given). --mfu F skips the search: time = 6 N D / (devices x dense peak x F).",
        options,
        {"scaleplan plan --compute 5.76e23                 # Gopher's budget: N_opt, D_opt, loss",
         "scaleplan plan --compute 1e22,1e23,1e24 --format json",
         "scaleplan plan --params 70B --law hoffmann        # compute-optimal tokens for a 70B model",
         "scaleplan plan --params 70B --compute 5.76e23     # a fixed size on a fixed budget",
         "scaleplan plan --target-loss 2.0 --fit fit.json   # least compute that reaches loss 2.0",
         "scaleplan plan --compute 1e24 --unique-tokens 500B          # only 500B unique tokens: epochs, loss",
         "scaleplan plan --compute 1e21 --optimal-sparsity --sparse-method rigl   # options: plan --sparsity 0 --help",
         "scaleplan plan --law krajewski2024 --compute 1e22          # fine-grained MoE: N, active N, D, G",
         "scaleplan plan --law clark2022 --params 1.3B --experts 1,64,512   # routed models: loss, effective size",
         "scaleplan plan --compute 1e24 --inference-tokens 10T        # smaller, longer-trained, cheaper overall",
         "scaleplan plan --params 1T --accelerator H100-SXM           # frontier scale: layout, devices, days",
         "scaleplan plan --params 100T --compute 1e27 --accelerator B200",
         "scaleplan plan --arch deepseek-v3 --tokens 14.8T --accelerator H800-SXM --count 2048 --precision fp8",
         "scaleplan plan --arch llama3-405b --tokens 15.6T --accelerator H100-SXM --layout tp=8,pp=16,dp=128",
         "scaleplan plan --params 70B --accelerator H100-SXM --count 1024 --mfu 0.4   # quick: a given MFU",
         "scaleplan plan --compute 1e24 --accelerator H100-SXM --count 1024 --max-days 30",
         "scaleplan plan --params 7B --shape                          # practical shapes with exact counts",
         "scaleplan plan --compute 1e22 --accelerator H100-SXM --profile h100.json   # measured peak",
         "scaleplan plan --compute 1e23,1e25 --bootstrap        # 95% intervals from 1,000 resamples",
         "scaleplan fit --bootstrap --out fit.json && scaleplan plan --fit fit.json --compute 1e24"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(flags.format);
  flags.plan.mfu_given = vm.count("mfu") && !vm["mfu"].defaulted();
  ResolveClusterOptions(shape_texts, vm, &flags);
  if (!flags.target_loss_text.empty() && (!flags.compute_text.empty() || !flags.params_text.empty())) {
    throw UsageError("--target-loss cannot be combined with --compute or --params");
  }
  if (!flags.tokens_text.empty() && flags.params_text.empty() && !flags.plan.arch_shape) {
    throw UsageError("--tokens needs --params or --arch (a model whose size is fixed)");
  }
  std::string why;
  if (!flags.plan.training.Check(&why)) throw UsageError(why);
  PlanOptions& shared = flags.plan;
  shared.recompute = ParseRecomputeChoice(flags.recompute);
  shared.unique_tokens =
      flags.unique_tokens_text.empty() ? 0.0 : ParseOne(flags.unique_tokens_text, "--unique-tokens");
  shared.inference_tokens =
      flags.inference_tokens_text.empty() ? 0.0 : ParseOne(flags.inference_tokens_text, "--inference-tokens");
  shared.hyperparams = ResolveHyperparamsLaw(hyperparams_choice);
  shared.propose_shapes = flags.shape;
  shared.arch_name = flags.arch;
  shared.profile_given = !flags.profile_path.empty();
  const bool hardware_options = vm.count("count") && !vm["count"].defaulted();
  if (flags.accelerator.empty() && flags.profile_path.empty() && flags.hardware_path.empty() &&
      (hardware_options || shared.training.max_days > 0.0 || shared.training.price_usd_per_hour > 0.0)) {
    throw UsageError("--count, --max-days and --price-per-hour need --accelerator (or --profile or --hardware)");
  }
  if (!flags.accelerator.empty() || !flags.profile_path.empty() || !flags.hardware_path.empty()) {
    shared.accelerator = ApplyAcceleratorOverrides(
        ResolveAccelerator(flags.accelerator, InputPath(flags.profile_path), flags.hardware_path),
        flags.accelerator_overrides, {"--accelerator"});
  } else if (flags.accelerator_overrides.Any() || !flags.layout_text.empty()) {
    throw UsageError("the hardware overrides and --layout need --accelerator (or --hardware)");
  }
  RequireShapeOptionsUsed(shared);
  PlanLaw law = ResolvePlanLaw(InputPath(flags.fit_path), flags.law_name);
  if (num_resamples != 0) {
    bootstrap.num_resamples = num_resamples;
    if (!bootstrap.Check(&why)) throw UsageError(why);
    if (!flags.law_name.empty() || !flags.fit_path.empty()) {
      throw UsageError("--bootstrap resamples the bundled runs; with --fit, save the fit with 'fit --bootstrap' "
                       "instead (published laws have no runs to resample)");
    }
    ProgressBar bar("bootstrap");
    AddBundledBootstrap(bootstrap, [&bar](int done, int total) { bar.Update(done, total); }, &law);
  } else if (vm.count("ci") && !vm["ci"].defaulted()) {
    if (!(bootstrap.confidence > 0 && bootstrap.confidence < 1)) throw UsageError("--ci must lie in (0, 1)");
    law.saved.confidence = bootstrap.confidence;
  }

  std::vector<Plan> rows;
  const auto add = [&](PlanMode mode, double n, double c, double l) {
    rows.push_back(MakePlan(law, PlanRequest{mode, n, c, l, shared}));
  };
  if (!flags.target_loss_text.empty()) {
    for (double target : ParseList(flags.target_loss_text, "--target-loss")) add(PlanMode::TARGET_LOSS, 0, 0, target);
  } else if (!flags.params_text.empty() || shared.arch_shape) {
    if (!flags.params_text.empty() && shared.arch_shape) {
      throw UsageError("--params: the architecture (--arch or the shape options) already sets N");
    }
    const std::vector<double> sizes =
        shared.arch_shape ? std::vector<double>{static_cast<double>(CountParameters(*shared.arch_shape).total)}
                           : ParseList(flags.params_text, "--params");
    if (!flags.tokens_text.empty()) {
      if (!flags.compute_text.empty()) throw UsageError("--tokens cannot be combined with --compute");
      const double tokens = ParseOne(flags.tokens_text, "--tokens");
      for (double n : sizes) add(PlanMode::PARAMS_AND_COMPUTE, n, 6.0 * n * tokens, 0);
    } else if (!flags.compute_text.empty()) {
      const std::vector<double> budgets = ParseList(flags.compute_text, "--compute");
      for (double n : sizes) {
        for (double c : budgets) add(PlanMode::PARAMS_AND_COMPUTE, n, c, 0);
      }
    } else {
      for (double n : sizes) add(PlanMode::PARAMS, n, 0, 0);
    }
  } else {
    const std::vector<double> budgets = flags.compute_text.empty() ? std::vector<double>{kDefaultPlanComputeFlops}
                                                                   : ParseList(flags.compute_text, "--compute");
    if (flags.compute_text.empty()) std::cerr << "scaleplan plan: no budget given: using 5.76e23 FLOPs (Gopher's)\n";
    for (double c : budgets) {
      add(PlanMode::COMPUTE_OPTIMAL, 0, c, 0);
      // Under an inference demand the budget asks two questions: its loss at the least lifetime cost (the row above,
      // training on more than the budget) and the lowest loss whose training takes the budget.
      if (shared.inference_tokens > 0.0) add(PlanMode::WITHIN_BUDGET, 0, c, 0);
    }
  }

  // A profile of another device (a CPU's, for an H100 plan) is not applied (ProfiledAccelerator): every row says so.
  const std::string mismatch = PlanProfileMismatch(flags.accelerator, flags.profile_path);
  if (!mismatch.empty()) {
    for (Plan& row : rows) row.warnings.push_back(mismatch);
  }

  if (output == OutputFormat::JSON) {
    for (const Plan& row : rows) {
      std::cout << PlanToJson(row, law, shared).dump() << '\n';
    }
  } else {
    PrintTable(rows, law, flags, std::cout);
  }
  std::cout.flush();
  int infeasible = 0;
  for (const Plan& row : rows) {
    if (row.hardware && !row.hardware->time.feasible) {
      ++infeasible;
      std::cerr << "scaleplan plan: infeasible on " << row.hardware->verdict.accelerator << " ("
                << FormatQuantity(row.allocation.num_params) << " parameters): ";
      for (size_t i = 0; i < row.hardware->verdict.reasons.size(); ++i) {
        std::cerr << (i ? "; " : "") << row.hardware->verdict.reasons[i];
      }
      std::cerr << '\n';
    }
  }
  for (const Plan& row : rows) {
    if (!row.frontier) continue;
    const FrontierPlan& f = *row.frontier;
    if (f.feasible && f.meets_max_days.value_or(true)) continue;
    ++infeasible;
    std::cerr << "scaleplan plan: " << (f.feasible ? "over --max-days" : "infeasible") << " on " << f.accelerator
              << " (" << FormatQuantity(row.allocation.num_params) << " parameters): ";
    for (size_t i = 0; i < f.reasons.size(); ++i) std::cerr << (i ? "; " : "") << f.reasons[i];
    std::cerr << '\n';
  }
  return infeasible > 0 ? kExitCheckFailed : kExitOk;
}

}  // namespace

int RunPlan(const std::vector<std::string>& args) { return RunGuarded("plan", [&] { return PlanCommand(args); }); }

}  // namespace scaleplan::cli
