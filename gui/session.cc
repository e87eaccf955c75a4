#include "gui/session.h"

#include "core/error.h"

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
                {"bootstrap", session.bootstrap_resamples}};
  out["plan"] = {{"budget_flops", session.budget_flops},
                 {"budget_text", session.budget_text},
                 {"accelerator", session.plan.accelerator},
                 {"num_accelerators", session.plan.training.num_accelerators},
                 {"mfu", session.plan.training.mfu},
                 {"price_usd_per_hour", session.plan.training.price_usd_per_hour},
                 {"recomputation", RecomputationName(session.plan.memory.recomputation)},
                 {"inference_tokens", session.plan.inference_tokens},
                 {"unique_tokens", session.plan.unique_tokens}};
  out["view"] = {{"chart", session.chart}};
  return out;
}

Session ParseSession(std::string_view json_text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::parse_error& error) {
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
      if (!row.is_number_integer() || row.get<int>() < 0) {
        throw InputError(source + ": /runs/excluded_rows: must hold non-negative integers, got " + row.dump());
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
  const Json& plan = Child(root, "plan");
  Read(plan, "budget_flops", "/plan", source, &session.budget_flops);
  Read(plan, "budget_text", "/plan", source, &session.budget_text);
  Read(plan, "accelerator", "/plan", source, &session.plan.accelerator);
  Read(plan, "num_accelerators", "/plan", source, &session.plan.training.num_accelerators);
  Read(plan, "mfu", "/plan", source, &session.plan.training.mfu);
  Read(plan, "price_usd_per_hour", "/plan", source, &session.plan.training.price_usd_per_hour);
  Read(plan, "inference_tokens", "/plan", source, &session.plan.inference_tokens);
  Read(plan, "unique_tokens", "/plan", source, &session.plan.unique_tokens);
  std::string recomputation = RecomputationName(session.plan.memory.recomputation);
  Read(plan, "recomputation", "/plan", source, &recomputation);
  const auto mode = TryParseRecomputation(recomputation);
  if (!mode) {
    throw InputError(source + ": /plan/recomputation: must be none, selective or full: '" + recomputation + "'");
  }
  session.plan.memory.recomputation = *mode;
  Read(Child(root, "view"), "chart", "/view", source, &session.chart);

  std::string why;
  if (!session.fit_options.Check(&why)) throw InputError(source + ": /fit: " + why);
  if (!session.plan.training.Check(&why)) throw InputError(source + ": /plan: " + why);
  if (!(session.budget_flops > 0)) throw InputError(source + ": /plan/budget_flops: must be positive");
  if (!(session.plan.inference_tokens >= 0) || !(session.plan.unique_tokens >= 0)) {
    throw InputError(source + ": /plan: inference_tokens and unique_tokens must be 0 (none) or positive");
  }
  return session;
}

}  // namespace scaleplan::gui
