// Every chart keeps its text (title, axis titles, tick labels) after the actions that rebuild it, in a 1366 x 768
// window: an import, the bundled runs, a bootstrap fit, unticking a run, opening a session, an import whose fit
// fails, and toggling "Plan with these peaks" (the roofline). Each chart is drawn the way the screen draws it (the
// view's own paint, through the items' caches) and the pixels of its labels are counted. CTest runs it on the
// offscreen platform; UnderXvfbWithAWindowManager runs the same tests again in a real X window, on a 1366 x 768
// Xvfb screen managed by openbox (skipped when either is missing). WindowOnScreen: the window fits the screen.
#include <gtest/gtest.h>

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QImage>
#include <QPushButton>
#include <QSignalSpy>
#include <QScreen>
#include <QSpinBox>
#include <QStatusBar>
#include <QTest>
#include <filesystem>
#include <memory>
#include <string>

#include "gui/charts_view.h"
#include "gui/hardware_panel.h"
#include "gui/main_window.h"
#include "gui/runs_model.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using gui::ChartKind;
using gui::MainWindow;

constexpr int kFitTimeoutMs = 60000;

QString Q(const std::string& text) { return QString::fromStdString(text); }

// Pixels darker than mid-grey in `rect` of `image` (text is drawn dark on the light theme's white background).
int DarkPixels(const QImage& image, QRect rect) {
  rect = rect.intersected(image.rect());
  int count = 0;
  for (int y = rect.top(); y <= rect.bottom(); ++y) {
    for (int x = rect.left(); x <= rect.right(); ++x) count += qGray(image.pixel(x, y)) < 128 ? 1 : 0;
  }
  return count;
}

struct TextPixels {
  int title = 0;   // above the plot area
  int left = 0;    // left of it: the y tick labels and the y axis title
  int bottom = 0;  // below it: the x tick labels and the x axis title
};

// The chart of `kind` as the window shows it now: the view paints itself (QWidget::grab), cached items included.
TextPixels ShownText(const gui::ChartsView* charts, ChartKind kind, QImage* image_out = nullptr) {
  auto* view = qobject_cast<QChartView*>(charts->widget(static_cast<int>(kind)));
  const QImage image = view->grab().toImage().convertToFormat(QImage::Format_RGB32);
  if (image_out != nullptr) *image_out = image;
  const QRect plot = view->mapFromScene(view->chart()->mapToScene(view->chart()->plotArea())).boundingRect();
  TextPixels pixels;
  // Margins of a few pixels keep the axis lines and tick marks out of the strips.
  pixels.title = DarkPixels(image, QRect(QPoint(plot.left(), 0), QPoint(plot.right(), plot.top() - 8)));
  pixels.left = DarkPixels(image, QRect(QPoint(0, plot.top()), QPoint(plot.left() - 10, plot.bottom())));
  pixels.bottom =
      DarkPixels(image, QRect(QPoint(plot.left(), plot.bottom() + 10), QPoint(plot.right(), image.height() - 1)));
  return pixels;
}

class ChartRedrawTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Application();
    window_ = std::make_unique<MainWindow>();
    ExpectFit();  // the first fit starts in the constructor and may land while the window is being exposed
    window_->resize(1366, 768);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    WaitForFit(true);
  }

  // Waits for the fit that the last action started (spy_ was made before it), unless it has landed already.
  void WaitForFit(bool usable) {
    if (spy_ == nullptr) spy_ = std::make_unique<QSignalSpy>(window_.get(), &MainWindow::Fitted);
    if (spy_->isEmpty()) {
      ASSERT_TRUE(spy_->wait(kFitTimeoutMs)) << "no fit within " << kFitTimeoutMs << " ms";
    }
    ASSERT_EQ(spy_->takeLast().at(0).toBool(), usable);
    spy_->clear();
  }
  // Call before an action that starts a fit.
  void ExpectFit() { spy_ = std::make_unique<QSignalSpy>(window_.get(), &MainWindow::Fitted); }

  template <class Widget>
  Widget* Find(const char* name) const {
    auto* widget = window_->findChild<Widget*>(name);
    EXPECT_NE(widget, nullptr) << "no widget named " << name;
    return widget;
  }

  // Lets the window lay out and paint what the action changed, as the event loop does between two user actions.
  static void Settle() { QTest::qWait(100); }

  // The shown chart has its title, tick labels and axis titles: about a thousand dark pixels each on a 1366 x 768
  // window; a chart that lost its text keeps only the axis lines, outside the strips.
  void ExpectTextShown(ChartKind kind, const char* after) {
    QImage image;
    const TextPixels pixels = ShownText(window_->charts(), kind, &image);
    const std::string where = std::string(gui::ChartKindName(kind)) + " after " + after;
    EXPECT_GT(pixels.title, 100) << where << ": no title";
    EXPECT_GT(pixels.left, 200) << where << ": no y tick labels or title";
    EXPECT_GT(pixels.bottom, 200) << where << ": no x tick labels or title";
    if (pixels.left <= 200 || pixels.bottom <= 200 || pixels.title <= 100) {
      image.save(Q(testing::WriteTempFile(std::string("blank_") + gui::ChartKindName(kind) + ".png", "")));
    }
  }

  std::unique_ptr<MainWindow> window_;
  std::unique_ptr<QSignalSpy> spy_;
};

constexpr ChartKind kRunsCharts[] = {ChartKind::FIT, ChartKind::ISOFLOP, ChartKind::FRONTIER, ChartKind::RESIDUALS};

TEST_F(ChartRedrawTest, FreshWindowShowsEveryChartsText) {
  for (ChartKind kind : kRunsCharts) {
    window_->charts()->SetCurrentKind(kind);
    Settle();
    ExpectTextShown(kind, "start-up");
  }
}

TEST_F(ChartRedrawTest, ImportKeepsTheShownChartsText) {
  const std::string runs = testing::WriteTempFile(
      "good.csv",
      "params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n4e8,8e9,2.7\n8e8,1.6e10,2.55\n1.6e9,3.2e10,2.45\n"
      "1e8,8e9,3.0\n");
  for (ChartKind kind : kRunsCharts) {
    window_->charts()->SetCurrentKind(kind);
    Settle();
    ExpectFit();
    ASSERT_TRUE(window_->ImportRunsCsv(Q(runs), RunsColumns{}));
    ExpectTextShown(kind, "the import (before its fit)");
    WaitForFit(true);
    Settle();
    ExpectTextShown(kind, "the import's fit");
  }
}

TEST_F(ChartRedrawTest, BundledUntickAndBootstrapKeepTheShownChartsText) {
  for (ChartKind kind : kRunsCharts) {
    window_->charts()->SetCurrentKind(kind);
    Settle();
    ExpectFit();
    QTest::mouseClick(Find<QPushButton>("runs_bundled"), Qt::LeftButton);
    Settle();
    ExpectTextShown(kind, "Bundled");
    WaitForFit(true);
    Settle();
    ExpectTextShown(kind, "Bundled's fit");

    gui::RunsModel* model = window_->runs_model();
    model->setData(model->index(3, 0), Qt::Unchecked, Qt::CheckStateRole);
    Settle();
    ExpectTextShown(kind, "unticking a run");
    model->setData(model->index(3, 0), Qt::Checked, Qt::CheckStateRole);
    Settle();
  }
  window_->charts()->SetCurrentKind(ChartKind::FRONTIER);
  Find<QSpinBox>("fit_bootstrap")->setValue(20);
  ExpectFit();
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  WaitForFit(true);
  Settle();
  ExpectTextShown(ChartKind::FRONTIER, "a bootstrap fit");
}

