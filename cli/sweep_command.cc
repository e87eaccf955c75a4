// scaleplan sweep: one plan per point of a Cartesian grid, streamed as CSV or JSON lines: model plans (the default)
// or, with --dictionary, sparse-dictionary plans.
//
// Every grid is a list of points (what a plan is made for) times the devices, and rows are enumerated with the
// point outermost and the MFU innermost:
//   model        budget, inference tokens, unique tokens | accelerator, count, MFU
//   dictionary   d_model, budget, k, subject size        | accelerator, count, MFU
// `--shard I/N` writes rows [floor-split I of N) of that order, so concatenating shards 0..N-1 (minus their headers)
// reproduces the full sweep byte for byte. Both kinds share the grid, the shards, the output file and the cell
// format (StreamSweep); they differ only in what a point and a row hold (ModelSweep, DictionarySweep).
//
// A model allocation depends only on its point: it is solved once per point, and so are its bootstrap intervals
// (one plan per resampled law) and its columns, formatted once, so a row costs a time/cost computation and three
// numbers formatted with std::to_chars (shortest round-trip form). A dictionary plan's costs depend on the device
// (memory, sharding, speed, price) and PlanDictionary makes the whole plan, so it is called once per row.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include "cli/cli_common.h"
#include "cli/hyperparams_command.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/plan_support.h"
#include "cli/progress.h"
#include "cli/sparse_plan.h"
#include "core/data_constrained.h"
#include "core/dictionary.h"
#include "core/dictionary_runs.h"
#include "core/error.h"
#include "core/frontier_plan.h"
#include "core/inference_allocation.h"
#include "core/training_plan.h"
#include "core/units.h"
#include "fitting/dictionary_fit.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

constexpr int kMaxRangeValues = 100000;
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

enum class SweepFormat { CSV, JSONL };

// The model sweep's columns, in order. Scripts depend on the names.
constexpr std::string_view kColumns[] = {
    "compute_flops", "inference_tokens", "unique_tokens", "num_params", "num_tokens", "tokens_per_param",
    "loss",          "epochs",           "chinchilla_num_params",      "training_flops", "inference_flops",
    "total_flops",   "accelerator",      "num_accelerators",           "mfu",        "min_devices_for_memory",
    "days",          "gpu_hours",        "cost_usd",                   "feasible"};

// With --layout-search, after kColumns: the searched layout of the row (core/frontier_plan.h), whose predicted MFU is
// the mfu column (and days, GPU-hours, cost and feasible are the layout's).
constexpr std::string_view kLayoutColumns[] = {"precision",  "tp",          "pp",           "dp",
                                               "cp",         "ep",          "virtual_stages", "micro_batch",
                                               "zero_stage", "recomputation", "step_seconds", "meets_max_days"};

// With resampled laws, after kColumns: the interval of N, D and the loss at the law's interval level.
constexpr std::string_view kIntervalColumns[] = {"num_params_lower", "num_params_upper", "num_tokens_lower",
                                                 "num_tokens_upper", "loss_lower",       "loss_upper"};

// Appends shortest round-trip text for `value` (JSON null / empty CSV cell when it is not finite), in scientific
// notation from 1e17 on: never 316227766016837943296, whose 21 digits claim a precision the double does not hold.
void AppendNumber(double value, SweepFormat format, std::string* out) {
  if (!std::isfinite(value)) {
    if (format == SweepFormat::JSONL) out->append("null");
    return;
  }
  out->append(FormatRoundTrip(value));  // core/units.h, as the sparse sweep's rows
}

void AppendInteger(std::int64_t value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out->append(buffer, result.ptr);
}

// The cells of a row: CSV fields, or the members of a JSON object keyed by the column names (`prefix` + `name`).
// Every cell ends with a comma, which End() turns into the end of the row. A header writer writes each cell's
// column name instead of its value, so that a header made by a row's own code always matches the rows.
class Cells {
 public:
  explicit Cells(SweepFormat format, bool header = false) : format_(format), header_(header) {}

  SweepFormat format() const { return format_; }

  void Begin(std::string* line) const {
    if (format_ == SweepFormat::JSONL && !header_) line->push_back('{');
  }
  void Number(std::string_view name, double value, std::string* line, std::string_view prefix = {}) const {
    if (Key(prefix, name, line)) AppendNumber(value, format_, line);
    line->push_back(',');
  }
  void Integer(std::string_view name, std::int64_t value, std::string* line, std::string_view prefix = {}) const {
    if (Key(prefix, name, line)) AppendInteger(value, line);
    line->push_back(',');
  }
  void Bool(std::string_view name, bool value, std::string* line, std::string_view prefix = {}) const {
    if (Key(prefix, name, line)) line->append(value ? "true" : "false");
    line->push_back(',');
  }
  // A value with no number: an empty CSV cell, JSON null.
  void Missing(std::string_view name, std::string* line, std::string_view prefix = {}) const {
    Number(name, kMissing, line, prefix);
  }
  // `text` as Quote() made it.
  void Text(std::string_view name, std::string_view text, std::string* line) const {
    if (Key({}, name, line)) line->append(text);
    line->push_back(',');
  }
  void End(std::string* line) const {
    if (line->empty()) return;
    const bool object = format_ == SweepFormat::JSONL && !header_;
    line->back() = object ? '}' : '\n';
    if (object) line->push_back('\n');
  }

  // A name (an accelerator's: letters, digits, '-', '.') as a CSV cell or a JSON string.
  std::string Quote(const std::string& name) const {
    return format_ == SweepFormat::JSONL ? "\"" + name + "\"" : name;
  }

 private:
  // Writes the JSON key (or, in a header, the name); true when the value is to follow.
  bool Key(std::string_view prefix, std::string_view name, std::string* line) const {
    if (header_) {
      line->append(prefix).append(name);
      return false;
    }
    if (format_ == SweepFormat::JSONL) line->append("\"").append(prefix).append(name).append("\":");
    return true;
  }

  SweepFormat format_;
  bool header_;
};

