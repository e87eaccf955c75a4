// `scaleplan plot`: renders one of the desktop planner's charts to a PNG or SVG file without a display.
//
// This header is deliberately Qt-free (std, core and fitting types only; ChartInputs only declared): cli/ binds its
// options to PlotRequest. The implementation builds the chart with the same code the window uses (gui/charts.h) and
// renders it with Qt's offscreen platform. The scaleplan binary does not link it: it reaches RenderPlotToFile through
// the module libscaleplan_plot.so and its C entry point (gui/plot_module.h), loaded only when `scaleplan plot` runs.
#ifndef SCALEPLAN_GUI_PLOT_RENDER_H_
#define SCALEPLAN_GUI_PLOT_RENDER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/parallel.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"

namespace scaleplan::gui {

struct ChartInputs;  // gui/charts.h

struct PlotRequest {
  std::string kind;         // fit, isoflop, frontier, residuals or roofline (PlotKinds())
  std::string runs_path;    // runs CSV; "" = the bundled Chinchilla runs
  RunsColumns columns;      // explicit column names; empty = detected from the aliases
  // The runs, already read with the command's selection applied (`scaleplan plot` reads them as every command does);
  // nullopt = read runs_path (or the bundled runs) here.
  std::optional<RunsTable> runs;
  std::string out_path;     // ends in .png or .svg (case-insensitive)
  // Pixels (SVG: view box units, written at 96 per inch), text and markers scaled by min(width / 1200, height / 800)
  // (PixelExportSize); with dpi > 0, inches at that resolution (InchExportSize: width x dpi pixels, text at its
  // point size on paper).
  double width = 1200;
  double height = 800;
  double dpi = 0;
  bool log_loss = false;    // the loss axes (fit, isoflop) logarithmic
  double budget_flops = 0;  // > 0: mark this budget's compute-optimal point
  // The law to draw (a saved fit or a published law, as `plan --fit/--law` resolve them); nullopt = fit the runs.
  std::optional<ChinchillaLaw> law;
  // An expression law (fit --law-expr): its loss on each run, by the run's file line; drawn on the residuals chart.
  std::map<int, double> predicted_loss;
  std::string law_label;    // where `law` comes from, e.g. "hoffmann: Hoffmann et al. 2022, ..."
  std::string compute_axis_label;  // the residuals chart's x axis, "" = training compute (ChartInputs's)
  // Bootstrap refits of the law fitted to the runs (BootstrapChinchilla), their central interval at its confidence
  // shaded as the window shades its refits' (ChartInputs::bootstrap_laws): around L_opt(C), each IsoFLOP profile and
  // N_opt, D_opt. Only for the fit, isoflop and frontier charts of a law fitted here (no `law`, no predicted_loss).
  std::optional<BootstrapOptions> bootstrap;
  ProgressCallback bootstrap_progress;  // (resamples done, total), or nullptr
  // roofline: a hardware profile's JSON (core/hardware_profile.h) and the file it came from, for messages.
  std::string profile_json;
  std::string profile_label;
};

// Status codes, equal to the command line's exit codes (README "Exit codes").
enum PlotStatus : int {
  kPlotOk = 0,
  kPlotUsage = 2,        // unknown kind, unsupported extension, a size outside 64..16384 pixels or a resolution
                         // outside 36..2400 DPI, roofline without a profile, a bootstrap a chart or law cannot take
  kPlotInputError = 3,   // the runs CSV or the profile is missing, unreadable or malformed; too few runs; a roofline
                         // of a profile without kernel measurements ('probe --collectives' alone)
  kPlotFitFailed = 4,    // the fit did not converge to a usable law
  kPlotWriteFailed = 5,  // the output file could not be written (an old file is left untouched)
  kPlotInternal = 70,
};

// The chart kinds, in the order the window's tabs show them.
const std::vector<std::string>& PlotKinds();

// The chart data of a runs chart (fit, isoflop, frontier, residuals) as RenderPlotToFile hands it to the renderer:
// the runs, the law (the Chinchilla law fitted with the default fit options unless one is given) and, with
// request.bootstrap, the converged refits of its resamples with the interval level. Returns kPlotOk, or a PlotStatus
// with one line in *error (a bootstrap the chart or the law cannot take is kPlotUsage). May throw InputError (runs).
int MakePlotChartInputs(const PlotRequest& request, ChartInputs* inputs, std::string* error);

// Loads the runs, fits the Chinchilla law (default fit options) unless a law is given, builds the chart and writes
// it atomically; the roofline reads the profile instead.
// Creates a QApplication on the offscreen platform when there is none (unless QT_QPA_PLATFORM is set).
// Never throws: returns a PlotStatus and, when not kPlotOk, one line in *error.
int RenderPlotToFile(const PlotRequest& request, std::string* error);

// As RenderPlotToFile, but the file's contents (PNG or SVG, by request.out_path's suffix) go to *bytes and nothing is
// written: `scaleplan plot` writes them as every command writes its outputs (cli/cli_common.h AtomicFileWriter, its
// messages and exit code 5). Never returns kPlotWriteFailed.
int RenderPlotToBytes(const PlotRequest& request, std::string* bytes, std::string* error);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_PLOT_RENDER_H_
