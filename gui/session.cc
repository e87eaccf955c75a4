#include "gui/session.h"

#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/architectures.h"
#include "core/error.h"
#include "core/json_input.h"

namespace scaleplan::gui {
namespace {

using Json = nlohmann::json;

// Reads `object[key]` into *value when present, checking its type; the error names the key's path.
template <typename T>
void Read(const Json& object, const char* key, const std::string& path, const std::string& source, T* value) {
  if (!object.is_object() || !object.contains(key)) return;
  const Json& item = object.at(key);
  const std::string where = path + "/" + key;
  try {
    if constexpr (std::is_same_v<T, bool>) {
      if (!item.is_boolean()) throw InputError("must be true or false");
    } else if constexpr (std::is_integral_v<T>) {  // a count: neither 2.5 read as 2 nor 2^32 + 1 wrapped to 1
      if (!item.is_number()) throw InputError("must be a number");
      if (!item.is_number_integer()) throw InputError("must be a whole number");
      if (!(item.is_number_unsigned() ? std::in_range<T>(item.template get<std::uint64_t>())
                                      : std::in_range<T>(item.template get<std::int64_t>()))) {
        throw InputError("whole number out of range");
      }
    } else if constexpr (std::is_arithmetic_v<T>) {
      if (!item.is_number()) throw InputError("must be a number");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!item.is_string()) throw InputError("must be a string");
    }
    *value = item.get<T>();
  } catch (const InputError& error) {
    throw InputError(source + ": " + where + ": " + error.message() + ", got " + item.type_name());
  } catch (const Json::exception& error) {
    throw InputError(source + ": " + where + ": " + error.what());
  }
}

bool KnownProbeMode(const std::string& mode) { return mode == "quick" || mode == "standard" || mode == "full"; }

const Json& Child(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  if (object.is_object() && object.contains(key) && object.at(key).is_object()) return object.at(key);
  return kEmpty;
}

}  // namespace

nlohmann::ordered_json SessionToJson(const Session& session) {
  nlohmann::ordered_json out;
  out["schema_version"] = kSessionSchemaVersion;
  out["runs"] = {{"path", session.runs_path},
                 {"columns",
                  {{"params", session.columns.params},
                   {"tokens", session.columns.tokens},
                   {"compute", session.columns.compute},
                   {"loss", session.columns.loss}}},
                 {"excluded_rows", session.excluded_rows}};
  out["fit"] = {{"huber_delta", session.fit_options.huber_delta},
                {"grid", session.grid_spec},
                {"starts", session.fit_options.num_starts},
                {"exhaustive", session.fit_options.exhaustive},
                {"bootstrap", session.bootstrap_resamples},
                {"law", session.law},
                {"expression", session.law_expression},
                {"params", session.law_params},
                {"fit_path", session.fit_path}};
  out["plan"] = {{"budget_flops", session.budget_flops},
                 {"budget_text", session.budget_text},
                 {"accelerator", session.plan.accelerator},
                 {"num_accelerators", session.plan.training.num_accelerators},
                 {"mfu", session.plan.training.mfu},
                 {"price_usd_per_hour", session.plan.training.price_usd_per_hour},
                 {"recomputation", RecomputeChoiceName(session.plan.recompute)},
                 {"inference_tokens", session.plan.inference_tokens},
                 {"unique_tokens", session.plan.unique_tokens},
                 {"target_days", session.plan.target_days}};
  const DictionaryRequest& request = session.dictionary.request;
  out["dictionary"] = {{"d_model", request.d_model},
                       {"goal", DictionaryGoalName(request.goal)},
                       {"value", DictionaryGoalValue(request)},
                       {"k", request.k},
                       {"k_min", request.k_min},
                       {"k_max", request.k_max},
                       {"subject_params", request.subject.num_params},
                       {"budget_includes_harvest", request.budget_includes_harvest},
                       {"accelerator", session.dictionary.accelerator},
                       {"num_devices", request.options.num_devices},
                       {"kernels", DictionaryKernelsName(session.dictionary.shown)}};
  out["hardware"] = {{"profile_path", session.hardware.profile_path},
                     {"use_profile", session.hardware.use_profile},
                     {"probe_mode", session.hardware.probe_mode}};
  const ClusterSettings& cluster = session.cluster;
  out["cluster"] = {{"architecture", cluster.architecture},
                    {"num_tokens", cluster.num_tokens},
                    {"accelerator", cluster.accelerator},
                    {"num_devices", cluster.num_devices},
                    {"max_days", cluster.max_days},
                    {"precision", ClusterPrecisionName(cluster.precision)},
                    {"global_batch_tokens", cluster.global_batch_tokens}};
  out["view"] = {{"chart", session.chart}, {"log_loss", session.log_loss}};
  return out;
}

