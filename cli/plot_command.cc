// scaleplan plot KIND [RUNS.csv] --out FILE.png|.svg: the desktop planner's charts, rendered without a display.
// The runs charts draw the fit of the runs, or a saved fit (--fit) or a published law (--law) resolved as `plan`
// resolves them (ResolvePlanLaw); the roofline and the collectives chart draw a hardware profile (--profile, read and
// checked here).
//
// The charts are drawn by gui/ (the same code as the window's chart tabs) in the module libscaleplan_plot.so, which
// this command loads with dlopen() when it runs and calls through the one C entry point of gui/plot_module.h. The
// scaleplan binary does not link Qt, so no other command pays for loading it. When the module is missing (a build
// without Qt 6, or a module not found at run time) the command says which, and exits with code 2.
#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/expression_command.h"
#include "cli/option_values.h"
#include "cli/plan_support.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "core/units.h"
#include "fitting/bootstrap.h"
#include "fitting/fit_json.h"
#include "fitting/saved_table_law.h"
#include "gui/plot_module.h"
#include "gui/plot_render.h"  // PlotRequest only (options and defaults): RenderPlotToFile lives in the module

#ifndef SCALEPLAN_HAS_GUI
#define SCALEPLAN_HAS_GUI 0
#endif
#ifndef SCALEPLAN_PLOT_MODULE_DIR
#define SCALEPLAN_PLOT_MODULE_DIR ""
#endif

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

constexpr int kErrorSize = 4096;
constexpr const char* kPlotModuleFileName = SCALEPLAN_PLOT_MODULE_FILE_NAME;

// Where the module is looked for, in order: $SCALEPLAN_PLOT_MODULE (a full path; when set, the only place looked
// in), the folder of the running executable, <that folder>/../lib/scaleplan, and the build tree's module folder.
std::vector<std::string> PlotModuleCandidates() {
  if (const char* path = std::getenv("SCALEPLAN_PLOT_MODULE"); path != nullptr && *path != '\0') return {path};
  std::vector<std::string> candidates;
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path folder = executable.parent_path();
    candidates.push_back((folder / kPlotModuleFileName).string());
    candidates.push_back((folder.parent_path() / "lib" / "scaleplan" / kPlotModuleFileName).string());
  }
  const std::string build_folder = SCALEPLAN_PLOT_MODULE_DIR;
  if (!build_folder.empty()) candidates.push_back(build_folder + "/" + kPlotModuleFileName);
  return candidates;
}

// Loads the module and returns its entry point, or nullptr with *why set to one line saying what is missing. The
// module stays loaded for the life of the process (Qt does not support being unloaded).
ScaleplanPlotRenderFunction LoadPlotModule(std::string* why) {
  if (!SCALEPLAN_HAS_GUI) {
    *why = "this scaleplan was built without Qt 6 (SCALEPLAN_WITH_GUI is off), so it cannot render charts; install "
           "Qt 6 Widgets, Charts and Svg and rebuild";
    return nullptr;
  }
  std::string path;
  std::string looked_in;
  for (const std::string& candidate : PlotModuleCandidates()) {
    std::error_code error;
    if (std::filesystem::exists(candidate, error)) {
      path = candidate;
      break;
    }
    looked_in += (looked_in.empty() ? "" : ", ") + candidate;
  }
  if (path.empty()) {
    *why = std::string("the chart renderer ") + kPlotModuleFileName + " was not found (looked in " + looked_in +
           "); it is built with the GUI (target scaleplan_plot) and installed next to the scaleplan binary, or set "
           "SCALEPLAN_PLOT_MODULE to its path";
    return nullptr;
  }
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* message = dlerror();
    *why = "cannot load the chart renderer " + path + ": " + (message != nullptr ? message : "unknown dlopen error");
    return nullptr;
  }
  dlerror();
  void* symbol = dlsym(library, SCALEPLAN_PLOT_RENDER_SYMBOL);
  if (symbol == nullptr) {
    *why = "the chart renderer " + path + " lacks " + SCALEPLAN_PLOT_RENDER_SYMBOL +
           " (a module from another scaleplan version?)";
    return nullptr;
  }
  return reinterpret_cast<ScaleplanPlotRenderFunction>(symbol);
}

// The module's bootstrap progress callback: the command's progress bar.
void UpdateBootstrapBar(int done, int total, void* bar) { static_cast<ProgressBar*>(bar)->Update(done, total); }

