#include "cli/table_laws.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/golden.h"
#include "fitting/golden_groups.h"

namespace scaleplan::cli {

int SaveTableLawGolden(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                       const TableLawOptions& options, const std::string& golden_path) {
  const TableLaw* law = FindTableLaw(law_name);
  SCALEPLAN_CHECK(law != nullptr, "--save-golden of a law of fitting/law_table.h");
  RefuseToOverwriteInput(golden_path);
  const LawRuns runs = LoadLawRuns(law_name, runs_path.empty() ? runs_path : InputPath(runs_path), runs_options);
  const TableLawFit fit = FitTableLaw(*law, runs, options);
  if (!fit.usable) {
    std::cerr << "scaleplan fit: error: --save-golden: the " << law_name << " fit is not usable: " << fit.status
              << '\n';
    return kExitFitFailed;
  }
  const Golden golden = MakeTableLawGoldenRecord(*law, fit, runs, options, runs_options);
  WriteFileAtomically(golden_path, GoldenToJson(golden).dump(2) + "\n");
  return kExitOk;
}

int FitTableLawGroups(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                      const TableLawOptions& options, OutputFormat output, const std::string& golden_path) {
  const TableLaw* law = FindTableLaw(law_name);
  SCALEPLAN_CHECK(law != nullptr && law->own_reader, "--group-by of a law with a reader of its own");
  RefuseToOverwriteInput(golden_path);
  const std::string path = runs_path.empty() ? runs_path : InputPath(runs_path);
  const LawRuns runs = LoadLawRuns(law_name, path, runs_options);
  struct GroupFit {
    std::string label;
    nlohmann::ordered_json group = nlohmann::ordered_json::object();
    size_t num_runs = 0;
    std::string verdict;  // why the group could not be fitted ("" when it was)
    TableLawFit fit;
    std::optional<LawRuns> runs;  // the group's runs, as --filter reads them
  };
  std::vector<GroupFit> groups;
  for (const RunsTable& part : SplitRunsByGroup(runs.view)) {
    GroupFit group;
    group.label = GroupLabel(part, 0);
    for (size_t k = 0; k < part.group_columns.size(); ++k) {
      group.group[part.group_columns[k]] = part.group_values.front()[k];
    }
    group.num_runs = part.runs.size();
    try {
      // A group is the runs its filters keep (fitting/law_table.h LoadLawRunsOfGroup): its fit and golden are
      // those of `fit --law LAW --filter COL=VALUE`.
      group.runs = LoadLawRunsOfGroup(law_name, path, runs_options, part);
      ProgressBar bar("fitting " + group.label);
      group.fit = FitTableLaw(*law, *group.runs, options);
    } catch (const InputError& error) {
      group.verdict = error.what();
    }
    groups.push_back(std::move(group));
  }
  if (!golden_path.empty()) {  // every group's golden, as fit --group-by --save-golden records the other laws'
    std::vector<std::pair<nlohmann::ordered_json, nlohmann::ordered_json>> goldens;
    for (const GroupFit& group : groups) {
      if (!group.verdict.empty() || !group.fit.usable) {
        std::cerr << "scaleplan fit: error: --save-golden: group " << group.label << " has no " << law_name
                  << " fit to record (" << (group.verdict.empty() ? group.fit.status : group.verdict)
                  << "); a grouped golden records every group: leave it out with --filter\n";
        // Runs that cannot identify the law are bad input; a fit that did not converge is not.
        return group.verdict.empty() ? kExitFitFailed : kExitInputError;
      }
      goldens.emplace_back(group.group,
                           GoldenToJson(MakeTableLawGoldenRecord(*law, group.fit, *group.runs, options, runs_options)));
    }
    WriteFileAtomically(golden_path, GroupedGoldenToJson(runs.view.group_columns, goldens).dump(2) + "\n");
  }
  if (output == OutputFormat::JSON) {
    nlohmann::ordered_json all;
    all["law"] = law_name;
    all["source"] = runs.source;
    all["group_by"] = runs.view.group_columns;
    all["notes"] = runs.view.notes;  // what the table prints as "note:" lines
    all["groups"] = nlohmann::ordered_json::array();
    for (const GroupFit& group : groups) {
      nlohmann::ordered_json entry;
      entry["group"] = group.group;
      entry["num_runs"] = group.num_runs;
      entry["usable"] = group.verdict.empty() && group.fit.usable;
      entry["status"] = group.verdict.empty() ? group.fit.status : group.verdict;
      if (group.verdict.empty()) {
        entry["objective"] =
            group.fit.has_objective ? nlohmann::ordered_json(group.fit.objective) : nlohmann::ordered_json(nullptr);
        entry["parameters"] = nlohmann::ordered_json::object();
        for (const auto& [name, value] : group.fit.parameters) entry["parameters"][name] = value;
        if (group.fit.bootstrap_resamples > 0) {  // --bootstrap: as each law's fit --bootstrap gives them
          entry["intervals"] = nlohmann::ordered_json::object();
          for (const auto& [name, interval] : group.fit.intervals) {
            entry["intervals"][name] = {interval.first, interval.second};
          }
          entry["bootstrap"] = {{"resamples", group.fit.bootstrap_resamples}, {"failed", group.fit.bootstrap_failed}};
        }
      }
      all["groups"].push_back(entry);
    }
    std::cout << all.dump(2) << '\n';
  } else {
    std::cout << "Fits of " << law->description << " per group of " << runs.size() << " runs from " << runs.source
              << " (--group-by";
    for (const std::string& column : runs.view.group_columns) std::cout << ' ' << column;
    std::cout << ")\n";
    for (const std::string& note : runs.view.notes) std::cout << "  note: " << note << '\n';
    // Side by side: one column per group, one row per coefficient any group has (a routing group's coefficients are
    // named by its routers), in order of first appearance.
    std::vector<std::string> names;
    bool any_objective = false;
    for (const GroupFit& group : groups) {
      if (!group.verdict.empty()) continue;
      any_objective = any_objective || group.fit.has_objective;
      for (const auto& parameter : group.fit.parameters) {
        if (std::find(names.begin(), names.end(), parameter.first) == names.end()) names.push_back(parameter.first);
      }
    }
    char line[256];
    for (size_t g = 0; g < groups.size(); ++g) {
      std::cout << "  [" << g + 1 << "] " << groups[g].label << " (" << groups[g].num_runs << " runs)"
                << (groups[g].verdict.empty() ? std::string() : ": not fitted: " + groups[g].verdict) << '\n';
    }
    const auto row = [&](const std::string& label, const std::function<std::string(const GroupFit&)>& cell) {
      std::snprintf(line, sizeof line, "  %-22s", label.c_str());
      std::cout << line;
      for (const GroupFit& group : groups) {
        std::snprintf(line, sizeof line, " %13s", cell(group).c_str());
        std::cout << line;
      }
      std::cout << '\n';
    };
    std::cout << '\n';
    row("", [&](const GroupFit& group) {
      std::string label = "[";  // appended: GCC 12 warns falsely on "[" + string
      label += std::to_string(&group - groups.data() + 1);
      return label + "]";
    });
    row("runs", [](const GroupFit& group) { return std::to_string(group.num_runs); });
    row("fit", [](const GroupFit& group) {
      return !group.verdict.empty() ? std::string("no fit") : group.fit.usable ? "usable" : "not usable";
    });
    bool any_intervals = false;
    for (const GroupFit& group : groups) any_intervals = any_intervals || !group.fit.intervals.empty();
    for (const std::string& name : names) {
      row(name, [&](const GroupFit& group) {
        if (!group.verdict.empty() || !group.fit.usable) return std::string("-");
        for (const auto& [parameter, value] : group.fit.parameters) {
          if (parameter == name) return FormatSignificant(value, 6);
        }
        return std::string("-");
      });
      if (!any_intervals) continue;
      for (const bool low : {true, false}) {  // the interval's ends under the value, as fit --bootstrap prints them
        row(low ? "  low" : "  high", [&](const GroupFit& group) {
          if (!group.verdict.empty() || !group.fit.usable) return std::string("-");
          for (const auto& [parameter, interval] : group.fit.intervals) {
            if (parameter == name) return FormatSignificant(low ? interval.first : interval.second, 6);
          }
          return std::string("-");
        });
      }
    }
    if (any_objective) {
      row("objective", [](const GroupFit& group) {
        return group.verdict.empty() && group.fit.usable && group.fit.has_objective
                   ? FormatSignificant(group.fit.objective, 6)
                   : std::string("-");
      });
    }
    if (any_intervals && options.bootstrap) {
      std::snprintf(line, sizeof line, "\n  low, high: %g%% bootstrap percentiles of each group's runs, %d resamples\n",
                    100.0 * options.bootstrap->confidence, options.bootstrap->num_resamples);
      std::cout << line;
    }
  }
  bool any_fitted = false, any_usable = false;
  for (const GroupFit& group : groups) {
    if (!group.verdict.empty()) {
      std::cerr << "scaleplan fit: warning: group " << group.label << ": not fitted: " << group.verdict << '\n';
      continue;
    }
    any_fitted = true;
    any_usable = any_usable || group.fit.usable;
    if (!group.fit.usable) {
      std::cerr << "scaleplan fit: warning: group " << group.label << ": the fit is not usable: " << group.fit.status
                << '\n';
    }
  }
  if (!any_fitted) {
    std::cerr << "scaleplan fit: error: no group could be fitted\n";
    return kExitInputError;
  }
  return any_usable ? kExitOk : kExitFitFailed;
}

}  // namespace scaleplan::cli