Session ParseSession(std::string_view json_text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& error) {  // a parse error, or out_of_range for a number such as 1e999
    throw InputError(source + ": not valid JSON: " + error.what());
  }
  if (!root.is_object()) throw InputError(source + ": a session must be a JSON object");
  Session session;
  int version = kSessionSchemaVersion;
  Read(root, "schema_version", "", source, &version);
  if (version > kSessionSchemaVersion) {
    throw InputError(source + ": schema_version " + std::to_string(version) + " is newer than this scaleplan (" +
                     std::to_string(kSessionSchemaVersion) + ")");
  }
  if (version < 1) throw InputError(source + ": schema_version " + std::to_string(version) + " is not a version");
  const Json& runs = Child(root, "runs");
  Read(runs, "path", "/runs", source, &session.runs_path);
  const Json& columns = Child(runs, "columns");
  Read(columns, "params", "/runs/columns", source, &session.columns.params);
  Read(columns, "tokens", "/runs/columns", source, &session.columns.tokens);
  Read(columns, "compute", "/runs/columns", source, &session.columns.compute);
  Read(columns, "loss", "/runs/columns", source, &session.columns.loss);
  if (runs.contains("excluded_rows")) {
    const Json& rows = runs.at("excluded_rows");
    if (!rows.is_array()) throw InputError(source + ": /runs/excluded_rows: must be an array of row numbers");
    for (const Json& row : rows) {
      // A row index that fits an int: 2^32 must not wrap around to row 0.
      const bool index = row.is_number_unsigned() ? std::in_range<int>(row.get<std::uint64_t>())
                                                  : row.is_number_integer() && row.get<std::int64_t>() >= 0 &&
                                                        std::in_range<int>(row.get<std::int64_t>());
      if (!index) {
        throw InputError(source + ": /runs/excluded_rows: must hold non-negative integers, got " + JsonExcerpt(row));
      }
      session.excluded_rows.push_back(row.get<int>());
    }
  }
  const Json& fit = Child(root, "fit");
  Read(fit, "huber_delta", "/fit", source, &session.fit_options.huber_delta);
  Read(fit, "grid", "/fit", source, &session.grid_spec);
  Read(fit, "starts", "/fit", source, &session.fit_options.num_starts);
  Read(fit, "exhaustive", "/fit", source, &session.fit_options.exhaustive);
  Read(fit, "bootstrap", "/fit", source, &session.bootstrap_resamples);
  if (session.bootstrap_resamples < 0) throw InputError(source + ": /fit/bootstrap: must be 0 (none) or positive");
  Read(fit, "law", "/fit", source, &session.law);
  Read(fit, "expression", "/fit", source, &session.law_expression);
  Read(fit, "params", "/fit", source, &session.law_params);
  Read(fit, "fit_path", "/fit", source, &session.fit_path);
  if (session.law == kOpenedFitLawKey) {
    if (session.fit_path.empty()) throw InputError(source + ": /fit/fit_path: the opened fit's path is missing");
  } else if (FindLawChoice(session.law) == nullptr) {
    std::string known;
    for (const LawChoice& choice : LawChoices()) known += (known.empty() ? "" : ", ") + std::string(choice.key);
    throw InputError(source + ": /fit/law: unknown law '" + session.law + "' (known: " + known + ", " +
                     kOpenedFitLawKey + ")");
  }
  const Json& plan = Child(root, "plan");
  Read(plan, "budget_flops", "/plan", source, &session.budget_flops);
  Read(plan, "budget_text", "/plan", source, &session.budget_text);
  Read(plan, "accelerator", "/plan", source, &session.plan.accelerator);
  Read(plan, "num_accelerators", "/plan", source, &session.plan.training.num_accelerators);
  Read(plan, "mfu", "/plan", source, &session.plan.training.mfu);
  Read(plan, "price_usd_per_hour", "/plan", source, &session.plan.training.price_usd_per_hour);
  Read(plan, "inference_tokens", "/plan", source, &session.plan.inference_tokens);
  Read(plan, "unique_tokens", "/plan", source, &session.plan.unique_tokens);
  if (plan.contains("target_days")) Read(plan, "target_days", "/plan", source, &session.plan.target_days);
  std::string recomputation = RecomputeChoiceName(session.plan.recompute);
  Read(plan, "recomputation", "/plan", source, &recomputation);
  const auto mode = TryParseRecomputeChoice(recomputation);
  if (!mode) {
    throw InputError(source + ": /plan/recomputation: must be auto, none, selective or full: '" + recomputation +
                     "'");
  }
  session.plan.recompute = *mode;

  const Json& dictionary = Child(root, "dictionary");
  DictionaryRequest& request = session.dictionary.request;
  Read(dictionary, "d_model", "/dictionary", source, &request.d_model);
  std::string goal = DictionaryGoalName(request.goal);
  double value = DictionaryGoalValue(request);
  Read(dictionary, "goal", "/dictionary", source, &goal);
  Read(dictionary, "value", "/dictionary", source, &value);
  const auto goal_kind = TryParseDictionaryGoal(goal);
  if (!goal_kind) {
    throw InputError(source + ": /dictionary/goal: must be compute, device_hours, target_loss or latents: '" + goal +
                     "'");
  }
  SetDictionaryGoal(*goal_kind, value, &request);
  Read(dictionary, "k", "/dictionary", source, &request.k);
  Read(dictionary, "k_min", "/dictionary", source, &request.k_min);
  Read(dictionary, "k_max", "/dictionary", source, &request.k_max);
  Read(dictionary, "subject_params", "/dictionary", source, &request.subject.num_params);
  Read(dictionary, "budget_includes_harvest", "/dictionary", source, &request.budget_includes_harvest);
  Read(dictionary, "accelerator", "/dictionary", source, &session.dictionary.accelerator);
  Read(dictionary, "num_devices", "/dictionary", source, &request.options.num_devices);
  std::string kernels = DictionaryKernelsName(session.dictionary.shown);
  Read(dictionary, "kernels", "/dictionary", source, &kernels);
  const auto shown = TryParseDictionaryKernels(kernels);
  if (!shown) throw InputError(source + ": /dictionary/kernels: must be sparse or dense: '" + kernels + "'");
  session.dictionary.shown = *shown;

  const Json& hardware = Child(root, "hardware");
  Read(hardware, "profile_path", "/hardware", source, &session.hardware.profile_path);
  Read(hardware, "use_profile", "/hardware", source, &session.hardware.use_profile);
  Read(hardware, "probe_mode", "/hardware", source, &session.hardware.probe_mode);
  if (!KnownProbeMode(session.hardware.probe_mode)) {
    throw InputError(source + ": /hardware/probe_mode: must be quick, standard or full: '" +
                     session.hardware.probe_mode + "'");
  }
  Read(Child(root, "view"), "chart", "/view", source, &session.chart);
  Read(Child(root, "view"), "log_loss", "/view", source, &session.log_loss);

  // Sessions saved before the Cluster / Layout panel have no "cluster": its defaults stay.
  const Json& cluster_json = Child(root, "cluster");
  ClusterSettings& cluster = session.cluster;
  Read(cluster_json, "architecture", "/cluster", source, &cluster.architecture);
  Read(cluster_json, "num_tokens", "/cluster", source, &cluster.num_tokens);
  Read(cluster_json, "accelerator", "/cluster", source, &cluster.accelerator);
  Read(cluster_json, "num_devices", "/cluster", source, &cluster.num_devices);
  Read(cluster_json, "max_days", "/cluster", source, &cluster.max_days);
  Read(cluster_json, "global_batch_tokens", "/cluster", source, &cluster.global_batch_tokens);
  std::string precision = ClusterPrecisionName(cluster.precision);
  Read(cluster_json, "precision", "/cluster", source, &precision);
  const auto cluster_precision = TryParseClusterPrecision(precision);
  if (!cluster_precision) throw InputError(source + ": /cluster/precision: must be bf16 or fp8: '" + precision + "'");
  cluster.precision = *cluster_precision;
  if (cluster.architecture != kProposedArchitecture) {
    FindArchitecture(cluster.architecture, {source + ": /cluster/architecture"});
  }

  std::string why;
  if (!session.fit_options.Check(&why)) throw InputError(source + ": /fit: " + why);
  if (!session.plan.training.Check(&why)) throw InputError(source + ": /plan: " + why);
  if (!(session.budget_flops > 0)) throw InputError(source + ": /plan/budget_flops: must be positive");
  if (!(session.plan.inference_tokens >= 0) || !(session.plan.unique_tokens >= 0)) {
    throw InputError(source + ": /plan: inference_tokens and unique_tokens must be 0 (none) or positive");
  }
  if (!(request.d_model >= 1) || !(value > 0) || !(request.k >= 0) || !(request.subject.num_params >= 0) ||
      request.options.num_devices < 0) {
    throw InputError(source + ": /dictionary: d_model, value, k, subject_params and num_devices must be positive (k, "
                     "subject_params and num_devices may be 0)");
  }
  if (!(cluster.num_tokens > 0) || cluster.num_devices < 0 || !(cluster.max_days > 0) ||
      !(cluster.global_batch_tokens >= 0)) {
    throw InputError(source + ": /cluster: num_tokens and max_days must be positive, num_devices and "
                     "global_batch_tokens 0 (automatic) or positive");
  }
  return session;
}

}  // namespace scaleplan::gui
