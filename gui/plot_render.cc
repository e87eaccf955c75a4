#include "gui/plot_render.h"

#include <QApplication>
#include <QFileInfo>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "fitting/chinchilla_fit.h"
#include "gui/charts.h"
#include "gui/runs_model.h"

namespace scaleplan::gui {
namespace {

// Qt's own chatter (fontconfig, the runtime directory) is not the user's business on a command line; warnings that
// matter still reach stderr.
void QuietMessages(QtMsgType type, const QMessageLogContext&, const QString& message) {
  if (type == QtDebugMsg || type == QtInfoMsg) return;
  if (message.contains(QLatin1String("XDG_RUNTIME_DIR"))) return;
  std::fprintf(stderr, "scaleplan plot: qt: %s\n", message.toLocal8Bit().constData());
}

// A QApplication for the duration of one plot, on the offscreen platform unless the user chose one.
class HeadlessApplication {
 public:
  HeadlessApplication() {
    if (QCoreApplication::instance() != nullptr) return;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    previous_handler_ = qInstallMessageHandler(QuietMessages);
    app_ = std::make_unique<QApplication>(argc_, argv_);
  }
  ~HeadlessApplication() {
    if (app_ == nullptr) return;
    app_.reset();
    qInstallMessageHandler(previous_handler_);
  }
  HeadlessApplication(const HeadlessApplication&) = delete;
  HeadlessApplication& operator=(const HeadlessApplication&) = delete;

