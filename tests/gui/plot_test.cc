// `scaleplan plot`, the real binary: every chart as PNG (signature and IHDR size) and SVG (well-formed XML whose
// root has the requested size), the exit codes of its errors, and the renderer module (libscaleplan_plot.so): loaded
// only by `plot`, so the binary starts without Qt, and a missing or broken module is reported with exit code 2.
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

// The dynamic loader's own account (LD_DEBUG=files, on stderr) of every shared object a command loads.
testing::CommandResult RunWithLoaderLog(const std::string& environment, const std::string& args) {
  return testing::RunCommand("LD_DEBUG=files " + environment + " " + std::string(SCALEPLAN_BINARY) + " " + args);
}

TEST(Plot, OnlyPlotLoadsTheRendererAndQt) {
  const testing::CommandResult version = RunWithLoaderLog("", "--version");
  ASSERT_EQ(version.exit_code, 0) << version.err;
  ASSERT_NE(version.err.find("file=libstdc++.so.6 [0];  needed by"), std::string::npos)
      << "the loader did not report what it loads:\n" << version.err;
  EXPECT_EQ(version.err.find("libQt6"), std::string::npos) << version.err;
  EXPECT_EQ(version.err.find("libscaleplan_plot"), std::string::npos) << version.err;

  const std::string module = SCALEPLAN_PLOT_MODULE_PATH;
  const std::string path = testing::WriteTempFile("loaded.png", "");
  const testing::CommandResult plot =
      RunWithLoaderLog("SCALEPLAN_PLOT_MODULE='" + module + "'", "plot fit --out '" + path + "'");
  ASSERT_EQ(plot.exit_code, 0) << plot.err;
  EXPECT_NE(plot.err.find("file=" + module + " [0];  dynamically loaded by"), std::string::npos) << plot.err;
  EXPECT_NE(plot.err.find("file=libQt6Widgets.so.6 [0];  needed by " + module), std::string::npos) << plot.err;
  EXPECT_TRUE(testing::ReadPngSize(testing::ReadWholeFile(path)).has_value());
}

TEST(Plot, MissingOrBrokenModuleExitsWithUsage) {
  const std::string out = testing::WriteTempFile("unused.png", "");
  const std::string missing = "/nonexistent-dir/libscaleplan_plot.so";
  const testing::CommandResult not_found = testing::RunCommand("SCALEPLAN_PLOT_MODULE=" + missing + " " +
                                                               SCALEPLAN_BINARY + " plot fit --out '" + out + "'");
  EXPECT_EQ(not_found.exit_code, 2);
  EXPECT_EQ(not_found.err, "scaleplan plot: error: the chart renderer libscaleplan_plot.so was not found (looked in " +
                               missing + "); it is built with the GUI (target scaleplan_plot) and installed next to "
                               "the scaleplan binary, or set SCALEPLAN_PLOT_MODULE to its path\n");
  EXPECT_TRUE(not_found.out.empty());

  const std::string broken = testing::WriteTempFile("libscaleplan_plot.so", "not a shared object\n");
  const testing::CommandResult unloadable = testing::RunCommand("SCALEPLAN_PLOT_MODULE='" + broken + "' " +
                                                                SCALEPLAN_BINARY + " plot fit --out '" + out + "'");
  EXPECT_EQ(unloadable.exit_code, 2);
  EXPECT_EQ(unloadable.err.rfind("scaleplan plot: error: cannot load the chart renderer " + broken + ": ", 0), 0u)
      << unloadable.err;
  EXPECT_TRUE(testing::ReadWholeFile(out).empty());  // nothing was drawn
}

}  // namespace
}  // namespace scaleplan
