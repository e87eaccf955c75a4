// Responsiveness of scaleplan-gui with the bundled runs, against the bare library calls in the same run.
//
//   slider move   set the budget slider, then let the window finish: the plan is recomputed (shape, memory, time),
//                 the labels and every chart's budget marker move, and the visible chart is repainted.
//                 Reference: the bare plan call the panel makes (Recommend: ComputeOptimal, then
//                 PlanTrainingHardware, `scaleplan plan`'s shapes, memory, devices, days and cost). Target: under
//                 50 ms.
//   launch        construct and show the window until the background fit has landed in the table, the plan and the
//                 charts. Reference: the bare FitChinchilla of the bundled runs. Target: under 1 s. The whole
//                 `scaleplan-gui --quit-after-ms 0` process (start-up, fit, shutdown) is timed too.
//   other laws    the same slider moves under the Fit dock's Kaplan fit, custom expression (the Chinchilla form
//                 written out, its optimum found by search) and fine-grained MoE law (a search over N and G per
//                 plan, the slowest law to plan), each against the bare
//                 plan call (Recommend with the law). Target: under 50 ms.
//   law fits      the Fit dock's Kaplan and IsoFLOP fits (Fit pressed until the result is in the table, the plan and
//                 the charts). Reference: the library call `scaleplan fit --law NAME` makes (MakeKaplanFitReport,
//                 MakeIsoFlopFitReport, no bootstrap). The ratio shows what the dock adds to the fit.
//   dictionary    a new budget in the Dictionary panel (bound from the widgets, planned, labels set, repainted).
//                 Reference: the bare RecommendDictionary (PlanDictionary) call for the same settings. Target: under
//                 50 ms, like the slider.
// Runs on Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise. Prints medians and ratios.
#include <QApplication>
#include <QChartView>
#include <QEventLoop>
#include <QSlider>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/statistics.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_fits.h"
#include "gui/charts_view.h"
#include "gui/dictionary_panel.h"
#include "gui/fit_panel.h"
#include "gui/main_window.h"
#include "gui/plan_panel.h"
#include "gui/recommendation.h"

namespace scaleplan::gui {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Runs the event loop until `window` reports a fit (or 30 s pass); false on timeout or a failed fit.
bool WaitForFit(MainWindow* window) {
  QEventLoop loop;
  bool usable = false;
  QObject::connect(window, &MainWindow::Fitted, &loop, [&](bool ok) {
    usable = ok;
    loop.quit();
  });
  QTimer::singleShot(30000, &loop, &QEventLoop::quit);
  loop.exec();
  return usable;
}

}  // namespace
}  // namespace scaleplan::gui