 private:
  int argc_ = 1;
  char name_[16] = "scaleplan";
  char* argv_[2] = {name_, nullptr};
  QtMessageHandler previous_handler_ = nullptr;
  std::unique_ptr<QApplication> app_;
};

// Draws the chart into *bytes (when not null) or writes it to out_path.
int Draw(ChartKind kind, const ChartInputs& inputs, const QString& out_path, const QString& format,
         const ExportSize& size, std::string* bytes, std::string* error) {
  QString why;
  if (bytes != nullptr) {
    QByteArray contents;
    if (!RenderChartFile(kind, inputs, format, size, &contents, &why)) {
      *error = why.toStdString();
      return kPlotInternal;
    }
    bytes->assign(contents.constData(), static_cast<size_t>(contents.size()));
    return kPlotOk;
  }
  if (!WriteChartFile(kind, inputs, out_path, size, &why)) {
    *error = why.toStdString();
    return kPlotWriteFailed;
  }
  return kPlotOk;
}

// Draws the chart of `request`: into *bytes (the file's contents) when bytes is not null, else to request.out_path.
int Render(const PlotRequest& request, std::string* bytes, std::string* error) {
  const std::optional<ChartKind> kind = ParseChartKind(request.kind);
  if (!kind) {
    std::string known;
    for (const std::string& name : PlotKinds()) known += (known.empty() ? "" : ", ") + name;
    *error = "unknown chart '" + request.kind + "' (known: " + known + ")";
    return kPlotUsage;
  }
  if (request.out_path.empty()) {
    *error = "--out FILE.png or FILE.svg is required";
    return kPlotUsage;
  }
  const QString out_path = QString::fromStdString(request.out_path);
  const QString suffix = QFileInfo(out_path).suffix().toLower();
  if (suffix != QLatin1String("png") && suffix != QLatin1String("svg")) {
    *error = "--out must end in .png or .svg: '" + request.out_path + "'";
    return kPlotUsage;
  }
  // The figure's size: pixels, or inches at --dpi (gui/charts.h, the export dialog's rule too).
  constexpr double kLargestSide = 16384;
  if (!(request.width > 0 && request.height > 0 && request.width <= kLargestSide && request.height <= kLargestSide)) {
    *error = "--width and --height must be positive numbers up to 16384";
    return kPlotUsage;
  }
  if (request.dpi <= 0 &&
      (request.width != std::round(request.width) || request.height != std::round(request.height))) {
    *error = "--width and --height are whole pixels without --dpi (with --dpi they are inches)";
    return kPlotUsage;
  }
  const ExportSize size = request.dpi > 0
                              ? InchExportSize(request.width, request.height, request.dpi)
                              : PixelExportSize(static_cast<int>(request.width), static_cast<int>(request.height));
  if (std::string why; !CheckExportSize(size, &why)) {
    *error = (request.dpi > 0 ? "--width, --height and --dpi: " : "--width and --height: ") + why;
    return kPlotUsage;
  }

  if (IsProfileChart(*kind)) {
    if (request.bootstrap) {
      *error = std::string("--bootstrap: the ") + ChartKindName(*kind) +
               " chart draws a hardware profile, not a fit to resample";
      return kPlotUsage;
    }
    if (request.profile_json.empty()) {
      *error = std::string("the ") + ChartKindName(*kind) +
               " chart draws a hardware profile: give --profile PROFILE.json (from 'scaleplan probe --out')";
      return kPlotUsage;
    }
    ChartInputs inputs;
    inputs.profile = HardwareProfileFromJson(request.profile_json, request.profile_label);
    if (*kind == ChartKind::COLLECTIVES && !HasCollectiveMeasurements(*inputs.profile)) {
      *error = request.profile_label + ": " + NoCollectiveMeasurementsReason(*inputs.profile);
      return kPlotInputError;
    }
    if (*kind == ChartKind::ROOFLINE && !HasKernelMeasurements(*inputs.profile)) {
      *error = request.profile_label + ": " + kNoKernelMeasurements;
      return kPlotInputError;
    }
    inputs.source = request.profile_label;
    HeadlessApplication application;
    return Draw(*kind, inputs, out_path, suffix, size, bytes, error);
  }

  HeadlessApplication application;
  ChartInputs inputs;
  if (const int status = MakePlotChartInputs(request, &inputs, error); status != kPlotOk) return status;
  return Draw(*kind, inputs, out_path, suffix, size, bytes, error);
}

// Render, never throwing: an input error is kPlotInputError, anything else kPlotInternal.
int RenderGuarded(const PlotRequest& request, std::string* bytes, std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  try {
    return Render(request, bytes, error);
  } catch (const InputError& input_error) {
    *error = input_error.what();
    return kPlotInputError;
  } catch (const std::exception& internal) {
    *error = std::string("internal error: ") + internal.what();
    return kPlotInternal;
  }
}

}  // namespace

int MakePlotChartInputs(const PlotRequest& request, ChartInputs* inputs_out, std::string* error) {
  const std::optional<ChartKind> kind = ParseChartKind(request.kind);
  if (!kind || IsProfileChart(*kind)) {
    *error = "'" + request.kind + "' is not a chart of runs (fit, isoflop, frontier or residuals)";
    return kPlotUsage;
  }
  // The bands are the window's: bootstrap refits of the law fitted to these runs, around the lines it draws.
  if (request.bootstrap) {
    if (*kind == ChartKind::RESIDUALS) {
      *error = "--bootstrap: the residuals chart has no interval band (the bands shade L_opt(C) on 'plot fit', the "
               "IsoFLOP profiles on 'plot isoflop' and N_opt, D_opt on 'plot frontier')";
      return kPlotUsage;
    }
    if (request.law || !request.predicted_loss.empty()) {
      *error = "--bootstrap resamples the runs and refits the Chinchilla law to them: a saved fit (--fit) or a "
               "published law (--law) is drawn as it is, without bands";
      return kPlotUsage;
    }
    if (std::string why; !request.bootstrap->Check(&why)) {
      *error = "--bootstrap: " + why;
      return kPlotUsage;
    }
  }
  const RunsTable table = request.runs                ? *request.runs
                          : request.runs_path.empty() ? BundledChinchillaRuns()
                                                      : LoadRunsCsv(request.runs_path, request.columns);
  RunsModel model;
  model.SetTable(table);
  const MultiStartOptions options;
  ChartInputs& inputs = *inputs_out;
  if (!request.predicted_loss.empty()) {
    // An expression law has no L(N, D) of Chinchilla's form to draw curves from: its residuals only.
    if (*kind != ChartKind::RESIDUALS) {
      *error = "an expression law is drawn on the residuals chart ('scaleplan plot residuals ... --fit FIT.json')";
      return kPlotUsage;
    }
    inputs = MakeChartInputs(model, std::nullopt, options.huber_delta);
    inputs.predicted_loss = request.predicted_loss;
    inputs.law_label = request.law_label;
    inputs.compute_axis_label = request.compute_axis_label;
  } else if (request.law) {
    std::string why;
    if (!request.law->Check(&why)) {
      *error = "the law cannot be drawn: " + why;
      return kPlotInputError;
    }
    inputs = MakeChartInputs(model, request.law, options.huber_delta);
    inputs.law_label = request.law_label;
  } else {
    const RunsTable fitted = model.IncludedRuns();
    const ChinchillaFit fit = FitChinchilla(fitted, options);
    if (!fit.search.usable) {
      *error = "the fit is not usable: " + fit.search.status;
      return kPlotFitFailed;
    }
    inputs = MakeChartInputs(model, fit.law, options.huber_delta);
    if (request.bootstrap) {
      // The window's refits (gui/fit_panel.cc): the same resamples of the same runs, refitted around the same fit.
      ChinchillaBootstrap bootstrap = BootstrapChinchilla(fitted, fit, *request.bootstrap, request.bootstrap_progress);
      if (bootstrap.laws.empty()) {
        *error = "no bootstrap resample converged (" + std::to_string(bootstrap.samples.num_resamples) +
                 " refitted), so there is no interval to draw";
        return kPlotFitFailed;
      }
      inputs.bootstrap_laws = std::move(bootstrap.laws);
      inputs.band_confidence = bootstrap.options.confidence;
    }
  }
  inputs.budget_flops = request.budget_flops;
  inputs.log_loss = request.log_loss;
  return kPlotOk;
}

const std::vector<std::string>& PlotKinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> names;
    for (ChartKind kind : kAllChartKinds) names.emplace_back(ChartKindName(kind));
    return names;
  }();
  return kinds;
}

int RenderPlotToFile(const PlotRequest& request, std::string* error) { return RenderGuarded(request, nullptr, error); }

int RenderPlotToBytes(const PlotRequest& request, std::string* bytes, std::string* error) {
  return RenderGuarded(request, bytes, error);
}

}  // namespace scaleplan::gui
