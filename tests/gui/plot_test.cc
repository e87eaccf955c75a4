// `scaleplan plot`, the real binary: every chart as PNG (signature and IHDR size) and SVG (well-formed XML whose
// root has the requested size), a saved fit or a published law instead of the fit, the roofline of a profile, the
// exit codes of its errors, and the renderer module (libscaleplan_plot.so): loaded only by `plot`, so the binary
// starts without Qt, and a missing or broken module is reported with exit code 2.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <QAreaSeries>
#include <QChart>
#include <QLineSeries>
#include <QString>
#include <QXmlStreamReader>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bundled_data.h"
#include "fitting/chinchilla_fit.h"
#include "gui/charts.h"
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

// What a kind needs besides --out: the roofline draws a profile, the collectives chart one with an interconnect.
std::string KindArguments(const std::string& kind) {
  if (kind == "collectives") {
    return kind + " --profile '" + testing::SourcePath("tests/bad_input/profile_interconnect.json") + "'";
  }
  if (kind != "roofline") return kind;
  static const std::string profile = testing::WriteSmallProfile("plot_profile.json");
  return kind + " --profile '" + profile + "'";
}

TEST(Plot, EveryChartAsPngHasTheRequestedSize) {
  ASSERT_EQ(gui::PlotKinds(),
            (std::vector<std::string>{"fit", "isoflop", "frontier", "residuals", "roofline", "collectives"}));
  for (const std::string& kind : gui::PlotKinds()) {
    const std::string path = testing::WriteTempFile(kind + ".png", "");
    const testing::CommandResult result = Plot(KindArguments(kind) + " --out '" + path + "' --width 640 --height 480");
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
    const testing::CommandResult result = Plot(KindArguments(kind) + " --out '" + path + "' --width 1000 --height 700");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    const std::string text = testing::ReadWholeFile(path);
    const SvgRoot root = ReadSvgRoot(text);
    ASSERT_TRUE(root.parsed) << kind << ": " << root.error;
    EXPECT_EQ(root.view_box, QStringLiteral("0 0 1000 700")) << kind;
    EXPECT_NEAR(MillimetresToPixels(root.width), 1000.0, 0.01) << kind;
    EXPECT_NEAR(MillimetresToPixels(root.height), 700.0, 0.01) << kind;
    const std::string axis_title = kind == "isoflop"       ? "parameters N"
                                   : kind == "roofline"    ? "arithmetic intensity (FLOP/byte)"
                                   : kind == "collectives" ? "message size S (as nccl-tests counts it)"
                                                           : "training compute C (FLOPs)";
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
  EXPECT_NE(text.find("plan: 5.76×10²³ FLOPs"), std::string::npos);
  EXPECT_NE(text.find("N_opt(C)"), std::string::npos);
}

TEST(Plot, ErrorsHaveTheirExitCodes) {
  const std::string out = testing::WriteTempFile("x.png", "");
  testing::CommandResult unknown = Plot("pie --out '" + out + "'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown chart 'pie' (known: fit, isoflop, frontier, residuals, roofline, collectives)"),
            std::string::npos)
      << unknown.err;
  EXPECT_EQ(Plot("fit").exit_code, 2);                                         // no --out
  EXPECT_EQ(Plot("fit --out chart.gif").exit_code, 2);                         // unsupported format
  EXPECT_EQ(Plot("fit --out '" + out + "' --width 10").exit_code, 2);          // size out of range

  const std::string bad = testing::WriteTempFile("bad.csv", "N,D,loss\n1e9,2e10,2.5\n2e9,oops,2.4\n");
  testing::CommandResult input = Plot("fit '" + bad + "' --out '" + out + "'");
  EXPECT_EQ(input.exit_code, 3);
  EXPECT_EQ(input.err, "scaleplan plot: error: " + bad + ":3: column 2 ('D'): not a number: 'oops'\n");

  // An output that cannot be written: exit 5 with the message every command gives (cli/cli_common.h).
  testing::CommandResult unwritable = Plot("fit --out /nonexistent-dir/fit.png");
  EXPECT_EQ(unwritable.exit_code, 5);
  EXPECT_EQ(unwritable.err,
            "scaleplan plot: error: cannot write '/nonexistent-dir/fit.png' (No such file or directory)\n");
  const std::string folder = testing::WriteTempFile("plot_folder.svg", "");
  std::remove(folder.c_str());
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  testing::CommandResult directory = Plot("fit --out '" + folder + "'");
  EXPECT_EQ(directory.exit_code, 5);
  EXPECT_EQ(directory.err, "scaleplan plot: error: cannot write '" + folder + "' (Is a directory)\n");
  EXPECT_TRUE(std::filesystem::is_directory(folder));
  std::filesystem::remove(folder);
}

