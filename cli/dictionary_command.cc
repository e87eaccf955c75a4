// scaleplan dictionary: sparse-dictionary (sparse autoencoder) plans: latents n, active latents k and training
// tokens T for a budget, a target loss or a size, with FLOPs, memory, devices, days and cost for sparse and dense
// kernels (core/dictionary.h); the laws are the prior or a fit of the user's runs (fitting/dictionary_fit.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "cli/table_laws.h"
#include "core/bundled_data.h"
#include "core/dictionary.h"
#include "core/dictionary_runs.h"
#include "core/hardware_profile.h"
#include "core/hash.h"
#include "core/units.h"
#include "fitting/dictionary_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

// "LO:HI" for --k-range.
std::pair<double, double> ParseKRange(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw UsageError("--k-range must be LO:HI, e.g. 32:128, not '" + text + "'");
  return {OptionQuantity(text.substr(0, colon), "--k-range"), OptionQuantity(text.substr(colon + 1), "--k-range")};
}

NumericType ParseParamType(const std::string& text) {
  const std::optional<NumericType> type = TryParseNumericType(text);
  if (!type || (*type != NumericType::FP32 && *type != NumericType::BF16 && *type != NumericType::FP16)) {
    throw UsageError("--param-type must be fp32, bf16 or fp16, not '" + text + "'");
  }
  return *type;
}

// A default as the help shows it: 0.4, not 0.40000000000000002.
std::string Shown(double value) { return FormatSignificant(value, 6); }

std::string Percent(double part, double whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", whole > 0.0 ? 100.0 * part / whole : 0.0);
  return text;
}

std::string Days(double days) {
  char text[32];
  std::snprintf(text, sizeof text, days >= 100 ? "%.0f" : days >= 1 ? "%.1f" : "%.3g", days);
  return text;
}

// No price gives no cost: "-".
std::string Dollars(double usd) { return usd > 0.0 ? FormatUsd(usd) : "-"; }

// ---------------------------------------------------------------------------------------------------------------
// The device.

struct Device {
  Accelerator accelerator;
  std::optional<DictionaryKernelRates> measured;
  std::string description;
};

