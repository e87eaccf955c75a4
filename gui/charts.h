// The chart-building code path shared by the window's chart tabs, chart export and `scaleplan plot`.
//
//   fit        loss against compute: the runs coloured by N, the fitted law's curve for each N bin and the
//              compute-optimal frontier L_opt(C) (the envelope of those curves)
//   isoflop    loss against N at fixed compute budgets (IsoFLOP profiles of the fitted law), the runs nearest each
//              budget, and each profile's minimum N_opt(C)
//   frontier   N_opt and D_opt against compute, the runs' N and D, and an interval band when one is given
//   residuals  ln(L_hat / L) per run against compute, with the Huber threshold
//   collectives  a profile's interconnect section (`scaleplan probe --collectives`): bus bandwidth against message
//              size per collective and scope, measured and as the fitted latency-bandwidth model gives it
//   roofline   a measured hardware profile (`scaleplan probe`): arithmetic intensity (FLOP/byte) against achieved
//              FLOP/s for every kernel measurement, under the two ceilings of the roofline model (Williams et al.
//              2009), attainable FLOP/s = min(peak_flops, bandwidth_bytes_per_s x intensity), which meet at the
//              ridge point peak / bandwidth
//
// Axes over counts, FLOPs and intensities are logarithmic (QLogValueAxis); their labels come from core/units.h (SI
// suffixes for N and D, scientific for FLOPs, plain numbers for FLOP/byte). Non-positive points never reach a log
// axis: ChartInputs::runs holds RunsModel::PlottableRuns(), the law's curves are positive by construction, and the
// roofline leaves out measurements without a positive intensity and rate.
#ifndef SCALEPLAN_GUI_CHARTS_H_
#define SCALEPLAN_GUI_CHARTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <QByteArray>
#include <QImage>
#include <QSize>
#include <QString>

#include "core/chinchilla_law.h"
#include "core/frontier_plan.h"
#include "core/hardware_profile.h"
#include "core/runs_table.h"

class QAbstractSeries;
class QChart;

namespace scaleplan::gui {

class RunsModel;

enum class ChartKind { FIT, ISOFLOP, FRONTIER, RESIDUALS, ROOFLINE, COLLECTIVES };
// In the order of the window's tabs (and of `scaleplan plot`'s kinds). The first four draw the runs and the law;
// the roofline and the collectives draw a hardware profile (its kernels; its interconnect section).
inline constexpr ChartKind kAllChartKinds[] = {ChartKind::FIT,       ChartKind::ISOFLOP,  ChartKind::FRONTIER,
                                               ChartKind::RESIDUALS, ChartKind::ROOFLINE, ChartKind::COLLECTIVES};

// Whether a chart draws a hardware profile rather than runs and a law.
inline bool IsProfileChart(ChartKind kind) { return kind == ChartKind::ROOFLINE || kind == ChartKind::COLLECTIVES; }

const char* ChartKindName(ChartKind kind);   // "fit", "isoflop", "frontier", "residuals", "roofline", "collectives"
QString ChartKindTitle(ChartKind kind);      // tab titles: "Loss vs compute", ...
std::optional<ChartKind> ParseChartKind(std::string_view name);

// An interval for N_opt and D_opt along the frontier (e.g. from bootstrap refits), drawn as shaded bands. All
// vectors have one entry per compute_flops value, in increasing compute order.
struct FrontierBand {
  std::string label;  // legend text, e.g. "80% interval (bootstrap, 200 refits)"
  std::vector<double> compute_flops;
  std::vector<double> params_low, params_high;
  std::vector<double> tokens_low, tokens_high;