// "1e20:1e26:13" (13 log-spaced values, both ends included), "1e20,1e22", or a mix of both, comma-separated.
std::vector<double> ParseComputeSpec(const std::string& text) {
  std::vector<double> values;
  std::string part;
  const auto bad = [&](const std::string& why) {
    return UsageError("--compute: " + why + ": '" + part + "' (expected LO:HI:COUNT or a comma-separated list)");
  };
  for (const std::string& item : SplitListOption(text, "--compute")) {
    part = item;
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
  return ParseNumberList(text, option, allow_zero ? Range::NON_NEGATIVE : Range::POSITIVE);
}

std::vector<std::string> SplitNames(const std::string& text) {
  return SplitListOption(text, "--accelerator");
}

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
};

// --shard auto: this task's shard of a Slurm array job. Arrays need not start at 0 nor step by 1 (--array=1-15:2
// runs tasks 1, 3, ..., 15): shard = (ID - MIN) / STEP of COUNT (or (MAX - MIN) / STEP + 1 when COUNT is not set).
Shard ShardFromSlurmArray() {
  const auto variable = [](const char* name, bool required, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr) {
      if (required) throw UsageError(std::string("--shard auto: ") + name + " is not set (not a Slurm array task?)");
      return fallback;
    }
    std::uint64_t value = 0;
    const std::string_view digits(text);
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (result.ec != std::errc() || result.ptr != digits.data() + digits.size() || digits.empty()) {
      throw UsageError(std::string("--shard auto: ") + name + " must be a whole number, not '" + text + "'");
    }
    return value;
  };
  const std::uint64_t id = variable("SLURM_ARRAY_TASK_ID", true, 0);
  const std::uint64_t min = variable("SLURM_ARRAY_TASK_MIN", true, 0);
  const std::uint64_t step = variable("SLURM_ARRAY_TASK_STEP", false, 1);
  const bool has_max = std::getenv("SLURM_ARRAY_TASK_MAX") != nullptr;
  const std::uint64_t max = variable("SLURM_ARRAY_TASK_MAX", !std::getenv("SLURM_ARRAY_TASK_COUNT"), 0);
  if (step == 0 || id < min || (id - min) % step != 0 || (has_max && max < min)) {
    throw UsageError("--shard auto: task " + std::to_string(id) + " is not in an evenly spaced array from " +
                     std::to_string(min) + " by " + std::to_string(step));
  }
  Shard shard;
  shard.index = (id - min) / step;
  shard.count = variable("SLURM_ARRAY_TASK_COUNT", false, has_max ? (max - min) / step + 1 : 0);
  if (shard.count == 0 || shard.index >= shard.count) {
    throw UsageError("--shard auto: task " + std::to_string(id) + " is shard " + std::to_string(shard.index) +
                     " of an array of " + std::to_string(shard.count));
  }
  return shard;
}

Shard ParseShard(const std::string& text) {
  if (text == "auto") return ShardFromSlurmArray();
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
  std::string mfus;  // the default: the model's or the dictionary's default MFU
  std::string inference_tokens = "0";
  std::string unique_tokens = "0";
  std::string fit_path, law_name, format = "csv", out_path = "-", shard, recompute = "auto";
  TrainingPlanOptions training;  // --price-per-hour, --max-days (count and MFU come from the lists)
  BootstrapOptions bootstrap;    // --seed, --ci (--bootstrap sets num_resamples)
  int num_resamples = 0;         // --bootstrap: 0 = none
  bool no_header = false;
  std::string hyperparams;        // --hyperparams: the law of the hyper-parameter columns; "" = no such columns
  bool layout_search = false;     // --layout-search: each row's layout, MFU and time from the layout search
  std::string precisions = "bf16";  // --precision, with --layout-search: in the place of the MFU list
  // --dictionary
  bool dictionary = false;
  std::string d_models, ks = "0", subject_params = "0", runs_path;
};

// The device part of every grid, innermost: accelerator, then count, then MFU, with the cells rows write for them.
struct DeviceGrid {
  std::vector<Accelerator> accelerators;
  std::vector<std::string> accelerator_cells;
  std::vector<std::int64_t> counts;
  std::vector<double> mfus;
  std::vector<std::string> mfu_cells;
  std::vector<NumericType> precisions;  // with --layout-search: the innermost dimension instead of the MFUs

  std::uint64_t Size() const {
    return static_cast<std::uint64_t>(accelerators.size()) * counts.size() * mfus.size();
  }
};

// This shard's contiguous block [begin, end) of the grid's `total` rows.
struct RowRange {
  std::uint64_t begin = 0, end = 0, total = 0;
  Shard shard;
};

RowRange ShardRows(std::uint64_t num_points, const DeviceGrid& devices, const Shard& shard) {
  const double total_double = static_cast<double>(num_points) * static_cast<double>(devices.Size());
  if (total_double > 9e18) throw UsageError("the grid has more than 9e18 rows");
  RowRange range;
  range.shard = shard;
  range.total = num_points * devices.Size();
  const std::uint64_t base = range.total / shard.count, extra = range.total % shard.count;
  range.begin = shard.index * base + std::min(shard.index, extra);
  range.end = range.begin + base + (shard.index < extra ? 1 : 0);
  return range;
}

// Writes the rows of `range` to `out_path` (CSV: after the header, unless `no_header`). `sweep` provides
// Header(), SelectPoint(point) and Row(accelerator, count, mfu, &line) for the selected point; a point's rows are
// the device grid, so point p holds rows [p D, (p + 1) D) for D device settings.
template <class Sweep>
void StreamSweep(Sweep& sweep, const DeviceGrid& devices, const RowRange& range, SweepFormat format,
                 const std::string& out_path, bool no_header) {
  const std::uint64_t per_point = devices.Size();
  const size_t num_counts = devices.counts.size(), num_mfus = devices.mfus.size();
  AtomicFileWriter out(out_path);
  if (format == SweepFormat::CSV && !no_header) out.Write(sweep.Header());
  std::string line;
  line.reserve(1024);
  std::uint64_t current = std::numeric_limits<std::uint64_t>::max();
  for (std::uint64_t row = range.begin; row < range.end; ++row) {
    const std::uint64_t point = row / per_point;
    if (point != current) {
      current = point;
      sweep.SelectPoint(point);
    }
    const std::uint64_t within = row % per_point;
    const size_t m = within % num_mfus;
    const size_t k = (within / num_mfus) % num_counts;
    const size_t a = within / (num_mfus * num_counts);
    sweep.Row(a, k, m, &line);
    out.Write(line);
  }
  out.Commit();
}

