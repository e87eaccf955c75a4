// `scaleplan plot`, the real binary: every chart as PNG (signature and IHDR size) and SVG (well-formed XML whose
// root has the requested size), and the exit codes of its errors.
#include <string>

#include <QString>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

#include "gui/plot_render.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

testing::CommandResult Plot(const std::string& args) {
  return testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plot " + args);
}

struct SvgRoot {
  bool parsed = false;
  std::string error;
  QString width, height, view_box;
};

SvgRoot ReadSvgRoot(const std::string& text) {
  SvgRoot root;
  QXmlStreamReader xml(QByteArray::fromStdString(text));
  bool seen_root = false;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement() && !seen_root) {
      seen_root = true;
      if (xml.name() != QLatin1String("svg")) {
        root.error = "root element is " + xml.name().toString().toStdString();
        return root;
      }
      root.width = xml.attributes().value(QLatin1String("width")).toString();
      root.height = xml.attributes().value(QLatin1String("height")).toString();
      root.view_box = xml.attributes().value(QLatin1String("viewBox")).toString();
    }
  }
  if (xml.hasError()) {
    root.error = xml.errorString().toStdString();
    return root;
  }
  root.parsed = seen_root;
  return root;
}

// "238.125mm" at 96 per inch -> pixels.
double MillimetresToPixels(const QString& length) {
  EXPECT_TRUE(length.endsWith(QLatin1String("mm"))) << length.toStdString();
  return length.chopped(2).toDouble() / 25.4 * 96.0;
}

TEST(Plot, EveryChartAsPngHasTheRequestedSize) {
  for (const std::string& kind : gui::PlotKinds()) {
    const std::string path = testing::WriteTempFile(kind + ".png", "");
    const testing::CommandResult result = Plot(kind + " --out '" + path + "' --width 640 --height 480");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    EXPECT_TRUE(result.out.empty());
    const std::string bytes = testing::ReadWholeFile(path);
    EXPECT_GT(bytes.size(), 10000u) << kind;  // a chart, not an empty canvas
    const auto size = testing::ReadPngSize(bytes);
    ASSERT_TRUE(size.has_value()) << kind << ": not a PNG";
    EXPECT_EQ(size->width, 640u) << kind;
    EXPECT_EQ(size->height, 480u) << kind;
  }
}

TEST(Plot, EveryChartAsSvgIsWellFormedWithTheRequestedSize) {
  for (const std::string& kind : gui::PlotKinds()) {
    const std::string path = testing::WriteTempFile(kind + ".svg", "");
    const testing::CommandResult result = Plot(kind + " --out '" + path + "' --width 1000 --height 700");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    const std::string text = testing::ReadWholeFile(path);
    const SvgRoot root = ReadSvgRoot(text);
    ASSERT_TRUE(root.parsed) << kind << ": " << root.error;
    EXPECT_EQ(root.view_box, QStringLiteral("0 0 1000 700")) << kind;
    EXPECT_NEAR(MillimetresToPixels(root.width), 1000.0, 0.01) << kind;
    EXPECT_NEAR(MillimetresToPixels(root.height), 700.0, 0.01) << kind;
    const std::string axis_title = kind == "isoflop" ? "parameters N" : "training compute C (FLOPs)";
    EXPECT_NE(text.find(">" + axis_title + "</text>"), std::string::npos) << kind << ": no axis title";
  }
}

TEST(Plot, OwnRunsAndBudgetMarker) {
  const std::string runs = testing::WriteTempFile(
      "runs.csv", "params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n4e8,8e9,2.7\n8e8,1.6e10,2.55\n1.6e9,3.2e10,2.45\n"
                  "1e8,8e9,3.0\n4e8,2e9,2.9\n");
  const std::string path = testing::WriteTempFile("frontier.svg", "");
  const testing::CommandResult result = Plot("frontier '" + runs + "' --compute 5.76e23 --out '" + path + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string text = testing::ReadWholeFile(path);
  EXPECT_NE(text.find("plan: 5.76e23 FLOPs"), std::string::npos);
  EXPECT_NE(text.find("N_opt(C)"), std::string::npos);
}

TEST(Plot, ErrorsHaveTheirExitCodes) {
  const std::string out = testing::WriteTempFile("x.png", "");
  testing::CommandResult unknown = Plot("pie --out '" + out + "'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown chart 'pie' (known: fit, isoflop, frontier, residuals)"), std::string::npos)
      << unknown.err;
  EXPECT_EQ(Plot("fit").exit_code, 2);                                         // no --out
  EXPECT_EQ(Plot("fit --out chart.gif").exit_code, 2);                         // unsupported format
  EXPECT_EQ(Plot("fit --out '" + out + "' --width 10").exit_code, 2);          // size out of range

  const std::string bad = testing::WriteTempFile("bad.csv", "N,D,loss\n1e9,2e10,2.5\n2e9,oops,2.4\n");
  testing::CommandResult input = Plot("fit '" + bad + "' --out '" + out + "'");
  EXPECT_EQ(input.exit_code, 3);
  EXPECT_EQ(input.err, "scaleplan plot: error: " + bad + ":3: column 2 ('D'): not a number: 'oops'\n");

  testing::CommandResult unwritable = Plot("fit --out /nonexistent-dir/fit.png");
  EXPECT_EQ(unwritable.exit_code, 5);
  EXPECT_NE(unwritable.err.find("/nonexistent-dir/fit.png: cannot write"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace scaleplan
