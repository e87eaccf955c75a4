// scaleplan plot KIND [RUNS.csv] --out FILE.png|.svg: the desktop planner's charts, rendered without a display.
//
// The charts are built by gui/ (the same code as the window's chart tabs) behind the Qt-free gui/plot_render.h.
// Built without Qt 6 (SCALEPLAN_HAS_GUI undefined), the command still exists, says why it cannot plot and exits
// with code 2.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/shared_options.h"
#include "core/error.h"
#include "core/units.h"
#include "gui/plot_render.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

int Plot(const std::vector<std::string>& args) {
  gui::PlotRequest request;
  std::string compute_text;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("kind", po::value(&request.kind), "chart (positional): fit, isoflop, frontier or residuals")
      ("runs", po::value(&request.runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("out,o", po::value(&request.out_path), "output file, .png or .svg (written atomically)")
      ("width", po::value(&request.width)->default_value(request.width), "width in pixels")
      ("height", po::value(&request.height)->default_value(request.height), "height in pixels")
      ("compute", po::value(&compute_text), "mark this budget's compute-optimal point (FLOPs, e.g. 5.76e23)");
  AddColumnOptions(&options, &request.columns);
  po::positional_options_description positional;
  positional.add("kind", 1).add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan plot fit|isoflop|frontier|residuals [RUNS.csv] --out FILE.png|.svg [options]", options,
              {"scaleplan plot fit --out fit.png                     # loss against compute, the bundled runs",
               "scaleplan plot frontier --compute 5.76e23 --out frontier.svg",
               "scaleplan plot isoflop runs.csv --out isoflop.png --width 1600 --height 1000",
               "scaleplan plot residuals runs.csv --loss-col eval/loss --out residuals.svg"});
    return kExitOk;
  }
  if (request.kind.empty()) throw UsageError("which chart? give fit, isoflop, frontier or residuals");
  if (request.out_path.empty()) throw UsageError("--out FILE.png or FILE.svg is required");
  if (!compute_text.empty()) {
    try {
      request.budget_flops = ParsePositiveQuantity(compute_text, InputLocation{"--compute"});
    } catch (const InputError& error) {
      throw UsageError(error.what());
    }
  }
#ifdef SCALEPLAN_HAS_GUI
  std::string error;
  switch (gui::RenderPlotToFile(request, &error)) {
    case gui::kPlotOk: return kExitOk;
    case gui::kPlotUsage: throw UsageError(error);
    case gui::kPlotInputError: throw InputError(error);
    case gui::kPlotWriteFailed: throw IoError(error);
    case gui::kPlotFitFailed:
      std::cerr << "scaleplan plot: error: " << error << '\n';
      return kExitFitFailed;
    default: throw std::runtime_error(error);
  }
#else
  std::cerr << "scaleplan plot: error: this scaleplan was built without Qt 6 (SCALEPLAN_WITH_GUI is off), so it "
               "cannot render charts; install Qt 6 Widgets, Charts and Svg and rebuild\n";
  return kExitUsage;
#endif
}

}  // namespace

int RunPlot(const std::vector<std::string>& args) { return RunGuarded("plot", [&] { return Plot(args); }); }

}  // namespace scaleplan::cli
