#include "fitting/golden_groups.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/json_input.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"
#include "fitting/law_table.h"

namespace scaleplan {
namespace {

std::string Label(const std::vector<std::string>& group_by, const std::vector<std::string>& values) {
  std::string out;
  for (size_t k = 0; k < group_by.size(); ++k) out += (k ? ", " : "") + group_by[k] + "=" + values[k];
  return out;
}

// The laws of fitting/law_table.h whose runs `fit --law LAW --group-by` reads and groups with the law's own reader.
bool IsGroupedTableLaw(const std::string& law_name) {
  const TableLaw* law = FindTableLaw(law_name);
  return law != nullptr && law->own_reader;  // data-constrained, dictionary, sparse, moe, routing, hyperparams
}

// A golden is a few levels deep; dump() recurses once per level, so a value nested deeper is refused before it.
constexpr int kMaxGoldenDepth = 32;

// The nesting depth of `value`, walked without recursion.
int NestingDepth(const nlohmann::json& value) {
  int deepest = 0;
  std::vector<std::pair<const nlohmann::json*, int>> pending = {{&value, 1}};
  while (!pending.empty()) {
    const auto [item, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    if (deepest > kMaxGoldenDepth) break;
    if (item->is_structured()) {
      for (const nlohmann::json& child : *item) pending.emplace_back(&child, depth + 1);
    }
  }
  return deepest;
}

}  // namespace

nlohmann::ordered_json GroupedGoldenToJson(
    const std::vector<std::string>& group_by,
    const std::vector<std::pair<nlohmann::ordered_json, nlohmann::ordered_json>>& goldens) {
  nlohmann::ordered_json out;
  out["schema_version"] = kGoldenSchemaVersion;
  out["group_by"] = group_by;
  out["groups"] = nlohmann::ordered_json::array();
  for (const auto& [group, golden] : goldens) out["groups"].push_back({{"group", group}, {"golden", golden}});
  return out;
}

std::optional<GroupedGolden> ParseGroupedGolden(std::string_view json_text, const std::string& source) {
  // nlohmann::json, not ordered_json: the ordered parser copies each value it inserts, recursively, and a value
  // nested millions deep would overflow the stack (tests/bad_input: golden_deep).
  const nlohmann::json json = ParseJsonInput<nlohmann::json>(json_text, source);
  if (!json.is_object() || !json.contains("groups")) return std::nullopt;
  const auto fail = [&](const std::string& key, const std::string& what) {
    return InputError("key '" + key + "': " + what, InputLocation{source});
  };
  CheckSchemaVersion(json, source, kGoldenSchemaVersion);  // as every saved fit's and golden's reader words it
  GroupedGolden out;
  if (!json.contains("group_by") || !json["group_by"].is_array() || json["group_by"].empty()) {
    throw fail("group_by", "expected a list of column names");
  }
  for (const nlohmann::json& column : json["group_by"]) {
    if (!column.is_string() || column.get<std::string>().empty()) throw fail("group_by", "expected column names");
    out.group_by.push_back(column.get<std::string>());
  }
  if (!json["groups"].is_array() || json["groups"].empty()) throw fail("groups", "expected a non-empty list");
  std::set<std::vector<std::string>> seen;
  for (size_t g = 0; g < json["groups"].size(); ++g) {
    const nlohmann::json& entry = json["groups"][g];
    const std::string key = "groups[" + std::to_string(g) + "]";
    if (!entry.is_object() || !entry.contains("group") || !entry["group"].is_object()) {
      throw fail(key + ".group", "expected an object of column: value");
    }
    GoldenGroup group;
    for (const std::string& column : out.group_by) {
      if (!entry["group"].contains(column) || !entry["group"][column].is_string()) {
        throw fail(key + ".group." + column, "missing or not text");
      }
      group.values.push_back(entry["group"][column].get<std::string>());
    }
    if (entry["group"].size() != out.group_by.size()) throw fail(key + ".group", "columns other than group_by");
    if (!seen.insert(group.values).second) throw fail(key + ".group", "this group is given twice");
    if (!entry.contains("golden") || !entry["golden"].is_object())
      throw fail(key + ".golden", "missing or not an object");
    group.label = Label(out.group_by, group.values);
    if (NestingDepth(entry["golden"]) > kMaxGoldenDepth) throw fail(key + ".golden", "nested too deeply");
    try {
      group.golden = ParseGolden(entry["golden"].dump(), source);
    } catch (const InputError& error) {
      throw InputError(key + ".golden: " + error.message(), InputLocation{source});
    }
    const std::string& law = group.golden.law_name;
    if (law != "chinchilla" && law != "kaplan" && law != "isoflop" && !IsGroupedTableLaw(law)) {
      throw fail(key + ".golden.law", "a " + group.golden.law_name +
                                          " golden cannot be grouped (chinchilla, kaplan, isoflop, data-constrained, "
                                          "dictionary, sparse, moe, routing and hyperparams can)");
    }
    // A law with a reader of its own reads every group's runs with that reader: one law for all groups.
    if (!out.groups.empty() && law != out.groups.front().golden.law_name &&
        (IsGroupedTableLaw(law) || IsGroupedTableLaw(out.groups.front().golden.law_name))) {
      throw fail(key + ".golden.law",
                 "a " + law + " golden among " + out.groups.front().golden.law_name +
                     " goldens (a grouped golden of a law with its own runs reader holds one law)");
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

std::optional<Golden> RefitGoldenOfRuns(const Golden& golden, const RunsTable& table, int num_threads,
                                        bool check_intervals, std::string* why) {
  if (golden.law_name != "chinchilla") return RefitGolden(golden, table, num_threads, why);  // kaplan, isoflop
  MultiStartOptions options = golden.fit_options;
  options.num_threads = num_threads;
  const ChinchillaFit fit = FitChinchilla(table, options, golden.grid);
  if (!fit.search.usable) {
    *why = "the refit is not usable: " + fit.search.status;
    return std::nullopt;
  }
  std::optional<ChinchillaBootstrap> bootstrap;
  if (check_intervals) {
    BootstrapOptions bootstrap_options = *golden.bootstrap;
    bootstrap_options.num_threads = num_threads;
    bootstrap = BootstrapChinchilla(table, fit, bootstrap_options);
    if (bootstrap->intervals.empty()) {
      *why = "no bootstrap resample converged";
      return std::nullopt;
    }
  }
  std::vector<double> budgets;
  for (const GoldenPrediction& prediction : golden.predictions) budgets.push_back(prediction.compute_flops);
  return MakeGoldenRecord(fit, table, bootstrap ? &*bootstrap : nullptr, budgets);
}

GroupRefit RefitOfRunsTableGroups(int num_threads, bool check_intervals) {
  return [num_threads, check_intervals](const GoldenGroup& group, const RunsTable& part, std::string* why) {
    return RefitGoldenOfRuns(group.golden, part, num_threads, check_intervals, why);
  };
}

bool IsTableLawGroupedGolden(const GroupedGolden& golden) {
  return !golden.groups.empty() && IsGroupedTableLaw(golden.groups.front().golden.law_name);
}

namespace {

// A golden's reader options with `columns` and a non-empty `unique_tokens_column` in their place (LoadGoldenLawRuns).
LawRunsOptions ReaderOptionsOf(const Golden& golden, const RunsColumns& columns,
                               const std::string& unique_tokens_column) {
  LawRunsOptions options = golden.runs_options;
  options.columns = columns;
  if (!unique_tokens_column.empty()) options.unique_tokens_column = unique_tokens_column;
  return options;
}

}  // namespace

LawRuns LoadGroupedGoldenLawRuns(const GroupedGolden& golden, const std::string& path, RunsColumns columns,
                                 const std::string& unique_tokens_column) {
  SCALEPLAN_CHECK(IsTableLawGroupedGolden(golden), "a grouped golden of a law with a reader of its own");
  columns.selection.group_by = golden.group_by;
  const Golden& first = golden.groups.front().golden;
  return LoadLawRuns(first.law_name, path, ReaderOptionsOf(first, columns, unique_tokens_column));
}

GroupRefit RefitOfTableLawGroups(const std::string& path, const RunsColumns& columns,
                                 const std::string& unique_tokens_column, int num_threads) {
  return [path, columns, unique_tokens_column, num_threads](const GoldenGroup& group, const RunsTable& part,
                                                            std::string* why) {
    const LawRuns runs = LoadLawRunsOfGroup(group.golden.law_name, path,
                                            ReaderOptionsOf(group.golden, columns, unique_tokens_column), part);
    return RefitGolden(group.golden, runs, num_threads, why);
  };
}

GroupedGoldenCheck CheckGroupedGolden(const GroupedGolden& golden, const RunsTable& table,
                                      const GoldenTolerances& tolerances, bool check_intervals,
                                      const GroupRefit& refit) {
  SCALEPLAN_CHECK(table.group_columns.size() == golden.group_by.size(), "the runs are grouped by the golden's columns");
  const std::vector<RunsTable> parts = SplitRunsByGroup(table);
  std::vector<bool> matched(parts.size(), false);
  GroupedGoldenCheck out;
  const auto group_json = [&](const std::vector<std::string>& values) {
    nlohmann::ordered_json group = nlohmann::ordered_json::object();
    for (size_t k = 0; k < golden.group_by.size(); ++k) group[golden.group_by[k]] = values[k];
    return group;
  };
  for (const GoldenGroup& expected : golden.groups) {
    GroupCheck check;
    check.label = expected.label;
    check.group = group_json(expected.values);
    check.in_golden = true;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (matched[p] || parts[p].group_values.front() != expected.values) continue;
      matched[p] = true;
      check.in_runs = true;
      check.num_runs = static_cast<int>(parts[p].runs.size());
      std::string why;
      std::optional<Golden> now;
      try {
        now = refit(expected, parts[p], &why);
      } catch (const InputError& error) {
        why = error.what();  // the group's runs cannot be fitted (too few, collinear)
      }
      if (now) {
        check.comparison = CompareWithGolden(expected.golden, *now, tolerances, check_intervals);
      } else {
        check.refit_error = why;
      }
      break;
    }
    out.groups.push_back(std::move(check));
  }
  for (size_t p = 0; p < parts.size(); ++p) {
    if (matched[p]) continue;
    GroupCheck check;
    check.label = GroupLabel(parts[p], 0);
    check.group = group_json(parts[p].group_values.front());
    check.in_runs = true;
    check.num_runs = static_cast<int>(parts[p].runs.size());
    out.groups.push_back(std::move(check));
  }
  for (const GroupCheck& check : out.groups) {
    out.num_drifted += check.Drifted() ? 1 : 0;
    out.num_refit_failed += check.refit_error.empty() ? 0 : 1;
  }
  return out;
}

nlohmann::ordered_json GroupedGoldenCheckToJson(const std::string& golden_path, const GroupedGolden& golden,
                                                const RunsTable& table, const GroupedGoldenCheck& check) {
  nlohmann::ordered_json out;
  out["golden"] = golden_path;
  out["source"] = table.source;
  out["group_by"] = golden.group_by;
  out["groups"] = nlohmann::ordered_json::array();
  const std::vector<RunsTable> parts = SplitRunsByGroup(table);
  int num_failed = 0;
  for (const GroupCheck& group : check.groups) {
    nlohmann::ordered_json entry;
    entry["group"] = group.group;
    entry["num_runs"] = group.num_runs;
    if (!group.in_runs) {
      entry["status"] = "missing from the runs";
    } else if (!group.in_golden) {
      entry["status"] = "not in the golden";
    } else if (!group.comparison) {
      entry["status"] = "refit not usable";
      entry["message"] = group.refit_error;
    } else {
      entry["status"] = group.comparison->num_failed > 0 ? "drift" : "ok";
      num_failed += group.comparison->num_failed;
      const auto golden_group = std::find_if(golden.groups.begin(), golden.groups.end(),
                                             [&](const GoldenGroup& g) { return g.label == group.label; });
      const auto part =
          std::find_if(parts.begin(), parts.end(), [&](const RunsTable& p) { return GroupLabel(p, 0) == group.label; });
      const nlohmann::ordered_json comparison =
          GoldenComparisonToJson(golden_path, golden_group->golden, *part, *group.comparison);
      for (auto it = comparison.begin(); it != comparison.end(); ++it) entry[it.key()] = it.value();
    }
    out["groups"].push_back(entry);
  }
  out["num_drifted_groups"] = check.num_drifted;
  out["num_failed"] = num_failed;
  return out;
}

}  // namespace scaleplan
