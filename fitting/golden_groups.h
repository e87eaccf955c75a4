// Grouped goldens: `fit RUNS.csv --group-by COL[,COL] --save-golden GOLDEN.json` records one golden per group, and
// `check RUNS.csv --golden GOLDEN.json` reads the runs grouped by the same columns and checks each group against its
// own golden.
//
// The file (schema version 1, the version of the goldens inside it):
//   schema_version   1
//   group_by         ["source", ...]: the columns, as the runs file's header spells them
//   groups           [{"group": {column: value, ...}, "golden": {...a golden of fitting/golden.h...}}, ...]
//                    in the order the groups first appear in the runs; every group of the fit is recorded (a group
//                    that could not be fitted makes --save-golden fail: there is nothing of it to check)
//
// Checking: each golden group is matched to the runs' group of the same values (the values as text). A group of
// the golden that the runs no longer have, or a group of the runs that the golden does not record, is drift: the
// data changed its composition, which a per-group check would otherwise miss. A matched group is refitted with its
// golden's law and options and compared with fitting/golden.h's tolerances (CompareWithGolden). Chinchilla, Kaplan
// and IsoFLOP goldens can be grouped (the laws `fit --group-by` fits), and so can the laws of fitting/law_table.h
// whose runs `fit --law LAW --group-by` (or `dictionary --runs --group-by`) reads with the law's own reader
// (data-constrained, dictionary, sparse, moe, routing, hyperparams): every group of one such golden is of one law,
// and each group's runs are read as `--filter COL=VALUE` reads them (LoadLawRunsOfGroup), at `fit` and at `check`
// alike. Only the refit of a group differs between the two kinds (GroupRefit).
#ifndef SCALEPLAN_FITTING_GOLDEN_GROUPS_H_
#define SCALEPLAN_FITTING_GOLDEN_GROUPS_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/runs_table.h"
#include "fitting/golden.h"
#include "fitting/law_table.h"

namespace scaleplan {

// The file `fit --group-by ... --save-golden` writes: `goldens` holds (group, golden JSON) pairs in group order.
nlohmann::ordered_json GroupedGoldenToJson(
    const std::vector<std::string>& group_by,
    const std::vector<std::pair<nlohmann::ordered_json, nlohmann::ordered_json>>& goldens);

struct GoldenGroup {
  std::vector<std::string> values;  // group_by order
  std::string label;                // "source=a, size=2", as GroupLabel spells a group of runs
  Golden golden;
};

struct GroupedGolden {
  std::vector<std::string> group_by;
  std::vector<GoldenGroup> groups;
};

// Reads a grouped golden; nullopt when `json_text` is a JSON object without "groups" (a golden of one fit, for
// ParseGolden). Throws InputError naming `source` and the key ("groups[1].golden.parameters.E: ...") for malformed
// JSON, a group whose values do not match group_by, a group given twice, a malformed golden inside, a golden of a law
// that cannot be grouped, or goldens of a law with its own reader beside goldens of another law.
std::optional<GroupedGolden> ParseGroupedGolden(std::string_view json_text, const std::string& source);

// The refit `check` compares a golden with: the golden's law fitted to `table` with its recorded options and
// recorded at its budgets (chinchilla with its bootstrap rerun when `check_intervals`). nullopt with *why when the
// refit is not usable. For chinchilla, kaplan and isoflop goldens (what `fit --group-by` records).
std::optional<Golden> RefitGoldenOfRuns(const Golden& golden, const RunsTable& table, int num_threads,
                                        bool check_intervals, std::string* why);

struct GroupCheck {
  std::string label;
  nlohmann::ordered_json group;  // column -> value
  bool in_golden = false;
  bool in_runs = false;
  int num_runs = 0;
  std::string refit_error;  // the refit was not usable ("" when it was, or when the group was not refitted)
  std::optional<GoldenComparison> comparison;  // both sides present and refitted
  bool Drifted() const { return !in_golden || !in_runs || (comparison && comparison->num_failed > 0); }
};

struct GroupedGoldenCheck {
  std::vector<GroupCheck> groups;  // the golden's groups in its order, then the runs' groups it lacks
  int num_drifted = 0;             // groups drifted (missing, extra, or a quantity beyond its tolerance)
  int num_refit_failed = 0;        // groups whose refit was not usable
};

// The one step of a grouped check that differs between laws: the refit of the group of runs `part` (a table of
// SplitRunsByGroup of the checked runs) that matches `group`. nullopt with *why when the refit is not usable; an
// InputError it throws (runs that cannot be fitted) is the group's refit error too.
using GroupRefit =
    std::function<std::optional<Golden>(const GoldenGroup& group, const RunsTable& part, std::string* why)>;

// Chinchilla, Kaplan and IsoFLOP goldens: RefitGoldenOfRuns of the group's part of the runs table.
GroupRefit RefitOfRunsTableGroups(int num_threads, bool check_intervals);

// Whether the groups of `golden` are of a law of fitting/law_table.h with a reader of its own (then they all are).
bool IsTableLawGroupedGolden(const GroupedGolden& golden);

// The runs of such a golden, grouped by its columns: read from `path` (empty: the law's bundled runs) as
// LoadGoldenLawRuns reads a golden's, with `columns` (its selection grouped by golden.group_by) and a non-empty
// `unique_tokens_column` in place of the recorded ones. Throws InputError as LoadLawRuns does.
LawRuns LoadGroupedGoldenLawRuns(const GroupedGolden& golden, const std::string& path, RunsColumns columns,
                                 const std::string& unique_tokens_column = "");

// Such a golden's groups: each group's runs read from `path` with its golden's reader options as `--filter COL=VALUE`
// reads them (LoadLawRunsOfGroup, `columns` and `unique_tokens_column` as above), refitted by RefitGolden of LawRuns.
GroupRefit RefitOfTableLawGroups(const std::string& path, const RunsColumns& columns,
                                 const std::string& unique_tokens_column, int num_threads);

// Checks `table` (read with group_by = golden.group_by: a runs table, or a law's runs' view) against every group of
// `golden`, refitting each matched group with `refit`. Throws InputError (file "--rtol") for an override that matches
// no quantity of any group.
GroupedGoldenCheck CheckGroupedGolden(const GroupedGolden& golden, const RunsTable& table,
                                      const GoldenTolerances& tolerances, bool check_intervals,
                                      const GroupRefit& refit);

// `check --format json` of a grouped golden: {golden, group_by, source, groups: [{group, num_runs, status
// ("ok", "drift", "missing from the runs", "not in the golden", "refit not usable"), ...GoldenComparisonToJson}],
// num_drifted_groups, num_failed}.
nlohmann::ordered_json GroupedGoldenCheckToJson(const std::string& golden_path, const GroupedGolden& golden,
                                                const RunsTable& table, const GroupedGoldenCheck& check);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_GOLDEN_GROUPS_H_
