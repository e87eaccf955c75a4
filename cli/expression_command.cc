// scaleplan fit [RUNS.csv] --law-expr EXPR --param NAME=LO:HI:STEP ...: fits a law of the user's own form.
#include "cli/expression_command.h"

#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/error.h"
#include "core/expression.h"
#include "core/units.h"
#include "fitting/bootstrap.h"
#include "fitting/expression_fit.h"

namespace scaleplan::cli {

bool AsksForExpressionLaw(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--law-expr" || arg.rfind("--law-expr=", 0) == 0) return true;
  }
  return false;
}

namespace {

namespace po = boost::program_options;

// A log-space RMSE above this describes the runs poorly (as for the built-in laws).
constexpr double kPoorFitRmse = 0.05;

std::string TableReport(const ExpressionFit& fit, const ExpressionRuns& runs, const ExpressionBootstrap* boot) {
  std::ostringstream out;
  char line[512];
  out << "Expression law fitted to " << runs.table.runs.size() << " runs from " << runs.table.source << '\n';
  for (const std::string& note : runs.table.notes) out << "  note: " << note << '\n';
  out << "\n  L = " << fit.expression << '\n';
  if (!runs.column_names.empty()) {
    out << "  columns     ";
    for (size_t c = 0; c < runs.column_names.size(); ++c) {
      out << (c ? ", " : "") << runs.column_names[c];
      if (runs.column_headers[c] != runs.column_names[c]) out << " = '" << runs.column_headers[c] << "'";
    }
    out << '\n';
  }
  const bool with_intervals = boot != nullptr && !boot->intervals.empty();
  if (with_intervals) {
    std::snprintf(line, sizeof line, "    %-16s %-14s %g%% interval (bootstrap, %zu resamples)\n", "", "",
                  100 * boot->options.confidence, boot->samples.params.size());
    out << line;
  }
  if (fit.search.usable) {
    for (size_t k = 0; k < fit.param_names.size(); ++k) {
      std::snprintf(line, sizeof line, with_intervals ? "    %-16s %-14.8g" : "    %-16s %.8g",
                    fit.param_names[k].c_str(), fit.params[k]);
      out << line;
      if (with_intervals) {
        std::snprintf(line, sizeof line, " [%.6g, %.6g]", boot->intervals[k].second.lower,
                      boot->intervals[k].second.upper);
        out << line;
      }
      out << '\n';
    }
    std::snprintf(line, sizeof line, "  objective (Huber sum, delta %g)  %.10f\n", fit.options.huber_delta,
                  fit.search.objective);
    out << line;
  }
  out << "  search      "
      << (fit.options.exhaustive
              ? "exhaustive: every one of " + std::to_string(fit.search.num_grid_points) + " grid points"
              : "the best-screened " + std::to_string(fit.search.num_starts) + " of " +
                    std::to_string(fit.search.num_grid_points) + " grid points")
      << "; " << fit.search.num_converged << " converged, " << fit.search.num_at_best << " reached the best optimum\n";
  if (fit.search.usable) {
    std::snprintf(line, sizeof line,
                  "  residuals   log-space RMSE %.4f, bias %+.5f, max |r| %.4f; %d of %d runs beyond delta\n",
                  fit.residuals.rmse, fit.residuals.mean, fit.residuals.max_abs, fit.residuals.num_beyond_delta,
                  fit.residuals.num_runs);
    out << line;
  } else {
    out << "  not usable: " << fit.search.status << '\n';
  }
  if (boot != nullptr) {
    std::snprintf(line, sizeof line,
                  "  bootstrap   seed %llu; each resample screened %d candidate starts and refitted the best %d; "
                  "%d of %d resamples were won by a start other than the full-data optimum; %d failed\n",
                  static_cast<unsigned long long>(boot->options.seed), boot->options.num_candidates,
                  boot->options.num_refits, boot->samples.num_won_by_other_start, boot->samples.num_resamples,
                  boot->samples.num_failed);
    out << line;
  }
  if (!fit.search.outside_grid.empty()) {
    out << "  warning     the optimum lies outside the start grid in:";
    for (const std::string& name : fit.search.outside_grid) out << ' ' << name;
    out << " (widen those --param ranges to be sure no better optimum lies beyond)\n";
  }
  for (const std::string& warning : fit.warnings) out << "  warning     " << warning << '\n';
  return out.str();
}

}  // namespace