// Splits a mixed-radix index: the digit of radix `radix` (the innermost left), and the rest into *index.
size_t NextDigit(std::uint64_t* index, size_t radix) {
  const size_t digit = static_cast<size_t>(*index % radix);
  *index /= radix;
  return digit;
}

// ---------------------------------------------------------------------------------------------------------------
// Model sweeps.

// A model plan at one point, as `scaleplan plan --compute C [--unique-tokens U] [--inference-tokens T]` makes it
// (core/plan.h AllocatePlan): the data-constrained compute-optimal plan (Chinchilla's when U = 0), then with T > 0
// the plan of the same loss at the least training + inference FLOPs. `request` is reused across points.
struct ModelPlan {
  Allocation allocation;
  double chinchilla_num_params = 0.0;
  double inference_flops = 0.0;
};

ModelPlan PlanModel(const PlanLaw& law, double compute_flops, double inference_tokens, double unique_tokens,
                    PlanRequest* request) {
  request->mode = PlanMode::COMPUTE_OPTIMAL;
  request->compute_flops = compute_flops;
  request->options.inference_tokens = inference_tokens;
  request->options.unique_tokens = unique_tokens;
  const Plan plan = AllocatePlan(law, *request);
  ModelPlan out;
  out.allocation = plan.allocation;
  out.chinchilla_num_params = ChinchillaComparison(plan).num_params;  // as plan --format json reports it
  out.inference_flops = plan.inference ? plan.inference->cost.inference_flops : 0.0;
  return out;
}

class ModelSweep {
 public:
  ModelSweep(const PlanLaw& law, const SweepFlags& flags, const Cells& cells, const std::vector<double>& budgets,
             const std::vector<double>& inference, const std::vector<double>& unique, const DeviceGrid& devices,
             RecomputeChoice recompute)
      : law_(law), flags_(flags), cells_(cells), budgets_(budgets), inference_(inference), unique_(unique),
        devices_(devices), recompute_(recompute), intervals_(!law.saved.bootstrap_laws.empty()) {}

  std::string Header() const {
    std::string header;
    for (std::string_view column : kColumns) header.append(header.empty() ? "" : ",").append(column);
    if (flags_.layout_search) {
      for (std::string_view column : kLayoutColumns) header.append(",").append(column);
    }
    if (!flags_.hyperparams.empty()) header.append(",batch_tokens,batch_sequences,learning_rate,num_steps,warmup_steps");
    if (intervals_) {
      for (std::string_view column : kIntervalColumns) header.append(",").append(column);
    }
    return header + '\n';
  }

  // The plan at the point, its columns up to total_flops, its intervals, and its memory on each accelerator.
  void SelectPoint(std::uint64_t point) {
    const double unique_tokens = unique_[NextDigit(&point, unique_.size())];
    const double inference_tokens = inference_[NextDigit(&point, inference_.size())];
    const double compute_flops = budgets_[point];
    const ModelPlan plan = PlanModel(law_, compute_flops, inference_tokens, unique_tokens, &request_);
    RequireUsableAllocation(plan.allocation, law_.saved.description);
    const Allocation& allocation = plan.allocation;
    const double epochs = unique_tokens > 0.0 ? allocation.num_tokens / unique_tokens : kMissing;
    training_flops_ = allocation.compute_flops;  // the budget itself, or 6 N D of the inference-aware plan
    const double values[] = {compute_flops,        inference_tokens,    unique_tokens,
                             allocation.num_params, allocation.num_tokens, allocation.tokens_per_param,
                             allocation.loss_nats,  epochs,              plan.chinchilla_num_params,
                             training_flops_,       plan.inference_flops, training_flops_ + plan.inference_flops};
    prefix_.clear();
    cells_.Begin(&prefix_);
    for (size_t i = 0; i < std::size(values); ++i) cells_.Number(kColumns[i], values[i], &prefix_);

    suffix_.clear();
    // With --layout-search, the searched shape is the row's one model (memory, hyper-parameters, layout), as in plan.
    shape_ = flags_.layout_search ? ProposeFrontierShape(allocation.num_params) : std::nullopt;
    if (!flags_.hyperparams.empty()) {  // before the interval columns, as in Header()
      if (!hyperparams_law_) hyperparams_law_ = ResolveHyperparamsLaw(flags_.hyperparams);
      const Hyperparams h = PlanHyperparams(*hyperparams_law_, allocation,
                                            EstimateModelMemory(allocation.num_params, nullptr, recompute_,
                                                                flags_.training.usable_memory_fraction,
                                                                shape_ ? &*shape_ : nullptr));
      cells_.Number("batch_tokens", h.batch_tokens, &suffix_);
      cells_.Integer("batch_sequences", h.batch_sequences, &suffix_);
      cells_.Number("learning_rate", h.learning_rate, &suffix_);
      cells_.Integer("num_steps", h.num_steps, &suffix_);
      cells_.Integer("warmup_steps", h.warmup_steps, &suffix_);
    }
    if (intervals_) {
      const std::optional<AllocationIntervals> in = BootstrapAllocationIntervals(law_, [&](const PlanLaw& resampled) {
        return PlanModel(resampled, compute_flops, inference_tokens, unique_tokens, &request_).allocation;
      });
      const double bounds[] = {in ? in->num_params.lower : kMissing, in ? in->num_params.upper : kMissing,
                               in ? in->num_tokens.lower : kMissing, in ? in->num_tokens.upper : kMissing,
                               in ? in->loss.lower : kMissing,       in ? in->loss.upper : kMissing};
      for (size_t i = 0; i < std::size(bounds); ++i) cells_.Number(kIntervalColumns[i], bounds[i], &suffix_);
    }

    num_tokens_ = allocation.num_tokens;
    if (!devices_.accelerators.empty()) {
      // The global batch the layout search splits, and that bounds the devices an MFU row keeps busy: the
      // hyper-parameter law's at the point's shape, as `plan`.
      if (!layout_batch_law_) {
        layout_batch_law_ = ResolveHyperparamsLaw(flags_.hyperparams.empty() ? "deepseek" : flags_.hyperparams);
      }
      batch_tokens_ = PlanHyperparams(*layout_batch_law_, allocation,
                                      EstimateModelMemory(allocation.num_params, nullptr, recompute_,
                                                          flags_.training.usable_memory_fraction,
                                                          shape_ ? &*shape_ : nullptr))
                          .batch_tokens;
    }
    memory_.clear();
    for (const Accelerator& accelerator : devices_.accelerators) {
      memory_.push_back(EstimateModelMemory(allocation.num_params, &accelerator, recompute_,
                                            flags_.training.usable_memory_fraction));
    }
  }

