// scaleplan-gui: the desktop planner.
//
//   scaleplan-gui [--runs RUNS.csv] [--load SESSION.json]
//                 [--screenshot FILE.png] [--quit-after-ms N] [--timings]
//
// --quit-after-ms N quits N milliseconds after the first fit has finished (saving --screenshot first, if given);
// --timings prints when the window was shown and when it was fitted, in milliseconds since start-up.
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QPixmap>
#include <QTimer>

#include "gui/main_window.h"
#include "gui/runs_panel.h"

namespace {

// Exit codes as the command line's (README "Exit codes").
constexpr int kExitUsage = 2;
constexpr int kExitInputError = 3;
constexpr int kExitIoError = 5;

// If the first fit never reports (it always should), still quit this long after the requested delay.
constexpr int kFitDeadlineMs = 60000;

}  // namespace

int main(int argc, char** argv) {
  QElapsedTimer since_start;
  since_start.start();
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("scaleplan-gui"));
  QApplication::setOrganizationName(QStringLiteral("scaleplan"));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("scaleplan: scaling-law fitting and compute-optimal planning"));
  parser.addHelpOption();
  const QCommandLineOption runs_option(QStringLiteral("runs"), QStringLiteral("Runs CSV to load at start-up."),
                                       QStringLiteral("RUNS.csv"));
  // Not "--session": QGuiApplication takes that one for X11 session management.
  const QCommandLineOption session_option(QStringLiteral("load"), QStringLiteral("Session to restore."),
                                          QStringLiteral("SESSION.json"));
  const QCommandLineOption screenshot_option(QStringLiteral("screenshot"),
                                             QStringLiteral("Save the window as PNG before quitting."),
                                             QStringLiteral("FILE.png"));
  const QCommandLineOption quit_option(QStringLiteral("quit-after-ms"),
                                       QStringLiteral("Quit this long after the first fit has finished."),
                                       QStringLiteral("N"));
  const QCommandLineOption timings_option(QStringLiteral("timings"),
                                          QStringLiteral("Print start-up timings (ms) on stdout."));
  parser.addOptions({runs_option, session_option, screenshot_option, quit_option, timings_option});
  parser.process(app);

  int quit_after_ms = -1;
  if (parser.isSet(quit_option)) {
    bool ok = false;
    quit_after_ms = parser.value(quit_option).toInt(&ok);
    if (!ok || quit_after_ms < 0) {
      std::fprintf(stderr, "scaleplan-gui: error: --quit-after-ms needs a non-negative integer\n");
      return kExitUsage;
    }
  } else if (parser.isSet(screenshot_option)) {
    quit_after_ms = 0;
  }

  scaleplan::gui::MainWindow window;
  const bool timings = parser.isSet(timings_option);

  int exit_code = 0;
  bool fitted_once = false;
  const QString screenshot = parser.value(screenshot_option);
  auto finish = [&] {
    if (!screenshot.isEmpty() && !window.grab().save(screenshot, "PNG")) {
      std::fprintf(stderr, "scaleplan-gui: error: cannot write the screenshot %s\n",
                   screenshot.toLocal8Bit().constData());
      exit_code = kExitIoError;
    }
    app.exit(exit_code);
  };
  QObject::connect(&window, &scaleplan::gui::MainWindow::Fitted, &window, [&](bool usable) {
    if (fitted_once) return;
    fitted_once = true;
    if (timings) {
      std::printf("fitted_ms %lld usable %d\n", static_cast<long long>(since_start.elapsed()), usable ? 1 : 0);
      std::fflush(stdout);
    }
    if (quit_after_ms >= 0) QTimer::singleShot(quit_after_ms, &window, finish);
  });
  QString error;
  if (parser.isSet(session_option) && !window.LoadSession(parser.value(session_option), &error)) {
    std::fprintf(stderr, "scaleplan-gui: error: %s\n", error.toLocal8Bit().constData());
    if (quit_after_ms >= 0) return kExitInputError;
  }
  if (parser.isSet(runs_option) && !window.ImportRunsCsv(parser.value(runs_option), {})) {
    std::fprintf(stderr, "scaleplan-gui: error: %s\n", window.runs_panel()->ErrorText().toLocal8Bit().constData());
    if (quit_after_ms >= 0) return kExitInputError;
  }
  window.ShowOnScreen();
  if (timings) std::printf("shown_ms %lld\n", static_cast<long long>(since_start.elapsed()));
  if (quit_after_ms >= 0) QTimer::singleShot(quit_after_ms + kFitDeadlineMs, &window, finish);
  const int status = app.exec();
  return exit_code != 0 ? exit_code : status;
}
