// scaleplan sweep: one plan per point of a Cartesian grid of budgets, inference demands, unique-token limits,
// accelerators, device counts and MFUs, streamed as CSV or JSON lines.
//
// Rows are enumerated with the budget outermost, then inference tokens, unique tokens, accelerator, count and MFU
// (innermost). `--shard I/N` writes rows [floor-split I of N) of that order, so concatenating shards 0..N-1 (minus
// their headers) reproduces the full sweep byte for byte. The allocation depends only on (budget, inference
// tokens, unique tokens); it is solved once per such triple, and its columns are formatted once too, so a row costs
// a time/cost computation and three numbers formatted with std::to_chars (shortest round-trip form).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/plan_support.h"
#include "core/data_constrained.h"
#include "core/error.h"
#include "core/inference_allocation.h"
#include "core/units.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

constexpr int kMaxRangeValues = 100000;

enum class SweepFormat { CSV, JSONL };

// The columns, in order. Scripts depend on the names.
constexpr const char* kColumns[] = {
    "compute_flops", "inference_tokens", "unique_tokens", "num_params", "num_tokens", "tokens_per_param",
    "loss",          "epochs",           "chinchilla_num_params",      "training_flops", "inference_flops",
    "total_flops",   "accelerator",      "num_accelerators",           "mfu",        "min_devices_for_memory",
    "days",          "gpu_hours",        "cost_usd",                   "feasible"};

// Appends shortest round-trip text for `value` (JSON null / empty CSV cell when it is not finite).
void AppendNumber(double value, SweepFormat format, std::string* out) {
  if (!std::isfinite(value)) {
    if (format == SweepFormat::JSONL) out->append("null");
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, result.ptr);
}

void AppendInteger(std::int64_t value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, result.ptr);
}

// "1e20:1e26:13" (13 log-spaced values, both ends included), "1e20,1e22", or a mix of both, comma-separated.
std::vector<double> ParseComputeSpec(const std::string& text) {
  std::vector<double> values;
  std::stringstream parts(text);
  std::string part;
  const auto bad = [&](const std::string& why) {
    return UsageError("--compute: " + why + ": '" + part + "' (expected LO:HI:COUNT or a comma-separated list)");
  };
  while (std::getline(parts, part, ',')) {
    std::vector<std::string> fields;
    std::stringstream range(part);
    std::string field;
    while (std::getline(range, field, ':')) fields.push_back(field);
    std::string why;
    if (fields.size() == 1) {
      const std::optional<double> value = TryParseQuantity(fields[0], &why);
      if (!value || !(*value > 0)) throw bad(value ? "must be positive" : why);
      values.push_back(*value);
    } else if (fields.size() == 3) {
      const std::optional<double> lo = TryParseQuantity(fields[0], &why);
      const std::optional<double> hi = TryParseQuantity(fields[1], &why);
      const std::optional<double> count = TryParseQuantity(fields[2], &why);
      if (!lo || !hi || !count) throw bad(why);
      if (!(*lo > 0) || !(*hi >= *lo)) throw bad("a range needs 0 < LO <= HI");
      if (*count != std::floor(*count) || *count < 1 || *count > kMaxRangeValues) {
        throw bad("COUNT must be a whole number from 1 to " + std::to_string(kMaxRangeValues));
      }
      const int n = static_cast<int>(*count);
      if (n == 1) {
        if (*lo != *hi) throw bad("a range of one value needs LO = HI");
        values.push_back(*lo);
        continue;
      }
      // Evenly spaced in log10: 1e20:1e26:13 gives 1e20, 3.16e20, 1e21, ... A whole power of ten is written as the
      // double nearest it (what "1e23" parses to), not pow()'s result, which can be one ulp off.
      const double log_lo = std::log10(*lo), log_hi = std::log10(*hi);
      for (int i = 0; i < n; ++i) {
        const double exponent = log_lo + (log_hi - log_lo) * i / (n - 1);
        const double decade = std::nearbyint(exponent);
        double value = std::pow(10.0, exponent);
        if (std::fabs(exponent - decade) < 1e-9) {
          value = std::strtod(("1e" + std::to_string(std::lround(decade))).c_str(), nullptr);
        }
        values.push_back(i == 0 ? *lo : i == n - 1 ? *hi : value);
      }
    } else {
      throw bad("not a value or a range");
    }
  }
  if (values.empty()) throw UsageError("--compute needs a value");
  return values;
}