// The module's chart callback: the file's bytes, written by the command (WriteFileAtomically) as every output is.
void KeepChartBytes(const char* data, unsigned long long size, void* chart) {
  static_cast<std::string*>(chart)->assign(data, static_cast<size_t>(size));
}

int Plot(const std::vector<std::string>& args) {
  gui::PlotRequest request;
  std::string compute_text, fit_path, law_name, profile_path;
  BootstrapOptions bootstrap;  // --bootstrap, --seed, --ci: bound as `fit` binds them, with its defaults
  int num_resamples = 0;
  po::options_description options("Options");
  // clang-format off
  options.add_options()("help,h", "show this help")
      ("kind", po::value(&request.kind),
       "chart (positional): fit, isoflop, frontier, residuals, roofline or collectives")
      ("runs", po::value(&request.runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("out,o", po::value(&request.out_path), "output file, .png or .svg (written atomically)")
      ("width", po::value(&request.width), "width in pixels (default 1200); with --dpi, in inches (default 12.5)")
      ("height", po::value(&request.height), "height in pixels (default 800); with --dpi, in inches (default 8.33)")
      ("dpi", po::value(&request.dpi), "resolution: --width and --height are inches and the image is width x dpi "
                                       "pixels, text at its point size on paper (e.g. --width 6.5 --height 4 --dpi "
                                       "300); without it text and markers scale with min(width / 1200, height / 800)")
      ("log-loss", po::bool_switch(&request.log_loss), "fit, isoflop: the loss on a logarithmic axis")
      ("compute", po::value(&compute_text), "mark this budget's compute-optimal point (FLOPs, e.g. 5.76e23)")
      ("fit", po::value(&fit_path), "draw the law of a saved fit ('scaleplan fit --out FIT.json') instead of "
                                    "fitting the runs")
      ("law", po::value(&law_name), "draw a published law: hoffmann, hoffmann-unrounded, epoch")
      ("profile", po::value(&profile_path),
       "roofline, collectives: the hardware profile ('scaleplan probe --out PROFILE.json')")
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap.num_resamples),
       "fit, isoflop, frontier of the law fitted to the runs: shade the interval of L_opt(C), of each IsoFLOP profile "
       "and of N_opt, D_opt over this many bootstrap refits, as the window does (--bootstrap alone: 1000; '=N' for N)")
      ("seed", CountValue(&bootstrap.seed), "bootstrap seed: the same seed draws the same bands")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap.confidence), "bootstrap interval level, e.g. 0.8");
  // clang-format on
  AddColumnOptions(&options, &request.columns);
  AddRunSelectionOptions(&options, &request.columns, true);  // --group-by is taken before (RunPlot)
  po::positional_options_description positional;
  positional.add("kind", 1).add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("dpi")) {
    if (!(request.dpi > 0)) throw UsageError("--dpi must be positive");
    // Without a size, the default 1200 x 800 figure's layout in inches (at 96 per inch).
    if (!vm.count("width")) request.width = gui::PlotRequest().width / 96.0;
    if (!vm.count("height")) request.height = gui::PlotRequest().height / 96.0;
  }
  if (vm.count("help")) {
    PrintHelp("scaleplan plot fit|isoflop|frontier|residuals [RUNS.csv] [--fit FIT.json | --law NAME] --out "
              "FILE.png|.svg [options]\n"
              "       scaleplan plot roofline|collectives --profile PROFILE.json --out FILE.png|.svg [options]",
              options,
              {"scaleplan plot fit --out fit.png                     # loss against compute, the bundled runs",
               "scaleplan plot frontier --compute 5.76e23 --out frontier.svg",
               "scaleplan plot isoflop runs.csv --out isoflop.png --width 1600 --height 1000",
               "scaleplan plot fit --width 6.5 --height 4 --dpi 300 --log-loss --out fit.png   # 1950 x 1200 px",
               "scaleplan plot residuals runs.csv --loss-col eval/loss --out residuals.svg",
               "scaleplan plot fit runs.csv --filter 'Model Size<1B' --exclude-lines 12,40-45 --out small.svg",
               "scaleplan plot frontier --law hoffmann --compute 5.76e23 --out hoffmann.png   # a published law",
               "scaleplan plot fit runs.csv --fit fit.json --out fit.svg                   # a saved fit",
               "scaleplan plot isoflop --bootstrap 200 --out isoflop.svg    # 95% bootstrap bands on the profiles",
               "scaleplan plot frontier --bootstrap 200 --seed 7 --ci 0.8 --out frontier.png",
               "scaleplan plot roofline --profile profile.json --out roofline.png          # a probe's profile",
               "scaleplan plot collectives --profile cluster.json --out busbw.svg          # 'probe --collectives'"});
    return kExitOk;
  }
  if (request.kind.empty()) {
    throw UsageError("which chart? give fit, isoflop, frontier, residuals, roofline or collectives");
  }
  // The profile charts draw a hardware profile: its kernels (roofline) or its interconnect section (collectives).
  const bool profile_chart = request.kind == "roofline" || request.kind == "collectives";
  std::optional<KaplanLaw> kaplan;  // a Kaplan fit: drawn, like an expression fit, from its loss on each run
  std::string fit_law;              // the law of the fit --fit names ("" without one)
  std::string table_law;  // a sparse, moe or routing fit: drawn from its loss on each run of its own runs
  if (request.out_path.empty()) throw UsageError("--out FILE.png or FILE.svg is required");
  if (num_resamples != 0) {
    bootstrap.num_resamples = num_resamples;
    if (std::string why; !bootstrap.Check(&why)) throw UsageError(why);
    request.bootstrap = bootstrap;
  } else if (!vm["seed"].defaulted() || !vm["ci"].defaulted()) {
    throw UsageError("--seed and --ci set the bootstrap's bands: give --bootstrap[=N] with them");
  }
  // The bands are the bootstrap refits of the Chinchilla law fitted to the runs, around the lines it draws.
  if (request.bootstrap && !profile_chart) {
    if (request.kind == "residuals") {
      throw UsageError("--bootstrap: the residuals chart has no interval band (the bands shade L_opt(C) on 'plot "
                       "fit', the IsoFLOP profiles on 'plot isoflop' and N_opt, D_opt on 'plot frontier')");
    }
    if (!fit_path.empty() || !law_name.empty()) {
      throw UsageError("--bootstrap resamples the runs and refits the Chinchilla law to them: a saved fit (--fit) or "
                       "a published law (--law) is drawn as it is, without bands");
    }
  }
  if (!compute_text.empty()) {
    try {
      request.budget_flops = ParsePositiveQuantity(compute_text, InputLocation{"--compute"});
    } catch (const InputError& error) {
      throw UsageError(error.what());
    }
  }
  if (profile_chart) {
    if (profile_path.empty()) {
      throw UsageError("the " + request.kind + " chart draws a hardware profile: give --profile PROFILE.json (from "
                       "'scaleplan probe --out'" + (request.kind == "collectives" ? " with --collectives)" : ")"));
    }
    const RunSelection& selection = request.columns.selection;
    if (!request.runs_path.empty() || !fit_path.empty() || !law_name.empty() || !compute_text.empty() ||
        selection.Selects() || selection.skip_bad_rows || selection.delimiter != 0) {
      throw UsageError("the " + request.kind + " chart draws only the profile: drop RUNS.csv, --fit, --law, --compute "
                       "and the run selection options");
    }
    if (request.bootstrap) {
      throw UsageError("--bootstrap: the " + request.kind + " chart draws a hardware profile, not a fit to resample");
    }
    request.profile_json = ReadFile(profile_path);
    // A bad profile is an input error, located here.
    const HardwareProfile profile = HardwareProfileFromJson(request.profile_json, profile_path);
    if (request.kind == "collectives" && !HasCollectiveMeasurements(profile)) {
      throw InputError(NoCollectiveMeasurementsReason(profile), InputLocation{profile_path});
    }
    if (request.kind == "roofline" && !HasKernelMeasurements(profile)) {
      throw InputError(kNoKernelMeasurements, InputLocation{profile_path});
    }
    request.profile_label = profile_path;
  } else {
    if (!profile_path.empty()) {
      throw UsageError("--profile is for the profile charts: 'scaleplan plot roofline' and 'plot collectives'");
    }
    fit_law = fit_path.empty() ? "" : SavedFitLawName(InputPath(fit_path));  // the fit's file peeked once
    if (PredictsFromSavedFit(fit_law)) table_law = fit_law;
    if (!table_law.empty()) {
      // A sparse, moe or routing law predicts each of its runs (read by its own reader), nothing of Chinchilla's form.
      if (!law_name.empty()) throw UsageError("give --fit or --law, not both");
      if (request.kind != "residuals") {
        throw UsageError("a " + table_law + " fit is drawn on the residuals chart ('scaleplan plot residuals " +
                         "RUNS.csv --fit FIT.json', the runs read as 'fit --law " + table_law + "' reads them)");
      }
      if (request.runs_path.empty() && !FindTableLaw(table_law)->bundled_runs) {
        throw UsageError(fit_path + ": a " + table_law + " fit is drawn on its runs: give RUNS.csv (no " + table_law +
                         " runs are bundled)");
      }
    } else if (fit_law == "expression") {
      if (!law_name.empty()) throw UsageError("give --fit or --law, not both");
      // Drawn from its loss on each run, computed below once the runs are read.
    } else if (!fit_path.empty() || !law_name.empty()) {
      const PlanLaw law = ResolvePlanLaw(InputPath(fit_path), law_name);
      if (law.saved.law_name == "kaplan") {
        // Kaplan's L(N, D) is not Chinchilla's form, which the curves draw: its loss on each run, as residuals.
        if (request.kind != "residuals") {
          throw UsageError("a Kaplan fit is drawn on the residuals chart ('scaleplan plot residuals ... --fit "
                           "FIT.json')");
        }
        kaplan = law.saved.kaplan;
        request.law_label = law.saved.description;
      } else if (!law.saved.HasChinchillaForm()) {
        // An IsoFLOP fit has no L(N, D): no curve and no loss on each run to draw. The file is sound, the chart is
        // the wrong one for it: a usage error, as for a Kaplan fit above.
        throw UsageError(fit_path + ": an IsoFLOP fit predicts no loss for a run, only N_opt, D_opt and the minimum "
                         "loss at a budget: 'plot isoflop RUNS.csv' draws the profiles it was fitted to, and 'plan "
                         "--fit' and 'validate --law isoflop' use it");
      } else {
        request.law = law.saved.law;
        request.law_label = law.saved.description;
      }
    }
  }
  std::string why;
  const ScaleplanPlotRenderFunction render = LoadPlotModule(&why);
  if (render == nullptr) {
    std::cerr << "scaleplan plot: error: " << why << '\n';
    return kExitUsage;
  }
  // The runs, read here as every command reads them (the selection applied, the loader's warnings printed).
  std::vector<double> run_params, run_tokens, run_compute, run_loss;
  std::vector<int> run_lines;
  std::vector<double> run_predicted_loss;  // an expression or Kaplan fit's loss on each run
  std::string runs_source;
  std::string compute_axis_label;  // the residuals chart's x axis when C is not the training compute
  if (!table_law.empty()) {
    LawRunsOptions runs_options;
    runs_options.columns = request.columns;
    const LawRuns runs =
        LoadLawRuns(table_law, request.runs_path.empty() ? "" : InputPath(request.runs_path), runs_options);
    const SavedLawPredictions predictions = PredictSavedTableLaw(fit_path, runs);
    runs_source = runs.source;
    compute_axis_label = FindTableLaw(table_law)->compute_name;  // a moe fit's runs: their nominal compute
    request.law_label = predictions.label;
    run_predicted_loss = predictions.predicted_loss;
    for (size_t i = 0; i < runs.size(); ++i) {
      const TrainingRun& run = runs.view.runs[i];
      if (!(run.compute_flops > 0)) {
        throw InputError("the residuals chart places each run at its training compute C = 6 N D, which needs a tokens "
                         "column (num_tokens): this file lacks one",
                         InputLocation{runs.source});
      }
      run_params.push_back(run.num_params);
      run_tokens.push_back(run.num_tokens);
      run_compute.push_back(run.compute_flops);
      run_loss.push_back(run.loss_nats);
      run_lines.push_back(predictions.lines[i]);
    }
  } else if (!profile_chart) {
    const RunsTable table = LoadRunsOrBundled(request.runs_path, request.columns);
    runs_source = table.source;
    for (const TrainingRun& run : table.runs) {
      run_params.push_back(run.num_params);
      run_tokens.push_back(run.num_tokens);
      run_compute.push_back(run.compute_flops);
      run_loss.push_back(run.loss_nats);
      run_lines.push_back(run.line);
    }
    if (fit_law == "expression") {
      run_predicted_loss = PredictSavedExpressionFit(fit_path, table, request.runs_path, &request.law_label);
    }
    if (kaplan) {
      for (const TrainingRun& run : table.runs) {
        run_predicted_loss.push_back(kaplan->Loss(run.num_params, run.num_tokens));
      }
    }
  }
  ScaleplanPlotRequest abi_request{request.kind.c_str(),
                                   request.runs_path.c_str(),
                                   request.columns.params.c_str(),
                                   request.columns.tokens.c_str(),
                                   request.columns.compute.c_str(),
                                   request.columns.loss.c_str(),
                                   request.out_path.c_str(),
                                   request.width,
                                   request.height,
                                   request.dpi,
                                   request.log_loss ? 1 : 0,
                                   request.budget_flops,
                                   request.law ? 1 : 0,
                                   request.law ? request.law->E : 0.0,
                                   request.law ? request.law->A : 0.0,
                                   request.law ? request.law->B : 0.0,
                                   request.law ? request.law->alpha : 0.0,
                                   request.law ? request.law->beta : 0.0,
                                   request.law_label.c_str(),
                                   request.profile_json.c_str(),
                                   request.profile_label.c_str(),
                                   static_cast<int>(run_params.size()),
                                   run_params.data(),
                                   run_tokens.data(),
                                   run_compute.data(),
                                   run_loss.data(),
                                   run_lines.data(),
                                   runs_source.c_str(),
                                   run_predicted_loss.empty() ? nullptr : run_predicted_loss.data(),
                                   request.bootstrap ? request.bootstrap->num_resamples : 0,
                                   request.bootstrap ? request.bootstrap->seed : 0,
                                   request.bootstrap ? request.bootstrap->confidence : 0.0,
                                   request.bootstrap ? &UpdateBootstrapBar : nullptr,
                                   nullptr,
                                   &KeepChartBytes,
                                   nullptr,
                                   compute_axis_label.c_str()};
  std::string chart;
  abi_request.chart_bytes_context = &chart;
  // Progress on stderr as `fit --bootstrap` shows it (a bar with ETA when stderr is a terminal).
  std::optional<ProgressBar> bar;
  if (request.bootstrap) abi_request.bootstrap_progress_context = &bar.emplace("bootstrap");
  char error[kErrorSize] = {0};
  const int status = render(&abi_request, error, kErrorSize);
  bar.reset();  // the bar's line finished before any message
  switch (status) {
    case SCALEPLAN_PLOT_OK:
      WriteFileAtomically(request.out_path, chart);  // IoError: "cannot write 'PATH' (reason)", exit 5
      return kExitOk;
    case SCALEPLAN_PLOT_USAGE: throw UsageError(error);
    case SCALEPLAN_PLOT_INPUT_ERROR: throw InputError(error);
    case SCALEPLAN_PLOT_WRITE_FAILED: throw IoError(error);
    case SCALEPLAN_PLOT_FIT_FAILED:
      std::cerr << "scaleplan plot: error: " << error << '\n';
      return kExitFitFailed;
    default: throw std::runtime_error(error);
  }
}

