// Starts the real scaleplan-gui on an X server (Debian's xvfb-run) and saves a screenshot of the fitted window.
#include <filesystem>
#include <set>
#include <string>

#include <QImage>

#include <gtest/gtest.h>

#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

constexpr char kXvfbRun[] = "/usr/bin/xvfb-run";

TEST(GuiSmoke, StartsUnderXvfbFitsAndSavesAScreenshot) {
  if (!std::filesystem::exists(kXvfbRun)) GTEST_SKIP() << kXvfbRun << " is missing (Debian: apt-get install xvfb)";
  testing::Application();
  const std::string path = testing::WriteTempFile("screenshot.png", "");
  std::filesystem::remove(path);
  // A real X window: the xcb platform, whatever CTest set for the offscreen tests.
  const testing::CommandResult result = testing::RunCommand(
      std::string("QT_QPA_PLATFORM=xcb ") + kXvfbRun + " -a -s '-screen 0 1920x1200x24' " + SCALEPLAN_GUI_BINARY +
      " --screenshot '" + path + "' --quit-after-ms 500 --timings");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("fitted_ms"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("usable 1"), std::string::npos) << result.out;

  const auto size = testing::ReadPngSize(testing::ReadWholeFile(path));
  ASSERT_TRUE(size.has_value()) << "no PNG screenshot at " << path;
  EXPECT_GE(size->width, 1000u);
  EXPECT_GE(size->height, 700u);
  // A drawn window (charts, tables, text), not a blank or single-colour frame.
  const QImage image(QString::fromStdString(path));
  ASSERT_FALSE(image.isNull());
  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += 3) {
    for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
  }
  EXPECT_GT(colours.size(), 200u);
}

}  // namespace
}  // namespace scaleplan