// A comma-separated list of quantities >= 0 (or > 0), naming the option on error.
std::vector<double> ParseValues(const std::string& text, const std::string& option, bool allow_zero) {
  std::vector<double> values;
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    std::string why;
    const std::optional<double> value = TryParseQuantity(part, &why);
    if (!value) throw UsageError(option + ": " + why + ": '" + part + "'");
    if (allow_zero ? *value < 0 : *value <= 0) {
      throw UsageError(option + ": must be " + (allow_zero ? "0 or positive" : "positive") + ": '" + part + "'");
    }
    values.push_back(*value);
  }
  if (values.empty()) throw UsageError(option + " needs a value");
  return values;
}

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    if (part.empty()) throw UsageError("--accelerator: empty name in '" + text + "'");
    names.push_back(part);
  }
  if (names.empty()) throw UsageError("--accelerator needs a name");
  return names;
}

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};

Shard ParseShard(const std::string& text) {
  const size_t slash = text.find('/');
  Shard shard;
  const auto parse = [&](std::string_view digits, std::uint64_t* value) {
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), *value);
    return result.ec == std::errc() && result.ptr == digits.data() + digits.size() && !digits.empty();
  };
  const std::string_view whole(text);
  if (slash == std::string::npos || !parse(whole.substr(0, slash), &shard.index) ||
      !parse(whole.substr(slash + 1), &shard.count) || shard.count == 0 || shard.index >= shard.count) {
    throw UsageError("--shard must be I/N with 0 <= I < N (e.g. 0/8), not '" + text + "'");
  }
  return shard;
}

struct SweepFlags {
  std::string compute = "1e20:1e26:13";
  std::string accelerators = "H100-SXM";
  std::string counts = "0";
  std::string mfus;
  std::string inference_tokens = "0";
  std::string unique_tokens = "0";
  std::string fit_path, law_name, format = "csv", out_path = "-", shard, recompute = "auto";
  TrainingPlanOptions training;  // --price-per-hour, --max-days (count and MFU come from the lists)
  bool no_header = false;
};

// One (budget, inference tokens, unique tokens) point: its allocation, the columns formatted once, and the
// memory of the model on each accelerator.
struct SweepAllocation {
  double training_flops = 0.0;
  std::string prefix;  // every column up to and including total_flops, with the separator after it
  std::vector<ModelMemory> memory;  // per accelerator
};

class SweepWriter {
 public:
  SweepWriter(const PlanLaw& law, const SweepFlags& flags, SweepFormat format)
      : law_(law), flags_(flags), format_(format) {}

  SweepAllocation Allocate(double compute_flops, double inference_tokens, double unique_tokens,
                           const std::vector<Accelerator>& accelerators, RecomputeChoice recompute) const {
    SweepAllocation out;
    Allocation allocation;
    double epochs = std::numeric_limits<double>::quiet_NaN();
    double chinchilla_params = 0.0;
    double inference_flops = 0.0;
    if (inference_tokens > 0.0) {
      InferenceCostOptions options;
      options.inference_tokens = inference_tokens;
      const InferenceAwarePlan plan =
          PlanInferenceAwareForCompute(law_.data_constrained, unique_tokens, compute_flops, options);
      allocation = plan.allocation;
      chinchilla_params = plan.chinchilla.num_params;
      inference_flops = plan.cost.inference_flops;
    } else {
      const DataConstrainedAllocation plan = PlanDataConstrained(law_.data_constrained, compute_flops, unique_tokens);
      allocation = plan.allocation;
      chinchilla_params = plan.allocation.num_params;
    }
    if (unique_tokens > 0.0) epochs = allocation.num_tokens / unique_tokens;
    out.training_flops = allocation.compute_flops;  // the budget itself, or 6 N D of the inference-aware plan
    const double values[] = {compute_flops,        inference_tokens,    unique_tokens,
                             allocation.num_params, allocation.num_tokens, allocation.tokens_per_param,
                             allocation.loss_nats,  epochs,              chinchilla_params,
                             out.training_flops,    inference_flops,     out.training_flops + inference_flops};
    if (format_ == SweepFormat::JSONL) out.prefix = "{";
    for (size_t i = 0; i < std::size(values); ++i) {
      AppendKeyTo(kColumns[i], &out.prefix);
      AppendNumber(values[i], format_, &out.prefix);
      out.prefix += ',';
    }
    out.memory.reserve(accelerators.size());
    for (const Accelerator& accelerator : accelerators) {
      out.memory.push_back(
          EstimateModelMemory(allocation.num_params, &accelerator, recompute, flags_.training.usable_memory_fraction));
    }
    return out;
  }

