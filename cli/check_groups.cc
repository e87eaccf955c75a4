#include "cli/check_groups.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

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

namespace {

// Text safe inside an XML attribute or element (XML 1.0 forbids most control characters).
std::string XmlText(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

// JUnit XML: one <testsuite> per group, named by it; one <testcase> per checked quantity (a <failure> for each drift,
// <skipped> for each quantity not judged); a group missing from the runs or absent from the golden is one test case
// with a <failure>, a refit that is not usable one with an <error>.
std::string GroupedJunitXml(const std::string& golden_path, const GroupedGoldenCheck& check) {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::ostringstream suites;
  for (const GroupCheck& group : check.groups) {
    int group_tests = 0, group_failures = 0, group_errors = 0, group_skipped = 0;
    std::ostringstream cases;
    const std::string classname = "scaleplan.check." + XmlText(group.label);
    if (!group.in_runs || !group.in_golden) {
      group_tests = group_failures = 1;
      cases << "    <testcase classname=\"" << classname
            << "\" name=\"group\">\n      <failure type=\"drift\" message=\""
            << (group.in_runs ? "a group the golden does not record" : "the golden's group is missing from the runs")
            << "\"/>\n    </testcase>\n";
    } else if (!group.comparison) {
      group_tests = group_errors = 1;
      cases << "    <testcase classname=\"" << classname << "\" name=\"fit\">\n      <error type=\"fit\" message=\""
            << XmlText(group.refit_error) << "\"/>\n    </testcase>\n";
    } else {
      for (const QuantityCheck& quantity : group.comparison->checks) {
        ++group_tests;
        cases << "    <testcase classname=\"" << classname << "\" name=\"" << XmlText(quantity.name) << "\"";
        if (quantity.skipped) {
          ++group_skipped;
          cases << ">\n      <skipped message=\"" << XmlText(quantity.message) << "\"/>\n    </testcase>\n";
        } else if (!quantity.passed) {
          ++group_failures;
          cases << ">\n      <failure type=\"drift\" message=\"" << XmlText(quantity.message)
                << "\"/>\n    </testcase>\n";
        } else {
          cases << "/>\n";
        }
      }
    }
    suites << "  <testsuite name=\"scaleplan check " << XmlText(golden_path) << " " << XmlText(group.label)
           << "\" tests=\"" << group_tests << "\" failures=\"" << group_failures << "\" errors=\"" << group_errors
           << "\" skipped=\"" << group_skipped << "\">\n"
           << cases.str() << "  </testsuite>\n";
    tests += group_tests;
    failures += group_failures;
    errors += group_errors;
    skipped += group_skipped;
  }
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scaleplan check\" tests=\"" << tests
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\">\n"
      << suites.str() << "</testsuites>\n";
  return xml.str();
}

}  // namespace

int CheckGroupedGoldenCommand(const std::string& golden_path, const std::string& runs_path, RunsColumns columns,
                              const std::string& unique_column, const GoldenTolerances& tolerances,
                              bool check_intervals, int num_threads, OutputFormat output,
                              const std::string& junit_path) {
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
  // A law with a reader of its own (fitting/law_table.h) reads its runs, bundled ones too, as the golden recorded them.
  const bool table_law = IsTableLawGroupedGolden(*golden);
  const std::string& law_name = golden->groups.front().golden.law_name;
  const bool bundled_source =
      table_law && std::all_of(golden->groups.begin(), golden->groups.end(), [](const GoldenGroup& group) {
        return group.golden.data_source.rfind("<bundled", 0) == 0;
      });
  if (runs_path.empty() && !bundled_source) {
    throw UsageError(golden_path + " records one fit per group of " + columns_text +
                     ": name the runs to check, e.g. scaleplan check RUNS.csv --golden " + golden_path);
  }
  if (!unique_column.empty() && law_name != "data-constrained") {
    throw UsageError("--u-col goes with a data-constrained golden; " + golden_path + " records " + law_name + " fits");
  }
  if (check_intervals) {
    for (const GoldenGroup& group : golden->groups) {
      if (!group.golden.bootstrap) {
        throw UsageError("--check-intervals: group " + group.label + " of " + golden_path + " has no intervals (" +
                         NoIntervalsReason(group.golden) + ")");
      }
    }
  }
  columns.selection.group_by = golden->group_by;
  const std::string path = table_law && !runs_path.empty() ? InputPath(runs_path) : runs_path;
  // The grouped runs, and the one step that differs between the two kinds of laws: how a group is refitted.
  const RunsTable table = table_law ? LoadGroupedGoldenLawRuns(*golden, path, columns, unique_column).view
                                    : LoadRunsOrBundled(runs_path, columns);
  const GroupRefit refit = table_law ? RefitOfTableLawGroups(path, columns, unique_column, num_threads)
                                     : RefitOfRunsTableGroups(num_threads, check_intervals);
  GroupedGoldenCheck check;
  try {
    ProgressBar bar("fitting groups");
    check = CheckGroupedGolden(*golden, table, tolerances, check_intervals, refit);
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
  if (!junit_path.empty()) WriteFileAtomically(junit_path, GroupedJunitXml(golden_path, check));
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