Device ResolveDevice(const std::string& name, const std::string& profile_path, double d_model, double k,
                     const DictionaryOptions& options) {
  Device device;
  const HardwareCatalogue& catalogue = BundledHardwareCatalogue();
  std::optional<HardwareProfile> profile;
  if (!profile_path.empty()) profile = HardwareProfileFromJson(ReadFile(profile_path), profile_path);
  const std::string wanted = !name.empty() ? name : (profile ? "" : kDefaultDictionaryAccelerator);
  if (!wanted.empty()) {
    const Accelerator* found = catalogue.TryFind(wanted);
    if (found == nullptr) {
      std::string known;
      for (const std::string& entry : catalogue.Names()) known += (known.empty() ? "" : ", ") + entry;
      throw UsageError("unknown --accelerator '" + wanted + "' (known: " + known + ")");
    }
    device.accelerator = *found;
  } else {
    if (!profile->cuda_device || !(profile->cuda_device->memory_bytes > 0.0)) {
      throw UsageError("the profile '" + profile_path + "' (" + profile->backend +
                       ") does not say how much memory the device has: name the device with --accelerator");
    }
    device.accelerator.name = profile->device.empty() ? std::string("profiled device") : profile->device;
    device.accelerator.memory_bytes = profile->cuda_device->memory_bytes;
  }
  if (profile) {
    device.measured = DictionaryRatesFromProfile(*profile, d_model, k,
                                                 "measured profile " + profile_path + " (" + profile->device + ")");
  }
  device.description =
      DescribeDictionaryDevice(device.accelerator, options, device.measured ? &*device.measured : nullptr);
  return device;
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

Json FitJson(const DictionaryFit& fit, const DictionaryRunsTable& runs, const DictionaryBootstrap* boot) {
  Json out;
  out["source"] = runs.source;
  out["num_runs"] = fit.num_runs;
  out["hash"] = HashToHex(HashDictionaryRuns(runs));
  out["usable"] = fit.usable;
  out["status"] = fit.status;
  Json converged;
  const std::vector<double> values = LatentsSparsityValues(fit.converged_law);
  for (size_t i = 0; i < values.size(); ++i) converged[LatentsSparsityNames()[i]] = values[i];
  converged["objective"] = fit.converged_search.objective;
  converged["search"] = SearchToJson(fit.converged_search, fit.options, FormatGrid(LatentsSparsityModel::DefaultGrid()));
  converged["residuals"] = ResidualsToJson(fit.converged_residuals);
  converged["num_runs"] = fit.converged_view.runs.size();
  if (boot != nullptr && !boot->converged_intervals.empty()) {
    converged["intervals"] = IntervalsToJson(boot->converged_intervals);
  }
  out["converged_law"] = converged;
  if (fit.has_token_law) {
    const ChinchillaLaw& law = fit.token_fit.law;
    Json token = {{"k", fit.token_law_k},    {"E", law.E},         {"A", law.A},
                  {"B", law.B},              {"alpha", law.alpha}, {"beta", law.beta},
                  {"num_runs", fit.token_view.runs.size()}, {"objective", fit.token_fit.search.objective}};
    token["search"] = SearchToJson(fit.token_fit.search, fit.options, FormatGrid(DictionaryTokensGrid()));
    token["residuals"] = ResidualsToJson(fit.token_fit.residuals);
    if (boot != nullptr && boot->token_bootstrap && !boot->token_bootstrap->intervals.empty()) {
      std::vector<std::pair<std::string, Interval>> intervals(boot->token_bootstrap->intervals.begin(),
                                                              boot->token_bootstrap->intervals.begin() + 5);
      token["intervals"] = IntervalsToJson(intervals);
    }
    out["token_law"] = token;
  } else {
    out["token_law"] = nullptr;
    out["token_law_note"] = fit.token_law_note;
  }
  if (boot != nullptr) {
    out["bootstrap"] = {{"resamples", boot->options.num_resamples},
                        {"failed", boot->converged_samples.num_failed},
                        {"seed", boot->options.seed},
                        {"confidence", boot->options.confidence}};
  }
  out["notes"] = fit.notes;
  return out;
}

void PrintFit(const DictionaryFit& fit, const DictionaryBootstrap* boot, std::ostream& out) {
  char line[256];
  out << "Dictionary laws fitted to " << fit.num_runs << " runs from " << fit.source << '\n';
  for (const std::string& note : fit.notes) out << "  note: " << note << '\n';
  const bool with_intervals = boot != nullptr && !boot->converged_intervals.empty();
  out << "\n  converged  L(n, k) = exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n) + exp(zeta + eta ln k)";
  if (with_intervals) {
    std::snprintf(line, sizeof line, "   %g%% interval (bootstrap, %zu resamples)", 100 * boot->options.confidence,
                  boot->converged_laws.size());
    out << line;
  }
  out << '\n';
  const std::vector<double> values = LatentsSparsityValues(fit.converged_law);
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(line, sizeof line, "    %-8s %10.5f", LatentsSparsityNames()[i].c_str(), values[i]);
    out << line;
    if (with_intervals) {
      std::snprintf(line, sizeof line, "   [%.5f, %.5f]", boot->converged_intervals[i].second.lower,
                    boot->converged_intervals[i].second.upper);
      out << line;
    }
    out << '\n';
  }
  std::snprintf(line, sizeof line,
                "    %zu runs; objective %.6g; %d of %d starts converged, %d reached the best; log RMSE %.4f\n",
                fit.converged_view.runs.size(), fit.converged_search.objective, fit.converged_search.num_converged,
                fit.converged_search.num_starts, fit.converged_search.num_at_best, fit.converged_residuals.rmse);
  out << line;
  if (!fit.has_token_law) return;
  const ChinchillaLaw& law = fit.token_fit.law;
  out << "\n  tokens     L(n, T) = E + A / n^alpha + B / T^beta at k = " << FormatQuantity(fit.token_law_k) << '\n';
  const double token_values[] = {law.E, law.A, law.B, law.alpha, law.beta};
  const char* names[] = {"E", "A", "B", "alpha", "beta"};
  const bool token_intervals = boot != nullptr && boot->token_bootstrap && !boot->token_bootstrap->intervals.empty();
  for (size_t i = 0; i < 5; ++i) {
    std::snprintf(line, sizeof line, "    %-8s %10.5g", names[i], token_values[i]);
    out << line;
    if (token_intervals) {
      std::snprintf(line, sizeof line, "   [%.5g, %.5g]", boot->token_bootstrap->intervals[i].second.lower,
                    boot->token_bootstrap->intervals[i].second.upper);
      out << line;
    }
    out << '\n';
  }
  std::snprintf(line, sizeof line, "    %zu runs; objective %.6g; log RMSE %.4f\n", fit.token_view.runs.size(),
                fit.token_fit.search.objective, fit.token_fit.residuals.rmse);
  out << line;
}

