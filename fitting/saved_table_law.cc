#include "fitting/saved_table_law.h"

#include <map>
#include <type_traits>
#include <variant>

#include "core/error.h"
#include "fitting/sparse_fit.h"

namespace scaleplan {

bool PredictsFromSavedFit(const std::string &law_name) {
  return law_name == "sparse" || law_name == "moe" || law_name == "routing";
}

SavedLawPredictions PredictSavedTableLaw(const std::string &fit_path,
                                         const LawRuns &runs) {
  SCALEPLAN_CHECK(PredictsFromSavedFit(runs.law_name),
                  "a law whose saved fit predicts runs");
  SavedLawPredictions out;
  const TableLaw *law = FindTableLaw(runs.law_name);
  out.label =
      fit_path + ": " + (law != nullptr ? law->description : runs.law_name);
  std::visit(
      [&](const auto &table) {
        using Table = std::decay_t<decltype(table)>;
        if constexpr (std::is_same_v<Table, SparseRunsTable>) {
          const SparseLaw saved = LoadSavedSparseLaw(fit_path);
          for (const SparseRun &run : table.runs) {
            out.predicted_loss.push_back(saved.Loss(
                run.sparsity, run.num_nonzero_params, run.num_tokens));
            out.lines.push_back(run.line);
          }
        } else if constexpr (std::is_same_v<Table, MoeRunsTable>) {
          const FineGrainedMoeLaw saved = LoadSavedMoeLaw(fit_path);
          for (const MoeRun &run : table.runs) {
            out.predicted_loss.push_back(
                saved.Loss(run.num_params, run.num_tokens, run.granularity));
            out.lines.push_back(run.line);
          }
        } else if constexpr (std::is_same_v<Table, RoutingRunsTable>) {
          std::map<std::string, RoutingLaw> laws;
          for (const auto &[router, saved] : LoadSavedRoutingLaws(fit_path))
            laws[router] = saved;
          for (const RoutingRun &run : table.runs) {
            out.predicted_loss.push_back(RoutingRunLoss(laws, run, fit_path));
            out.lines.push_back(run.line);
          }
        } else {
          throw InternalError("PredictSavedTableLaw: the runs of law " +
                              runs.law_name);
        }
      },
      runs.table);
  return out;
}

} // namespace scaleplan
