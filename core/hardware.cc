#include "core/hardware.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/json_input.h"
#include "core/units.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;

constexpr double kSecondsPerDay = 86400.0;
constexpr double kSecondsPerHour = 3600.0;

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) joined += (joined.empty() ? "" : ", ") + item;
  return joined;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

using CatalogueReader = LocatedJsonReader;

Accelerator ReadAccelerator(const CatalogueReader& reader, const Json& entry, const std::string& pointer) {
  reader.RequireObject(entry, pointer);
  reader.RejectUnknownKeys(entry, pointer,
                           {"name", "vendor", "source", "notes", "memory_bytes", "memory_bytes_per_second",
                            "price_usd_per_hour", "dense_flops_per_second", "interconnect"});
  Accelerator accelerator;
  accelerator.name = reader.RequireString(entry, "name", pointer);
  accelerator.vendor = reader.RequireString(entry, "vendor", pointer);
  accelerator.source = reader.RequireString(entry, "source", pointer);
  accelerator.notes = reader.OptionalString(entry, "notes", pointer);
  accelerator.memory_bytes = reader.RequireNumber(entry, "memory_bytes", pointer, /*allow_zero=*/false);
  accelerator.memory_bytes_per_second =
      reader.RequireNumber(entry, "memory_bytes_per_second", pointer, /*allow_zero=*/false);
  accelerator.price_usd_per_hour = reader.RequireNumber(entry, "price_usd_per_hour", pointer, /*allow_zero=*/true);

  const std::string peaks_pointer = pointer + "/dense_flops_per_second";
  const Json& peaks = reader.Require(entry, "dense_flops_per_second", pointer);
  reader.RequireObject(peaks, peaks_pointer);
  if (peaks.empty()) reader.Fail(peaks_pointer, "needs at least one numeric type");
  for (const auto& [key, value] : peaks.items()) {
    const std::optional<NumericType> type = TryParseNumericType(key);
    if (!type || key != NumericTypeName(*type)) {
      std::vector<std::string> names;
      for (NumericType known : kAllNumericTypes) names.emplace_back(NumericTypeName(known));
      reader.Fail(peaks_pointer + "/" + key, "unknown numeric type (known: " + Join(names) + ")");
    }
    accelerator.dense_flops_per_second[static_cast<int>(*type)] =
        reader.Number(value, peaks_pointer + "/" + key, /*allow_zero=*/false);
  }
  if (entry.contains("interconnect")) {
    const std::string link_pointer = pointer + "/interconnect";
    const Json& link = entry["interconnect"];
    reader.RequireObject(link, link_pointer);
    reader.RejectUnknownKeys(link, link_pointer,
                             {"devices_per_node", "intra_node_bytes_per_second", "inter_node_bytes_per_second",
                              "intra_node_latency_seconds", "inter_node_latency_seconds", "source"});
    accelerator.devices_per_node = reader.Integer(reader.Require(link, "devices_per_node", link_pointer),
                                                  link_pointer + "/devices_per_node", 1, 1000000);
    accelerator.intra_node_bytes_per_second =
        reader.RequireNumber(link, "intra_node_bytes_per_second", link_pointer, /*allow_zero=*/false);
    accelerator.inter_node_bytes_per_second =
        reader.RequireNumber(link, "inter_node_bytes_per_second", link_pointer, /*allow_zero=*/false);
    accelerator.intra_node_latency_seconds =
        reader.RequireNumber(link, "intra_node_latency_seconds", link_pointer, /*allow_zero=*/true);
    accelerator.inter_node_latency_seconds =
        reader.RequireNumber(link, "inter_node_latency_seconds", link_pointer, /*allow_zero=*/true);
    accelerator.interconnect_source = reader.RequireString(link, "source", link_pointer);
  }
  return accelerator;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
std::vector<NumericType> Accelerator::SupportedTypes() const {
  std::vector<NumericType> types;
  for (NumericType type : kAllNumericTypes) {
    if (DenseFlopsPerSecond(type) > 0.0) types.push_back(type);
  }
  return types;
}

HardwareCatalogue::HardwareCatalogue(std::string source_label, std::vector<Accelerator> accelerators)
    : source_label_(std::move(source_label)), accelerators_(std::move(accelerators)) {}

std::vector<std::string> HardwareCatalogue::Names() const {
  std::vector<std::string> names;
  names.reserve(accelerators_.size());
  for (const Accelerator& accelerator : accelerators_) names.push_back(accelerator.name);
  return names;
}

const Accelerator* HardwareCatalogue::TryFind(std::string_view name) const {
  const std::string wanted = Lowercase(name);
  for (const Accelerator& accelerator : accelerators_) {
    if (Lowercase(accelerator.name) == wanted) return &accelerator;
  }
  return nullptr;
}

const Accelerator& HardwareCatalogue::Find(std::string_view name, InputLocation where) const {
  if (const Accelerator* accelerator = TryFind(name)) return *accelerator;
  where.text = std::string(name);
  throw InputError("unknown accelerator in " + source_label_ + " (known: " + Join(Names()) + ")", std::move(where));
}

bool AcceleratorOverrides::Any() const {
  return peak_flops_per_second > 0.0 || memory_bytes > 0.0 || intra_node_bytes_per_second > 0.0 ||
         inter_node_bytes_per_second > 0.0 || devices_per_node > 0;
}

bool AcceleratorOverrides::Check(std::string* why) const {
  auto fail = [&](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (!(peak_flops_per_second >= 0.0) || !std::isfinite(peak_flops_per_second)) {
    return fail("--peak-flops: must be a positive FLOP/s figure");
  }
  if (!(memory_bytes >= 0.0) || !std::isfinite(memory_bytes)) return fail("--memory-bytes: must be positive");
  if (!(intra_node_bytes_per_second >= 0.0) || !std::isfinite(intra_node_bytes_per_second)) {
    return fail("--intra-node-bandwidth: must be positive");
  }
  if (!(inter_node_bytes_per_second >= 0.0) || !std::isfinite(inter_node_bytes_per_second)) {
    return fail("--inter-node-bandwidth: must be positive");
  }
  if (devices_per_node < 0) return fail("--devices-per-node: must be a positive whole number");
  return true;
}

Accelerator ApplyAcceleratorOverrides(Accelerator accelerator, const AcceleratorOverrides& overrides,
                                      const InputLocation& where) {
  if (!accelerator.HasInterconnect() &&
      (overrides.devices_per_node > 0 || overrides.intra_node_bytes_per_second > 0.0 ||
       overrides.inter_node_bytes_per_second > 0.0) &&
      !(overrides.devices_per_node > 0 && overrides.intra_node_bytes_per_second > 0.0 &&
        overrides.inter_node_bytes_per_second > 0.0)) {
    throw InputError(accelerator.name + " has no interconnect figures: give --devices-per-node, "
                                        "--intra-node-bandwidth and --inter-node-bandwidth together",
                     where);
  }
  if (overrides.peak_flops_per_second > 0.0) {
    for (double& peak : accelerator.dense_flops_per_second) {
      if (peak > 0.0) peak = overrides.peak_flops_per_second;
    }
  }
  if (overrides.memory_bytes > 0.0) accelerator.memory_bytes = overrides.memory_bytes;
  if (overrides.devices_per_node > 0) accelerator.devices_per_node = overrides.devices_per_node;
  if (overrides.intra_node_bytes_per_second > 0.0) {
    accelerator.intra_node_bytes_per_second = overrides.intra_node_bytes_per_second;
  }
  if (overrides.inter_node_bytes_per_second > 0.0) {
    accelerator.inter_node_bytes_per_second = overrides.inter_node_bytes_per_second;
  }
  if (overrides.Any()) {
    accelerator.source += " (with overrides)";
    if (accelerator.interconnect_source.empty()) accelerator.interconnect_source = "given on the command line";
  }
  return accelerator;
}

HardwareCatalogue ParseHardwareCatalogue(std::string_view json_text, const std::string& source_label) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& error) {  // parse_error, and out_of_range for a number beyond the double range
    throw InputError("not valid JSON: " + AbbreviatedText(JsonErrorReason(error.what()), 300),
                     InputLocation{source_label});
  }
  const CatalogueReader reader(source_label);
  reader.RequireObject(root, "");
  reader.RejectUnknownKeys(root, "", {"schema_version", "description", "accelerators"});

  const Json& version = reader.Require(root, "schema_version", "");
  if (!version.is_number_integer()) {
    reader.Fail("/schema_version", std::string("expected an integer, found ") + version.type_name(), &version);
  }
  if (version.get<std::int64_t>() != kHardwareCatalogueSchemaVersion) {
    reader.Fail("/schema_version",
                "unsupported schema version (this build reads " + std::to_string(kHardwareCatalogueSchemaVersion) + ")",
                &version);
  }
  reader.OptionalString(root, "description", "");

  const Json& entries = reader.Require(root, "accelerators", "");
  if (!entries.is_array()) {
    reader.Fail("/accelerators", std::string("expected an array, found ") + entries.type_name(), &entries);
  }
  if (entries.empty()) reader.Fail("/accelerators", "needs at least one accelerator");

  std::vector<Accelerator> accelerators;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string pointer = "/accelerators/" + std::to_string(i);
    Accelerator accelerator = ReadAccelerator(reader, entries[i], pointer);
    for (const Accelerator& earlier : accelerators) {
      if (Lowercase(earlier.name) == Lowercase(accelerator.name)) {
        reader.Fail(pointer + "/name", "duplicate accelerator name (names are compared case-insensitively)",
                    &entries[i]["name"]);
      }
    }
    accelerators.push_back(std::move(accelerator));
  }
  return HardwareCatalogue(source_label, std::move(accelerators));
}

