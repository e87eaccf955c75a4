// A saved fit of a law with a runs reader of its own, drawn against runs of
// that law: each run's loss as the saved law predicts it (`plot residuals
// RUNS.csv --fit FIT.json` for a sparse, moe or routing fit). The saved
// coefficients are read by fitting/sparse_fit.h's loaders, the runs by the
// law's reader (fitting/law_table.h LoadLawRuns).
#ifndef SCALEPLAN_FITTING_SAVED_TABLE_LAW_H_
#define SCALEPLAN_FITTING_SAVED_TABLE_LAW_H_

#include <string>
#include <vector>

#include "fitting/law_table.h"

namespace scaleplan {

// True for the laws PredictSavedTableLaw reads: sparse, moe and routing.
bool PredictsFromSavedFit(const std::string &law_name);

struct SavedLawPredictions {
  std::string label; // "FIT.json: the moe law (Krajewski et al. 2024, eq. 9)"
  std::vector<double> predicted_loss; // one per run of runs.view, in order
  std::vector<int>
      lines; // each run's line in its file (what the chart's tooltips name)
};

// The saved fit at `fit_path` (its law must be runs.law_name, one of
// PredictsFromSavedFit) on every run of `runs`. A routed run is predicted by
// its router's law, a Dense run by the mean in log L of the routers' laws at E
// = 1, as the routing law's validation predicts them (RoutingRunLoss). Throws
// InputError naming the file for a fit that is not a usable fit of that law,
// and for a routed run whose router has no law in the fit.
SavedLawPredictions PredictSavedTableLaw(const std::string &fit_path,
                                         const LawRuns &runs);

} // namespace scaleplan

#endif // SCALEPLAN_FITTING_SAVED_TABLE_LAW_H_
