#include "fitting/plan_law.h"

#include <algorithm>
#include <stdexcept>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/file.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan {

PlanLaw ResolvePlanLaw(const std::string& fit_path, const std::string& law_name) {
  if (!fit_path.empty() && !law_name.empty()) throw UsageError("give either --fit or --law, not both");
  PlanLaw out;
  if (!fit_path.empty()) {
    out.saved = ParseSavedFit(ReadWholeFile(fit_path), fit_path);
  } else {
    const RunsTable bundled = BundledChinchillaRuns();
    for (const TrainingRun& run : bundled.runs) {
      out.saved.compute_min =
          out.saved.compute_min == 0 ? run.compute_flops : std::min(out.saved.compute_min, run.compute_flops);
      out.saved.compute_max = std::max(out.saved.compute_max, run.compute_flops);
      out.params_max = std::max(out.params_max, run.num_params);  // the published laws were fitted on these too
    }
    if (!law_name.empty()) {
      auto named = FindPublishedLaw(law_name);
      if (!named) {
        std::string known;
        for (const NamedLaw& law : PublishedLaws()) known += (known.empty() ? "" : ", ") + law.name;
        throw UsageError("unknown --law '" + law_name + "' (known: " + known + ")");
      }
      out.saved.law = named->law;
      out.saved.description = named->name + ": " + named->description;
    } else {
      const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
      if (!fit.search.usable) throw std::runtime_error("the default fit did not converge: " + fit.search.status);
      out.saved.law = fit.law;
      out.saved.description = "Approach-3 fit of the bundled Chinchilla runs (240 runs, Besiroglu et al. 2024)";
    }
  }
  out.data_constrained.base = out.saved.law;
  return out;
}

void AddBundledBootstrap(const BootstrapOptions& options, const ProgressCallback& progress, PlanLaw* law) {
  const RunsTable bundled = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
  if (!fit.search.usable) throw std::runtime_error("the default fit did not converge: " + fit.search.status);
  const ChinchillaBootstrap bootstrap = BootstrapChinchilla(bundled, fit, options, progress);
  law->saved.bootstrap_laws = bootstrap.laws;
  law->saved.confidence = options.confidence;
}

}  // namespace scaleplan
