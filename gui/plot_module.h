/* The C interface of the chart renderer module (libscaleplan_plot.so), which `scaleplan plot` loads with dlopen()
 * only when it runs, so that the scaleplan binary never links Qt and its other commands start without it. The module
 * is gui/plot_module.cc over gui::RenderPlotToFile, built only with the GUI (Qt 6 found).
 *
 * One entry point. Its name carries the interface version: a change to ScaleplanPlotRequest or to the function's
 * meaning gets a new name, so a module from another scaleplan version is refused by the loader (dlsym fails)
 * instead of being called with the wrong layout. Plain C types only; no exception crosses it. */
#ifndef SCALEPLAN_GUI_PLOT_MODULE_H_
#define SCALEPLAN_GUI_PLOT_MODULE_H_

#ifdef __cplusplus
extern "C" {
#endif

/* The module is built with hidden visibility; only the entry point is exported. */
#if defined(__GNUC__)
#define SCALEPLAN_PLOT_API __attribute__((visibility("default")))
#else
#define SCALEPLAN_PLOT_API
#endif

#define SCALEPLAN_PLOT_MODULE_FILE_NAME "libscaleplan_plot.so"
#define SCALEPLAN_PLOT_RENDER_SYMBOL "scaleplan_plot_render_v8"

/* The fields of gui::PlotRequest. Strings are NUL-terminated; NULL is read as "". */
typedef struct ScaleplanPlotRequest {
  const char* kind;            /* fit, isoflop, frontier, residuals or roofline */
  const char* runs_path;       /* runs CSV; "" = the bundled Chinchilla runs */
  const char* params_column;   /* explicit column names (--n-col, --d-col, --c-col, --loss-col); "" = detected */
  const char* tokens_column;
  const char* compute_column;
  const char* loss_column;
  const char* out_path;        /* ends in .png or .svg */
  double width;                /* pixels; inches when dpi > 0 */
  double height;
  double dpi;                  /* > 0: width and height are inches at this resolution (plot --dpi) */
  int log_loss;                /* nonzero: the loss axes are logarithmic (plot --log-loss) */
  double budget_flops;         /* > 0: mark this budget's compute-optimal point */
  int has_law;                 /* nonzero: draw this law (--fit, --law) instead of fitting the runs */
  double law_E, law_A, law_B, law_alpha, law_beta;
  const char* law_label;       /* where the law comes from */
  const char* profile_json;    /* roofline: the hardware profile's JSON text */
  const char* profile_label;   /* its file, for messages */
  /* The runs to draw, already read by the caller with the command's selection applied (--filter, --exclude-lines,
   * --skip-bad-rows, --delimiter: the reader every command shares); num_runs == 0: read runs_path here. */
  int num_runs;
  const double* run_params;    /* num_runs values each */
  const double* run_tokens;
  const double* run_compute;
  const double* run_loss;
  const int* run_lines;        /* file lines, for messages */
  const char* runs_source;     /* the file (or label) the runs came from */
  /* An expression law's loss on each of the runs above (fit --law-expr; the residuals chart), or NULL. */
  const double* run_predicted_loss;
  /* plot --bootstrap: resample the runs this many times and refit the Chinchilla law (fitting/bootstrap.h), its
   * central interval at bootstrap_confidence shaded around the fitted lines; 0 = no bootstrap. */
  int bootstrap_resamples;
  unsigned long long bootstrap_seed;
  double bootstrap_confidence;
  /* Called with (resamples done, total) as the bootstrap goes (from one thread at a time), or NULL. */
  void (*bootstrap_progress)(int done, int total, void* context);
  void* bootstrap_progress_context;
  /* Receives the chart file's contents (PNG or SVG, by out_path's suffix), once, when the chart is drawn; the module
   * then writes no file: the caller does (`scaleplan plot` through the command line's atomic writer, with its
   * messages and exit code). NULL: the module writes out_path itself. */
  void (*chart_bytes)(const char* data, unsigned long long size, void* context);
  void* chart_bytes_context;
  /* The residuals chart's x axis title without its unit, when the runs' C is not their training compute (a moe
   * fit's runs: "6 N D with N the total parameters (nominal compute)"); "" = "training compute C". */
  const char* compute_axis_label;
} ScaleplanPlotRequest;

/* The status codes, equal to gui::PlotStatus and to the command line's exit codes. */
enum {
  SCALEPLAN_PLOT_OK = 0,
  SCALEPLAN_PLOT_USAGE = 2,
  SCALEPLAN_PLOT_INPUT_ERROR = 3,
  SCALEPLAN_PLOT_FIT_FAILED = 4,
  SCALEPLAN_PLOT_WRITE_FAILED = 5,
  SCALEPLAN_PLOT_INTERNAL = 70
};

/* Renders the chart to request->out_path (see gui::RenderPlotToFile), or hands its bytes to request->chart_bytes.
 * Returns a status code; when it is not SCALEPLAN_PLOT_OK, writes a NUL-terminated one-line reason to `error` (capacity
 * `error_size` bytes, truncated to fit). Never throws. */
SCALEPLAN_PLOT_API int scaleplan_plot_render_v8(const ScaleplanPlotRequest* request, char* error, int error_size);

/* The entry point's type, for the loader's dlsym. */
typedef int (*ScaleplanPlotRenderFunction)(const ScaleplanPlotRequest*, char*, int);

#ifdef __cplusplus
}
#endif

#endif /* SCALEPLAN_GUI_PLOT_MODULE_H_ */
