// scaleplan check [RUNS.csv] --golden GOLDEN.json: refits the runs with the golden's options and compares every
// recorded quantity with a relative tolerance (fitting/golden.h documents the defaults), for CI.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/check_groups.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/expression_command.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/bundled_data.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/golden.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

std::string Verdict(const QuantityCheck& check) {
  if (check.skipped) return "skipped";
  return check.passed ? "ok" : "DRIFT";
}

// Text safe inside an XML attribute or element.
std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids other control characters.
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

// What the report needs besides the comparison.
struct CheckContext {
  std::string golden_path;
  const Golden* golden = nullptr;
  const RunsTable* table = nullptr;
  std::string data_hash;
  double seconds = 0.0;
};

// JUnit XML: one <testcase> per checked quantity, a <failure> for each drift, <skipped> for each quantity not
// judged. A refit that is not usable becomes a single test case with an <error>.
std::string JunitXml(const CheckContext& context, const GoldenComparison* comparison, const std::string& fit_error) {
  const int tests = comparison != nullptr ? static_cast<int>(comparison->checks.size()) : 1;
  const int failures = comparison != nullptr ? comparison->num_failed : 0;
  const int skipped = comparison != nullptr ? comparison->num_skipped : 0;
  const int errors = comparison != nullptr ? 0 : 1;
  char time[32];
  std::snprintf(time, sizeof time, "%.3f", context.seconds);
  std::ostringstream xml;
  const std::string counts = "tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) +
                             "\" time=\"" + time + "\"";
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"scaleplan check\" " << counts << ">\n"
      << "  <testsuite name=\"scaleplan check " << XmlEscape(context.golden_path) << "\" " << counts << ">\n"
      << "    <properties>\n"
      << "      <property name=\"golden\" value=\"" << XmlEscape(context.golden_path) << "\"/>\n"
      << "      <property name=\"runs\" value=\"" << XmlEscape(context.table->source) << "\"/>\n"
      << "      <property name=\"data_hash\" value=\"" << context.data_hash << "\"/>\n"
      << "      <property name=\"golden_data_hash\" value=\"" << context.golden->data_hash << "\"/>\n"
      << "    </properties>\n";
  if (comparison == nullptr) {
    xml << "    <testcase classname=\"scaleplan.check\" name=\"fit\">\n"
        << "      <error type=\"fit\" message=\"" << XmlEscape(fit_error) << "\"/>\n"
        << "    </testcase>\n";
  } else {
    for (const QuantityCheck& check : comparison->checks) {
      xml << "    <testcase classname=\"scaleplan.check." << CheckKindName(check.kind) << "\" name=\""
          << XmlEscape(check.name) << "\"";
      if (check.skipped) {
        xml << ">\n      <skipped message=\"" << XmlEscape(check.message) << "\"/>\n    </testcase>\n";
      } else if (!check.passed) {
        xml << ">\n      <failure type=\"drift\" message=\"" << XmlEscape(check.message) << "\"/>\n    </testcase>\n";
      } else {
        xml << "/>\n";
      }
    }
    if (!comparison->warnings.empty()) {
      xml << "    <system-out>";
      for (const std::string& warning : comparison->warnings) xml << "warning: " << XmlEscape(warning) << '\n';
      xml << "</system-out>\n";
    }
  }
  xml << "  </testsuite>\n</testsuites>\n";
  return xml.str();
}

nlohmann::ordered_json ComparisonToJson(const CheckContext& context, const GoldenComparison& comparison) {
  return GoldenComparisonToJson(context.golden_path, *context.golden, *context.table, comparison);  // fitting/golden.h
}

