#include "cli/check_groups.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/golden_groups.h"

namespace scaleplan::cli {

bool IsGroupedGoldenFile(const std::string& golden_path) {
  try {
    const nlohmann::json json = nlohmann::json::parse(ReadFile(golden_path));
    return json.is_object() && json.contains("groups");  // malformed groups are ParseGroupedGolden's to report
  } catch (const std::exception&) {
    return false;  // check's own reader reports what is wrong with it
  }
}

int CheckGroupedGoldenCommand(const std::string& golden_path, const std::string& runs_path, RunsColumns columns,
                              const GoldenTolerances& tolerances, bool check_intervals, int num_threads,
                              OutputFormat output) {
  const std::optional<GroupedGolden> golden = ParseGroupedGolden(ReadFile(golden_path), golden_path);
  if (!golden) {
    throw UsageError("--group-by: " + golden_path + " records one fit, not one per group (record one with 'fit " +
                     "RUNS.csv --group-by COL --save-golden GOLDEN.json')");
  }
  std::string columns_text;
  for (const std::string& column : golden->group_by) columns_text += (columns_text.empty() ? "" : ",") + column;
  if (!columns.selection.group_by.empty() && columns.selection.group_by != golden->group_by) {
    throw UsageError("--group-by: " + golden_path + " records groups by " + columns_text + "; give --group-by " +
                     columns_text + " or leave it out");
  }
  if (runs_path.empty()) {
    throw UsageError(golden_path + " records one fit per group of " + columns_text +
                     ": name the runs to check, e.g. scaleplan check RUNS.csv --golden " + golden_path);
  }
  if (check_intervals) {
    for (const GoldenGroup& group : golden->groups) {
      if (!group.golden.bootstrap) {
        throw UsageError("--check-intervals: group " + group.label + " of " + golden_path +
                         " has no intervals (it was recorded without --bootstrap)");
      }
    }
  }
  columns.selection.group_by = golden->group_by;
  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  GroupedGoldenCheck check;
  try {
    ProgressBar bar("fitting groups");
    check = CheckGroupedGolden(*golden, table, tolerances, check_intervals, num_threads);
  } catch (const InputError& error) {
    if (error.where().file == "--rtol") throw UsageError(error.what());  // an --rtol name that matches nothing
    throw;
  }
  if (output == OutputFormat::JSON) {
    std::cout << GroupedGoldenCheckToJson(golden_path, *golden, table, check).dump(2) << '\n';
  } else {
    std::cout << "Check of " << table.runs.size() << " runs from " << table.source << " against " << golden_path
              << ", one golden per group of " << columns_text << '\n';
    char line[256];
    for (size_t g = 0; g < check.groups.size(); ++g) {
      const GroupCheck& group = check.groups[g];
      std::string label = "[";  // appended: GCC 12 warns falsely on "[" + string
      label += std::to_string(g + 1) + "] " + group.label;
      std::snprintf(line, sizeof line, "  %-32s %5d runs  ", label.c_str(), group.num_runs);
      std::cout << line;
      if (!group.in_runs) {
        std::cout << "DRIFT: the golden's group is missing from the runs\n";
      } else if (!group.in_golden) {
        std::cout << "DRIFT: a group the golden does not record\n";
      } else if (!group.comparison) {
        std::cout << "the refit is not usable: " << group.refit_error << '\n';
      } else {
        const GoldenComparison& comparison = *group.comparison;
        const int judged = static_cast<int>(comparison.checks.size()) - comparison.num_skipped;
        if (comparison.num_failed == 0) {
          std::cout << "ok: all " << judged << " checked quantities hold";
        } else {
          std::cout << "DRIFT: " << comparison.num_failed << " of " << judged << " drifted:";
          constexpr int kShown = 4;  // the first few drifted quantities; --format json lists every one
          int shown = 0;
          for (const QuantityCheck& quantity : comparison.checks) {
            if (quantity.skipped || quantity.passed || shown++ >= kShown) continue;
            std::snprintf(line, sizeof line, " %s %s -> %s (%+.2e)", quantity.name.c_str(),
                          FormatSignificant(quantity.golden, 6).c_str(), FormatSignificant(quantity.now, 6).c_str(),
                          quantity.relative_change);
            std::cout << line;
          }
          if (shown > kShown) std::cout << " and " << shown - kShown << " more";
        }
        if (comparison.num_skipped > 0) std::cout << " (" << comparison.num_skipped << " skipped)";
        std::cout << '\n';
        for (const std::string& warning : comparison.warnings) std::cout << "      warning: " << warning << '\n';
      }
    }
  }
  std::cout.flush();
  if (check.num_drifted > 0) {
    std::cerr << "scaleplan check: " << check.num_drifted << " of " << check.groups.size() << " groups drifted from "
              << golden_path << '\n';
    return kExitCheckFailed;
  }
  if (check.num_refit_failed > 0) {
    std::cerr << "scaleplan check: error: " << check.num_refit_failed << " group refits were not usable\n";
    return kExitFitFailed;
  }
  return kExitOk;
}

}  // namespace scaleplan::cli
