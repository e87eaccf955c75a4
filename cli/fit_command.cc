// scaleplan fit [RUNS.csv]: fits the Chinchilla law (Approach 3) and prints or saves it.
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

void PrintFitTable(const ChinchillaFit& fit, const RunsTable& table, const ChinchillaBootstrap* bootstrap,
                   std::ostream& out) {
  char line[256];
  out << "Chinchilla law (Hoffmann et al. 2022, Approach 3) fitted to " << table.runs.size() << " runs from "
      << table.source << '\n';
  for (const std::string& note : table.notes) out << "  note: " << note << '\n';
  out << "\n  L(N, D) = E + A / N^alpha + B / D^beta";
  const bool with_intervals = bootstrap != nullptr && !bootstrap->intervals.empty();
  if (with_intervals) {
    std::snprintf(line, sizeof line, "%*s%g%% interval (bootstrap, %zu resamples)", 10, "",
                  100 * bootstrap->options.confidence, bootstrap->laws.size());
    out << line;
  }
  out << '\n';
  const std::vector<double> values = ChinchillaQuantities(fit.law);
  const std::vector<std::string>& names = ChinchillaIntervalNames();
  const size_t shown = with_intervals ? names.size() : 5;
  for (size_t k = 0; k < shown; ++k) {
    const char* label = k == 5 ? "a (N_opt ~ C^a)" : k == 6 ? "b (D_opt ~ C^b)" : names[k].c_str();
    std::snprintf(line, sizeof line, "    %-16s %-12.6g", label, values[k]);
    out << line;
    if (with_intervals) {
      const Interval& interval = bootstrap->intervals[k].second;
      std::snprintf(line, sizeof line, "  [%.6g, %.6g]", interval.lower, interval.upper);
      out << line;
    }
    out << '\n';
  }
  std::snprintf(line, sizeof line, "  objective (Huber sum, delta %g)  %.10f\n", fit.options.huber_delta,
                fit.search.objective);
  out << line;
  std::snprintf(line, sizeof line, "  allocation  N_opt ~ C^%.4f   D_opt ~ C^%.4f   (a, b)\n",
                fit.law.ExponentParams(), fit.law.ExponentTokens());
  out << line;
  out << "  search      " << (fit.options.exhaustive ? "exhaustive: every one of " : "the best-screened ")
      << (fit.options.exhaustive ? std::to_string(fit.search.num_grid_points) + " grid points"
                                 : std::to_string(fit.search.num_starts) + " of " +
                                       std::to_string(fit.search.num_grid_points) + " grid points")
      << "; " << fit.search.num_converged << " converged, " << fit.search.num_at_best
      << " reached the best optimum\n";
  std::snprintf(line, sizeof line,
                "  residuals   log-space RMSE %.4f, bias %+.5f, max |r| %.4f; %d of %d runs beyond delta\n",
                fit.residuals.rmse, fit.residuals.mean, fit.residuals.max_abs, fit.residuals.num_beyond_delta,
                fit.residuals.num_runs);
  out << line;
  if (with_intervals) {
    std::snprintf(line, sizeof line,
                  "  bootstrap   seed %llu; each resample screened %d candidate starts and refitted the best %d; "
                  "%d of %d resamples were won by a start other than the full-data optimum; %d failed\n",
                  static_cast<unsigned long long>(bootstrap->options.seed), bootstrap->options.num_candidates,
                  bootstrap->options.num_refits, bootstrap->samples.num_won_by_other_start,
                  bootstrap->samples.num_resamples, bootstrap->samples.num_failed);
    out << line;
  }
  if (!fit.search.outside_grid.empty()) {
    out << "  warning     the optimum lies outside the start grid in:";
    for (const auto& name : fit.search.outside_grid) out << ' ' << name;
    out << " (widen it with --grid to be sure no better optimum lies beyond)\n";
  }
}

int Fit(const std::vector<std::string>& args) {
  std::string runs_path;
  std::string format;
  std::string out_path;
  std::string law_name = "chinchilla";
  RunsColumns columns;
  FitFlags flags;
  BootstrapOptions bootstrap_options;
  int num_resamples = 0;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("law", po::value(&law_name)->default_value(law_name), "law to fit: chinchilla")
      ("out,o", po::value(&out_path), "also save the fit as JSON to this file (read by 'plan --fit')");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddFitOptions(&options, &flags);
  options.add_options()
      ("bootstrap", po::value(&num_resamples)->implicit_value(bootstrap_options.num_resamples),
       "percentile intervals from this many resamples of the runs (--bootstrap alone: 1000; '=N' for N)")
      ("seed", po::value(&bootstrap_options.seed)->default_value(bootstrap_options.seed),
       "bootstrap seed: the same seed gives the same numbers for any thread count")
      ("ci", po::value(&bootstrap_options.confidence)->default_value(bootstrap_options.confidence),
       "bootstrap interval level, e.g. 0.9");
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan fit [RUNS.csv] [options]", options,
              {"scaleplan fit                                   # the bundled Chinchilla runs (240 after selection)",
               "scaleplan fit runs.csv --format json            # your runs; columns detected from the header",
               "scaleplan fit runs.csv --loss-col eval/loss --out fit.json",
               "scaleplan fit --exhaustive --threads 2          # L-BFGS from all 4,500 grid points",
               "scaleplan fit --bootstrap=4000 --ci 0.95        # with 95% bootstrap intervals",
               "scaleplan fit --bootstrap --out fit.json        # plan --fit fit.json then shows intervals too"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (law_name != "chinchilla") throw UsageError("--law must be 'chinchilla' (other laws are not available yet)");
  const InitGrid grid = ResolveGrid(flags, ChinchillaModel::HoffmannGrid());
  bootstrap_options.num_resamples = num_resamples;
  bootstrap_options.num_threads = flags.options.num_threads;
  std::string why;
  if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);
  const RunsTable table = LoadRunsOrBundled(runs_path, columns);

  ChinchillaFit fit;
  {
    ProgressBar bar("fitting");
    fit = FitChinchilla(table, flags.options, grid, [&bar](int done, int total) { bar.Update(done, total); });
  }
  std::optional<ChinchillaBootstrap> bootstrap;
  if (num_resamples != 0 && fit.search.usable) {
    ProgressBar bar("bootstrap");
    bootstrap = BootstrapChinchilla(table, fit, bootstrap_options,
                                    [&bar](int done, int total) { bar.Update(done, total); });
  }
  const ChinchillaBootstrap* boot = bootstrap ? &*bootstrap : nullptr;
  const nlohmann::ordered_json json = FitToJson(fit, table, boot);
  if (!out_path.empty() && fit.search.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
  } else {
    PrintFitTable(fit, table, boot, std::cout);
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan fit: error: the fit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

}  // namespace

int RunFit(const std::vector<std::string>& args) { return RunGuarded("fit", [&] { return Fit(args); }); }

}  // namespace scaleplan::cli