HardwareCatalogue ReadHardwareCatalogueFile(const std::string& path) {
  return ParseHardwareCatalogue(ReadWholeFile(path), path);
}

// ---------------------------------------------------------------------------------------------------------------
bool TrainingPlanOptions::Check(std::string* why) const {
  auto fail = [why](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (!(mfu > 0.0 && mfu <= 1.0)) return fail("mfu must lie in (0, 1]");
  if (num_accelerators < 0) return fail("num_accelerators must be 0 (choose) or positive");
  if (!(usable_memory_fraction > 0.0 && usable_memory_fraction <= 1.0)) {
    return fail("usable_memory_fraction must lie in (0, 1]");
  }
  if (!(price_usd_per_hour >= 0.0) || !std::isfinite(price_usd_per_hour)) {
    return fail("price_usd_per_hour must be 0 (catalogue default) or positive");
  }
  if (!(max_days >= 0.0) || !std::isfinite(max_days)) return fail("max_days must be 0 (no limit) or positive");
  return true;
}

double MemoryBytesPerDevice(const TrainingMemory& memory, std::int64_t num_accelerators) {
  SCALEPLAN_CHECK(num_accelerators >= 1, "num_accelerators must be at least 1");
  if (num_accelerators == 1) return memory.TotalBytes();
  return memory.ModelStateBytes() / static_cast<double>(num_accelerators) + memory.ActivationAndLogitBytes() +
         2.0 * memory.layer_weight_bytes;
}

std::int64_t MinAcceleratorsForMemory(const TrainingMemory& memory, const Accelerator& accelerator,
                                      double usable_memory_fraction) {
  SCALEPLAN_CHECK(usable_memory_fraction > 0.0 && usable_memory_fraction <= 1.0,
                  "usable_memory_fraction must lie in (0, 1]");
  const double usable = accelerator.memory_bytes * usable_memory_fraction;
  if (memory.TotalBytes() <= usable) return 1;
  const double unsharded = memory.ActivationAndLogitBytes() + 2.0 * memory.layer_weight_bytes;
  if (unsharded >= usable) return 0;
  const double devices = std::ceil(memory.ModelStateBytes() / (usable - unsharded));
  if (!(devices < 1e15)) return 0;
  auto count = std::max<std::int64_t>(2, static_cast<std::int64_t>(devices));
  while (MemoryBytesPerDevice(memory, count) > usable) ++count;  // guards the rounding of the division
  return count;
}

double TrainingSeconds(double training_flops, double peak_flops_per_second, std::int64_t num_accelerators,
                       double mfu) {
  SCALEPLAN_CHECK(training_flops >= 0.0, "training_flops must not be negative");
  SCALEPLAN_CHECK(peak_flops_per_second > 0.0 && num_accelerators >= 1 && mfu > 0.0,
                  "peak, device count and MFU must be positive");
  return training_flops / (static_cast<double>(num_accelerators) * peak_flops_per_second * mfu);
}

TrainingPlan PlanTraining(double training_flops, const TrainingMemory& memory, const Accelerator& accelerator,
                          const TrainingPlanOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), "invalid training plan options: " + why);
  SCALEPLAN_CHECK(training_flops >= 0.0 && std::isfinite(training_flops), "training_flops must be finite and >= 0");

  TrainingPlan plan;
  plan.accelerator = accelerator.name;
  plan.peak_flops_per_second = accelerator.DenseFlopsPerSecond(options.compute_type);
  plan.usable_memory_bytes = accelerator.memory_bytes * options.usable_memory_fraction;
  plan.price_usd_per_hour = options.price_usd_per_hour > 0.0 ? options.price_usd_per_hour
                                                             : accelerator.price_usd_per_hour;
  const std::string type_name = NumericTypeName(options.compute_type);

  if (plan.peak_flops_per_second <= 0.0) {
    std::vector<std::string> supported;
    for (NumericType type : accelerator.SupportedTypes()) supported.emplace_back(NumericTypeName(type));
    plan.reasons.push_back(accelerator.name + " has no dense " + type_name + " peak in the catalogue (it has: " +
                           Join(supported) + ")");
  }

  plan.min_accelerators_for_memory = MinAcceleratorsForMemory(memory, accelerator, options.usable_memory_fraction);
  if (plan.min_accelerators_for_memory == 0) {
    plan.reasons.push_back(
        "no device count fits: one micro-batch's activations and logits (" +
        FormatBytes(memory.ActivationAndLogitBytes()) + ") plus two gathered layers (" +
        FormatBytes(2.0 * memory.layer_weight_bytes) + ") exceed the " + FormatBytes(plan.usable_memory_bytes) +
        " usable on one " + accelerator.name +
        "; use full recomputation, a smaller micro-batch or shorter sequences (tensor parallelism is not modelled)");
  }

  const double compute_per_device = plan.peak_flops_per_second * options.mfu;
  if (compute_per_device > 0.0 && options.max_days > 0.0) {
    const double devices = std::ceil(training_flops / (compute_per_device * options.max_days * kSecondsPerDay));
    plan.min_accelerators_for_days = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(devices, 9e18)));
  }

  if (options.num_accelerators > 0) {
    plan.num_accelerators = options.num_accelerators;
  } else if (plan.min_accelerators_for_memory > 0) {
    plan.num_accelerators = std::max(plan.min_accelerators_for_memory, plan.min_accelerators_for_days);
  }

  if (plan.num_accelerators > 0) {
    plan.memory_bytes_per_device = MemoryBytesPerDevice(memory, plan.num_accelerators);
    if (plan.min_accelerators_for_memory > 0 && plan.num_accelerators < plan.min_accelerators_for_memory) {
      plan.reasons.push_back(std::to_string(plan.num_accelerators) + " x " + accelerator.name + " need " +
                             FormatBytes(plan.memory_bytes_per_device) + " per device, more than the " +
                             FormatBytes(plan.usable_memory_bytes) + " usable (" +
                             Fixed(100.0 * options.usable_memory_fraction, 0) + "% of " +
                             FormatBytes(accelerator.memory_bytes) + "); need at least " +
                             std::to_string(plan.min_accelerators_for_memory));
    }
    if (compute_per_device > 0.0) {
      plan.seconds = TrainingSeconds(training_flops, plan.peak_flops_per_second, plan.num_accelerators, options.mfu);
      plan.days = plan.seconds / kSecondsPerDay;
      plan.device_hours = static_cast<double>(plan.num_accelerators) * plan.seconds / kSecondsPerHour;
      plan.cost_usd = plan.device_hours * plan.price_usd_per_hour;
      if (options.max_days > 0.0 && plan.days > options.max_days) {
        plan.reasons.push_back("takes " + Fixed(plan.days, 1) + " days on " + std::to_string(plan.num_accelerators) +
                               " x " + accelerator.name + " at " + Fixed(100.0 * options.mfu, 0) + "% MFU (" +
                               type_name + "), more than the " + Fixed(options.max_days, 1) +
                               "-day limit; need at least " + std::to_string(plan.min_accelerators_for_days));
      }
    }
  }
  plan.feasible = plan.reasons.empty();
  return plan;
}

}  // namespace scaleplan
