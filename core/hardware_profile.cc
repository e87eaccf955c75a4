#include "core/hardware_profile.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_input.h"

namespace scaleplan {
namespace {

using Json = nlohmann::ordered_json;  // keeps keys in the documented order when writing

const char* TypeName(const Json& value) {
  if (value.is_number_integer()) return "integer";
  return value.type_name();
}

// Reads typed values out of one JSON object, naming `source` and the JSON path of every problem.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) Fail(path_, std::string("expected an object, found ") + TypeName(object_), object_);
  }

  const Json* Find(const std::string& key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  const Json& Require(const std::string& key) const {
    const Json* value = Find(key);
    if (value == nullptr) Fail(PathOf(key), "missing required key", Json());
    return *value;
  }

  std::string String(const std::string& key) const { return AsString(Require(key), PathOf(key)); }

  std::optional<std::string> OptionalString(const std::string& key) const {
    const Json* value = Find(key);
    if (value == nullptr) return std::nullopt;
    return AsString(*value, PathOf(key));
  }

  // A finite number >= `minimum` (or > 0 when `strictly_positive`).
  double Number(const std::string& key, bool strictly_positive = false) const {
    const Json& value = Require(key);
    const std::string path = PathOf(key);
    if (!value.is_number()) Fail(path, std::string("expected a number, found ") + TypeName(value), value);
    const double number = value.get<double>();
    if (!std::isfinite(number)) Fail(path, "expected a finite number", value);
    if (strictly_positive && !(number > 0.0)) Fail(path, "must be positive", value);
    if (number < 0.0) Fail(path, "must not be negative", value);
    return number;
  }

  double OptionalNumber(const std::string& key, double fallback) const {
    return Find(key) == nullptr ? fallback : Number(key);
  }

  std::int64_t Integer(const std::string& key, std::int64_t minimum) const {
    const Json& value = Require(key);
    return AsInteger(value, PathOf(key), minimum);
  }

  std::int64_t OptionalInteger(const std::string& key, std::int64_t minimum, std::int64_t fallback) const {
    const Json* value = Find(key);
    return value == nullptr ? fallback : AsInteger(*value, PathOf(key), minimum);
  }

  // Integer and OptionalInteger for a value held in an int: larger ones are out of range, not wrapped.
  int Int(const std::string& key, int minimum) const { return ToInt(Integer(key, minimum), key); }

  int OptionalInt(const std::string& key, int minimum, int fallback) const {
    return ToInt(OptionalInteger(key, minimum, fallback), key);
  }

  bool Boolean(const std::string& key, bool fallback) const {
    const Json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean())
      Fail(PathOf(key), std::string("expected true or false, found ") + TypeName(*value), *value);
    return value->get<bool>();
  }

  // The array at `key` (required or optional); each element is passed to `read(element, element_path)`.
  template <typename Read>
  void Array(const std::string& key, bool required, Read read) const {
    const Json* value = required ? &Require(key) : Find(key);
    if (value == nullptr) return;
    const std::string path = PathOf(key);
    if (!value->is_array()) Fail(path, std::string("expected an array, found ") + TypeName(*value), *value);
    for (std::size_t i = 0; i < value->size(); ++i) read((*value)[i], path + "[" + std::to_string(i) + "]");
  }

  std::string PathOf(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  [[noreturn]] void Fail(const std::string& path, const std::string& message, const Json& value) const {
    InputLocation where;
    where.file = source_;
    if (!value.is_null()) {
      where.text = JsonExcerpt(value);
      if (where.text.size() > 60) where.text = where.text.substr(0, 57) + "...";
    }
    throw InputError("at '" + (path.empty() ? std::string("(top level)") : path) + "': " + message, where);
  }

 private:
  std::string AsString(const Json& value, const std::string& path) const {
    if (!value.is_string()) Fail(path, std::string("expected a string, found ") + TypeName(value), value);
    return value.get<std::string>();
  }

  int ToInt(std::int64_t number, const std::string& key) const {
    if (number > std::numeric_limits<int>::max()) Fail(PathOf(key), "integer out of range", Require(key));
    return static_cast<int>(number);
  }

  std::int64_t AsInteger(const Json& value, const std::string& path, std::int64_t minimum) const {
    if (!value.is_number_integer()) Fail(path, std::string("expected an integer, found ") + TypeName(value), value);
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      Fail(path, "integer out of range", value);
    }
    const std::int64_t number = value.get<std::int64_t>();
    if (number < minimum) Fail(path, "must be at least " + std::to_string(minimum), value);
    return number;
  }