  std::string Header() const {
    std::string header;
    for (const char* column : kColumns) header.append(header.empty() ? "" : ",").append(column);
    return header + '\n';
  }

  // Formats one row into `line` (cleared first).
  void Row(const SweepAllocation& allocation, const ModelMemory& memory, const Accelerator& accelerator,
           const std::string& accelerator_text, std::int64_t count, double mfu, const std::string& mfu_text,
           std::string* line) const {
    TrainingPlanOptions options = flags_.training;
    options.num_accelerators = count;
    options.mfu = mfu;
    const DeviceTime time = TimeOnDevices(allocation.training_flops, memory, accelerator, options);
    line->assign(allocation.prefix);
    AppendField(kColumns[12], accelerator_text, line);
    AppendKeyTo(kColumns[13], line);
    AppendInteger(time.num_accelerators, line);
    line->push_back(',');
    AppendField(kColumns[14], mfu_text, line);
    AppendKeyTo(kColumns[15], line);
    AppendInteger(memory.min_devices_for_memory, line);
    line->push_back(',');
    const bool timed = time.days > 0.0;
    AppendKeyTo(kColumns[16], line);
    AppendNumber(timed ? time.days : std::numeric_limits<double>::quiet_NaN(), format_, line);
    line->push_back(',');
    AppendKeyTo(kColumns[17], line);
    AppendNumber(timed ? time.device_hours : std::numeric_limits<double>::quiet_NaN(), format_, line);
    line->push_back(',');
    AppendKeyTo(kColumns[18], line);
    AppendNumber(timed ? time.cost_usd : std::numeric_limits<double>::quiet_NaN(), format_, line);
    line->push_back(',');
    AppendKeyTo(kColumns[19], line);
    line->append(time.feasible ? "true" : "false");
    line->append(format_ == SweepFormat::JSONL ? "}\n" : "\n");
  }

  // The accelerator name as a CSV cell or JSON string (names are plain: letters, digits, '-', '.').
  std::string Quote(const std::string& name) const {
    return format_ == SweepFormat::JSONL ? "\"" + name + "\"" : name;
  }

 private:
  void AppendKeyTo(const char* name, std::string* line) const {
    if (format_ == SweepFormat::JSONL) line->append("\"").append(name).append("\":");
  }
  void AppendField(const char* name, const std::string& text, std::string* line) const {
    AppendKeyTo(name, line);
    line->append(text);
    line->push_back(',');
  }

  const PlanLaw& law_;
  const SweepFlags& flags_;
  SweepFormat format_;
};

