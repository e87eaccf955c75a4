// Speed of `scaleplan sweep` writing plan rows to a file on one core, against a reference in the same run.
//
// Measured: the sweep command itself, in-process (RunSweep), on a grid of 401 budgets x 2 inference demands x
// 2 unique-token limits x 9 accelerators x 10 device counts x 7 MFUs = 1,010,520 rows, written as CSV. It solves
// each (budget, demand, limit) allocation once and formats numbers with std::to_chars.
// Reference: the same rows from the same library calls (allocation solved once per triple as well), each row
// formatted with snprintf("%.17g") and written through an std::ofstream: the straightforward way to write them.
// Both files are read back and compared number for number. The process is pinned to one CPU.
//
// Also measured, without a reference (once each, after the comparison):
//   the same grid with interval columns, from a saved fit of the bundled runs with 100 resampled laws: the interval
//   work is one plan per resampled law per (budget, demand, limit) point, shared by the point's 630 device rows;
//   a dictionary sweep (--dictionary), one PlanDictionary per row.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cli/commands.h"
#include "cli/plan_support.h"
#include "core/bundled_data.h"
#include "core/data_constrained.h"
#include "core/inference_allocation.h"
#include "core/training_plan.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan {
namespace {

constexpr int kBudgets = 401;
const std::vector<double> kInference = {0.0, 1e12};
const std::vector<double> kUnique = {0.0, 100e9};
const std::vector<std::int64_t> kCounts = {0, 1, 8, 64, 256, 1024, 4096, 16384, 65536, 262144};
const std::vector<double> kMfus = {0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string Text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// The budgets as text, so that both sides parse the very same doubles.
std::vector<std::string> BudgetTexts() {
  std::vector<std::string> texts;
  for (int i = 0; i < kBudgets; ++i) texts.push_back(Text(std::pow(10.0, 20.0 + 6.0 * i / (kBudgets - 1))));
  return texts;
}

// The grid's arguments with the law given by `law_args` (--law epoch, or --fit FILE).
std::vector<std::string> SweepArgs(const std::string& out_path,
                                   const std::vector<std::string>& law_args = {"--law", "epoch"}) {
  std::vector<std::string> counts, mfus, inference, unique;
  for (auto c : kCounts) counts.push_back(std::to_string(c));
  for (double m : kMfus) mfus.push_back(Text(m));
  for (double t : kInference) inference.push_back(Text(t));
  for (double u : kUnique) unique.push_back(Text(u));
  std::vector<std::string> args = law_args;
  for (const std::string& arg :
       {std::string("--compute"), Join(BudgetTexts()), std::string("--accelerator"),
        Join(BundledHardwareCatalogue().Names()), std::string("--count"), Join(counts), std::string("--mfu"),
        Join(mfus), std::string("--inference-tokens"), Join(inference), std::string("--unique-tokens"), Join(unique),
        std::string("--out"), out_path}) {
    args.push_back(arg);
  }
  return args;
}

std::uint64_t NumPoints() { return static_cast<std::uint64_t>(kBudgets) * kInference.size() * kUnique.size(); }

std::uint64_t NumRows() {
  return static_cast<std::uint64_t>(kBudgets) * kInference.size() * kUnique.size() *
         BundledHardwareCatalogue().accelerators().size() * kCounts.size() * kMfus.size();
}

void RunMeasured(const std::string& path) {
  const int code = cli::RunSweep(SweepArgs(path));
  if (code != 0) std::fprintf(stderr, "sweep failed with exit code %d\n", code);
}

constexpr int kIntervalLaws = 100;

// A fit of the bundled runs saved with kIntervalLaws resampled laws, as `fit --bootstrap 100 --out` writes it.
void WriteBootstrapFit(const std::string& path) {
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  BootstrapOptions options;
  options.num_resamples = kIntervalLaws;
  const ChinchillaBootstrap bootstrap = BootstrapChinchilla(runs, fit, options);
  std::ofstream(path, std::ios::binary) << FitToJson(fit, runs, &bootstrap).dump(2) << '\n';
}

void RunWithIntervals(const std::string& fit_path, const std::string& path) {
  const int code = cli::RunSweep(SweepArgs(path, {"--fit", fit_path}));
  if (code != 0) std::fprintf(stderr, "sweep with intervals failed with exit code %d\n", code);
}

// 2 widths x 41 budgets x 2 k x the catalogue's devices with a bf16 peak x 4 counts.
std::uint64_t RunDictionarySweep(const std::string& path) {
  std::vector<std::string> names;
  for (const Accelerator& accelerator : BundledHardwareCatalogue().accelerators()) {
    if (accelerator.DenseFlopsPerSecond(NumericType::BF16) > 0.0) names.push_back(accelerator.name);
  }
  const int code = cli::RunSweep({"--dictionary", "--d-model", "4096,16384", "--compute", "1e18:1e24:41", "--k",
                                  "0,64", "--accelerator", Join(names), "--count", "0,8,64,512", "--out", path});
  if (code != 0) std::fprintf(stderr, "dictionary sweep failed with exit code %d\n", code);
  return 2 * 41 * 2 * names.size() * 4;
}

// The reference: the same library calls, formatted with snprintf and written through an ofstream.
void RunReference(const std::string& path) {
  DataConstrainedLaw law;
  law.base = FindPublishedLaw("epoch")->law;
  const double usable_fraction = TrainingPlanOptions{}.usable_memory_fraction;
  const std::vector<Accelerator>& accelerators = BundledHardwareCatalogue().accelerators();
  std::ofstream out(path, std::ios::binary);
  out << "compute_flops,inference_tokens,unique_tokens,num_params,num_tokens,tokens_per_param,loss,epochs,"
         "chinchilla_num_params,training_flops,inference_flops,total_flops,accelerator,num_accelerators,mfu,"
         "min_devices_for_memory,days,gpu_hours,cost_usd,feasible\n";
  char line[1024];
  for (const std::string& budget_text : BudgetTexts()) {
    const double compute = std::strtod(budget_text.c_str(), nullptr);
    for (double inference : kInference) {
      for (double unique : kUnique) {
        Allocation allocation;
        double chinchilla = 0.0, inference_flops = 0.0;
        if (inference > 0.0) {
          InferenceCostOptions options;
          options.inference_tokens = inference;
          const InferenceAwarePlan plan = PlanInferenceAwareForCompute(law, unique, compute, options);
          allocation = plan.allocation;
          chinchilla = plan.chinchilla.num_params;
          inference_flops = plan.cost.inference_flops;
        } else {
          allocation = PlanDataConstrained(law, compute, unique).allocation;
          chinchilla = allocation.num_params;
        }
        const std::string epochs = unique > 0.0 ? Text(allocation.num_tokens / unique) : "";
        for (const Accelerator& accelerator : accelerators) {
          const ModelMemory memory =
              EstimateModelMemory(allocation.num_params, &accelerator, RecomputeChoice::AUTO, usable_fraction);
          for (std::int64_t count : kCounts) {
            for (double mfu : kMfus) {
              TrainingPlanOptions options;
              options.num_accelerators = count;
              options.mfu = mfu;
              const DeviceTime time = TimeOnDevices(allocation.compute_flops, memory, accelerator, options);
              const bool timed = time.days > 0.0;
              std::snprintf(line, sizeof line,
                            "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%s,%.17g,%.17g,%.17g,%.17g,%s,%lld,%.17g,%lld,"
                            "%s,%s,%s,%s\n",
                            compute, inference, unique, allocation.num_params, allocation.num_tokens,
                            allocation.tokens_per_param, allocation.loss_nats, epochs.c_str(), chinchilla,
                            allocation.compute_flops, inference_flops, allocation.compute_flops + inference_flops,
                            accelerator.name.c_str(), static_cast<long long>(time.num_accelerators), mfu,
                            static_cast<long long>(memory.min_devices_for_memory),
                            timed ? Text(time.days).c_str() : "", timed ? Text(time.device_hours).c_str() : "",
                            timed ? Text(time.cost_usd).c_str() : "", time.feasible ? "true" : "false");
              out << line;
            }
          }
        }
      }
    }
  }
}

// Reads both files and compares them cell by cell (numbers as doubles). Returns the number of rows compared, or -1.
long long CompareFiles(const std::string& a, const std::string& b) {
  std::ifstream in_a(a), in_b(b);
  std::string line_a, line_b;
  long long rows = -1;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(in_a, line_a));
    const bool more_b = static_cast<bool>(std::getline(in_b, line_b));
    if (more_a != more_b) return -1;
    if (!more_a) return rows;
    std::stringstream cells_a(line_a), cells_b(line_b);
    std::string cell_a, cell_b;
    while (std::getline(cells_a, cell_a, ',')) {
      if (!std::getline(cells_b, cell_b, ',')) return -1;
      char* end_a = nullptr;
      char* end_b = nullptr;
      const double x = std::strtod(cell_a.c_str(), &end_a);
      const double y = std::strtod(cell_b.c_str(), &end_b);
      const bool numbers = !cell_a.empty() && *end_a == '\0' && !cell_b.empty() && *end_b == '\0';
      if (numbers ? x != y : cell_a != cell_b) {
        std::fprintf(stderr, "row %lld differs: '%s' vs '%s'\n", rows + 1, cell_a.c_str(), cell_b.c_str());
        return -1;
      }
    }
    ++rows;
  }
}