  const Json& object_;
  std::string path_;
  const std::string& source_;
};

KernelMeasurement ReadKernel(const Json& json, const std::string& path, const std::string& source) {
  const ObjectReader in(json, path, source);
  KernelMeasurement kernel;
  kernel.name = in.String("name");
  if (kernel.name.empty()) in.Fail(in.PathOf("name"), "must not be empty", in.Require("name"));
  kernel.dtype = in.String("dtype");
  kernel.d = in.Integer("d", 0);
  kernel.n = in.Integer("n", 0);
  kernel.k = in.Integer("k", 0);
  kernel.batch = in.Integer("batch", 0);
  kernel.seconds_median = in.Number("seconds_median");
  kernel.seconds_best = in.Number("seconds_best");
  kernel.flops = in.Number("flops");
  kernel.bytes = in.Number("bytes");
  kernel.flops_per_second = in.Number("flops_per_second");
  kernel.bytes_per_second = in.Number("bytes_per_second");
  kernel.working_set_bytes = in.OptionalNumber("working_set_bytes", 0.0);
  kernel.arithmetic_intensity = in.OptionalNumber("arithmetic_intensity", 0.0);
  kernel.roofline_fraction = in.OptionalNumber("roofline_fraction", 0.0);
  return kernel;
}

Json WriteKernel(const KernelMeasurement& kernel) {
  return Json{{"name", kernel.name},
              {"dtype", kernel.dtype},
              {"d", kernel.d},
              {"n", kernel.n},
              {"k", kernel.k},
              {"batch", kernel.batch},
              {"seconds_median", kernel.seconds_median},
              {"seconds_best", kernel.seconds_best},
              {"flops", kernel.flops},
              {"bytes", kernel.bytes},
              {"flops_per_second", kernel.flops_per_second},
              {"bytes_per_second", kernel.bytes_per_second},
              {"working_set_bytes", kernel.working_set_bytes},
              {"arithmetic_intensity", kernel.arithmetic_intensity},
              {"roofline_fraction", kernel.roofline_fraction}};
}

bool IsCollectiveName(const std::string& name) {
  return name == "all_reduce" || name == "all_gather" || name == "reduce_scatter" || name == "all_to_all" ||
         name == "send_recv";
}