  // Formats one row of the selected point into `line` (cleared first).
  void Row(size_t a, size_t k, size_t m, std::string* line) const {
    if (flags_.layout_search) return LayoutRow(a, k, m, line);
    const ModelMemory& memory = memory_[a];
    TrainingPlanOptions options = flags_.training;
    options.num_accelerators = devices_.counts[k];
    options.mfu = devices_.mfus[m];
    DeviceTime time = TimeOnDevices(training_flops_, memory, devices_.accelerators[a], options);
    // As `plan --mfu` (core/plan.cc): a count the step's batch cannot keep busy is capped when chosen, and infeasible.
    const BusyDeviceBound bound = MaxBusyDevices(batch_tokens_, memory.has_shape ? memory.shape.context_length : 0,
                                                 devices_.accelerators[a].devices_per_node);
    if (bound.Exceeded(time.num_accelerators)) {
      time = TimeOnDevices(training_flops_, memory, devices_.accelerators[a], WithinBusyBound(options, time, bound));
      time.feasible = false;
    }
    const bool timed = time.days > 0.0;
    line->assign(prefix_);
    cells_.Text(kColumns[12], devices_.accelerator_cells[a], line);
    cells_.Integer(kColumns[13], time.num_accelerators, line);
    cells_.Text(kColumns[14], devices_.mfu_cells[m], line);
    cells_.Integer(kColumns[15], memory.min_devices_for_memory, line);
    cells_.Number(kColumns[16], timed ? time.days : kMissing, line);
    cells_.Number(kColumns[17], timed ? time.device_hours : kMissing, line);
    cells_.Number(kColumns[18], timed ? time.cost_usd : kMissing, line);
    cells_.Bool(kColumns[19], time.feasible, line);
    line->append(suffix_);
    cells_.End(line);
  }

  // A --layout-search row: PlanFrontier at the count (0 = the fewest for --max-days, else 90 days), as `plan`.
  void LayoutRow(size_t a, size_t k, size_t m, std::string* line) const {
    const Accelerator& accelerator = devices_.accelerators[a];
    std::optional<FrontierPlan> plan;
    if (shape_ && num_tokens_ > 0.0) {
      FrontierRequest request;
      request.shape = *shape_;
      request.num_tokens = num_tokens_;
      request.global_batch_tokens = batch_tokens_;
      request.precision = devices_.precisions[m];
      request.num_devices = devices_.counts[k];
      request.max_days = flags_.training.max_days;
      request.price_usd_per_hour = flags_.training.price_usd_per_hour;
      request.usable_memory_fraction = flags_.training.usable_memory_fraction;
      plan = PlanFrontier(request, accelerator);
    }
    const LayoutEstimate* best = plan ? plan->Best() : nullptr;
    line->assign(prefix_);
    cells_.Text(kColumns[12], devices_.accelerator_cells[a], line);
    cells_.Integer(kColumns[13], plan ? plan->num_devices : devices_.counts[k], line);
    cells_.Number(kColumns[14], best ? best->mfu : kMissing, line);
    cells_.Integer(kColumns[15], memory_[a].min_devices_for_memory, line);
    cells_.Number(kColumns[16], best ? plan->days : kMissing, line);
    cells_.Number(kColumns[17], best ? plan->gpu_hours : kMissing, line);
    cells_.Number(kColumns[18], best ? plan->cost_usd : kMissing, line);
    cells_.Bool(kColumns[19], plan && plan->feasible, line);
    cells_.Text(kLayoutColumns[0], cells_.Quote(NumericTypeName(devices_.precisions[m])), line);
    const ParallelLayout layout = best ? best->layout : ParallelLayout{};
    const std::int64_t degrees[] = {layout.tp, layout.pp, layout.dp, layout.cp, layout.ep, layout.virtual_stages,
                                    layout.micro_batch, layout.zero_stage};
    for (size_t i = 0; i < std::size(degrees); ++i) {
      if (best) {
        cells_.Integer(kLayoutColumns[1 + i], degrees[i], line);
      } else {
        cells_.Number(kLayoutColumns[1 + i], kMissing, line);
      }
    }
    cells_.Text(kLayoutColumns[9], best ? cells_.Quote(RecomputationName(layout.recomputation)) : cells_.Quote(""),
                line);
    cells_.Number(kLayoutColumns[10], best ? best->step_seconds : kMissing, line);
    if (plan && plan->meets_max_days) {
      cells_.Bool(kLayoutColumns[11], *plan->meets_max_days, line);
    } else {
      cells_.Number(kLayoutColumns[11], kMissing, line);
    }
    line->append(suffix_);
    cells_.End(line);
  }

 private:
  const PlanLaw& law_;
  PlanRequest request_;  // the allocation request, refilled at each point
  const SweepFlags& flags_;
  const Cells& cells_;
  const std::vector<double>& budgets_;
  const std::vector<double>& inference_;
  const std::vector<double>& unique_;
  const DeviceGrid& devices_;
  RecomputeChoice recompute_;
  bool intervals_;
  // The selected point.
  double training_flops_ = 0.0;
  double num_tokens_ = 0.0;
  double batch_tokens_ = 0.0;                      // with accelerators: the point's global batch
  std::optional<HyperparamsLaw> layout_batch_law_;  // with accelerators: the law of that batch
  std::optional<TransformerShape> shape_;  // --layout-search: the proposed shape for the point's N
  std::string prefix_;               // every column up to and including total_flops
  std::string suffix_;               // the interval columns (empty without resampled laws)
  std::vector<ModelMemory> memory_;  // per accelerator
  std::optional<HyperparamsLaw> hyperparams_law_;  // --hyperparams, resolved at the first point
};

// ---------------------------------------------------------------------------------------------------------------
// Dictionary sweeps.

