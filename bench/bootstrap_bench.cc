// Speed of `scaleplan fit --bootstrap=4000` on the bundled runs, as a whole process, against references in the
// same run:
//   1. the SciPy reference (bench/reference/chinchilla_reference.py bootstrap): BFGS, one start per resample, when
//      python3 with NumPy and SciPy is installed (its own timer excludes interpreter start-up);
//   2. in-process, the same bootstrap with a single start per resample (the full-data optimum), which shows what the
//      multi-start costs.
// Prints medians and ratios, and the 95% intervals of E, alpha and beta next to Besiroglu et al.'s.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench_util.h"
#include "core/bundled_data.h"
#include "fitting/chinchilla_fit.h"

int main(int argc, char** argv) {
  using namespace scaleplan;
  using bench::Capture;
  using bench::MedianSeconds;
  const int resamples = argc > 1 ? std::atoi(argv[1]) : 4000;
  const std::string binary = SCALEPLAN_BINARY;
  const std::string source_dir = SCALEPLAN_SOURCE_DIR;

  std::string json_text;
  const double process_s = MedianSeconds(5, [&] {
    json_text = Capture(binary + " fit --format json --bootstrap=" + std::to_string(resamples));
  });
  const auto json = nlohmann::json::parse(json_text, nullptr, false);

  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  BootstrapOptions single;
  single.num_resamples = resamples;
  single.num_candidates = 1;
  single.num_refits = 1;
  const double single_s = MedianSeconds(3, [&] { BootstrapChinchilla(runs, fit, single); });

  const double scipy_s = bench::PythonReferenceSeconds(
      source_dir, "bootstrap " + source_dir + "/data/chinchilla_runs.csv " + std::to_string(resamples));

  std::printf("resamples: %d\n", resamples);
  std::printf("scaleplan fit --bootstrap (whole process, multi-start)   median %7.3f s\n", process_s);
  std::printf("in-process bootstrap, one start per resample             median %7.3f s\n", single_s);
  if (scipy_s > 0) {
    std::printf("SciPy BFGS, one start per resample (reference)                  %7.3f s\n", scipy_s);
    std::printf("ratio SciPy / scaleplan whole process: %.1fx\n", scipy_s / process_s);
  } else {
    std::printf("SciPy reference not run (python3 with scipy not installed)\n");
  }
  std::printf("cost of the multi-start: %.2fx the single-start bootstrap\n", process_s / single_s);
  if (json.is_object() && json.contains("intervals")) {
    const auto& in = json["intervals"];
    std::printf("95%% intervals: E [%.3f, %.3f] (published 1.769-1.871), alpha [%.3f, %.3f] (0.317-0.373), "
                "beta [%.3f, %.3f] (0.331-0.415)\n",
                in["E"][0].get<double>(), in["E"][1].get<double>(), in["alpha"][0].get<double>(),
                in["alpha"][1].get<double>(), in["beta"][0].get<double>(), in["beta"][1].get<double>());
    return 0;
  }
  std::printf("the scaleplan run failed\n");
  return 1;
}