void PrintComparison(const CheckContext& context, const GoldenComparison& comparison, std::ostream& out) {
  const Golden& golden = *context.golden;
  out << "Check of the " << golden.law_name << " fit of " << context.table->runs.size() << " runs from "
      << context.table->source << " against " << context.golden_path << '\n';
  out << "  golden: " << golden.data_num_runs << " runs from " << golden.data_source << ", hash " << golden.data_hash
      << (comparison.data_hash_matches ? " (the same runs)" : "") << "; refitted with ";
  if (golden.law_name == "isoflop" || golden.law_name == "hyperparams") {
    out << "the recorded budget options\n";
  } else {
    out << "delta " << FormatSignificant(golden.fit_options.huber_delta, 10) << ", "
        << (golden.fit_options.exhaustive ? std::string("an exhaustive search")
                                          : std::to_string(golden.fit_options.num_starts) + " starts")
        << (golden.grid_spec.empty() ? std::string() : ", grid " + golden.grid_spec) << '\n';
  }
  for (const std::string& warning : comparison.warnings) out << "  warning: " << warning << '\n';
  char line[256];
  std::snprintf(line, sizeof line, "\n  %-24s %-18s %-18s %-12s %-10s %s\n", "quantity", "golden", "now",
                "rel. change", "tolerance", "verdict");
  out << line;
  for (const QuantityCheck& check : comparison.checks) {
    if (check.kind == CheckKind::CONTAINMENT) {
      std::string interval = "[";  // appended: GCC 12 warns falsely on "[" + string
      interval += FormatSignificant(check.now_interval.lower, 10) + ", " +
                  FormatSignificant(check.now_interval.upper, 10) + "]";
      std::snprintf(line, sizeof line, "  %-24s %-18s %-42s %-10s %s\n", check.name.c_str(),
                    FormatSignificant(check.golden, 10).c_str(), interval.c_str(), "inside", Verdict(check).c_str());
    } else {
      char change[32];
      std::snprintf(change, sizeof change, "%+.2e", check.relative_change);
      std::snprintf(line, sizeof line, "  %-24s %-18s %-18s %-12s %-10g %s\n", check.name.c_str(),
                    FormatSignificant(check.golden, 10).c_str(), FormatSignificant(check.now, 10).c_str(),
                    check.skipped ? "-" : change, check.tolerance, Verdict(check).c_str());
    }
    out << line;
  }
  const int judged = static_cast<int>(comparison.checks.size()) - comparison.num_skipped;
  out << '\n';
  if (comparison.num_failed == 0) {
    out << "  ok: all " << judged << " checked quantities hold";
  } else {
    out << "  DRIFT: " << comparison.num_failed << " of " << judged << " checked quantities drifted:";
    constexpr int kNamesShown = 8;
    int shown = 0;
    for (const QuantityCheck& check : comparison.checks) {
      if (!check.skipped && !check.passed && shown++ < kNamesShown) out << ' ' << check.name;
    }
    if (shown > kNamesShown) out << " and " << shown - kNamesShown << " more";
  }
  if (comparison.num_skipped > 0) out << " (" << comparison.num_skipped << " skipped)";
  out << '\n';
}

// "NAME=X" (or several, comma-separated) into tolerance overrides.
void ParseOverrides(const std::vector<std::string>& texts, GoldenTolerances* tolerances) {
  for (const std::string& text : texts) {
    std::stringstream parts(text);
    std::string part;
    while (std::getline(parts, part, ',')) {
      const size_t eq = part.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("--rtol expects NAME=TOLERANCE, not '" + part + "'");
      std::string why;
      const std::optional<double> tolerance = TryParseQuantity(part.substr(eq + 1), &why);
      if (!tolerance || *tolerance < 0) {
        throw UsageError("--rtol " + part + ": the tolerance must be a non-negative number" +
                         (why.empty() ? "" : " (" + why + ")"));
      }
      tolerances->overrides.emplace_back(part.substr(0, eq), *tolerance);
    }
  }
}