int Sweep(const std::vector<std::string>& args) {
  SweepFlags flags;
  AppendNumber(flags.training.mfu, SweepFormat::CSV, &flags.mfus);  // the default MFU, as text
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&flags.compute)->default_value(flags.compute),
       "budgets in FLOPs: LO:HI:COUNT (COUNT log-spaced values, both ends included) and/or a comma list")
      ("accelerator", po::value(&flags.accelerators)->default_value(flags.accelerators),
       "catalogue devices, comma-separated (H100-SXM, H100-PCIe, H200, A100-40GB, A100-80GB, B200, L40S, MI300X, "
       "V100-SXM2-32GB)")
      ("count", po::value(&flags.counts)->default_value(flags.counts),
       "device counts, comma-separated; 0 = the fewest that hold the training state (and meet --max-days)")
      ("mfu", po::value(&flags.mfus)->default_value(flags.mfus), "MFU values, comma-separated, each in (0, 1]")
      ("inference-tokens", po::value(&flags.inference_tokens)->default_value(flags.inference_tokens),
       "lifetime inference demands in tokens, comma-separated; 0 = none (the Chinchilla-optimal plan)")
      ("unique-tokens", po::value(&flags.unique_tokens)->default_value(flags.unique_tokens),
       "unique-token limits, comma-separated; 0 = unlimited")
      ("price-per-hour",
       po::value(&flags.training.price_usd_per_hour)->default_value(flags.training.price_usd_per_hour),
       "USD per device-hour for every device; 0 = each catalogue entry's planning default")
      ("max-days", po::value(&flags.training.max_days)->default_value(flags.training.max_days),
       "wall-clock limit in days; rows over it say feasible = false")
      ("recompute", po::value(&flags.recompute)->default_value(flags.recompute),
       "activation recomputation for memory: auto, none, selective, full (see 'scaleplan plan --help')")
      ("fit", po::value(&flags.fit_path), "law from a saved fit ('scaleplan fit --out FIT.json')")
      ("law", po::value(&flags.law_name), "a published law: hoffmann, hoffmann-unrounded, epoch "
                                          "(default: fit the bundled runs)")
      ("format", po::value(&flags.format)->default_value(flags.format), "csv (with a header) or jsonl")
      ("out", po::value(&flags.out_path)->default_value(flags.out_path),
       "output file, written to a temporary file beside it and renamed at the end; - = stdout")
      ("shard", po::value(&flags.shard), "write only shard I of N (0 <= I < N) of the rows, e.g. 3/16")
      ("no-header", po::bool_switch(&flags.no_header), "leave the CSV header out");
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp(
        "scaleplan sweep [--compute LO:HI:COUNT] [--accelerator A,B] [--count K,...] [--mfu F,...]\n"
        "                       [--inference-tokens T,...] [--unique-tokens U,...] [--out FILE] [--shard I/N]\n\n"
        "One row per point of the Cartesian grid (budget outermost, then inference tokens, unique tokens,\n"
        "accelerator, count, MFU), each the compute-optimal plan for its budget (with T > 0: the total-FLOP-optimal\n"
        "plan of the same loss; with U > 0: under that unique-token limit) and its time and cost on the devices.\n"
        "Columns: compute_flops, inference_tokens, unique_tokens, num_params (all parameters), num_tokens,\n"
        "tokens_per_param, loss, epochs (empty without a limit), chinchilla_num_params, training_flops,\n"
        "inference_flops, total_flops, accelerator, num_accelerators, mfu, min_devices_for_memory (0 = none holds\n"
        "it), days, gpu_hours, cost_usd, feasible. Numbers are in shortest round-trip form.\n"
        "Shards split the rows into N contiguous blocks; shards 0..N-1 concatenated (headers dropped after the\n"
        "first) are the full sweep. Exit code 0 even when rows are infeasible: see the feasible column.",
        options,
        {"scaleplan sweep --compute 1e20:1e26:13 --out sweep.csv",
         "scaleplan sweep --compute 1e22,1e23,1e24 --accelerator H100-SXM,B200,MI300X --count 256,1024,4096",
         "scaleplan sweep --inference-tokens 0,1T,10T --unique-tokens 0,500B --format jsonl --out sweep.jsonl",
         "scaleplan sweep --compute 1e20:1e26:61 --mfu 0.3,0.4,0.5 --shard $SLURM_ARRAY_TASK_ID/16 "
         "--out part-$SLURM_ARRAY_TASK_ID.csv",
         "parallel scaleplan sweep --compute 1e20:1e26:61 --shard {}/8 --out part-{}.csv ::: 0 1 2 3 4 5 6 7"});
    return kExitOk;
  }

  SweepFormat format;
  if (flags.format == "csv") {
    format = SweepFormat::CSV;
  } else if (flags.format == "jsonl") {
    format = SweepFormat::JSONL;
  } else {
    throw UsageError("--format must be 'csv' or 'jsonl', not '" + flags.format + "'");
  }
  const std::vector<double> budgets = ParseComputeSpec(flags.compute);
  const std::vector<double> inference = ParseValues(flags.inference_tokens, "--inference-tokens", true);
  const std::vector<double> unique = ParseValues(flags.unique_tokens, "--unique-tokens", true);
  const std::vector<double> mfus = ParseValues(flags.mfus, "--mfu", false);
  for (double mfu : mfus) {
    if (mfu > 1.0) throw UsageError("--mfu: each value must lie in (0, 1], got " + std::to_string(mfu));
  }
  std::vector<std::int64_t> counts;
  for (double count : ParseValues(flags.counts, "--count", true)) {
    if (count != std::floor(count) || count > 1e15) {
      throw UsageError("--count: each value must be a whole number of devices, got " + std::to_string(count));
    }
    counts.push_back(static_cast<std::int64_t>(count));
  }
  std::vector<Accelerator> accelerators;
  for (const std::string& name : SplitNames(flags.accelerators)) accelerators.push_back(ResolveAccelerator(name, ""));
  const RecomputeChoice recompute = ParseRecomputeChoice(flags.recompute);
  std::string why;
  if (!flags.training.Check(&why)) throw UsageError(why);
  const Shard shard = flags.shard.empty() ? Shard{} : ParseShard(flags.shard);

  // Rows and this shard's block of them.
  const std::uint64_t per_allocation = accelerators.size() * counts.size() * mfus.size();
  const std::uint64_t num_allocations = budgets.size() * inference.size() * unique.size();
  const double total_double = static_cast<double>(per_allocation) * static_cast<double>(num_allocations);
  if (total_double > 9e18) throw UsageError("the grid has more than 9e18 rows");
  const std::uint64_t total = per_allocation * num_allocations;
  const std::uint64_t base = total / shard.count, extra = total % shard.count;
  const std::uint64_t begin = shard.index * base + std::min(shard.index, extra);
  const std::uint64_t end = begin + base + (shard.index < extra ? 1 : 0);

  const PlanLaw law = ResolvePlanLaw(flags.fit_path, flags.law_name);
  const SweepWriter writer(law, flags, format);
  std::vector<std::string> accelerator_text, mfu_text;
  for (const Accelerator& accelerator : accelerators) accelerator_text.push_back(writer.Quote(accelerator.name));
  for (double mfu : mfus) {
    std::string text;
    AppendNumber(mfu, format, &text);
    mfu_text.push_back(text);
  }

  AtomicFileWriter out(flags.out_path);
  if (format == SweepFormat::CSV && !flags.no_header) out.Write(writer.Header());
  std::string line;
  line.reserve(512);
  std::uint64_t current = std::numeric_limits<std::uint64_t>::max();
  SweepAllocation allocation;
  for (std::uint64_t row = begin; row < end; ++row) {
    const std::uint64_t allocation_index = row / per_allocation;
    if (allocation_index != current) {
      current = allocation_index;
      const size_t u = allocation_index % unique.size();
      const size_t t = (allocation_index / unique.size()) % inference.size();
      const size_t c = allocation_index / (unique.size() * inference.size());
      allocation = writer.Allocate(budgets[c], inference[t], unique[u], accelerators, recompute);
    }
    const std::uint64_t within = row % per_allocation;
    const size_t m = within % mfus.size();
    const size_t k = (within / mfus.size()) % counts.size();
    const size_t a = within / (mfus.size() * counts.size());
    writer.Row(allocation, allocation.memory[a], accelerators[a], accelerator_text[a], counts[k], mfus[m], mfu_text[m],
               &line);
    out.Write(line);
  }
  out.Commit();
  if (flags.out_path != "-") {
    std::cerr << "scaleplan sweep: wrote " << (end - begin) << " rows";
    if (shard.count > 1) std::cerr << " (shard " << shard.index << "/" << shard.count << " of " << total << ")";
    std::cerr << " to " << flags.out_path << '\n';
  }
  return kExitOk;
}

}  // namespace

int RunSweep(const std::vector<std::string>& args) { return RunGuarded("sweep", [&] { return Sweep(args); }); }

}  // namespace scaleplan::cli