// The scalar keys of `scaleplan dictionary --format json`'s costs of one kind of kernels, in its order, with
// `prefix` (the dense-kernel alternative's are flattened as dense_*). Empty cells when the plan is unreachable.
void CostCells(const Cells& cells, const DictionaryCosts& c, bool reachable, bool subject_known,
               std::string_view prefix, std::string* line) {
  const auto number = [&](std::string_view name, double value) {
    cells.Number(name, reachable ? value : kMissing, line, prefix);
  };
  const auto integer = [&](std::string_view name, std::int64_t value) {
    if (reachable) {
      cells.Integer(name, value, line, prefix);
    } else {
      cells.Missing(name, line, prefix);
    }
  };
  integer("num_latents", std::llround(c.num_latents));  // counts are integers
  integer("k", std::llround(c.k));
  number("num_tokens", c.num_tokens);
  number("compute_flops", c.compute_flops);
  number("harvest_flops", subject_known ? c.harvest_flops : kMissing);
  number("loss", c.loss);
  number("memory_bytes", c.memory_bytes);
  number("memory_bytes_per_device", c.memory_bytes_per_device);
  integer("devices", c.devices);
  number("days", c.days);
  number("training_days", c.training_days);
  number("harvest_days", c.harvest_days);
  integer("harvest_devices", c.harvest_devices);
  integer("harvest_min_devices", c.harvest_min_devices);
  number("device_hours", c.device_hours);
  number("cost_usd", c.cost_usd);
  number("price_usd_per_hour", c.price_usd_per_hour);
  number("flops_per_token", c.flops_per_token);
  number("harvest_flops_per_token", c.harvest_flops_per_token);
  integer("aux_latents", std::llround(c.aux_latents));
  number("num_params", c.memory.num_params);
  number("optimizer_bytes_per_step", c.optimizer_bytes_per_step);
  number("harvest_storage_bytes", c.harvest_storage_bytes);
  if (reachable) {
    cells.Bool("feasible", c.feasible, line, prefix);
  } else {
    cells.Missing("feasible", line, prefix);
  }
}

// One dictionary row: the point and the device, then the plan's columns named as `scaleplan dictionary`'s keys.
void DictionaryCells(const Cells& cells, const DictionaryRequest& request, const DictionaryPlan& plan,
                     std::string_view accelerator_cell, std::string_view mfu_cell, std::string* line) {
  cells.Begin(line);
  cells.Integer("d_model", std::llround(request.d_model), line);
  cells.Number("budget", request.compute_flops, line);
  cells.Number("subject_params", request.subject.num_params, line);
  cells.Text("accelerator", accelerator_cell, line);
  cells.Text("mfu", mfu_cell, line);
  cells.Bool("prior", plan.prior, line);
  cells.Bool("reachable", plan.reachable, line);
  const bool known = request.subject.Known();
  CostCells(cells, plan.sparse, plan.reachable, known, "", line);
  if (plan.reachable) {
    cells.Bool("converged", plan.converged, line);
    cells.Number("convergence_tokens", plan.convergence_tokens, line);
  } else {
    cells.Missing("converged", line);
    cells.Missing("convergence_tokens", line);
  }
  CostCells(cells, plan.dense, plan.reachable, known, "dense_", line);
  cells.End(line);
}

class DictionarySweep {
 public:
  // `base` carries the laws and the options shared by every row.
  DictionarySweep(const DictionaryRequest& base, const Cells& cells, const std::vector<double>& d_models,
                  const std::vector<double>& budgets, const std::vector<double>& ks,
                  const std::vector<double>& subjects, const DeviceGrid& devices)
      : request_(base), cells_(cells), d_models_(d_models), budgets_(budgets), ks_(ks), subjects_(subjects),
        devices_(devices) {
    request_.goal = DictionaryGoal::COMPUTE;
  }

  std::uint64_t NumPoints() const {
    return static_cast<std::uint64_t>(d_models_.size()) * budgets_.size() * ks_.size() * subjects_.size();
  }

  std::string Header() const {
    std::string header;
    DictionaryCells(Cells(cells_.format(), /*header=*/true), request_, DictionaryPlan{}, "", "", &header);
    return header;
  }

  void SelectPoint(std::uint64_t point) {
    request_.subject.num_params = subjects_[NextDigit(&point, subjects_.size())];
    request_.k = ks_[NextDigit(&point, ks_.size())];
    request_.compute_flops = budgets_[NextDigit(&point, budgets_.size())];
    request_.d_model = d_models_[point];
  }

  void Row(size_t a, size_t k, size_t m, std::string* line) {
    request_.accelerator = devices_.accelerators[a];
    request_.options.num_devices = devices_.counts[k];
    request_.options.mfu = devices_.mfus[m];
    const DictionaryPlan plan = PlanDictionary(request_);
    line->clear();
    DictionaryCells(cells_, request_, plan, devices_.accelerator_cells[a], devices_.mfu_cells[m], line);
  }

  void UseLaws(const DictionaryLaws& laws) { request_.laws = laws; }
  const std::string& LawLabel() const { return request_.laws.label; }

  // UsageError unless every value of every list makes a valid request (each value checked against the first of
  // the other lists: no check involves two lists).
  void CheckGrid() const {
    DictionaryRequest first = request_;
    first.d_model = d_models_.front();
    first.compute_flops = budgets_.front();
    first.accelerator = devices_.accelerators.front();
    const auto check = [&](const char* option, double value, const std::function<void(DictionaryRequest*)>& set) {
      DictionaryRequest request = first;
      set(&request);
      std::string why;
      if (!request.Check(&why)) {
        std::string text;
        AppendNumber(value, SweepFormat::CSV, &text);
        throw UsageError(std::string(option) + " " + text + ": " + why);
      }
    };
    check("--price-per-hour", first.options.price_usd_per_hour, [](DictionaryRequest*) {});
    for (double d_model : d_models_) check("--d-model", d_model, [&](DictionaryRequest* r) { r->d_model = d_model; });
    for (double k : ks_) check("--k", k, [&](DictionaryRequest* r) { r->k = k; });
    for (double subject : subjects_) {
      check("--subject-params", subject, [&](DictionaryRequest* r) { r->subject.num_params = subject; });
    }
    for (double mfu : devices_.mfus) check("--mfu", mfu, [&](DictionaryRequest* r) { r->options.mfu = mfu; });
    for (const Accelerator& accelerator : devices_.accelerators) {
      DictionaryRequest request = first;
      request.accelerator = accelerator;
      std::string why;
      if (!request.Check(&why)) throw UsageError("--accelerator " + accelerator.name + ": " + why);
    }
  }