int Check(const std::vector<std::string>& args) {
  if (AsksForExpressionGolden(args)) return CheckExpressionGolden(args);  // cli/expression_command.cc
  std::string runs_path;
  std::string golden_path;
  std::string junit_path;
  std::string format;
  std::vector<std::string> rtol_texts;
  bool check_intervals = false;
  int num_threads = 0;
  std::string unique_column;
  RunsColumns columns;
  GoldenTolerances tolerances;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("golden", po::value(&golden_path), "the golden file to check against (written by 'fit --save-golden')")
      ("rtol-params", NumberValue<Range::POSITIVE>(&tolerances.params_rtol),
       "relative tolerance of E, A, B, alpha, beta, the exponents a and b, and the objective")
      ("rtol-predictions",
       NumberValue<Range::POSITIVE>(&tolerances.predictions_rtol),
       "relative tolerance of N_opt, D_opt and the loss at each recorded budget")
      ("rtol", po::value(&rtol_texts)->composing(),
       "NAME=X: the tolerance of one quantity ('loss@1e21=0.005', 'alpha=1e-4') or a family (N_opt, D_opt, "
       "loss, intervals); repeatable")
      ("check-intervals", po::bool_switch(&check_intervals),
       ("rerun the golden's bootstrap: compare its interval bounds (tolerance " +
        FormatQuantity(tolerances.intervals_rtol) + ") and require every golden value to lie inside the new interval")
           .c_str())
      ("junit", po::value(&junit_path), "also write JUnit XML to this file: one test case per checked quantity")
      ("threads", CountValue(&num_threads),
       "threads (0 = all cores); results are identical for any count")
      ("u-col", po::value(&unique_column),
       "a data-constrained golden: the column holding U, the unique tokens (default: the column the golden "
       "recorded)");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, true);  // --group-by: a grouped golden's columns (check_groups.h)
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan check [RUNS.csv] --golden GOLDEN.json [options]", options,
              {"scaleplan check --golden data/golden/chinchilla.json          # the bundled runs",
               "scaleplan check runs.csv --golden golden.json --junit check.xml",
               "scaleplan check runs.csv --golden golden.json --rtol-params 0.05 --rtol loss=0.002",
               "scaleplan check runs.csv --golden golden.json --check-intervals --format json",
               "scaleplan fit runs.csv --bootstrap --save-golden golden.json  # record a golden"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (golden_path.empty()) throw UsageError("--golden GOLDEN.json is required");
  if (num_threads < 0) throw UsageError("--threads must be 0 (all cores) or positive");
  ParseOverrides(rtol_texts, &tolerances);
  std::string why;
  if (!tolerances.Check(&why)) throw UsageError(why);
  // A golden of one fit per group (fit --group-by ... --save-golden): cli/check_groups.cc.
  if (!columns.selection.group_by.empty() || IsGroupedGoldenFile(golden_path)) {
    return CheckGroupedGoldenCommand(golden_path, runs_path, columns, unique_column, tolerances, check_intervals,
                                     num_threads, output, junit_path);
  }

  const Golden golden = ParseGolden(ReadFile(golden_path), golden_path);
  if (check_intervals && !golden.bootstrap) {
    throw UsageError("--check-intervals: " + golden_path + " has no intervals (" + NoIntervalsReason(golden) + ")");
  }
  // The laws of fitting/law_table.h read their runs with their own reader, as the golden recorded it.
  const TableLaw* law = FindTableLaw(golden.law_name);
  const bool table_law = law != nullptr && law->own_reader;
  const bool bundled_source = table_law ? golden.data_source.rfind("<bundled", 0) == 0
                                        : golden.data_source == kBundledChinchillaLabel;
  if (runs_path.empty() && !bundled_source) {
    throw UsageError("the golden was recorded from '" + golden.data_source +
                     "': name the runs to check, e.g. scaleplan check RUNS.csv --golden " + golden_path);
  }
  if (!unique_column.empty() && golden.law_name != "data-constrained") {
    throw UsageError("--u-col goes with a data-constrained golden; " + golden_path + " records a " +
                     golden.law_name + " fit");
  }
  std::optional<LawRuns> law_runs;
  if (table_law) {
    law_runs = LoadGoldenLawRuns(golden, runs_path.empty() ? runs_path : InputPath(runs_path), columns, unique_column);
  }
  const RunsTable table = table_law ? law_runs->view : LoadRunsOrBundled(runs_path, columns);
  const auto start = std::chrono::steady_clock::now();

  CheckContext context;
  context.golden_path = golden_path;
  context.golden = &golden;
  context.table = &table;
  context.data_hash = table_law ? law_runs->hash : FormatRunsHash(table);
  const auto fail = [&](const std::string& message) {
    context.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!junit_path.empty()) WriteFileAtomically(junit_path, JunitXml(context, nullptr, message));
    std::cerr << "scaleplan check: error: " << message << '\n';
    return kExitFitFailed;
  };
  std::optional<Golden> now;
  if (table_law) {
    std::string refit_why;
    {
      ProgressBar bar("fitting");
      now = RefitGolden(golden, *law_runs, num_threads, &refit_why);
    }
    if (!now) return fail(refit_why);
  } else if (golden.law_name != "chinchilla") {
    // Kaplan and IsoFLOP goldens: their table entries' refit of the Chinchilla runs table, no intervals.
    std::string refit_why;
    {
      ProgressBar bar("fitting");
      now = RefitGolden(golden, table, num_threads, &refit_why);
    }
    if (!now) return fail(refit_why);
  } else {
    MultiStartOptions fit_options = golden.fit_options;
    fit_options.num_threads = num_threads;
    ChinchillaFit fit;
    {
      ProgressBar bar("fitting");
      fit = FitChinchilla(table, fit_options, golden.grid, [&bar](int done, int total) { bar.Update(done, total); });
    }
    if (!fit.search.usable) return fail("the refit is not usable: " + fit.search.status);
    std::optional<ChinchillaBootstrap> bootstrap;
    if (check_intervals) {
      BootstrapOptions bootstrap_options = *golden.bootstrap;
      bootstrap_options.num_threads = num_threads;
      ProgressBar bar("bootstrap");
      bootstrap = BootstrapChinchilla(table, fit, bootstrap_options,
                                      [&bar](int done, int total) { bar.Update(done, total); });
      if (bootstrap->intervals.empty()) return fail("no bootstrap resample converged");
    }
    std::vector<double> budgets;
    for (const GoldenPrediction& prediction : golden.predictions) budgets.push_back(prediction.compute_flops);
    now = MakeGoldenRecord(fit, table, bootstrap ? &*bootstrap : nullptr, budgets);
  }
  GoldenComparison comparison;
  try {
    comparison = CompareWithGolden(golden, *now, tolerances, check_intervals);
  } catch (const InputError& error) {
    throw UsageError(error.what());  // an --rtol name that matches nothing
  }
  context.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (output == OutputFormat::JSON) {
    std::cout << ComparisonToJson(context, comparison).dump(2) << '\n';
    for (const std::string& warning : comparison.warnings) std::cerr << "scaleplan check: warning: " << warning << '\n';
  } else {
    PrintComparison(context, comparison, std::cout);
  }
  std::cout.flush();
  if (!junit_path.empty()) WriteFileAtomically(junit_path, JunitXml(context, &comparison, ""));
  if (comparison.num_failed > 0) {
    std::cerr << "scaleplan check: " << comparison.num_failed << " quantities drifted from " << golden_path << '\n';
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

int RunCheck(const std::vector<std::string>& args) { return RunGuarded("check", [&] { return Check(args); }); }

}  // namespace scaleplan::cli