std::string BenchPath(const char* name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "scaleplan_sweep_bench";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void BM_SweepToFile(benchmark::State& state) {
  const std::string path = BenchPath("measured.csv");
  for (auto _ : state) RunMeasured(path);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(NumRows()));
}
BENCHMARK(BM_SweepToFile)->Unit(benchmark::kMillisecond)->Iterations(2);

void BM_ReferenceToFile(benchmark::State& state) {
  const std::string path = BenchPath("reference.csv");
  for (auto _ : state) RunReference(path);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(NumRows()));
}
BENCHMARK(BM_ReferenceToFile)->Unit(benchmark::kMillisecond)->Iterations(2);

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

struct Timing {
  double wall_s = 0.0;  // median wall-clock seconds
  double cpu_s = 0.0;   // median CPU seconds of this process (user + system): what one core spent
};

template <class F>
Timing Median(int repeats, F&& body) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    const double cpu_start = ProcessCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    body();
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu.push_back(ProcessCpuSeconds() - cpu_start);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace
}  // namespace scaleplan

int main(int argc, char** argv) {
  using namespace scaleplan;
  // One core: pin the process to the first CPU it may run on.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &allowed)) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
        break;
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  const std::string measured = BenchPath("measured.csv");
  const std::string reference = BenchPath("reference.csv");
  const double rows = static_cast<double>(NumRows());
  const Timing measured_time = Median(5, [&] { RunMeasured(measured); });
  const Timing reference_time = Median(3, [&] { RunReference(reference); });
  const long long compared = CompareFiles(measured, reference);
  const double bytes = static_cast<double>(std::filesystem::file_size(measured));

  std::printf("\nrows per run: %.0f (%.1f MB of CSV), one core; medians (wall-clock includes the final fsync)\n",
              rows, bytes / 1e6);
  std::printf("scaleplan sweep (to_chars, streamed)    wall %7.3f s %6.2f M rows/s   cpu %7.3f s %6.2f M rows/s\n",
              measured_time.wall_s, rows / measured_time.wall_s / 1e6, measured_time.cpu_s,
              rows / measured_time.cpu_s / 1e6);
  std::printf("reference (snprintf %%.17g + ofstream)   wall %7.3f s %6.2f M rows/s   cpu %7.3f s %6.2f M rows/s\n",
              reference_time.wall_s, rows / reference_time.wall_s / 1e6, reference_time.cpu_s,
              rows / reference_time.cpu_s / 1e6);
  std::printf("ratio reference / sweep: wall %.2fx, cpu %.2fx\n", reference_time.wall_s / measured_time.wall_s,
              reference_time.cpu_s / measured_time.cpu_s);
  std::printf("same numbers in every cell: %s (%lld rows)\n", compared == static_cast<long long>(rows) ? "yes" : "NO",
              compared);
  std::filesystem::remove(measured);
  std::filesystem::remove(reference);
  std::printf("at least 1M rows/s: wall %s, cpu %s\n", rows / measured_time.wall_s >= 1e6 ? "yes" : "NO",
              rows / measured_time.cpu_s >= 1e6 ? "yes" : "NO");

  // The same grid with interval columns, and a dictionary sweep: one run each.
  const std::string fit = BenchPath("bootstrap_fit.json");
  WriteBootstrapFit(fit);
  const Timing interval_time = Median(1, [&] { RunWithIntervals(fit, measured); });
  const double interval_bytes = static_cast<double>(std::filesystem::file_size(measured));
  std::filesystem::remove(measured);
  const double points = static_cast<double>(NumPoints());
  std::printf("\nwith interval columns (%d resampled laws, %.0f points, %.1f MB of CSV)\n", kIntervalLaws, points,
              interval_bytes / 1e6);
  std::printf("scaleplan sweep --fit (bootstrap)       wall %7.3f s %6.2f M rows/s   cpu %7.3f s %6.2f M rows/s\n",
              interval_time.wall_s, rows / interval_time.wall_s / 1e6, interval_time.cpu_s,
              rows / interval_time.cpu_s / 1e6);
  std::printf("interval work (cpu beyond the plain sweep's): %.2f ms per point, %.1f us per resampled plan\n",
              1e3 * (interval_time.cpu_s - measured_time.cpu_s) / points,
              1e6 * (interval_time.cpu_s - measured_time.cpu_s) / (points * kIntervalLaws));
  std::uint64_t dictionary_rows = 0;
  const Timing dictionary_time = Median(1, [&] { dictionary_rows = RunDictionarySweep(measured); });
  std::filesystem::remove(measured);
  std::filesystem::remove(fit);
  std::printf("scaleplan sweep --dictionary            wall %7.3f s %6.0f rows/s     cpu %7.3f s %6.0f rows/s "
              "(%llu rows)\n",
              dictionary_time.wall_s, static_cast<double>(dictionary_rows) / dictionary_time.wall_s,
              dictionary_time.cpu_s, static_cast<double>(dictionary_rows) / dictionary_time.cpu_s,
              static_cast<unsigned long long>(dictionary_rows));
  return compared == static_cast<long long>(rows) ? 0 : 1;
}