// `plot KIND RUNS.csv --group-by COL[,COL] --out DIR/NAME.svg`: one chart per group, each the chart `plot` draws for
// that group's runs alone (its own fit and curves, or the --fit / --law law against its runs): `plot` with the same
// options plus --filter COL=VALUE for each grouping column, written to DIR/NAME.<group>.svg with <group> the group's
// values ("source-a", "source-a.size-2"; characters other than letters, digits, '-', '_' and '.' become '_'). A group
// whose chart cannot be drawn (its fit not usable, too few runs) is reported and the others are still written; exit
// 0 when at least one file was written, else the first failure's code. A chart file that cannot be written (a folder
// that does not exist) ends the command there with IoError (exit 5), as for one chart. `args` are plot's arguments
// without --group-by. The options are read here for the runs, the selection and --out; the others are passed on as
// written (the value-taking ones are named so that their values are not taken for the runs file).
int PlotGroups(const std::vector<std::string>& args, const std::vector<std::string>& group_by) {
  std::string kind, runs_path, out_path, fit_path, ignored;
  RunsColumns columns;
  po::options_description options;
  options.add_options()("kind", po::value(&kind))("runs", po::value(&runs_path))("out,o", po::value(&out_path))(
      "fit", po::value(&fit_path));
  for (const char* name : {"width", "height", "dpi", "compute", "law", "profile", "seed", "ci"}) {
    options.add_options()(name, po::value<std::string>());
  }
  options.add_options()("bootstrap", po::value<std::string>()->implicit_value(""));
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, false);
  po::positional_options_description positional;
  positional.add("kind", 1).add("runs", 1);
  po::parsed_options parsed(nullptr);
  try {
    parsed = po::command_line_parser(args).options(options).positional(positional).allow_unregistered().run();
    po::variables_map vm;
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error&) {
    return Plot(args);  // plot's own parser says what is wrong
  }
  if (kind == "roofline" || kind == "collectives") {
    throw UsageError("--group-by splits runs; the " + kind + " chart draws a hardware profile");
  }
  if (out_path.empty()) throw UsageError("--out FILE.png or FILE.svg is required");
  columns.selection.group_by = group_by;
  // The runs grouped as the chart reads them: a saved sparse, moe or routing fit's by its law's reader (the groups of
  // the runs' view, fitting/law_table.h), any other chart's as the Chinchilla runs.
  const std::string table_law = fit_path.empty() ? "" : SavedFitLawName(InputPath(fit_path));
  RunsTable table;
  if (PredictsFromSavedFit(table_law)) {
    LawRunsOptions runs_options;
    runs_options.columns = columns;
    table = LoadLawRuns(table_law, runs_path.empty() ? "" : InputPath(runs_path), runs_options).view;
  } else {
    table = LoadRunsOrBundled(runs_path, columns);
  }
  std::vector<std::string> passed_on;  // every option but --out, as written
  for (const po::option& option : parsed.options) {
    if (option.string_key == "out") continue;
    passed_on.insert(passed_on.end(), option.original_tokens.begin(), option.original_tokens.end());
  }
  const std::filesystem::path out(out_path);
  const std::string stem = (out.parent_path() / out.stem()).string();
  int first_failure = kExitOk;
  int written = 0;
  for (const RunsTable& part : SplitRunsByGroup(table)) {
    std::vector<std::string> group_args = passed_on;
    std::string name;
    for (size_t k = 0; k < part.group_columns.size(); ++k) {
      const std::string& value = part.group_values.front()[k];
      group_args.push_back("--filter");
      group_args.push_back(part.group_columns[k] + "=" + value);
      name += (k ? "." : "") + part.group_columns[k] + "-" + value;
    }
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    }
    const std::string group_path = stem + "." + name + out.extension().string();
    group_args.push_back("--out");
    group_args.push_back(group_path);
    const std::string label = GroupLabel(part, 0);
    int code = kExitOk;
    try {
      code = Plot(group_args);
    } catch (const UsageError&) {
      throw;  // the same for every group
    } catch (const IoError&) {
      throw;  // an output that cannot be written (a missing folder): exit 5, said once
    } catch (const std::exception& error) {
      std::cerr << "scaleplan plot: warning: group " << label << ": " << error.what() << '\n';
      code = kExitInputError;
    }
    if (code == kExitOk) {
      ++written;
      std::cout << group_path << "  (" << label << ", " << part.runs.size() << " runs)\n";
    } else {
      std::cerr << "scaleplan plot: warning: group " << label << ": no chart written\n";
      if (first_failure == kExitOk) first_failure = code;
    }
  }
  if (written > 0) return kExitOk;
  std::cerr << "scaleplan plot: error: no group's chart could be drawn\n";
  return first_failure;
}

// plot's arguments without --group-by, and its columns (empty when not given).
std::vector<std::string> WithoutGroupBy(const std::vector<std::string>& args, std::vector<std::string>* group_by) {
  std::string text;
  po::options_description option;
  option.add_options()("group-by", po::value(&text));
  try {
    const po::parsed_options parsed = po::command_line_parser(args).options(option).allow_unregistered().run();
    po::variables_map vm;
    po::store(parsed, vm);
    po::notify(vm);
    if (!vm.count("group-by")) return args;
    *group_by = SplitListOption(text, "--group-by");
    return po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error&) {
    return args;  // plot's own parser says what is wrong
  }
}

}  // namespace

// --group-by is read before plot's own options: one chart per group (PlotGroups).
int RunPlot(const std::vector<std::string>& args) {
  return RunGuarded("plot", [&] {
    std::vector<std::string> group_by;
    const std::vector<std::string> rest = WithoutGroupBy(args, &group_by);
    return group_by.empty() ? Plot(args) : PlotGroups(rest, group_by);
  });
}

}  // namespace scaleplan::cli