int main(int argc, char** argv) {
  using namespace scaleplan;
  using namespace scaleplan::gui;
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& message) {
    if (type >= QtCriticalMsg) std::fprintf(stderr, "%s\n", message.toLocal8Bit().constData());
  });
  QApplication app(argc, argv);
  constexpr int kLaunches = 9;
  constexpr int kMoves = 300;
  constexpr int kDictionaryUpdates = 100;
  constexpr int kLawFits = 7;

  // Launch -> fitted, in process.
  std::vector<double> launch_ms, shown_ms;
  int failures = 0;
  for (int i = 0; i < kLaunches; ++i) {
    const auto start = Clock::now();
    MainWindow window;
    window.show();
    QCoreApplication::processEvents();
    shown_ms.push_back(MillisecondsSince(start));
    failures += WaitForFit(&window) ? 0 : 1;
    QCoreApplication::processEvents();  // the plan and the charts follow the fit
    launch_ms.push_back(MillisecondsSince(start));
  }
  const RunsTable bundled = BundledChinchillaRuns();
  std::vector<double> fit_ms;
  ChinchillaFit fit;
  for (int i = 0; i < kLaunches; ++i) {
    const auto start = Clock::now();
    fit = FitChinchilla(bundled, MultiStartOptions{});
    fit_ms.push_back(MillisecondsSince(start));
  }

  // Whole process.
  const std::string binary = argc > 1 ? argv[1] : SCALEPLAN_GUI_BINARY;
  const std::string command = binary + " --quit-after-ms 0 > /dev/null 2>&1";
  std::vector<double> process_ms;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    failures += std::system(command.c_str()) != 0 ? 1 : 0;
    process_ms.push_back(MillisecondsSince(start));
  }

  // Slider moves on a fitted, visible window.
  MainWindow window;
  window.resize(1480, 940);
  window.show();
  failures += WaitForFit(&window) ? 0 : 1;
  QCoreApplication::processEvents();
  auto* slider = window.findChild<QSlider*>("budget_slider");
  auto* view = qobject_cast<QChartView*>(window.charts()->currentWidget());
  std::vector<double> move_ms, update_ms, events_ms;
  std::vector<int> values;
  for (int i = 0; i < kMoves; ++i) {
    // Back and forth over the whole range, in uneven steps.
    values.push_back(PlanPanel::kSliderMin + (i * 37) % (PlanPanel::kSliderMax - PlanPanel::kSliderMin));
  }
  for (int value : values) {
    const auto start = Clock::now();
    slider->setValue(value);  // plan, labels and chart markers, synchronously
    update_ms.push_back(MillisecondsSince(start));
    QCoreApplication::processEvents();  // layout and the pending repaints Qt scheduled itself
    events_ms.push_back(MillisecondsSince(start));
    view->viewport()->repaint();        // and the whole chart once more, in case it was not among them
    move_ms.push_back(MillisecondsSince(start));
  }
  const bool plan_follows =
      window.plan_panel()->recommendation() &&
      window.plan_panel()->recommendation()->budget_flops == PlanPanel::SliderBudget(values.back());

  // Reference: the bare plan call, same budgets and settings.
  LawSource source{fit.law, "bundled fit", 0};
  const PlanSettings settings = window.plan_panel()->Settings();
  std::vector<double> plan_ms;
  for (int value : values) {
    const auto start = Clock::now();
    const Recommendation plan = Recommend(source, PlanPanel::SliderBudget(value), settings, BundledHardwareCatalogue());
    plan_ms.push_back(MillisecondsSince(start));
    if (!(plan.allocation.num_params > 0)) ++failures;
  }
  std::vector<double> closed_form_us;
  for (int value : values) {
    const auto start = Clock::now();
    volatile double n = fit.law.ComputeOptimal(PlanPanel::SliderBudget(value)).num_params;
    (void)n;
    closed_form_us.push_back(1000.0 * MillisecondsSince(start));
  }

  // Dictionary panel updates: new FLOP budgets, 1e17 .. 1e23, through the panel's own binding.
  DictionaryPanel* dictionary = window.dictionary_panel();
  std::vector<double> budgets;
  for (int i = 0; i < kDictionaryUpdates; ++i) budgets.push_back(std::pow(10.0, 17.0 + 6.0 * ((i * 37) % 100) / 100.0));
  std::vector<double> dictionary_ms, dictionary_events_ms;
  for (double budget : budgets) {
    DictionarySettings next = dictionary->Settings();
    SetDictionaryGoal(DictionaryGoal::COMPUTE, budget, &next.request);
    const auto start = Clock::now();
    dictionary->SetSettings(next);  // widgets, plan, labels
    dictionary_ms.push_back(MillisecondsSince(start));
    QCoreApplication::processEvents();
    dictionary_events_ms.push_back(MillisecondsSince(start));
  }
  const bool dictionary_follows = dictionary->recommendation() &&
                                  dictionary->recommendation()->request.compute_flops == budgets.back();
  std::vector<double> bare_dictionary_ms;
  for (double budget : budgets) {
    DictionarySettings next = dictionary->Settings();
    SetDictionaryGoal(DictionaryGoal::COMPUTE, budget, &next.request);
    const auto start = Clock::now();
    const DictionaryRecommendation bare = RecommendDictionary(next, BundledHardwareCatalogue());
    bare_dictionary_ms.push_back(MillisecondsSince(start));
    if (!bare.plan.reachable) ++failures;
  }

  // The slider under other laws of the Fit dock (its law selector), each against the bare plan call with that law.
  struct LawMoves {
    const char* law;
    double move_ms;
    double plan_ms;
  };
  std::vector<LawMoves> law_moves;
  for (const char* law : {"kaplan", "expression", "krajewski2024"}) {
    window.fit_panel()->SetLawKey(law);
    failures += WaitForFit(&window) && window.fit_panel()->law_fit() ? 0 : 1;
    if (!window.fit_panel()->law_fit()) continue;
    std::vector<double> law_move_ms, law_plan_ms;
    for (int value : values) {
      const auto start = Clock::now();
      slider->setValue(value);
      QCoreApplication::processEvents();
      view->viewport()->repaint();
      law_move_ms.push_back(MillisecondsSince(start));
    }
    LawSource law_source;
    if (window.fit_panel()->law_fit()->moe) {
      law_source.moe_law = window.fit_panel()->law_fit()->moe;
    } else {
      law_source.plan_law = window.fit_panel()->law_fit()->law;
      law_source.law = law_source.plan_law->saved.law;
    }
    for (int value : values) {
      const auto start = Clock::now();
      const Recommendation bare =
          Recommend(law_source, PlanPanel::SliderBudget(value), settings, BundledHardwareCatalogue());
      law_plan_ms.push_back(MillisecondsSince(start));
      if (!(bare.allocation.num_params > 0)) ++failures;
    }
    law_moves.push_back({law, Median(law_move_ms), Median(law_plan_ms)});
  }

  // The Fit dock's fit of other laws (Fit pressed to the result in the table, the plan and the charts), each against
  // the library call `scaleplan fit --law NAME` makes (no bootstrap: the dock's refits are Approach 3's).
  struct LawFits {
    const char* law;
    double dock_ms;
    double bare_ms;
  };
  std::vector<LawFits> law_fits;
  for (const char* law : {"kaplan", "isoflop"}) {
    window.fit_panel()->SetLawKey(law);
    failures += WaitForFit(&window) ? 0 : 1;
    std::vector<double> dock_ms, bare_ms;
    for (int i = 0; i < kLawFits; ++i) {
      const auto start = Clock::now();
      window.fit_panel()->StartFit();
      failures += WaitForFit(&window) && window.fit_panel()->law_fit() ? 0 : 1;
      QCoreApplication::processEvents();
      dock_ms.push_back(MillisecondsSince(start));
    }
    LawFitOptions options;
    options.bootstrap.num_resamples = 0;  // `fit` without --bootstrap
    for (int i = 0; i < kLawFits; ++i) {
      const auto start = Clock::now();
      bool usable = false;
      if (std::string(law) == "kaplan") {
        options.grid = KaplanModel::DefaultGrid();
        usable = MakeKaplanFitReport(bundled, options).fit.search.usable;
      } else {
        usable = MakeIsoFlopFitReport(bundled, options).fit.usable;
      }
      bare_ms.push_back(MillisecondsSince(start));
      failures += usable ? 0 : 1;
    }
    law_fits.push_back({law, Median(dock_ms), Median(bare_ms)});
  }

  const double move = Median(move_ms), plan = Median(plan_ms);
  const double launch = Median(launch_ms), bare_fit = Median(fit_ms);
  std::printf("slider move -> plan + charts + repaint   median %8.3f ms  (max %.3f ms, %d moves)  target < 50 ms: %s\n",
              move, *std::max_element(move_ms.begin(), move_ms.end()), kMoves, move < 50 ? "met" : "MISSED");
  std::printf("  plan + labels + markers (synchronous)  median %8.3f ms\n", Median(update_ms));
  std::printf("  ... + Qt's own layout and repaints     median %8.3f ms (what the user waits for)\n",
              Median(events_ms));
  std::printf("reference: bare plan call (Recommend)    median %8.3f ms  (ComputeOptimal alone %.3f us)\n", plan,
              Median(closed_form_us));
  std::printf("ratio slider move / bare plan call:      %.1fx\n", move / plan);
  for (const LawMoves& moves : law_moves) {
    std::printf(
        "slider move, %-13s law            median %8.3f ms  target < 50 ms: %s; bare plan call %.3f ms, "
        "ratio %.1fx\n",
        moves.law, moves.move_ms, moves.move_ms < 50 ? "met" : "MISSED", moves.plan_ms, moves.move_ms / moves.plan_ms);
  }
  for (const LawFits& fits : law_fits) {
    std::printf(
        "Fit dock, %-8s fit -> table + plan + charts  median %8.1f ms; bare `fit --law %s` call %.1f ms, "
        "ratio %.1fx\n",
        fits.law, fits.dock_ms, fits.law, fits.bare_ms, fits.dock_ms / fits.bare_ms);
  }
  std::printf("launch -> window shown                   median %8.1f ms\n", Median(shown_ms));
  std::printf("launch -> fitted (in process)            median %8.1f ms  target < 1000 ms: %s\n", launch,
              launch < 1000 ? "met" : "MISSED");
  std::printf("reference: bare FitChinchilla            median %8.1f ms\n", bare_fit);
  std::printf("ratio launch-to-fitted / bare fit:       %.2fx\n", launch / bare_fit);
  std::printf("whole process 'scaleplan-gui --quit-after-ms 0'  median %8.1f ms\n", Median(process_ms));
  const double dictionary_update = Median(dictionary_events_ms), bare_dictionary = Median(bare_dictionary_ms);
  std::printf("dictionary update -> plan + labels + repaint  median %8.3f ms  (max %.3f ms, %d updates)  "
              "target < 50 ms: %s\n",
              dictionary_update, *std::max_element(dictionary_events_ms.begin(), dictionary_events_ms.end()),
              kDictionaryUpdates, dictionary_update < 50 ? "met" : "MISSED");
  std::printf("  plan + labels (synchronous)            median %8.3f ms\n", Median(dictionary_ms));
  std::printf("reference: bare RecommendDictionary      median %8.3f ms\n", bare_dictionary);
  std::printf("ratio dictionary update / bare call:     %.1fx\n", dictionary_update / bare_dictionary);
  std::printf("plan follows the slider: %s; dictionary follows its budget: %s; failures: %d\n",
              plan_follows ? "yes" : "NO", dictionary_follows ? "yes" : "NO", failures);
  return failures == 0 && plan_follows && dictionary_follows ? 0 : 1;
}