InterconnectProfile ReadInterconnect(const Json& json, const std::string& source) {
  const ObjectReader in(json, "interconnect", source);
  InterconnectProfile interconnect;
  interconnect.ranks = in.Integer("ranks", 2);
  interconnect.nodes = in.Integer("nodes", 1);
  interconnect.ranks_per_node = in.Integer("ranks_per_node", 1);
  if (interconnect.nodes > interconnect.ranks) {
    in.Fail(in.PathOf("nodes"), "more nodes than ranks", in.Require("nodes"));
  }
  // Rank 0's node holds ranks_per_node of the ranks and every other node at least one.
  const std::int64_t most_per_node = interconnect.ranks - (interconnect.nodes - 1);
  if (interconnect.nodes == 1 ? interconnect.ranks_per_node != interconnect.ranks
                              : interconnect.ranks_per_node > most_per_node) {
    in.Fail(in.PathOf("ranks_per_node"),
            interconnect.nodes == 1
                ? "must equal the ranks (" + std::to_string(interconnect.ranks) + ") on a single node"
                : "must be at most " + std::to_string(most_per_node) + ": " + std::to_string(interconnect.ranks) +
                      " ranks on " + std::to_string(interconnect.nodes) + " nodes leave no more on one node",
            in.Require("ranks_per_node"));
  }
  interconnect.backend = in.String("backend");
  if (interconnect.backend != "mpi" && interconnect.backend != "nccl") {
    in.Fail(in.PathOf("backend"), "expected \"mpi\" or \"nccl\"", in.Require("backend"));
  }
  const auto name_and_scope = [&](const ObjectReader& entry, std::string* name, std::string* scope) {
    *name = entry.String("name");
    if (!IsCollectiveName(*name)) {
      entry.Fail(entry.PathOf("name"),
                 "expected all_reduce, all_gather, reduce_scatter, all_to_all or send_recv", entry.Require("name"));
    }
    *scope = entry.String("scope");
    if (*scope != "intra_node" && *scope != "inter_node") {
      entry.Fail(entry.PathOf("scope"), "expected \"intra_node\" or \"inter_node\"", entry.Require("scope"));
    }
  };
  // A second entry for the same measurement or model would be read as well as the first, or instead of it (FindModel
  // takes the first): refused, naming the first.
  std::map<std::string, std::string> first_path;
  const auto once = [&](const ObjectReader& entry, const std::string& path, const std::string& what,
                        const std::string& key) {
    const auto [it, inserted] = first_path.emplace(key, path);
    if (!inserted) entry.Fail(path, "a second " + what + " (the first is at '" + it->second + "')", Json());
  };
  in.Array("collectives", /*required=*/true, [&](const Json& item, const std::string& path) {
    const ObjectReader entry(item, path, source);
    CollectiveMeasurement measurement;
    name_and_scope(entry, &measurement.name, &measurement.scope);
    measurement.ranks = entry.Integer("ranks", 2);
    measurement.bytes = entry.Number("bytes", /*strictly_positive=*/true);
    measurement.seconds_median = entry.Number("seconds_median", /*strictly_positive=*/true);
    measurement.seconds_best = entry.Number("seconds_best", /*strictly_positive=*/true);
    if (measurement.seconds_best > measurement.seconds_median) {
      char median[32];
      std::snprintf(median, sizeof median, "%.6g", measurement.seconds_median);
      entry.Fail(entry.PathOf("seconds_best"),
                 std::string("the best sample must not be slower than the median (") + median + " s)",
                 entry.Require("seconds_best"));
    }
    char bytes[32];
    std::snprintf(bytes, sizeof bytes, "%.17g", measurement.bytes);
    once(entry, path, "measurement of " + measurement.name + " (" + measurement.scope + ") at " + bytes + " bytes",
         "measurement " + measurement.name + " " + measurement.scope + " " + bytes);
    measurement.algbw_bytes_per_s = entry.Number("algbw_bytes_per_s", /*strictly_positive=*/true);
    measurement.busbw_bytes_per_s = entry.Number("busbw_bytes_per_s", /*strictly_positive=*/true);
    interconnect.collectives.push_back(measurement);
  });
  in.Array("models", /*required=*/true, [&](const Json& item, const std::string& path) {
    const ObjectReader entry(item, path, source);
    CollectiveModel model;
    name_and_scope(entry, &model.name, &model.scope);
    once(entry, path, "model of " + model.name + " (" + model.scope + ")", "model " + model.name + " " + model.scope);
    model.ranks = entry.Integer("ranks", 2);
    model.latency_seconds = entry.Number("latency_seconds");
    model.busbw_bytes_per_s = entry.Number("busbw_bytes_per_s", /*strictly_positive=*/true);
    entry.Array("warnings", /*required=*/false, [&](const Json& warning, const std::string& warning_path) {
      if (!warning.is_string()) {
        entry.Fail(warning_path, std::string("expected a string, found ") + TypeName(warning), warning);
      }
      model.warnings.push_back(warning.get<std::string>());
    });
    interconnect.models.push_back(model);
  });
  return interconnect;
}