int FitExpressionLawCommand(const std::vector<std::string>& args) {
  std::string runs_path;
  std::string format;
  std::string out_path;
  std::string law_name;
  std::string law_text;
  std::vector<std::string> param_texts;
  RunsColumns columns;
  FitFlags flags;
  BootstrapOptions bootstrap_options;
  int num_resamples = 0;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("runs", po::value(&runs_path),
                                                    "runs CSV (positional); default: the bundled Chinchilla runs")(
      "law-expr", po::value(&law_text),
      "the law L(columns; parameters), e.g. 'E + A/N^alpha + B/D^beta': + - * / ^, unary minus, parentheses, exp, "
      "log, sqrt, abs, min, max; names are --param parameters, N, D, C, U, S or any column of the runs file")(
      "param", po::value(&param_texts),
      "NAME=LO:HI:STEP (start grid) or NAME=VALUE (one start), once per parameter; starts only, no bounds")(
      "law", po::value(&law_name), "not with --law-expr")("out,o", po::value(&out_path),
                                                          "also save the fit as JSON to this file");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, false);
  AddFitOptions(&options, &flags);
  options.add_options()("bootstrap",
                        CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap_options.num_resamples),
                        "percentile intervals of every parameter from this many resamples of the runs (alone: 1000)")(
      "seed", CountValue(&bootstrap_options.seed), "bootstrap seed")(
      "ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap_options.confidence), "bootstrap interval level");
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan fit [RUNS.csv] --law-expr EXPR --param NAME=LO:HI:STEP ... [options]", options,
              {"scaleplan fit --law-expr 'exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)' --param a=0:25:5 "
               "--param b=0:25:5 --param e=-1:1:0.5 --param alpha=0:2:0.5 --param beta=0:2:0.5   # the built-in fit, "
               "written out: the same optimum",
               "scaleplan fit --law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 "
               "--param alpha=0.2:0.6:0.2 --param B=500:3000:500 --param beta=0.2:0.6:0.2 --bootstrap --out fit.json",
               "scaleplan fit runs.csv --law-expr 'E + A/N^alpha + k*epochs' --param E=2 --param A=400 --param "
               "alpha=0.3 --param k=0:0.1:0.05   # 'epochs': a column of runs.csv"});
    return kExitOk;
  }
  if (!law_name.empty()) throw UsageError("--law and --law-expr cannot be combined: --law-expr is the law");
  if (law_text.empty()) throw UsageError("--law-expr needs an expression");
  if (!flags.grid_spec.empty()) {
    throw UsageError("--grid does not apply to --law-expr: give each parameter's starts with --param NAME=LO:HI:STEP");
  }
  const OutputFormat output = ParseFormat(format);
  std::vector<ExpressionParam> params;
  std::optional<ExpressionLawSpec> spec;
  try {
    for (const std::string& text : param_texts) params.push_back(ParseExpressionParam(text));
    spec = MakeExpressionLawSpec(law_text, params);
  } catch (const InputError& error) {
    throw UsageError(error.what());  // an option, not data
  } catch (const ExpressionError& error) {
    throw UsageError(error.what());
  }
  std::string why;
  if (!flags.options.Check(&why)) throw UsageError(why);
  bootstrap_options.num_resamples = num_resamples;
  bootstrap_options.num_threads = flags.options.num_threads;
  if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);

  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  const std::string csv_text = runs_path.empty() ? std::string() : ReadFile(runs_path);
  RefuseToOverwriteInput(out_path);
  std::optional<ExpressionRuns> runs;
  try {
    runs = BindExpressionLaw(*spec, table, csv_text);
  } catch (const ExpressionError& error) {
    throw UsageError(error.what());  // a name that is neither a parameter nor a column
  }
  ExpressionFit fit;
  {
    ProgressBar bar("fitting expression");
    fit = FitExpressionLaw(*runs, *spec, flags.options, [&bar](int done, int total) { bar.Update(done, total); });
  }
  if (fit.search.usable && fit.residuals.rmse > kPoorFitRmse) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "poor fit: log-space RMSE %.3f is above %.2f (runs from several sources or set-ups? --filter "
                  "separates them)",
                  fit.residuals.rmse, kPoorFitRmse);
    fit.warnings.push_back(text);
  }
  std::optional<ExpressionBootstrap> boot;
  if (num_resamples != 0 && fit.search.usable) {
    ProgressBar bar("bootstrap");
    boot =
        BootstrapExpressionLaw(*runs, fit, bootstrap_options, [&bar](int done, int total) { bar.Update(done, total); });
  }
  const nlohmann::ordered_json json = ExpressionFitToJson(fit, *runs, boot ? &*boot : nullptr);
  if (!out_path.empty() && fit.search.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (const std::string& warning : fit.warnings) std::cerr << "scaleplan fit: warning: " << warning << '\n';
  } else {
    std::cout << TableReport(fit, *runs, boot ? &*boot : nullptr);
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan fit: error: the expression fit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

}  // namespace scaleplan::cli
