// `scaleplan plot` at a chosen size: --dpi makes --width and --height inches (a PNG of width x dpi pixels that records
// its resolution), text scales with the pixel size without it (SVG text drawn twice as large at 2400 x 1600 as at
// the default 1200 x 800), and sizes or resolutions out of range are usage errors.
#include <gtest/gtest.h>

#include <QByteArray>
#include <QImage>
#include <QString>
#include <QXmlStreamReader>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// A path in the test's temporary folder (the file removed, so that a test sees only what it writes).
std::string TempPath(const std::string& name) {
  const std::string path = testing::WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// `scaleplan plot --dpi`, --width and --log-loss.

testing::CommandResult Plot(const std::string& args) {
  return testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plot " + args);
}

// The largest font size of the SVG's text as drawn: each font-size times the scale of the transform it sits under.
double LargestDrawnFontSize(const std::string& svg) {
  QXmlStreamReader xml(QByteArray::fromStdString(svg));
  std::vector<double> scales{1.0};
  double largest = 0;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement()) {
      double scale = scales.back();
      const QString transform = xml.attributes().value(QLatin1String("transform")).toString();
      if (transform.startsWith(QLatin1String("matrix("))) {
        scale = transform.mid(7).section(',', 0, 0).toDouble();
      }
      scales.push_back(scale);
      if (xml.name() == QLatin1String("text")) {
        largest = std::max(largest, scale * xml.attributes().value(QLatin1String("font-size")).toDouble());
      }
    } else if (xml.isEndElement()) {
      scales.pop_back();
    }
  }
  EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
  return largest;
}

TEST(PlotSize, PlotDpiWritesWidthTimesDpiPixels) {
  const std::string out = TempPath("plot_300dpi.png");
  const testing::CommandResult result = Plot("fit --width 6.5 --height 4 --dpi 300 --log-loss --out '" + out + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::optional<testing::ImageSize> size = testing::ReadPngSize(testing::ReadWholeFile(out));
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 1950u);  // 6.5 in x 300
  EXPECT_EQ(size->height, 1200u);
  EXPECT_EQ(QImage(QString::fromStdString(out)).dotsPerMeterX(), std::lround(300 / 0.0254));

  // Sizes that do not come to 64..16384 pixels, a resolution out of range, fractional pixels: usage errors.
  for (const char* args :
       {"--width 100 --height 4 --dpi 300", "--width 6 --height 4 --dpi 10", "--width 6.5 --height 400", "--dpi 0"}) {
    const testing::CommandResult bad = Plot(std::string("fit ") + args + " --out '" + out + ".bad.png'");
    EXPECT_EQ(bad.exit_code, 2) << args << ": " << bad.err;
    EXPECT_FALSE(bad.err.empty());
  }
}

TEST(PlotSize, PlotSvgTextScalesWithTheWidth) {
  const std::string small = TempPath("plot_1200.svg"), large = TempPath("plot_2400.svg");
  ASSERT_EQ(Plot("frontier --out '" + small + "'").exit_code, 0);
  ASSERT_EQ(Plot("frontier --width 2400 --height 1600 --out '" + large + "'").exit_code, 0);
  const double small_font = LargestDrawnFontSize(testing::ReadWholeFile(small));
  const double large_font = LargestDrawnFontSize(testing::ReadWholeFile(large));
  ASSERT_GT(small_font, 8.0);
  EXPECT_NEAR(large_font / small_font, 2.0, 1e-6);
  // Width 2400 at height 1000: the smaller ratio (1000 / 800) sets the scale.
  const std::string wide = TempPath("plot_wide.svg");
  ASSERT_EQ(Plot("frontier --width 2400 --height 1000 --out '" + wide + "'").exit_code, 0);
  EXPECT_NEAR(LargestDrawnFontSize(testing::ReadWholeFile(wide)) / small_font, 1.25, 1e-6);
}

}  // namespace
}  // namespace scaleplan