 private:
  DictionaryRequest request_;  // the selected point's, with the current row's device
  const Cells& cells_;
  const std::vector<double>& d_models_;
  const std::vector<double>& budgets_;
  const std::vector<double>& ks_;
  const std::vector<double>& subjects_;
  const DeviceGrid& devices_;
};

// ---------------------------------------------------------------------------------------------------------------

bool Given(const po::variables_map& vm, const char* name) { return vm.count(name) && !vm[name].defaulted(); }

// Options that belong to one kind of sweep only: naming one with the other kind is a usage error.
void CheckKind(const po::variables_map& vm, bool dictionary) {
  static const char* const kModelOnly[] = {"inference-tokens", "unique-tokens", "fit", "law", "recompute",
                                           "max-days", "bootstrap", "seed", "ci"};
  static const char* const kDictionaryOnly[] = {"d-model", "k", "subject-params", "runs"};
  if (dictionary) {
    for (const char* name : kModelOnly) {
      if (Given(vm, name)) {
        throw UsageError(std::string("--") + name + " is for model sweeps; a dictionary sweep (--dictionary) takes "
                         "--d-model, --compute, --k, --subject-params, --runs and the device lists");
      }
    }
    if (!Given(vm, "d-model")) {
      throw UsageError("--dictionary needs --d-model: the activation width(s) the dictionaries learn, e.g. 4096,8192");
    }
    if (!Given(vm, "compute")) {
      throw UsageError("--dictionary needs --compute: the FLOP budgets to plan for, e.g. 1e18:1e22:9");
    }
  } else {
    for (const char* name : kDictionaryOnly) {
      if (Given(vm, name)) throw UsageError(std::string("--") + name + " is for dictionary sweeps: add --dictionary");
    }
  }
}

DeviceGrid ParseDevices(const SweepFlags& flags, const Cells& cells) {
  DeviceGrid devices;
  if (flags.layout_search) {
    for (const std::string& name : SplitListOption(flags.precisions, "--precision")) {
      const std::optional<NumericType> type = TryParseNumericType(name);
      if (!type || (*type != NumericType::BF16 && *type != NumericType::FP8)) {
        throw UsageError("--precision: must be bf16 or fp8: '" + name + "'");
      }
      devices.precisions.push_back(*type);
      devices.mfus.push_back(kMissing);  // predicted per row
    }
  } else {
    devices.mfus = ParseNumberList(flags.mfus, "--mfu", Range::FRACTION);
  }
  devices.counts = ParseCountList(flags.counts, "--count");
  for (const std::string& name : SplitNames(flags.accelerators)) {
    devices.accelerators.push_back(ResolveAccelerator(name, ""));
  }
  for (const Accelerator& accelerator : devices.accelerators) {
    devices.accelerator_cells.push_back(cells.Quote(accelerator.name));
  }
  for (double mfu : devices.mfus) {
    std::string text;
    AppendNumber(mfu, cells.format(), &text);
    devices.mfu_cells.push_back(text);
  }
  for (const Accelerator& accelerator : devices.accelerators) {
    if (flags.layout_search && !accelerator.HasInterconnect()) {
      throw UsageError("--layout-search: " + accelerator.name + " has no interconnect figures");
    }
  }
  return devices;
}

void ReportWritten(const SweepFlags& flags, const RowRange& range, const std::string& detail) {
  if (flags.out_path == "-") return;
  std::cerr << "scaleplan sweep: wrote " << (range.end - range.begin) << " rows";
  if (range.shard.count > 1) {
    std::cerr << " (shard " << range.shard.index << "/" << range.shard.count << " of " << range.total << ")";
  }
  std::cerr << " to " << flags.out_path << detail << '\n';
}

std::string Percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", 100.0 * fraction);
  return text;
}

int SweepModels(const SweepFlags& flags, const po::variables_map& vm, const Cells& cells, const DeviceGrid& devices,
                const Shard& shard) {
  const std::vector<double> budgets = ParseComputeSpec(flags.compute);
  const std::vector<double> inference = ParseValues(flags.inference_tokens, "--inference-tokens", true);
  const std::vector<double> unique = ParseValues(flags.unique_tokens, "--unique-tokens", true);
  const RecomputeChoice recompute = ParseRecomputeChoice(flags.recompute);
  std::string why;
  if (!flags.training.Check(&why)) throw UsageError(why);
  const bool ci_given = Given(vm, "ci");
  BootstrapOptions bootstrap = flags.bootstrap;
  bootstrap.num_resamples = flags.num_resamples;
  if (flags.num_resamples != 0) {
    if (!bootstrap.Check(&why)) throw UsageError(why);
    if (!flags.law_name.empty() || !flags.fit_path.empty()) {
      throw UsageError("--bootstrap resamples the bundled runs; with --fit, save the fit with 'fit --bootstrap' "
                       "instead (published laws have no runs to resample)");
    }
  } else if (ci_given && !(bootstrap.confidence > 0 && bootstrap.confidence < 1)) {
    throw UsageError("--ci must lie in (0, 1)");
  }
  const RowRange range =
      ShardRows(static_cast<std::uint64_t>(budgets.size()) * inference.size() * unique.size(), devices, shard);

  PlanLaw law = ResolvePlanLaw(InputPath(flags.fit_path), flags.law_name);
  if (flags.num_resamples != 0) {
    ProgressBar bar("bootstrap");
    AddBundledBootstrap(bootstrap, [&bar](int done, int total) { bar.Update(done, total); }, &law);
  } else if (ci_given) {
    law.saved.confidence = bootstrap.confidence;
  }
  ModelSweep sweep(law, flags, cells, budgets, inference, unique, devices, recompute);
  StreamSweep(sweep, devices, range, cells.format(), flags.out_path, flags.no_header);
  std::string detail;
  if (!law.saved.bootstrap_laws.empty()) {
    detail = "; intervals at " + Percent(law.saved.confidence) + " over " +
             std::to_string(law.saved.bootstrap_laws.size()) + " resampled laws";
  }
  ReportWritten(flags, range, detail);
  return kExitOk;
}