void PrintPlan(const DictionaryPlan& plan, const DictionaryRequest& request, const Device& device,
               std::ostream& out) {
  char line[320];
  std::string budget;
  switch (plan.goal) {
    case DictionaryGoal::COMPUTE: budget = "budget " + FormatScientific(plan.budget) + " FLOPs"; break;
    case DictionaryGoal::DEVICE_HOURS: budget = "budget " + FormatQuantity(plan.budget) + " device-hours"; break;
    case DictionaryGoal::TARGET_LOSS:
      budget = "target loss " + FormatQuantity(request.target_loss, 4) + " at the least FLOPs";
      break;
    case DictionaryGoal::LATENTS:
      budget = FormatQuantity(request.num_latents) + " latents" +
               (request.compute_flops > 0 ? ", budget " + FormatScientific(request.compute_flops) + " FLOPs"
                : request.device_hours > 0 ? ", budget " + FormatQuantity(request.device_hours) + " device-hours"
                                           : std::string());
      break;
  }
  const bool spends_budget = plan.goal != DictionaryGoal::TARGET_LOSS &&
                             !(plan.goal == DictionaryGoal::LATENTS && request.compute_flops <= 0 &&
                               request.device_hours <= 0);
  if (spends_budget) budget += plan.budget_includes_harvest ? " (dictionary training + harvesting)"
                                                            : " (dictionary training)";
  out << "Dictionary plan for d_model " << std::to_string(std::llround(request.d_model)) << ", " << budget << '\n';
  out << "  law     " << plan.law_label << '\n';
  const DictionaryLaws& laws = request.laws;
  const LatentsSparsityLaw& c = laws.converged;
  std::snprintf(line, sizeof line,
                "          L(n, k) = exp(%.4g %+.4g ln k %+.4g ln n %+.4g ln k ln n) + exp(%.4g %+.4g ln k)\n",
                c.alpha, c.beta_k, c.beta_n, c.gamma, c.zeta, c.eta);
  out << line;
  if (laws.has_token_term) {
    std::snprintf(line, sizeof line, "          + %.4g / T^%.4g (the token term of L(n, T))\n",
                  laws.token_coefficient, laws.token_exponent);
  } else {
    std::snprintf(line, sizeof line, "          trained to convergence: T_conv(n) = %s (n / %s)^%.3g tokens\n",
                  FormatQuantity(laws.convergence_tokens).c_str(), FormatQuantity(laws.convergence_latents).c_str(),
                  laws.convergence_exponent);
  }
  out << line;
  out << "  device  " << device.description << '\n';
  if (request.subject.Known()) {
    std::snprintf(line, sizeof line, "  subject %s parameters, hooked %.3g of the way through\n",
                  FormatQuantity(request.subject.num_params).c_str(), request.subject.layers_fraction);
    out << line;
  }
  if (!plan.reachable) return;

  const DictionaryCosts& s = plan.sparse;
  const DictionaryCosts& d = plan.dense;
  std::string loss = FormatQuantity(s.loss, 4);
  if (plan.loss_interval) {
    loss += " [" + FormatQuantity(plan.loss_interval->first, 4) + ", " +
            FormatQuantity(plan.loss_interval->second, 4) + "]";
  }
  out << '\n';
  std::snprintf(line, sizeof line, "  %-26s %-27s %s\n", "", "sparse kernels", "dense kernels");
  out << line;
  auto row = [&](const char* label, const std::string& a, const std::string& b) {
    std::snprintf(line, sizeof line, "  %-26s %-27s %s\n", label, a.c_str(), b.c_str());
    out << line;
  };
  row("latents n", FormatQuantity(s.num_latents), "same");
  row("active latents k", FormatQuantity(s.k) + " (k_aux " + FormatQuantity(s.aux_latents) + ")", "same");
  row("training tokens T", FormatQuantity(s.num_tokens), "same");
  row("loss (normalised MSE)", loss, "same");
  row("FLOPs per token", FormatScientific(s.flops_per_token), FormatScientific(d.flops_per_token));
  row("training FLOPs", FormatScientific(s.compute_flops), FormatScientific(d.compute_flops));
  if (request.subject.Known()) {
    row("harvest FLOPs", FormatScientific(s.harvest_flops), "same");
  }
  row("parameters (2 n d)", FormatQuantity(s.memory.num_params), "same");
  row("memory", FormatBytes(s.memory_bytes), FormatBytes(d.memory_bytes));
  // A column whose plan does not fit is marked where its numbers are, not only in the JSON: "!" and the reasons below.
  const auto devices = [](const DictionaryCosts& costs) {
    return std::to_string(costs.devices) + " (" + FormatBytes(costs.memory_bytes_per_device) + " each)" +
           (costs.feasible ? "" : " !");
  };
  row("devices", devices(s), devices(d));
  row("Adam traffic per step", FormatBytes(s.optimizer_bytes_per_step), "same");
  std::string days = Days(s.days);
  std::string dense_days = Days(d.days);
  if (request.subject.Known()) {
    days += " (" + Days(s.training_days) + " + " + Days(s.harvest_days) + " harvest)";
    dense_days += " (" + Days(d.training_days) + " + " + Days(d.harvest_days) + ")";
  }
  row("days", days, dense_days);
  row("device-hours", FormatQuantity(s.device_hours), FormatQuantity(d.device_hours));
  row("cost", Dollars(s.cost_usd), Dollars(d.cost_usd));
  const DictionaryTokenTime& t = s.time_per_token;
  out << "\n  k       " << plan.k_choice << '\n';
  out << "  time    sparse training per token: GEMM " << Percent(t.gemm_seconds, t.Total()) << ", TopK "
      << Percent(t.topk_seconds, t.Total()) << ", gather/scatter "
      << Percent(t.gather_seconds + t.scatter_seconds, t.Total()) << ", Adam "
      << Percent(t.optimizer_seconds, t.Total()) << '\n';
  std::snprintf(line, sizeof line, "  saving  sparse kernels: %.3gx fewer training FLOPs, %.3gx fewer days\n",
                d.compute_flops / s.compute_flops, s.days > 0 ? d.days / s.days : 0.0);
  out << line;
  if (request.subject.Known()) {
    out << "  harvest " << FormatBytes(s.harvest_storage_bytes) << " of activations at 16 bits if cached; run on "
        << s.harvest_devices << " devices (" << s.harvest_min_devices << " hold the hooked layers)\n";
  }
  if (t.optimizer_seconds > 0.4 * t.Total()) {
    out << "  note: Adam's pass over all 2 n d parameters takes " << Percent(t.optimizer_seconds, t.Total())
        << " of the time at " << std::llround(request.options.batch_tokens)
        << " tokens per step: larger steps (--batch-tokens) amortise it\n";
  }
  for (const std::string& reason : s.reasons) out << "  infeasible: " << reason << '\n';
  for (const std::string& reason : d.reasons) out << "  ! dense kernels infeasible: " << reason << '\n';
  for (const std::string& note : plan.notes) out << "  note: " << note << '\n';
  for (const std::string& warning : plan.warnings) out << "  warning: " << warning << '\n';
}

