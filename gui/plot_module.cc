// The chart renderer module (libscaleplan_plot.so): the C entry point of gui/plot_module.h over
// gui::RenderPlotToFile, so `scaleplan plot` draws with exactly the code of the window's chart tabs.
#include "gui/plot_module.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <utility>

#include "gui/plot_render.h"

namespace scaleplan::gui {
namespace {

constexpr bool Agree(PlotStatus status, int code) { return static_cast<int>(status) == code; }
static_assert(Agree(kPlotOk, SCALEPLAN_PLOT_OK) && Agree(kPlotUsage, SCALEPLAN_PLOT_USAGE) &&
                  Agree(kPlotInputError, SCALEPLAN_PLOT_INPUT_ERROR) &&
                  Agree(kPlotFitFailed, SCALEPLAN_PLOT_FIT_FAILED) &&
                  Agree(kPlotWriteFailed, SCALEPLAN_PLOT_WRITE_FAILED) &&
                  Agree(kPlotInternal, SCALEPLAN_PLOT_INTERNAL),
              "PlotStatus and the module's status codes must agree");

std::string Text(const char* text) { return text != nullptr ? std::string(text) : std::string(); }

// Copies `message` into the caller's buffer, truncated to fit, always NUL-terminated.
void CopyError(const std::string& message, char* error, int error_size) {
  if (error == nullptr || error_size <= 0) return;
  const size_t length = std::min(message.size(), static_cast<size_t>(error_size) - 1);
  std::memcpy(error, message.data(), length);
  error[length] = '\0';
}

}  // namespace
}  // namespace scaleplan::gui

extern "C" int scaleplan_plot_render_v8(const ScaleplanPlotRequest* request, char* error, int error_size) {
  using namespace scaleplan::gui;
  if (error != nullptr && error_size > 0) error[0] = '\0';
  if (request == nullptr) {
    CopyError("internal error: no plot request", error, error_size);
    return SCALEPLAN_PLOT_INTERNAL;
  }
  try {
    PlotRequest plot;
    plot.kind = Text(request->kind);
    plot.runs_path = Text(request->runs_path);
    plot.columns.params = Text(request->params_column);
    plot.columns.tokens = Text(request->tokens_column);
    plot.columns.compute = Text(request->compute_column);
    plot.columns.loss = Text(request->loss_column);
    plot.out_path = Text(request->out_path);
    plot.width = request->width;
    plot.height = request->height;
    plot.dpi = request->dpi;
    plot.log_loss = request->log_loss != 0;
    plot.budget_flops = request->budget_flops;
    if (request->has_law != 0) {
      scaleplan::ChinchillaLaw law;
      law.E = request->law_E;
      law.A = request->law_A;
      law.B = request->law_B;
      law.alpha = request->law_alpha;
      law.beta = request->law_beta;
      plot.law = law;
      plot.law_label = Text(request->law_label);
    }
    plot.compute_axis_label = Text(request->compute_axis_label);
    if (request->bootstrap_resamples > 0) {
      scaleplan::BootstrapOptions bootstrap;
      bootstrap.num_resamples = request->bootstrap_resamples;
      bootstrap.seed = request->bootstrap_seed;
      bootstrap.confidence = request->bootstrap_confidence;
      plot.bootstrap = bootstrap;
      if (request->bootstrap_progress != nullptr) {
        plot.bootstrap_progress = [progress = request->bootstrap_progress,
                                   context = request->bootstrap_progress_context](int done, int total) {
          progress(done, total, context);
        };
      }
    }
    plot.profile_json = Text(request->profile_json);
    plot.profile_label = Text(request->profile_label);
    if (request->num_runs > 0) {
      scaleplan::RunsTable table;
      table.source = Text(request->runs_source);
      for (int i = 0; i < request->num_runs; ++i) {
        scaleplan::TrainingRun run;
        run.num_params = request->run_params[i];
        run.num_tokens = request->run_tokens[i];
        run.compute_flops = request->run_compute[i];
        run.loss_nats = request->run_loss[i];
        run.line = request->run_lines[i];
        table.runs.push_back(run);
        if (request->run_predicted_loss != nullptr) plot.predicted_loss[run.line] = request->run_predicted_loss[i];
      }
      plot.runs = std::move(table);
    }
    std::string message;
    if (request->chart_bytes == nullptr) {
      const int status = RenderPlotToFile(plot, &message);
      if (status != kPlotOk) CopyError(message, error, error_size);
      return status;
    }
    std::string bytes;
    const int status = RenderPlotToBytes(plot, &bytes, &message);
    if (status != kPlotOk) {
      CopyError(message, error, error_size);
      return status;
    }
    request->chart_bytes(bytes.data(), bytes.size(), request->chart_bytes_context);
    return status;
  } catch (const std::exception& internal) {  // RenderPlotToFile does not throw; copying the strings may
    CopyError(std::string("internal error: ") + internal.what(), error, error_size);
    return SCALEPLAN_PLOT_INTERNAL;
  } catch (...) {
    CopyError("internal error: unknown exception", error, error_size);
    return SCALEPLAN_PLOT_INTERNAL;
  }
}