int SweepDictionaries(const SweepFlags& flags, const Cells& cells, const DeviceGrid& devices, const Shard& shard) {
  const std::vector<double> d_models = ParseValues(flags.d_models, "--d-model", false);
  const std::vector<double> budgets = ParseComputeSpec(flags.compute);
  const std::vector<double> ks = ParseValues(flags.ks, "--k", true);
  const std::vector<double> subjects = ParseValues(flags.subject_params, "--subject-params", true);
  DictionaryRequest base;  // the defaults of `scaleplan dictionary`
  base.options.price_usd_per_hour = flags.training.price_usd_per_hour;
  DictionarySweep sweep(base, cells, d_models, budgets, ks, subjects, devices);
  sweep.CheckGrid();
  const RowRange range = ShardRows(sweep.NumPoints(), devices, shard);

  if (!flags.runs_path.empty()) {
    const DictionaryRunsTable runs = LoadDictionaryRunsCsv(InputPath(flags.runs_path));
    const DictionaryFit fit = FitDictionaryLaws(runs);
    if (!fit.usable) {
      std::cerr << "scaleplan sweep: error: the fit of the dictionary runs is not usable: " << fit.status << '\n';
      return kExitFitFailed;
    }
    sweep.UseLaws(fit.laws);
  }
  std::cerr << "scaleplan sweep: dictionary laws: " << sweep.LawLabel() << '\n';
  StreamSweep(sweep, devices, range, cells.format(), flags.out_path, flags.no_header);
  ReportWritten(flags, range, "");
  return kExitOk;
}

