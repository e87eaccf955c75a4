// A law read back from a saved fit (`scaleplan fit --out FIT.json`; the reader is fitting/fit_json.h), in the form
// the planner uses it (core/plan.h): only the law's coefficients are needed to plan; the rest is kept for display,
// extrapolation warnings and intervals.
#ifndef SCALEPLAN_CORE_SAVED_LAW_H_
#define SCALEPLAN_CORE_SAVED_LAW_H_

#include <string>
#include <vector>

#include "core/chinchilla_law.h"

namespace scaleplan {

struct SavedLaw {
  ChinchillaLaw law;
  std::string description;            // "fit of <source> (240 runs)"
  double compute_min = 0.0;           // compute range of the fitted runs (0 when unknown)
  double compute_max = 0.0;
  std::vector<ChinchillaLaw> bootstrap_laws;  // empty when the fit had no bootstrap
  double confidence = 0.95;                   // the fit's interval level
};

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SAVED_LAW_H_