Json WriteInterconnect(const InterconnectProfile& interconnect) {
  Json collectives = Json::array();
  for (const CollectiveMeasurement& m : interconnect.collectives) {
    collectives.push_back({{"name", m.name},
                           {"scope", m.scope},
                           {"ranks", m.ranks},
                           {"bytes", m.bytes},
                           {"seconds_median", m.seconds_median},
                           {"seconds_best", m.seconds_best},
                           {"algbw_bytes_per_s", m.algbw_bytes_per_s},
                           {"busbw_bytes_per_s", m.busbw_bytes_per_s}});
  }
  Json models = Json::array();
  for (const CollectiveModel& m : interconnect.models) {
    models.push_back({{"name", m.name},
                      {"scope", m.scope},
                      {"ranks", m.ranks},
                      {"latency_seconds", m.latency_seconds},
                      {"busbw_bytes_per_s", m.busbw_bytes_per_s},
                      {"warnings", m.warnings}});
  }
  return {{"ranks", interconnect.ranks},
          {"nodes", interconnect.nodes},
          {"ranks_per_node", interconnect.ranks_per_node},
          {"backend", interconnect.backend},
          {"collectives", collectives},
          {"models", models}};
}

}  // namespace

const CollectiveModel* InterconnectProfile::FindModel(const std::string& name, const std::string& scope) const {
  for (const CollectiveModel& model : models) {
    if (model.name == name && model.scope == scope) return &model;
  }
  return nullptr;
}

bool HasKernelMeasurements(const HardwareProfile& profile) {
  return profile.peak_flops > 0 && profile.bandwidth_bytes_per_s > 0;
}

bool HasCollectiveMeasurements(const HardwareProfile& profile) {
  return profile.interconnect && !profile.interconnect->collectives.empty();
}

std::string NoCollectiveMeasurementsReason(const HardwareProfile& profile) {
  const std::string measure = "measure one with 'mpirun -np N scaleplan probe --collectives --out PROFILE.json'";
  return profile.interconnect
             ? "the profile's interconnect section has no measurements ('collectives' is empty): " + measure
             : "the profile has no interconnect section: " + measure;
}

std::string HardwareProfileToJson(const HardwareProfile& profile) {
  Json host = {{"cpu_model", profile.host.cpu_model},
               {"isa", profile.host.isa},
               {"threads", profile.host.threads},
               {"blas_corename", profile.host.blas_corename},
               {"blas_config", profile.host.blas_config}};
  if (profile.host.openblas_coretype) host["openblas_coretype"] = *profile.host.openblas_coretype;

  Json sweep = Json::array();
  for (const CacheSweepPoint& point : profile.calibration.cache_sweep) {
    sweep.push_back({{"working_set_bytes", point.working_set_bytes}, {"bytes_per_second", point.bytes_per_second}});
  }
  Json kernels = Json::array();
  for (const KernelMeasurement& kernel : profile.kernels) kernels.push_back(WriteKernel(kernel));

  Json root = {{"schema_version", profile.schema_version},
               {"backend", profile.backend},
               {"device", profile.device},
               {"peak_flops", profile.peak_flops},
               {"bandwidth_bytes_per_s", profile.bandwidth_bytes_per_s},
               {"host", host},
               {"calibration",
                {{"fma_peak_flops", profile.calibration.fma_peak_flops},
                 {"last_level_cache_bytes", profile.calibration.last_level_cache_bytes},
                 {"cache_knee_found", profile.calibration.cache_knee_found},
                 {"cache_sweep", sweep}}},
               {"kernels", kernels}};
  if (profile.cuda_device) {
    const CudaDeviceInfo& gpu = *profile.cuda_device;
    root["cuda_device"] = {{"name", gpu.name},
                           {"sm_count", gpu.sm_count},
                           {"compute_capability", std::to_string(gpu.compute_capability_major) + "." +
                                                      std::to_string(gpu.compute_capability_minor)},
                           {"compute_capability_major", gpu.compute_capability_major},
                           {"compute_capability_minor", gpu.compute_capability_minor},
                           {"memory_bytes", gpu.memory_bytes},
                           {"l2_cache_bytes", gpu.l2_cache_bytes},
                           {"clock_khz", gpu.clock_khz},
                           {"memory_clock_khz", gpu.memory_clock_khz},
                           {"memory_bus_width_bits", gpu.memory_bus_width_bits}};
  }
  if (profile.interconnect) root["interconnect"] = WriteInterconnect(*profile.interconnect);
  return root.dump(2) + "\n";
}