// ---------------------------------------------------------------------------------------------------------------

std::vector<std::string> GeneratorComments(const DictionaryRunsDesign& design, std::uint64_t seed) {
  const LatentsSparsityLaw& c = design.converged;
  char law[256], noise[256];
  std::snprintf(law, sizeof law, "alpha %g, beta_k %g, beta_n %g, gamma %g, zeta %g, eta %g; B %g, beta %g",
                c.alpha, c.beta_k, c.beta_n, c.gamma, c.zeta, c.eta, design.token_coefficient,
                design.token_exponent);
  std::snprintf(noise, sizeof noise,
                "loss = (exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n) + exp(zeta + eta ln k) + B / T^beta)"
                " * exp(%g z), z standard normal",
                design.noise_sigma);
  return {"Synthetic sparse-dictionary runs: scaleplan dictionary --generate-runs FILE --seed " +
              std::to_string(seed),
          noise, law,
          "grid: n = 2^12..2^24 (x4), k = 8..256 (x2), T = 40e9 (n / 2^24)^0.6; sweep at k = 32: n = 2^12..2^20 "
          "(x4), T = 40e9 (n / 2^24)^0.6 x 1/16, 1/4, 4, 16",
          "d_model " + std::to_string(std::llround(design.d_model)) + "; provenance: data/README.md, \"Generated dictionary runs\""};
}

