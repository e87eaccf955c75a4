#include "fitting/sparse_plan_law.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "fitting/fit_json.h"
#include "fitting/plan_law.h"
#include "fitting/sparse_fit.h"

namespace scaleplan {
namespace {

// A moe fit's data.granularity_KEY: 0 when absent (a fit saved before the key existed), InputError when mistyped.
double GranularityBound(const nlohmann::json& data, const char* key, const std::string& source) {
  if (!data.is_object() || !data.contains(key)) return 0.0;
  const nlohmann::json& value = data[key];
  if (!value.is_number() || !(value.get<double>() >= 0)) {
    throw InputError(std::string("key 'data.") + key + "' must be a non-negative number", InputLocation{source});
  }
  return value.get<double>();
}

}  // namespace

SparseLawRanges LoadSavedSparseLawRanges(const std::string& path) {
  const SavedLaw saved = ParseSavedFit(ReadWholeFile(path), path);
  SparseLawRanges ranges;
  ranges.runs = saved.Ranges();
  if (saved.payload.is_object() && saved.payload.contains("data")) {
    const nlohmann::json& data = saved.payload["data"];
    ranges.granularity_min = GranularityBound(data, "granularity_min", path);
    ranges.granularity_max = GranularityBound(data, "granularity_max", path);
  }
  return ranges;
}

MoePlanLaw ResolveMoePlanLaw(const std::string& fit_path, bool law_name_given) {
  RequireEitherFitOrLaw(fit_path, law_name_given ? "krajewski2024" : "");
  if (fit_path.empty()) return {KrajewskiMoeLaw(), "krajewski2024", KrajewskiMoeRanges()};
  MoePlanLaw out;
  out.law = LoadSavedMoeLaw(fit_path);
  out.label = fit_path;
  out.ranges = LoadSavedSparseLawRanges(fit_path);
  return out;
}

RoutingPlanLaws ResolveRoutingPlanLaws(const std::string& fit_path, const std::string& law_name,
                                       const std::vector<std::string>& routers) {
  RequireEitherFitOrLaw(fit_path, law_name);
  if (fit_path.empty() && law_name.empty()) throw UsageError("give one of --fit ROUTING.json and --law clark2022");
  if (!law_name.empty() && law_name != "clark2022") {
    throw UsageError("a routing plan's --law is clark2022, not '" + law_name + "'");
  }
  RoutingPlanLaws out;
  if (fit_path.empty()) {
    out.laws = SelectRouters(ClarkRoutingLaws(), routers);
    out.label = law_name;
    out.ranges = ClarkRoutingRanges();
  } else {
    out.laws = SelectRouters(LoadSavedRoutingLaws(fit_path), routers);
    out.label = fit_path;
    out.ranges = LoadSavedSparseLawRanges(fit_path);
  }
  return out;
}

SparsePlanLaw ResolveSparsePlanLaw(const std::string& fit_path) {
  if (fit_path.empty()) return {FrantarT5Law(), "frantar2023-t5", FrantarT5Ranges()};
  SparsePlanLaw out;
  out.law = LoadSavedSparseLaw(fit_path);
  out.label = fit_path;
  out.ranges = LoadSavedSparseLawRanges(fit_path);
  return out;
}

}  // namespace scaleplan