int Sweep(const std::vector<std::string>& args) {
  if (IsSparseSweepRequest(args)) return SweepSparseModels(args);  // cli/sparse_plan.h
  SweepFlags flags;
  AppendNumber(flags.training.mfu, SweepFormat::CSV, &flags.mfus);  // the model's default MFU, as text
  std::string k_range_text;
  const DictionaryRequest dictionary_defaults;
  AppendNumber(dictionary_defaults.k_min, SweepFormat::CSV, &k_range_text);
  k_range_text += "..";
  AppendNumber(dictionary_defaults.k_max, SweepFormat::CSV, &k_range_text);
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&flags.compute)->default_value(flags.compute),
       "budgets in FLOPs: LO:HI:COUNT (COUNT log-spaced values, both ends included) and/or a comma list")
      ("accelerator", po::value(&flags.accelerators)->default_value(flags.accelerators),
       "catalogue devices, comma-separated (H100-SXM, H100-PCIe, H800-SXM, H200, A100-40GB, A100-80GB, B200, "
       "GB200-NVL72, MI300X, TPU-v5p, L40S, V100-SXM2-32GB)")
      ("count", po::value(&flags.counts)->default_value(flags.counts),
       "device counts, comma-separated; 0 = the fewest that hold the training state (and meet --max-days) or "
       "the dictionary")
      ("mfu", po::value(&flags.mfus)->default_value(flags.mfus), "MFU values, comma-separated, each in (0, 1]")
      ("inference-tokens", po::value(&flags.inference_tokens)->default_value(flags.inference_tokens),
       "lifetime inference demands in tokens, comma-separated; 0 = none (the Chinchilla-optimal plan)")
      ("unique-tokens", po::value(&flags.unique_tokens)->default_value(flags.unique_tokens),
       "unique-token limits, comma-separated; 0 = unlimited")
      ("price-per-hour",
       NumberValue<Range::NON_NEGATIVE>(&flags.training.price_usd_per_hour),
       "USD per device-hour for every device; 0 = each catalogue entry's planning default")
      ("max-days", NumberValue<Range::NON_NEGATIVE>(&flags.training.max_days),
       "wall-clock limit in days, 0 = no limit; rows over it say feasible = false")
      ("recompute", po::value(&flags.recompute)->default_value(flags.recompute),
       "activation recomputation for memory: auto, none, selective, full (see 'scaleplan plan --help')")
      ("fit", po::value(&flags.fit_path), "law from a saved fit ('scaleplan fit --out FIT.json'); a fit saved with "
                                          "'fit --bootstrap' adds the interval columns")
      ("law", po::value(&flags.law_name), "a published law: hoffmann, hoffmann-unrounded, epoch "
                                          "(default: fit the bundled runs)")
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&flags.num_resamples, flags.bootstrap.num_resamples),
       "interval columns from this many resamples of the bundled runs (alone: 1000), as 'plan --bootstrap'")
      ("seed", CountValue(&flags.bootstrap.seed), "bootstrap seed")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&flags.bootstrap.confidence),
       "interval level, e.g. 0.9")
      ("dictionary", po::bool_switch(&flags.dictionary),
       "sweep sparse-dictionary plans ('scaleplan dictionary') instead of model plans")
      ("d-model", po::value(&flags.d_models), "--dictionary: activation widths, comma-separated (required)")
      ("k", po::value(&flags.ks)->default_value(flags.ks),
       ("--dictionary: active latents per token, comma-separated; 0 = the best k in " + k_range_text).c_str())
      ("subject-params", po::value(&flags.subject_params)->default_value(flags.subject_params),
       "--dictionary: subject model sizes, comma-separated, whose forward passes produce the activations (and "
       "share the budget); 0 = unknown, not costed")
      ("runs", po::value(&flags.runs_path), "--dictionary: dictionary runs CSV to fit the laws to (default: the "
                                            "prior, Gao et al. 2024)")
      ("format", po::value(&flags.format)->default_value(flags.format), "csv (with a header) or jsonl")
      ("out", po::value(&flags.out_path)->default_value(flags.out_path),
       "output file, written to a temporary file beside it and renamed at the end; - = stdout")
      ("shard", po::value(&flags.shard),
       "write only shard I of N (0 <= I < N) of the rows, e.g. 3/16; 'auto': this Slurm array task's shard "
       "(SLURM_ARRAY_TASK_ID, _MIN, _MAX, _STEP, _COUNT)")
      ("no-header", po::bool_switch(&flags.no_header), "leave the CSV header out");
  options.add_options()("layout-search", po::bool_switch(&flags.layout_search),
                        "each row's layout, predicted MFU, days and cost from the layout search (as 'plan "
                        "--accelerator' without --mfu), with the layout columns; --precision replaces --mfu")
      ("precision", po::value(&flags.precisions)->default_value(flags.precisions),
       "--layout-search: GEMM precisions, comma-separated: bf16, fp8");
  options.add_options()("hyperparams", po::value(&flags.hyperparams),
                        "add batch_tokens, batch_sequences, learning_rate, num_steps and warmup_steps columns from "
                        "this law: deepseek, steplaw or a fit's JSON (as 'plan --hyperparams'; model sweeps only)");
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (!flags.hyperparams.empty()) ResolveHyperparamsLaw(flags.hyperparams);  // a bad file fails before any row
  if (vm.count("help")) {
    PrintHelp(
        "scaleplan sweep [--compute LO:HI:COUNT] [--accelerator A,B] [--count K,...] [--mfu F,...]\n"
        "                       [--inference-tokens T,...] [--unique-tokens U,...] [--out FILE] [--shard I/N]\n"
        "       scaleplan sweep --dictionary --d-model D,... --compute LO:HI:COUNT [--k K,...]\n"
        "                       [--subject-params N,...] [--accelerator A,B] [--count K,...] [--mfu F,...]\n\n"
        "One row per point of the Cartesian grid (budget outermost, then inference tokens, unique tokens,\n"
        "accelerator, count, MFU), each the compute-optimal plan for its budget (with T > 0: the total-FLOP-optimal\n"
        "plan of the same loss; with U > 0: under that unique-token limit) and its time and cost on the devices.\n"
        "Columns: compute_flops, inference_tokens, unique_tokens, num_params (all parameters), num_tokens,\n"
        "tokens_per_param, loss, epochs (empty without a limit), chinchilla_num_params (the unconstrained\n"
        "Chinchilla optimum, or with T > 0 the plan without inference, as plan's JSON), training_flops,\n"
        "inference_flops, total_flops, accelerator, num_accelerators, mfu, min_devices_for_memory (0 = none holds\n"
        "it), days, gpu_hours, cost_usd, feasible. Numbers are in shortest round-trip form.\n"
        "--layout-search: each row's time comes from the layout search on the proposed shape for N (as 'plan\n"
        "--accelerator'), mfu is the predicted one, and precision, tp, pp, dp, cp, ep, virtual_stages,\n"
        "micro_batch, zero_stage, recomputation, step_seconds, meets_max_days follow feasible; the innermost\n"
        "dimension is --precision instead of --mfu.\n"
        "With resampled laws (--bootstrap, or a --fit saved by 'fit --bootstrap') every row also has\n"
        "num_params_lower, num_params_upper, num_tokens_lower, num_tokens_upper, loss_lower, loss_upper: the\n"
        "--ci interval of the same plan under the resampled laws, as 'plan' reports it.\n"
        "--dictionary: one sparse-dictionary plan per row ('scaleplan dictionary --d-model D --compute C'), the\n"
        "grid being d_model, budget, k, subject size, accelerator, count, MFU. Columns: d_model, budget,\n"
        "subject_params, accelerator, mfu, prior, reachable, then the keys of 'scaleplan dictionary --format json'\n"
        "(num_latents, k, num_tokens, compute_flops, harvest_flops, loss, memory_bytes, devices, days, ...,\n"
        "converged, convergence_tokens) and the dense-kernel alternative's as dense_compute_flops, dense_days, ...\n"
        "Shards split the rows into N contiguous blocks; shards 0..N-1 concatenated (headers dropped after the\n"
        "first) are the full sweep. Exit code 0 even when rows are infeasible: see the feasible column.",
        options,
        {"scaleplan sweep --compute 1e20:1e26:13 --out sweep.csv",
         "scaleplan sweep --compute 1e22,1e23,1e24 --accelerator H100-SXM,B200,MI300X --count 256,1024,4096",
         "scaleplan sweep --sparsity 0,0.5,0.75,0.9 --compute 1e20,1e21   # options: sweep --sparsity 0 --help",
         "scaleplan sweep --inference-tokens 0,1T,10T --unique-tokens 0,500B --format jsonl --out sweep.jsonl",
         "scaleplan sweep --compute 1e20:1e26:13 --bootstrap --ci 0.9 --out sweep.csv   # with interval columns",
         "scaleplan sweep --compute 1e23:1e26:4 --accelerator H100-SXM,B200 --count 1024,8192 --precision bf16,fp8 "
         "--layout-search",
         "scaleplan fit --bootstrap --out fit.json && scaleplan sweep --fit fit.json --compute 1e22:1e25:7",
         "scaleplan sweep --compute 1e20:1e26:61 --mfu 0.3,0.4,0.5 --shard $SLURM_ARRAY_TASK_ID/16 "
         "--out part-$SLURM_ARRAY_TASK_ID.csv",
         "parallel scaleplan sweep --compute 1e20:1e26:61 --shard {}/8 --out part-{}.csv ::: 0 1 2 3 4 5 6 7",
         "scaleplan sweep --dictionary --d-model 4096,8192 --compute 1e18:1e22:9 --out dictionaries.csv",
         "scaleplan sweep --dictionary --d-model 16384 --compute 1e21:1e24:7 --k 32,64 --subject-params 70B,400B "
         "--accelerator H100-SXM,B200 --format jsonl",
         "scaleplan sweep --dictionary --d-model 4096 --compute 1e18:1e21:13 --runs my_runs.csv --shard 0/4"});
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
  CheckKind(vm, flags.dictionary);
  if (flags.layout_search && flags.dictionary) throw UsageError("--layout-search is for model sweeps");
  if (flags.layout_search && Given(vm, "mfu")) {
    throw UsageError("--mfu: the layout search predicts the MFU (drop --mfu, or drop --layout-search)");
  }
  if (!flags.layout_search && Given(vm, "precision")) throw UsageError("--precision needs --layout-search");
  if (flags.dictionary && !Given(vm, "mfu")) {
    flags.mfus.clear();
    AppendNumber(DictionaryOptions{}.mfu, SweepFormat::CSV, &flags.mfus);  // the dictionary's default MFU
  }
  const Cells cells(format);
  const DeviceGrid devices = ParseDevices(flags, cells);
  const Shard shard = flags.shard.empty() ? Shard{} : ParseShard(flags.shard);
  return flags.dictionary ? SweepDictionaries(flags, cells, devices, shard)
                          : SweepModels(flags, vm, cells, devices, shard);
}

}  // namespace

int RunSweep(const std::vector<std::string>& args) { return RunGuarded("sweep", [&] { return Sweep(args); }); }

}  // namespace scaleplan::cli