int Dictionary(const std::vector<std::string>& args) {
  DictionaryRequest request;  // its defaults are the options' defaults
  DictionaryOptions& options = request.options;
  std::string d_model_text, compute_text, hours_text, target_text, latents_text, k_text, k_range_text;
  std::string subject_text, accelerator, profile_path, runs_path, generate_path, format;
  std::string out_path, fit_path, golden_path;
  std::string aux_text = AuxKRuleName(options.aux_k);
  std::string param_text = NumericTypeName(options.param_type);
  std::string budget_text = "total";
  std::string batch_text = Shown(options.batch_tokens);
  std::string k_range_default = Shown(request.k_min) + ":" + Shown(request.k_max);
  DictionaryColumns columns;
  DictionaryFitOptions fit_options;
  BootstrapOptions bootstrap_options;
  int num_resamples = 0;
  std::uint64_t seed = 0;
  std::int64_t count = options.num_devices;

  po::options_description goal("Goal (one of --compute, --gpu-hours, --target-loss; --latents alone or with a budget)");
  goal.add_options()("help,h", "show this help")
      ("d-model", po::value(&d_model_text), "activation width d (the subject model's d_model); required to plan")
      ("compute", po::value(&compute_text), "FLOP budget, e.g. 1e20")
      ("gpu-hours", po::value(&hours_text), "device-hour budget, e.g. 50K")
      ("target-loss", po::value(&target_text), "the least FLOPs that reach this normalised MSE")
      ("latents", po::value(&latents_text), "a fixed dictionary size n, e.g. 1M")
      ("k", po::value(&k_text), "a fixed k (active latents per token)")
      ("k-range", po::value(&k_range_text)->default_value(k_range_default), "the range k is chosen in, LO:HI")
      ("budget", po::value(&budget_text)->default_value(budget_text),
       "what the budget pays for: 'total' (dictionary training and harvesting the activations, when the subject "
       "size is known) or 'training'");
  po::options_description subject("Subject model");
  subject.add_options()
      ("subject-params", po::value(&subject_text), "the subject model's parameters, e.g. 70B or 1T: costs the "
       "forward passes that produce the activations")
      ("subject-layers-fraction", po::value(&request.subject.layers_fraction)
                                      ->default_value(request.subject.layers_fraction, Shown(request.subject.layers_fraction)),
       "depth of the hooked layer as a fraction of the subject's layers");
  po::options_description hardware("Hardware");
  hardware.add_options()
      ("accelerator", po::value(&accelerator), "catalogue device (default H100-SXM; with --profile, the profile's "
       "device when it reports its memory)")
      ("count", CountValue(&count), "devices; 0 = the fewest that hold the dictionary")
      ("mfu", NumberValue<Range::FRACTION>(&options.mfu), "GEMM and harvest utilisation of the dense peak")
      ("bandwidth-efficiency", po::value(&options.bandwidth_efficiency)->default_value(options.bandwidth_efficiency, Shown(options.bandwidth_efficiency)),
       "memory-bound kernels' fraction of the datasheet bandwidth")
      ("profile", po::value(&profile_path), "a hardware profile from 'scaleplan probe': measured kernel speeds")
      ("price", po::value(&options.price_usd_per_hour)->default_value(options.price_usd_per_hour, Shown(options.price_usd_per_hour)),
       "USD per device-hour; 0 = the catalogue's planning default")
      ("dead-fraction", po::value(&options.dead_fraction)->default_value(options.dead_fraction, Shown(options.dead_fraction)),
       "share of latents that are dead, AuxK's pool")
      ("usable-memory", po::value(&options.usable_memory_fraction)->default_value(options.usable_memory_fraction, Shown(options.usable_memory_fraction)),
       "fraction of each device's memory available to training")
      ("batch-tokens", po::value(&batch_text)->default_value(batch_text), "tokens per optimizer step")
      ("aux-k", po::value(&aux_text)->default_value(aux_text),
       "auxiliary dead-latent loss: half-d (k_aux = power of two near d/2), 2k, or none")
      ("param-type", po::value(&param_text)->default_value(param_text),
       "dictionary weights: fp32, or bf16/fp16 with an fp32 master copy");
  po::options_description laws("Laws");
  laws.add_options()
      ("runs", po::value(&runs_path), "dictionary runs CSV: fit the laws to them instead of the prior (alone: "
       "print the fit)")
      ("out,o", po::value(&out_path), "with --runs: also save the fitted laws as JSON (law 'dictionary'), for --fit")
      ("save-golden", po::value(&golden_path),
       "with --runs: record the fitted laws (parameters, objective, data hash, options) as a golden file for "
       "'scaleplan check'")
      ("fit", po::value(&fit_path), "plan with the laws of a saved dictionary fit ('dictionary --runs RUNS.csv --out "
       "FIT.json') instead of the prior")
      ("latents-col", po::value(&columns.latents), "column holding n (default: detected from aliases)")
      ("k-col", po::value(&columns.k), "column holding k")
      ("tokens-col", po::value(&columns.tokens), "column holding the training tokens")
      ("width-col", po::value(&columns.d_model), "column holding d")
      ("loss-col", po::value(&columns.loss), "column holding the loss (normalised MSE)")
      ("token-law-k", po::value(&fit_options.token_law_k)->default_value(fit_options.token_law_k, Shown(fit_options.token_law_k)),
       "the k whose runs fit L(n, T); 0 = the k with the most token counts")
      ("threads", po::value(&fit_options.search.num_threads)->default_value(fit_options.search.num_threads),
       "threads (0 = all cores); results are identical for any count")
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap_options.num_resamples),
       "intervals from this many resamples of the runs (--bootstrap alone: 1000)")
      ("seed", po::value(&seed), "bootstrap seed (default 1), or the generator's seed (default 20240606)")
      ("ci", po::value(&bootstrap_options.confidence)->default_value(bootstrap_options.confidence, Shown(bootstrap_options.confidence)),
       "interval level")
      ("generate-runs", po::value(&generate_path),
       "write the synthetic dictionary runs to this CSV and stop (takes --seed alone)");
  AddRunSelectionOptions(&laws, &columns.selection, true);  // which rows of --runs are read, and --group-by
  po::options_description all("Options");
  AddFormatOption(&goal, &format);
  all.add(goal).add(subject).add(hardware).add(laws);
  po::variables_map vm;
  ParseOptions(args, all, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan dictionary --d-model D (--compute C | --gpu-hours H | --target-loss L | --latents N) "
              "[options]",
              all,
              {"scaleplan dictionary --d-model 4096 --compute 1e20                 # prior law, k in 32..128",
               "scaleplan dictionary --d-model 4096 --gpu-hours 1000 --accelerator A100-80GB",
               "scaleplan dictionary --d-model 4096 --target-loss 0.2 --k 64      # the fewest FLOPs to loss 0.2",
               "scaleplan dictionary --d-model 32768 --latents 1B --subject-params 1T --format json",
               "scaleplan dictionary --d-model 8192 --compute 1e22 --subject-params 70B --budget training",
               "scaleplan dictionary --d-model 4096 --compute 1e20 --profile profile.json --accelerator H100-SXM",
               "scaleplan dictionary --runs data/dictionary_runs_generated.csv --bootstrap     # the fit alone",
               "scaleplan dictionary --runs my_runs.csv --bootstrap --d-model 4096 --compute 1e20",
               "scaleplan dictionary --runs my_runs.csv --out dict_fit.json   # then: --fit dict_fit.json",
               "scaleplan dictionary --generate-runs runs.csv --seed 20240606"});
    std::cout << "\nThe prior is Gao et al. 2024's L(n, k) with training to convergence on 40e9 (n / 2^24)^0.6 "
                 "tokens;\n--runs fits L(n, k) and L(n, T) = E + A/n^alpha + B/T^beta to your runs instead.\n";
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);

  if (!generate_path.empty()) {
    // The generator reads nothing but its seed: any other option would be silently ignored.
    for (const auto& [name, value] : vm) {
      if (value.defaulted() || name == "generate-runs" || name == "seed") continue;
      throw UsageError("--generate-runs writes the synthetic runs and stops: it uses --seed alone, not --" + name);
    }
    const std::uint64_t generator_seed = vm.count("seed") ? seed : kGeneratedDictionaryRunsSeed;
    const DictionaryRunsDesign design;
    const DictionaryRunsTable runs = GenerateDictionaryRuns(design, generator_seed);
    WriteFileAtomically(generate_path, DictionaryRunsToCsv(runs, GeneratorComments(design, generator_seed)));
    std::cerr << "scaleplan dictionary: wrote " << runs.runs.size() << " runs to " << generate_path << " (seed "
              << generator_seed << ")\n";
    return kExitOk;
  }

  // The goal.
  const int budgets = (compute_text.empty() ? 0 : 1) + (hours_text.empty() ? 0 : 1) + (target_text.empty() ? 0 : 1);
  if (budgets > 1) throw UsageError("give one of --compute, --gpu-hours and --target-loss");
  if (!latents_text.empty() && !target_text.empty()) throw UsageError("--latents fixes the size: drop --target-loss");
  const bool plan_wanted = budgets == 1 || !latents_text.empty();
  if (!fit_path.empty() && !runs_path.empty()) throw UsageError("give --runs (fit the laws) or --fit (saved laws), not both");
  if (!columns.selection.group_by.empty()) {  // one fit of the laws per group of --runs, as `fit --group-by`
    if (runs_path.empty()) throw UsageError("--group-by splits --runs: give the runs to fit");
    if (plan_wanted || !out_path.empty()) {
      throw UsageError("--group-by fits each group of --runs without a plan or --out (pick one group with --filter "
                       "COL=VALUE for those)");
    }
    std::string why_group;
    if (!fit_options.Check(&why_group)) throw UsageError(why_group);
    LawRunsOptions runs_options;
    runs_options.dictionary = columns;
    runs_options.columns.selection = columns.selection;
    TableLawOptions table_options;
    table_options.search = fit_options.search;
    table_options.token_law_k = fit_options.token_law_k;
    if (num_resamples != 0) {  // each group resampled on its own, as `dictionary --runs --filter ... --bootstrap`
      BootstrapOptions group_bootstrap = bootstrap_options;
      group_bootstrap.num_resamples = num_resamples;
      group_bootstrap.num_threads = fit_options.search.num_threads;
      if (vm.count("seed")) group_bootstrap.seed = seed;
      if (!group_bootstrap.Check(&why_group)) throw UsageError(why_group);
      table_options.bootstrap = group_bootstrap;
    }
    RefuseToOverwriteInput(golden_path);
    return FitTableLawGroups("dictionary", runs_path, runs_options, table_options, output, golden_path);
  }
  if (!out_path.empty() && runs_path.empty()) throw UsageError("--out saves a fit of --runs: give the runs to fit");
  if (!golden_path.empty() && runs_path.empty()) {
    throw UsageError("--save-golden records a fit of --runs: give the runs to fit");
  }
  if (!plan_wanted && runs_path.empty()) {
    throw UsageError("nothing to plan: give --compute, --gpu-hours, --target-loss or --latents (with --d-model)");
  }
  if (plan_wanted && d_model_text.empty()) {
    throw UsageError("--d-model is required: the width of the activations the dictionary learns");
  }
  const bool k_range_given = vm.count("k-range") && !vm["k-range"].defaulted();
  if (!k_text.empty() && k_range_given) throw UsageError("give --k or --k-range, not both");
  if (budget_text != "total" && budget_text != "training") {
    throw UsageError("--budget must be 'total' or 'training', not '" + budget_text + "'");
  }
  if (num_resamples != 0 && runs_path.empty()) {
    throw UsageError("--bootstrap resamples your runs: it needs --runs (the prior's coefficients carry no interval)");
  }
  const std::optional<AuxKRule> aux = TryParseAuxKRule(aux_text);
  if (!aux) throw UsageError("--aux-k must be half-d, 2k or none, not '" + aux_text + "'");
  options.aux_k = *aux;
  options.param_type = ParseParamType(param_text);
  options.num_devices = count;
  options.batch_tokens = OptionQuantity(batch_text, "--batch-tokens");
  std::string why;
  if (!options.Check(&why)) throw UsageError(why);
  bootstrap_options.num_resamples = num_resamples;
  bootstrap_options.num_threads = fit_options.search.num_threads;
  if (vm.count("seed")) bootstrap_options.seed = seed;
  if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);
  if (!fit_options.Check(&why)) throw UsageError(why);

  if (plan_wanted) {
    request.d_model = OptionQuantity(d_model_text, "--d-model");
    if (!compute_text.empty()) request.compute_flops = OptionQuantity(compute_text, "--compute");
    if (!hours_text.empty()) request.device_hours = OptionQuantity(hours_text, "--gpu-hours");
    if (!target_text.empty()) request.target_loss = OptionQuantity(target_text, "--target-loss");
    if (!latents_text.empty()) {
      request.goal = DictionaryGoal::LATENTS;
      request.num_latents = OptionQuantity(latents_text, "--latents");
      if (!(request.num_latents >= 2 && request.num_latents <= kMaxLatents)) {
        throw UsageError("--latents: must lie in [2, " + FormatSignificant(kMaxLatents, 6) + "]: '" + latents_text + "'");
      }
    } else {
      request.goal = !compute_text.empty() ? DictionaryGoal::COMPUTE
                     : !hours_text.empty() ? DictionaryGoal::DEVICE_HOURS
                                           : DictionaryGoal::TARGET_LOSS;
    }
    if (!k_text.empty()) request.k = OptionQuantity(k_text, "--k");
    if (k_range_given) std::tie(request.k_min, request.k_max) = ParseKRange(k_range_text);
    if (!subject_text.empty()) request.subject.num_params = OptionQuantity(subject_text, "--subject-params");
    request.budget_includes_harvest = budget_text == "total";
  }

  // The laws: the prior, or a fit of the runs.
  std::optional<DictionaryRunsTable> runs;
  std::optional<DictionaryFit> fit;
  std::optional<DictionaryBootstrap> boot;
  if (!fit_path.empty()) request.laws = ParseSavedDictionaryFit(ReadFile(fit_path), fit_path);
  if (!runs_path.empty()) {
    RefuseToOverwriteInput(out_path);
    RefuseToOverwriteInput(golden_path);
    runs = LoadDictionaryRunsCsv(InputPath(runs_path), columns);
    fit = FitDictionaryLaws(*runs, fit_options);
    if (fit->usable && num_resamples != 0) {
      ProgressBar bar("bootstrap");
      boot = BootstrapDictionaryLaws(*fit, bootstrap_options,
                                     [&bar](int done, int total) { bar.Update(done, total); });
    }
    if (!fit->usable) {
      if (output == OutputFormat::JSON) {
        std::cout << Json{{"fit", FitJson(*fit, *runs, nullptr)}}.dump(2) << '\n';
      }
      std::cerr << "scaleplan dictionary: error: the fit is not usable: " << fit->status << '\n';
      return kExitFitFailed;
    }
    request.laws = fit->laws;
    if (!out_path.empty()) WriteFileAtomically(out_path, DictionaryFitToSavedJson(*fit).dump(2) + "\n");
    if (!golden_path.empty()) {
      LawRunsOptions runs_options;
      runs_options.dictionary = columns;
      runs_options.columns.selection = columns.selection;  // LoadLawRuns reads every law's selection there
      TableLawOptions table_options;
      table_options.search = fit_options.search;
      table_options.token_law_k = fit_options.token_law_k;
      const int exit_code = SaveTableLawGolden("dictionary", runs_path, runs_options, table_options, golden_path);
      if (exit_code != kExitOk) return exit_code;
    }
    if (boot) {
      request.bootstrap_laws = boot->laws;
      request.confidence = bootstrap_options.confidence;
    }
  }

  if (!plan_wanted) {
    if (output == OutputFormat::JSON) {
      std::cout << Json{{"fit", FitJson(*fit, *runs, boot ? &*boot : nullptr)}}.dump(2) << '\n';
    } else {
      PrintFit(*fit, boot ? &*boot : nullptr, std::cout);
    }
    return kExitOk;
  }

  const double k_for_rates = request.k > 0 ? request.k : std::sqrt(request.k_min * request.k_max);
  const Device device = ResolveDevice(accelerator, profile_path, request.d_model, k_for_rates, options);
  request.accelerator = device.accelerator;
  request.measured = device.measured;
  if (!request.Check(&why)) throw UsageError(why);
  DictionaryPlan plan = PlanDictionary(request);
  if (runs && runs->HasWidth()) {
    double lo = runs->runs.front().d_model, hi = lo;
    for (const DictionaryRun& run : runs->runs) {
      lo = std::min(lo, run.d_model);
      hi = std::max(hi, run.d_model);
    }
    if (request.d_model < lo || request.d_model > hi) {
      plan.warnings.push_back("the runs were at d_model " + FormatQuantity(lo) +
                              (hi > lo ? "-" + FormatQuantity(hi) : std::string()) +
                              "; the laws have no d in them and are applied at " + FormatQuantity(request.d_model) +
                              " as they are");
    }
  }
  if (device.measured) {
    for (const std::string& note : device.measured->notes) plan.notes.push_back(note);
  }

  if (output == OutputFormat::JSON) {
    Json json = DictionaryPlanToJson(plan, request, device.description);  // core/dictionary.h
    if (fit) json["fit"] = FitJson(*fit, *runs, boot ? &*boot : nullptr);
    std::cout << json.dump(2) << '\n';
  } else {
    if (fit) {
      PrintFit(*fit, boot ? &*boot : nullptr, std::cout);
      std::cout << '\n';
    }
    PrintPlan(plan, request, device, std::cout);
  }
  if (!plan.reachable) {
    std::cerr << "scaleplan dictionary: error: " << plan.status << '\n';
    return kExitCheckFailed;
  }
  if (!plan.sparse.feasible) {
    for (const std::string& reason : plan.sparse.reasons) {
      std::cerr << "scaleplan dictionary: error: infeasible: " << reason << '\n';
    }
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

int RunDictionary(const std::vector<std::string>& args) {
  return RunGuarded("dictionary", [&] { return Dictionary(args); });
}

}  // namespace scaleplan::cli
