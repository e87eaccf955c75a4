// The law a plan is made with (core/plan.h PlanLaw), from what a user names: a saved fit, a published law, or (by
// default) the Approach-3 fit of the bundled Chinchilla runs; and the bootstrap of the bundled runs for intervals.
#ifndef SCALEPLAN_FITTING_PLAN_LAW_H_
#define SCALEPLAN_FITTING_PLAN_LAW_H_

#include <string>
#include <string_view>

#include "core/plan.h"
#include "fitting/bootstrap.h"

namespace scaleplan {

// `fit_path` (a saved fit), `law_name` (a published law: hoffmann, hoffmann-unrounded, epoch) or, with neither, the
// Approach-3 fit of the bundled Chinchilla runs. UsageError for both, or an unknown name; InputError for an
// unreadable or malformed fit.
PlanLaw ResolvePlanLaw(const std::string& fit_path, const std::string& law_name);

// UsageError "give either --fit or --law, not both" when both are given: every planner's one rule.
void RequireEitherFitOrLaw(const std::string& fit_path, const std::string& law_name);

// A saved fit's text (`fit --out`, or a Python Fit) as the law of a plan, named `source` in messages and in the plan's
// law. InputError for a malformed fit or a law that gives no allocation at a budget.
PlanLaw PlanLawFromSavedFit(std::string_view json_text, const std::string& source);

// Resamples the bundled runs (the default law's data) and stores the resampled laws and the interval level in
// law->saved, so that every plan gets intervals. Only for the default law.
void AddBundledBootstrap(const BootstrapOptions& options, const ProgressCallback& progress, PlanLaw* law);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_PLAN_LAW_H_