HardwareProfile HardwareProfileFromJson(const std::string& text, const std::string& source) {
  const Json root = ParseJsonInput<Json>(text, source);
  if (root.is_object() && root.contains("accelerators") && !root.contains("backend")) {
    throw InputError("this is a hardware catalogue (data/hardware.json's form), not a probe profile; measure one with "
                     "'scaleplan probe --out profile.json'",
                     InputLocation{source});
  }
  const ObjectReader in(root, "", source);
  HardwareProfile profile;

  const std::int64_t version = in.Integer("schema_version", 1);
  if (version > kHardwareProfileSchemaVersion) {
    in.Fail("schema_version",
            "unsupported schema_version " + std::to_string(version) + " (this build reads up to " +
                std::to_string(kHardwareProfileSchemaVersion) + "; re-run `scaleplan probe` or upgrade scaleplan)",
            in.Require("schema_version"));
  }
  profile.schema_version = static_cast<int>(version);
  profile.backend = in.String("backend");
  if (profile.backend != "cpu" && profile.backend != "cuda") {
    in.Fail("backend", "expected \"cpu\" or \"cuda\"", in.Require("backend"));
  }
  profile.device = in.String("device");
  // An interconnect-only profile ('probe --collectives') measured no kernels: its peaks are 0.
  const Json* interconnect_json = in.Find("interconnect");
  if (interconnect_json != nullptr) profile.interconnect = ReadInterconnect(*interconnect_json, source);
  const bool peaks_required = !profile.interconnect || !in.Require("kernels").empty();
  profile.peak_flops = in.Number("peak_flops", peaks_required);
  profile.bandwidth_bytes_per_s = in.Number("bandwidth_bytes_per_s", peaks_required);

  const ObjectReader host(in.Require("host"), "host", source);
  profile.host.cpu_model = host.String("cpu_model");
  host.Array("isa", /*required=*/true, [&](const Json& flag, const std::string& path) {
    if (!flag.is_string()) host.Fail(path, std::string("expected a string, found ") + TypeName(flag), flag);
    profile.host.isa.push_back(flag.get<std::string>());
  });
  profile.host.threads = host.Int("threads", 1);
  profile.host.blas_corename = host.String("blas_corename");
  profile.host.blas_config = host.OptionalString("blas_config").value_or("");
  profile.host.openblas_coretype = host.OptionalString("openblas_coretype");

  if (const Json* gpu_json = in.Find("cuda_device")) {
    const ObjectReader gpu(*gpu_json, "cuda_device", source);
    CudaDeviceInfo info;
    info.name = gpu.String("name");
    info.sm_count = gpu.Int("sm_count", 0);
    info.compute_capability_major = gpu.OptionalInt("compute_capability_major", 0, 0);
    info.compute_capability_minor = gpu.OptionalInt("compute_capability_minor", 0, 0);
    info.memory_bytes = gpu.Number("memory_bytes");
    info.l2_cache_bytes = gpu.OptionalNumber("l2_cache_bytes", 0.0);
    info.clock_khz = gpu.OptionalInt("clock_khz", 0, 0);
    info.memory_clock_khz = gpu.OptionalInt("memory_clock_khz", 0, 0);
    info.memory_bus_width_bits = gpu.OptionalInt("memory_bus_width_bits", 0, 0);
    profile.cuda_device = info;
  }

  if (const Json* calibration_json = in.Find("calibration")) {
    const ObjectReader calibration(*calibration_json, "calibration", source);
    profile.calibration.fma_peak_flops = calibration.OptionalNumber("fma_peak_flops", 0.0);
    profile.calibration.last_level_cache_bytes = calibration.OptionalNumber("last_level_cache_bytes", 0.0);
    profile.calibration.cache_knee_found = calibration.Boolean("cache_knee_found", false);
    calibration.Array("cache_sweep", /*required=*/false, [&](const Json& point_json, const std::string& path) {
      const ObjectReader point(point_json, path, source);
      profile.calibration.cache_sweep.push_back({point.Number("working_set_bytes"), point.Number("bytes_per_second")});
    });
  }

  in.Array("kernels", /*required=*/true, [&](const Json& kernel, const std::string& path) {
    profile.kernels.push_back(ReadKernel(kernel, path, source));
  });
  return profile;
}

}  // namespace scaleplan