  bool Check(std::string* why) const;  // equal sizes, positive values, low <= high
};

// The band of N_opt(C) and D_opt(C) over bootstrap laws at `points` log-spaced budgets in [min_flops, max_flops].
FrontierBand MakeFrontierBand(const std::vector<ChinchillaLaw>& laws, double confidence, double min_flops,
                              double max_flops, int points, std::string label);

struct ChartInputs {
  std::vector<TrainingRun> runs;     // plottable runs (RunsModel::PlottableRuns)
  std::string source;                // data label for titles
  std::optional<ChinchillaLaw> law;  // the fitted law; without one only the runs are drawn
  std::map<int, double> predicted_loss;  // without `law`: an expression law's loss per run line (residuals chart)
  // Without `law`: the compute-optimal N, D of a law without Chinchilla's form (Kaplan, IsoFLOP, an expression), drawn
  // on the frontier chart with the budget marker. Must not throw; a point with non-finite N or D is left out.
  std::function<Allocation(double compute_flops)> allocate;
  // Without `law`: the law's L(N, D) (Kaplan's; an expression of N, D and C), from which the fit chart draws its
  // iso-N curves and the IsoFLOP chart its profiles, with `allocate` giving N_opt and L_opt(C). Must not throw.
  std::function<double(double num_params, double num_tokens)> loss;
  // Without `law` and `loss`: allocate(C).loss_nats is the law's L_opt(C) (an IsoFLOP fit with its loss frontier
  // E + K C^-gamma), drawn on the fit chart. With `loss` it always is.
  bool allocate_gives_loss = false;
  double huber_delta = 1e-3;         // the fit's threshold, drawn on the residuals chart
  double budget_flops = 0;           // > 0: the plan's budget is marked
  // A plan other than the compute-optimal one at budget_flops (inference-aware, data-constrained): the marker goes
  // where that plan is, at its N, D, training FLOPs (compute_flops = 6 N D) and loss.
  std::optional<Allocation> plan;
  std::optional<FrontierBand> band;  // drawn on the frontier chart when set and valid
  double frontier_min_flops = 1e17;  // compute range of the frontier chart (the budget slider's range)
  double frontier_max_flops = 1e27;
  std::string law_label;             // "" = the law was fitted to the runs; else where it comes from (titles)
  // The residuals chart's x axis: "" = "training compute C (FLOPs)"; a moe fit's runs: what their C is instead
  // (TableLaw::compute_name, "6 N D with N the total parameters (nominal compute)").
  std::string compute_axis_label;
  std::optional<HardwareProfile> profile;  // the roofline chart's measurements
  // Bootstrap refits of the law: their central interval at band_confidence is shaded around the fit chart's
  // L_opt(C), each IsoFLOP profile and the frontier's N_opt and D_opt, at the points of those lines (so over the same
  // range). Empty: no bands from refits (the frontier chart still draws `band` when one is given).
  std::vector<ChinchillaLaw> bootstrap_laws;
  double band_confidence = 0.8;
  std::string band_label;  // legend text of the bands; "" = "80% interval (200 bootstrap fits)"
  bool log_loss = false;   // loss axes (fit, isoflop) logarithmic instead of linear
};

// The size of an exported figure. Layout happens at layout_width x layout_height (the window's pixels, 96 per inch),
// and everything (text, markers, lines) is drawn `scale` times larger, so that pixels = layout x scale.
struct ExportSize {
  int width_px = 1200;
  int height_px = 800;
  double scale = 1.0;
  double dpi = 96.0;  // written into the file: PNG's pixels per metre, SVG's physical size (width_px / dpi inches)
  double layout_width() const { return width_px / scale; }
  double layout_height() const { return height_px / scale; }
};
inline constexpr int kReferenceWidthPx = 1200;  // `scaleplan plot`'s default size, drawn at scale 1
inline constexpr int kReferenceHeightPx = 800;
inline constexpr double kLayoutDpi = 96.0;  // the window's logical pixels per inch
// width x height pixels, with text and markers scaled by min(width / 1200, height / 800): a 2400 x 1600 figure is
// the 1200 x 800 one at twice the size.
ExportSize PixelExportSize(int width_px, int height_px);
// width x height inches at `dpi`: round(width x dpi) x round(height x dpi) pixels, laid out at 96 per inch and drawn
// dpi / 96 times larger (text keeps its point size on paper).
ExportSize InchExportSize(double width_in, double height_in, double dpi);
// Whether `size` can be written: each side in 64..16384 pixels, dpi in 36..2400. False with the reason.
bool CheckExportSize(const ExportSize& size, std::string* why);

// The hover text of a run's point: "run at line 12\nN = 400M, D = 8B\nC = 1.92e19 FLOPs, loss = 2.913".
QString RunTipText(const TrainingRun& run);
// The file lines of the runs behind the points of a runs scatter series made by BuildChart (one per point, in point
// order); empty for other series.
std::vector<int> SeriesRunLines(const QAbstractSeries* series);
// "10²⁰" for 1e20, "3×10²⁰" for 3e20: how log axes over FLOPs are labelled.
QString PowerOfTenLabel(double value);
// Places the legend inside the plot area, in the first corner (top right, top left, bottom right, bottom left) that no
// point of a series covers, whenever the plot area changes; when no corner is free it goes back beside the plot.
// BuildChart does this for the runs charts.
void PlaceLegendInside(QChart* chart);

// The roofline's ceilings and points, as the chart draws them (kernels without a positive intensity or rate, such
// as the FMA loop that moves no memory, are left out: a log axis cannot show them).
struct RooflinePoint {
  std::string label;       // kernel name and shape, e.g. "encoder_gemm d768 n16.4K"
  std::string kernel;      // the kernel's name
  double intensity = 0.0;  // FLOP/byte
  double flops_per_second = 0.0;
};
struct Roofline {
  double peak_flops = 0.0;             // the compute ceiling
  double bandwidth_bytes_per_s = 0.0;  // the memory ceiling's slope
  double ridge_intensity = 0.0;        // peak / bandwidth
  std::vector<RooflinePoint> points;
};
Roofline MakeRoofline(const HardwareProfile& profile);

// The collectives chart's lines: per collective and scope of a profile's interconnect section, bus bandwidth against
// message size as measured (ascending sizes; non-positive points left out) and as its fitted latency-bandwidth model
// gives it at the same sizes (empty without a model).
struct CollectiveCurve {
  std::string name;   // all_reduce, ...
  std::string scope;  // intra_node or inter_node
  std::int64_t ranks = 0;
  std::string label;  // legend text
  int colour_index = 0;  // the Collective's index, one colour per collective
  std::vector<std::pair<double, double>> measured;  // (bytes, busbw bytes/s)
  std::vector<std::pair<double, double>> model;
};
std::vector<CollectiveCurve> MakeCollectiveCurves(const InterconnectProfile& interconnect);

// The runs of `model` and the law, ready for BuildChart.
ChartInputs MakeChartInputs(const RunsModel& model, const std::optional<ChinchillaLaw>& law, double huber_delta);

// A new chart (the caller owns it) for `kind`.
QChart* BuildChart(ChartKind kind, const ChartInputs& inputs);

// The roofline labels each kernel point with a QGraphicsSimpleTextItem child of the chart whose data(kPointLabelKey)
// is true, placed clear of the other labels and points whenever the plot area changes.
inline constexpr int kPointLabelKey = 0x5350;
// The minor ticks of log axes are QGraphicsLineItem children of the chart whose data(kMinorTickKey) names their axis
// ("x" or "y"): 2..9 times each power of ten, short marks inside the plot area's edge.
inline constexpr int kMinorTickKey = 0x5351;

// Moves the budget marker of a chart made by BuildChart(kind, ...) to inputs.budget_flops, widening the axes when
// the budget lies outside them. Cheap: only the marker series change.
void UpdateBudgetMarker(QChart* chart, ChartKind kind, const ChartInputs& inputs);

// Renders a chart built from `inputs` at `size` pixels (scale 1), or at an export size.
QImage RenderChartImage(ChartKind kind, const ChartInputs& inputs, QSize size);
QImage RenderChartImage(ChartKind kind, const ChartInputs& inputs, const ExportSize& size);

// The chart as the bytes of a PNG or SVG file (`format` "png" or "svg", any case), exactly what WriteChartFile
// writes: for a caller that writes the file itself (`scaleplan plot`, through the command line's atomic writer).
// Returns false with the reason in *error (another format, a size CheckExportSize refuses, a painter that fails).
bool RenderChartFile(ChartKind kind, const ChartInputs& inputs, const QString& format, const ExportSize& size,
                     QByteArray* bytes, QString* error);

// Writes the chart to `path` as PNG or SVG (by extension), atomically (a temporary file renamed over the target).
// Returns false with the reason in *error. A PNG is size.width_px x size.height_px pixels and records size.dpi; an
// SVG has that view box, with the drawing scaled by size.scale, and is width_px / dpi inches wide.
bool WriteChartFile(ChartKind kind, const ChartInputs& inputs, const QString& path, QSize size, QString* error);
bool WriteChartFile(ChartKind kind, const ChartInputs& inputs, const QString& path, const ExportSize& size,
                    QString* error);

// The Cluster / Layout panel's breakdowns of a frontier plan (core/frontier_plan.h) as stacked bars, one bar per
// layout ("#1" .. "#5": the plan's best layouts, fastest first; when none fits, one bar "closest", the valid layout
// nearest to fitting) and one bar set per part, in this order:
//   step time  compute, TP, PP, DP, EP, CP, bubble (exposed seconds per step; a bar sums to the step time)
//   memory     weights, gradients, optimizer, activations, logits, gathered, buffers (GB per device on the busiest
//              device; a bar sums to its memory), with the device's usable memory as a line "usable"
inline constexpr int kBreakdownParts = 7;
std::vector<const LayoutEstimate*> BreakdownLayouts(const FrontierPlan& plan);
QChart* BuildStepTimeChart(const FrontierPlan& plan);
QChart* BuildMemoryChart(const FrontierPlan& plan);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_CHARTS_H_