TEST_F(ChartRedrawTest, FailedFitAndSessionKeepTheShownChartsText) {
  window_->charts()->SetCurrentKind(ChartKind::RESIDUALS);
  const std::string session = testing::WriteTempFile("redraw_session.json", "");
  QString error;
  ASSERT_TRUE(window_->SaveSession(Q(session), &error)) << error.toStdString();

  const std::string one_run = testing::WriteTempFile("one_run.csv", "N,D,loss\n1e9,2e10,2.5\n");
  ExpectFit();
  ASSERT_TRUE(window_->ImportRunsCsv(Q(one_run), RunsColumns{}));
  WaitForFit(false);
  Settle();
  ExpectTextShown(ChartKind::RESIDUALS, "an import whose fit failed");

  ExpectFit();
  ASSERT_TRUE(window_->LoadSession(Q(session), &error)) << error.toStdString();
  Settle();
  ExpectTextShown(ChartKind::RESIDUALS, "opening a session");
  WaitForFit(true);
  Settle();
  ExpectTextShown(ChartKind::RESIDUALS, "the session's fit");
}

TEST_F(ChartRedrawTest, TogglingThePeaksKeepsTheRooflinesText) {
  QString error;
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(Q(testing::WriteSmallProfile("redraw_profile.json")), &error))
      << error.toStdString();
  window_->charts()->SetCurrentKind(ChartKind::ROOFLINE);
  Settle();
  ExpectTextShown(ChartKind::ROOFLINE, "loading a profile");
  auto* use = Find<QCheckBox>("hw_use_profile");
  for (int toggle = 0; toggle < 2; ++toggle) {
    use->click();
    Settle();
    ExpectTextShown(ChartKind::ROOFLINE, "toggling Plan with these peaks");
  }
}

// The window's frame, status bar included, lies on the screen: at the preferred 1480 x 940 where that fits with a
// title bar, maximised (the window manager fitting the frame to the free area) where it does not: 1366 x 768 under
// X with openbox, 800 x 600 on the offscreen platform.
TEST(WindowOnScreen, TheStatusBarIsOnTheScreen) {
  testing::Application();
  MainWindow window;
  window.ShowOnScreen();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  const QScreen* screen = window.screen();
  ASSERT_NE(screen, nullptr);
  const QRect available = screen->availableGeometry();
  const bool fits = available.width() >= 1480 && available.height() >= 940 + 40;
  if (!fits) {
    EXPECT_TRUE(window.windowState() & Qt::WindowMaximized);
    // The window manager places and sizes the maximised frame after the window is mapped.
    QTRY_VERIFY_WITH_TIMEOUT(available.contains(window.frameGeometry()), 3000);
  }
  EXPECT_TRUE(available.contains(window.frameGeometry()))
      << "frame " << window.frameGeometry().width() << " x " << window.frameGeometry().height() << " at "
      << window.frameGeometry().x() << ", " << window.frameGeometry().y() << "; screen " << available.width() << " x "
      << available.height();
  const QStatusBar* status = window.statusBar();
  const QPoint bottom = status->mapToGlobal(QPoint(0, status->height() - 1));
  EXPECT_LE(bottom.y(), available.bottom());
}

// The tests above again, on a real X server (Xvfb, 1366 x 768) with a window manager (openbox) placing and sizing
// the window, as a user's desktop does: the xcb platform instead of offscreen.
TEST(ChartRedrawUnderX, UnderXvfbWithAWindowManager) {
  constexpr char kXvfbRun[] = "/usr/bin/xvfb-run";
  constexpr char kOpenbox[] = "/usr/bin/openbox";
  if (!std::filesystem::exists(kXvfbRun)) GTEST_SKIP() << kXvfbRun << " is missing (Debian: apt-get install xvfb)";
  if (!std::filesystem::exists(kOpenbox)) GTEST_SKIP() << kOpenbox << " is missing (Debian: apt-get install openbox)";
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const testing::CommandResult result = testing::RunCommand(
      std::string(kXvfbRun) + " -a -s '-screen 0 1366x768x24' sh -c '" + kOpenbox + " & sleep 1; QT_QPA_PLATFORM=xcb " +
      self + " --gtest_filter=ChartRedrawTest.*:WindowOnScreen.*; status=$?; kill $! ; exit $status'");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("[  PASSED  ] 6 tests"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace scaleplan
