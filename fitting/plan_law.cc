#include "fitting/plan_law.h"

#include <algorithm>
#include <stdexcept>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/expression_law.h"
#include "core/file.h"
#include "core/sparse_plans.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan {

void RequireEitherFitOrLaw(const std::string& fit_path, const std::string& law_name) {
  if (!fit_path.empty() && !law_name.empty()) throw UsageError("give either --fit or --law, not both");
}

PlanLaw ResolvePlanLaw(const std::string& fit_path, const std::string& law_name) {
  RequireEitherFitOrLaw(fit_path, law_name);
  PlanLaw out;
  if (!fit_path.empty()) return PlanLawFromSavedFit(ReadWholeFile(fit_path), fit_path);
  // The published laws were fitted on the bundled runs too: their ranges are the plans' reference.
  const RunsTable bundled = BundledChinchillaRuns();
  const FitRanges ranges = RangesOfRuns(bundled);
  out.saved.compute_min = ranges.compute_min_flops;
  out.saved.compute_max = ranges.compute_max_flops;
  out.saved.num_params_min = ranges.num_params_min;
  out.saved.num_params_max = ranges.num_params_max;
  out.saved.num_tokens_min = ranges.num_tokens_min;
  out.saved.num_tokens_max = ranges.num_tokens_max;
  out.params_max = ranges.num_params_max;
  if (!law_name.empty()) {
    auto named = FindPublishedLaw(law_name);
    if (!named) {
      // A sparse planner's law: say which command plans with it, as a saved fit of that law is told.
      const std::string planner = SparseLawPlanner(law_name);
      if (!planner.empty()) throw UsageError("--law " + law_name + " gives no allocation at a budget: " + planner);
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
  // A data-constrained fit brings its fitted R_D*, R_N*; any other law keeps Muennighoff et al.'s published ones.
  if (out.saved.law_name == "data-constrained") out.data_constrained = out.saved.data_constrained;
  out.data_constrained.base = out.saved.law;
  return out;
}

PlanLaw PlanLawFromSavedFit(std::string_view json_text, const std::string& source) {
  PlanLaw out;
  out.saved = ParseSavedFit(json_text, source);
  if (out.saved.law_name == "expression") {
    out.saved.expression = ReadSavedExpressionLaw(out.saved.payload, source);
  }
  if (out.saved.law_name == "expression" && !out.saved.expression.Plans()) {
    // A plan fixes N, D and C = 6 N D; any other column of the runs has no value in it.
    const std::string& column = out.saved.expression.other_column;
    const std::string what = column == "U" ? " (unique tokens)" : column == "S" ? " (sparsity)" : "";
    throw InputError("this expression law reads the column '" + column + "'" + what +
                         ", which a plan has no value for: " + CommandThatPlansWith("expression"),
                     InputLocation{source});
  }
  if (!out.saved.Allocates()) {
    throw InputError(
        "a " + out.saved.law_name + " fit gives no allocation at a budget: " + CommandThatPlansWith(out.saved.law_name),
        InputLocation{source});
  }
  if (out.saved.law_name == "isoflop" && !out.saved.isoflop.has_frontier) {
    // A plan reports a loss (and its batch and learning rate depend on it): N and D alone are not a plan.
    throw InputError(
        "this IsoFLOP fit has no loss frontier (its 'frontier' is null: fewer than 3 budgets with a "
        "minimum), so it predicts no loss to plan with; 'fit --law isoflop' prints its N_opt and D_opt",
        InputLocation{source});
  }
  out.params_max = out.saved.num_params_max;
  // A data-constrained fit brings its fitted R_D*, R_N*; any other law keeps Muennighoff et al.'s published ones.
  if (out.saved.law_name == "data-constrained") out.data_constrained = out.saved.data_constrained;
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