// A profile of 'probe --collectives' alone (peaks 0, no kernels) has no roofline: exit 3 with the reason, as the
// collectives chart of a profile without an interconnect section, no file and no chart with NaN axes.
TEST(Plot, RooflineOfAProfileWithoutKernelsIsAnInputError) {
  const std::string profile = testing::SourcePath("tests/bad_input/profile_collectives_only.json");
  const std::string out = testing::WriteTempFile("no_kernels_roofline.svg", "");
  std::remove(out.c_str());
  const testing::CommandResult r = Plot("roofline --profile '" + profile + "' --out '" + out + "'");
  EXPECT_EQ(r.exit_code, 3);
  const std::string said = "scaleplan plot: error: " + profile + ": the profile has no kernel measurements (probe ";
  EXPECT_EQ(r.err.rfind(said + "without --collectives", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find("nan"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // Its interconnect is drawn.
  EXPECT_EQ(Plot("collectives --profile '" + profile + "' --out '" + out + "'").exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(Plot, RooflineOfAProfileAndItsErrors) {
  const std::string profile = testing::WriteSmallProfile("roofline_profile.json");
  const std::string path = testing::WriteTempFile("roofline.svg", "");
  const testing::CommandResult result = Plot("roofline --profile '" + profile + "' --out '" + path + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string text = testing::ReadWholeFile(path);
  // The profile's 80 GFLOP/s and 20 GB/s meet at 80e9 / 20e9 = 4 FLOP/byte.
  EXPECT_NE(text.find("ridge 4 FLOP/B"), std::string::npos);
  EXPECT_NE(text.find("compute ceiling 80 GFLOP/s"), std::string::npos);
  EXPECT_NE(text.find("gemm d768 n16.4K"), std::string::npos);

  const std::string out = testing::WriteTempFile("unused_roofline.png", "");
  const testing::CommandResult no_profile = Plot("roofline --out '" + out + "'");
  EXPECT_EQ(no_profile.exit_code, 2);
  EXPECT_EQ(
      no_profile.err.rfind("scaleplan plot: error: the roofline chart draws a hardware profile: give --profile", 0),
      0u)
      << no_profile.err;
  const testing::CommandResult missing = Plot("roofline --profile /nonexistent-dir/p.json --out '" + out + "'");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "scaleplan plot: error: /nonexistent-dir/p.json: cannot read the file (No such file or "
                         "directory)\n");
  const std::string bad = testing::WriteTempFile("bad_profile.json", "{\"schema_version\": 1, \"backend\": \"cpu\"}");
  const testing::CommandResult malformed = Plot("roofline --profile '" + bad + "' --out '" + out + "'");
  EXPECT_EQ(malformed.exit_code, 3);
  EXPECT_EQ(malformed.err, "scaleplan plot: error: " + bad + ": at 'device': missing required key\n");
  EXPECT_EQ(Plot("fit --profile '" + profile + "' --out '" + out + "'").exit_code, 2);  // --profile is the roofline's
  EXPECT_EQ(Plot("roofline --law hoffmann --profile '" + profile + "' --out '" + out + "'").exit_code, 2);
  EXPECT_TRUE(testing::ReadWholeFile(out).empty());  // nothing was drawn
}

TEST(Plot, PublishedLawOrSavedFitInsteadOfTheFit) {
  // Hoffmann et al.'s rounded law: a = beta / (alpha + beta) = 0.28 / 0.62 (REFERENCE section 2).
  char exponent[32];
  std::snprintf(exponent, sizeof exponent, "C^%.3f", 0.28 / 0.62);
  const std::string path = testing::WriteTempFile("hoffmann.svg", "");
  const testing::CommandResult law = Plot("frontier --law hoffmann --compute 5.76e23 --out '" + path + "'");
  ASSERT_EQ(law.exit_code, 0) << law.err;
  std::string text = testing::ReadWholeFile(path);
  EXPECT_NE(text.find(std::string("N_opt ∝ ") + exponent), std::string::npos) << exponent;
  EXPECT_NE(text.find("(hoffmann law)"), std::string::npos);
  EXPECT_NE(text.find("plan: 5.76×10²³ FLOPs"), std::string::npos);

  // A saved fit: its own exponent, as `plan --fit` would use it.
  const std::string fit_path = testing::WriteTempFile("fit.json", "");
  const testing::CommandResult fit = testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit --law chinchilla "
                                                         "--out '" + fit_path + "' --format json");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const auto saved = nlohmann::json::parse(testing::ReadWholeFile(fit_path));
  const double alpha = saved["alpha"].get<double>(), beta = saved["beta"].get<double>();
  std::snprintf(exponent, sizeof exponent, "C^%.3f", beta / (alpha + beta));
  const std::string fit_svg = testing::WriteTempFile("saved_fit.svg", "");
  const testing::CommandResult drawn = Plot("frontier --fit '" + fit_path + "' --out '" + fit_svg + "'");
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  text = testing::ReadWholeFile(fit_svg);
  EXPECT_NE(text.find(std::string("N_opt ∝ ") + exponent), std::string::npos) << exponent;

  // Errors as `plan` gives them.
  const std::string out = testing::WriteTempFile("unused_law.png", "");
  const testing::CommandResult both = Plot("fit --fit '" + fit_path + "' --law hoffmann --out '" + out + "'");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("give either --fit or --law, not both"), std::string::npos) << both.err;
  const testing::CommandResult unknown = Plot("isoflop --law chinchilla2 --out '" + out + "'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown --law 'chinchilla2' (known: hoffmann, hoffmann-unrounded, epoch)"),
            std::string::npos)
      << unknown.err;
  EXPECT_EQ(Plot("residuals --fit /nonexistent-dir/fit.json --out '" + out + "'").exit_code, 3);
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

// The chart without its <desc> line, which names the runs file.
std::string WithoutDescription(const std::string& svg) {
  const size_t begin = svg.find("<desc>");
  const size_t end = svg.find("</desc>", begin);
  if (begin == std::string::npos || end == std::string::npos) return svg;
  return svg.substr(0, begin) + svg.substr(end);
}

TEST(Plot, SelectedRunsDrawAsTheHandSelectedFile) {
  // Two sources of runs in one file; source b follows another law. The plot of `--filter source=a
  // --exclude-lines 3` must be the plot of a file holding only those rows (same file name, another folder).
  const std::filesystem::path dir = std::filesystem::path(testing::WriteTempFile(".dir", "")).parent_path();
  std::filesystem::create_directories(dir / "all");
  std::filesystem::create_directories(dir / "hand");
  std::string all = "N,D,loss,source\n", hand = "N,D,loss,source\n";
  int line = 1;
  for (double n : {5e7, 1e8, 2e8, 4e8, 8e8, 1.6e9}) {
    for (double d : {2e9, 5e9, 1e10, 3e10}) {
      for (const char* source : {"a", "b"}) {
        const bool b = source[0] == 'b';
        const double loss = (b ? 2.1 : 1.8) + 400 / std::pow(n, 0.34) + (b ? 900 : 410) / std::pow(d, 0.28);
        char row[128];
        std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%s\n", n, d, loss, source);
        all += row;
        ++line;
        if (!b && line != 3) hand += row;  // line 3 is the second data row: source b, excluded anyway
      }
    }
  }
  // Line 2 (source a) is excluded too: drop it from the hand-selected file.
  hand.erase(hand.find('\n') + 1, hand.find('\n', hand.find('\n') + 1) - hand.find('\n'));
  std::ofstream(dir / "all" / "runs.csv") << all;
  std::ofstream(dir / "hand" / "runs.csv") << hand;
  const std::string selected_svg = testing::WriteTempFile("selected.svg", "");
  const std::string hand_svg = testing::WriteTempFile("hand.svg", "");
  const std::string every_svg = testing::WriteTempFile("every.svg", "");
  const std::string all_path = (dir / "all" / "runs.csv").string();
  for (const std::string kind : {"residuals", "fit"}) {
    testing::CommandResult result =
        Plot(kind + " '" + all_path + "' --filter source=a --exclude-lines 2-3 --out '" + selected_svg + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    result = Plot(kind + " '" + (dir / "hand" / "runs.csv").string() + "' --out '" + hand_svg + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    result = Plot(kind + " '" + all_path + "' --out '" + every_svg + "'");
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::string selected = testing::ReadWholeFile(selected_svg);
    ASSERT_GT(selected.size(), 1000u);
    EXPECT_EQ(WithoutDescription(selected), WithoutDescription(testing::ReadWholeFile(hand_svg))) << kind;
    EXPECT_NE(WithoutDescription(selected), WithoutDescription(testing::ReadWholeFile(every_svg))) << kind;
  }
  // The other selection options are the shared ones: a bad filter is a usage error, as in `fit`.
  const testing::CommandResult bad = Plot("fit '" + all_path + "' --filter source --out '" + hand_svg + "'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--filter: "), std::string::npos) << bad.err;
  const testing::CommandResult none = Plot("fit '" + all_path + "' --filter source=c --out '" + hand_svg + "'");
  EXPECT_EQ(none.exit_code, 3) << none.err;
  // The roofline reads no runs, so it takes no selection.
  const std::string profile = testing::WriteSmallProfile("selection_profile.json");
  EXPECT_EQ(Plot("roofline --profile '" + profile + "' --filter source=a --out '" + hand_svg + "'").exit_code, 2);
}

TEST(Plot, ReadsRunsWithTheSharedReaderAndItsWarnings) {
  // Parameters in billions and a semicolon-separated file: the scale warning every command prints, and the
  // separator detected.
  std::string text = "N;D;loss\n";
  for (double n : {0.05, 0.1, 0.2, 0.4, 0.8}) {
    for (double d : {2e9, 5e9, 1e10, 3e10}) {
      char row[96];
      std::snprintf(row, sizeof row, "%g;%g;%.6f\n", n, d,
                    1.8 + 400 / std::pow(n * 1e9, 0.34) + 410 / std::pow(d, 0.28));
      text += row;
    }
  }
  const std::string runs = testing::WriteTempFile("billions.csv", text);
  const std::string out = testing::WriteTempFile("billions.svg", "");
  const testing::CommandResult result = Plot("fit '" + runs + "' --out '" + out + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("implausible scale for training runs: N below 1e5 on 20 runs"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("parameters in millions or billions?"), std::string::npos) << result.err;
  // A missing loss: refused, or skipped with --skip-bad-rows and one warning naming the line.
  const std::string gap = testing::WriteTempFile("gap.csv", "N,D,loss\n" + std::string("1e8,2e9,3.1\n2e8,4e9,\n") +
                                                                "4e8,8e9,2.7\n8e8,1.6e10,2.55\n1.6e9,3.2e10,2.45\n"
                                                                "1e8,8e9,3.0\n4e8,2e9,2.9\n2e8,1e9,3.2\n");
  EXPECT_EQ(Plot("fit '" + gap + "' --out '" + out + "'").exit_code, 3);
  const testing::CommandResult skipped = Plot("fit '" + gap + "' --skip-bad-rows --out '" + out + "'");
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_NE(skipped.err.find("skipped 1 row"), std::string::npos) << skipped.err;
}

// The type-7 quantile of `values` at `p`, by sorting: x[lo] + (h - lo) (x[lo + 1] - x[lo]) with h = (n - 1) p.
double SortedQuantileByHand(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const double h = (values.size() - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= values.size()) return values.back();
  return values[lo] + (h - lo) * (values[lo + 1] - values[lo]);
}

// The bands `plot --bootstrap` hands the renderer are the window's (ChartInputs::bootstrap_laws): the refits of the
// bundled runs' fit that BootstrapChinchilla gives with the same seed, and the frontier's N_opt band at a budget is
// the percentile interval of N_opt over those laws.
TEST(PlotBootstrap, FrontierBandIsThePercentileIntervalOfTheRefits) {
  testing::Application();
  BootstrapOptions options;
  options.num_resamples = 40;
  options.seed = 11;
  options.confidence = 0.8;
  gui::PlotRequest request;
  request.kind = "frontier";
  request.bootstrap = options;
  gui::ChartInputs inputs;
  std::string error;
  ASSERT_EQ(gui::MakePlotChartInputs(request, &inputs, &error), gui::kPlotOk) << error;

  // Independently: the fit of the bundled runs and its resamples, through the public bootstrap function.
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions());
  ASSERT_TRUE(fit.search.usable);
  const ChinchillaBootstrap expected = BootstrapChinchilla(runs, fit, options);
  ASSERT_GE(expected.laws.size(), 30u);
  ASSERT_EQ(inputs.bootstrap_laws.size(), expected.laws.size());
  EXPECT_EQ(inputs.band_confidence, 0.8);
  ASSERT_TRUE(inputs.law.has_value());
  EXPECT_EQ(inputs.law->alpha, fit.law.alpha);

  std::unique_ptr<QChart> chart(gui::BuildChart(gui::ChartKind::FRONTIER, inputs));
  const QString label = QStringLiteral("80% interval (%1 bootstrap fits)").arg(expected.laws.size());
  QAreaSeries* band = nullptr;
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == QLatin1String("band") && series->name() == label) {
      band = qobject_cast<QAreaSeries*>(series);
    }
  }
  ASSERT_NE(band, nullptr) << "no band named " << label.toStdString();
  const QList<QPointF> upper = band->upperSeries()->points(), lower = band->lowerSeries()->points();
  ASSERT_EQ(upper.size(), lower.size());
  ASSERT_GT(upper.size(), 10);
  int checked = 0;
  for (int i : {0, static_cast<int>(upper.size()) / 2, static_cast<int>(upper.size()) - 1}) {
    const double compute_flops = upper[i].x();
    ASSERT_EQ(lower[i].x(), compute_flops);
    std::vector<double> n_opt;
    for (const ChinchillaLaw& law : expected.laws) n_opt.push_back(law.ComputeOptimal(compute_flops).num_params);
    const double low = SortedQuantileByHand(n_opt, 0.1), high = SortedQuantileByHand(n_opt, 0.9);
    EXPECT_NEAR(lower[i].y() / low, 1.0, 1e-9) << "at C = " << compute_flops;
    EXPECT_NEAR(upper[i].y() / high, 1.0, 1e-9) << "at C = " << compute_flops;
    EXPECT_LT(low, high) << "at C = " << compute_flops;
    ++checked;
  }
  EXPECT_EQ(checked, 3);

  // The other charts shade what the window shades: L_opt(C) on the fit chart, each IsoFLOP profile.
  auto count_bands = [](QChart* built) {
    int bands = 0, profiles = 0;
    for (QAbstractSeries* series : built->series()) {
      bands += series->objectName() == QLatin1String("band") ? 1 : 0;
      profiles += series->name().startsWith(QLatin1String("C = ")) ? 1 : 0;
    }
    return std::make_pair(bands, profiles);
  };
  std::unique_ptr<QChart> fit_chart(gui::BuildChart(gui::ChartKind::FIT, inputs));
  EXPECT_EQ(count_bands(fit_chart.get()).first, 1);
  std::unique_ptr<QChart> isoflop(gui::BuildChart(gui::ChartKind::ISOFLOP, inputs));
  const auto [isoflop_bands, profiles] = count_bands(isoflop.get());
  EXPECT_GT(profiles, 3);
  EXPECT_EQ(isoflop_bands, profiles);
}

TEST(PlotBootstrap, TheCommandDrawsTheBandsReproducibly) {
  const std::string a = testing::WriteTempFile("bootstrap_a.svg", "");
  const std::string b = testing::WriteTempFile("bootstrap_b.svg", "");
  const std::string other_seed = testing::WriteTempFile("bootstrap_c.svg", "");
  const std::string plain = testing::WriteTempFile("bootstrap_none.svg", "");
  for (const std::string& kind : {std::string("fit"), std::string("isoflop"), std::string("frontier")}) {
    testing::CommandResult result = Plot(kind + " --bootstrap 20 --seed 3 --ci 0.8 --out '" + a + "'");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    result = Plot(kind + " --bootstrap 20 --seed 3 --ci 0.8 --out '" + b + "'");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    result = Plot(kind + " --bootstrap 20 --seed 4 --ci 0.8 --out '" + other_seed + "'");
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    ASSERT_EQ(Plot(kind + " --out '" + plain + "'").exit_code, 0) << kind;
    const std::string text = testing::ReadWholeFile(a);
    EXPECT_EQ(text, testing::ReadWholeFile(b)) << kind << ": the same seed must draw the same file";
    EXPECT_NE(text, testing::ReadWholeFile(other_seed)) << kind << ": another seed, other resamples";
    // The band's legend entry (every resample of the bundled runs converges); none without --bootstrap.
    EXPECT_NE(text.find(">80% interval (20 bootstrap fits)</text>"), std::string::npos) << kind;
    EXPECT_EQ(testing::ReadWholeFile(plain).find("bootstrap fits"), std::string::npos) << kind;
  }
  // The default level is fit's (--ci 0.95).
  ASSERT_EQ(Plot("frontier --bootstrap=20 --out '" + a + "'").exit_code, 0);
  EXPECT_NE(testing::ReadWholeFile(a).find(">95% interval (20 bootstrap fits)</text>"), std::string::npos);
}

TEST(PlotBootstrap, RefusedWhereThereIsNoBand) {
  const std::string out = testing::WriteTempFile("refused.svg", "");
  // Too few resamples: fit's check and message.
  const testing::CommandResult few = Plot("frontier --bootstrap 5 --out '" + out + "'");
  EXPECT_EQ(few.exit_code, 2);
  const testing::CommandResult fit_few = testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit --bootstrap 5");
  EXPECT_EQ(fit_few.exit_code, 2);
  EXPECT_EQ(few.err, "scaleplan plot: error: --bootstrap: must be at least 10: '5'\nTry 'scaleplan plot --help'.\n");
  EXPECT_EQ(fit_few.err, "scaleplan fit: error: --bootstrap: must be at least 10: '5'\nTry 'scaleplan fit --help'.\n");
  EXPECT_EQ(Plot("frontier --bootstrap=0 --out '" + out + "'").exit_code, 2);
  EXPECT_EQ(Plot("frontier --bootstrap 20 --ci 1 --out '" + out + "'").exit_code, 2);
  // --seed and --ci set a bootstrap that is not asked for.
  const testing::CommandResult seed = Plot("frontier --seed 3 --out '" + out + "'");
  EXPECT_EQ(seed.exit_code, 2);
  EXPECT_NE(seed.err.find("--seed and --ci set the bootstrap's bands: give --bootstrap[=N] with them"),
            std::string::npos)
      << seed.err;
  // A chart without a band, or a law that is not fitted to the runs here.
  const testing::CommandResult residuals = Plot("residuals --bootstrap 20 --out '" + out + "'");
  EXPECT_EQ(residuals.exit_code, 2);
  EXPECT_NE(residuals.err.find("--bootstrap: the residuals chart has no interval band"), std::string::npos)
      << residuals.err;
  const testing::CommandResult law = Plot("frontier --law hoffmann --bootstrap 20 --out '" + out + "'");
  EXPECT_EQ(law.exit_code, 2);
  EXPECT_NE(law.err.find("a saved fit (--fit) or a published law (--law) is drawn as it is"), std::string::npos)
      << law.err;
  const std::string kaplan = testing::WriteTempFile("kaplan_fit.json", "");
  ASSERT_EQ(testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit --law kaplan --out '" + kaplan + "'").exit_code,
            0);
  EXPECT_EQ(Plot("residuals --fit '" + kaplan + "' --bootstrap 20 --out '" + out + "'").exit_code, 2);
  EXPECT_EQ(Plot("frontier --fit '" + kaplan + "' --bootstrap 20 --out '" + out + "'").exit_code, 2);
  const std::string profile = testing::WriteSmallProfile("bootstrap_profile.json");
  const testing::CommandResult roofline =
      Plot("roofline --profile '" + profile + "' --bootstrap 20 --out '" + out + "'");
  EXPECT_EQ(roofline.exit_code, 2);
  EXPECT_NE(roofline.err.find("--bootstrap: the roofline chart draws a hardware profile"), std::string::npos)
      << roofline.err;
  EXPECT_TRUE(testing::ReadWholeFile(out).empty());  // nothing was drawn

  // The renderer refuses them too (a caller of RenderPlotToFile other than the command).
  gui::PlotRequest request;
  request.kind = "residuals";
  request.out_path = out;
  request.bootstrap = BootstrapOptions();
  request.bootstrap->num_resamples = 20;
  std::string error;
  EXPECT_EQ(gui::RenderPlotToFile(request, &error), gui::kPlotUsage);
  EXPECT_NE(error.find("the residuals chart has no interval band"), std::string::npos) << error;
  request.kind = "frontier";
  request.law = FindPublishedLaw("hoffmann")->law;
  EXPECT_EQ(gui::RenderPlotToFile(request, &error), gui::kPlotUsage);
  EXPECT_TRUE(testing::ReadWholeFile(out).empty());
}

}  // namespace
}  // namespace scaleplan
