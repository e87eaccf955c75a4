// scaleplan probe: measure FLOP/s and memory bandwidth with the kernels of a TopK sparse-autoencoder training step
// and write a hardware profile (read back by 'plan --profile').
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/hardware_profile.h"
#include "gpu_probe/probe.h"
#include "gpu_probe/report.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

probe::BackendChoice ParseBackend(const std::string& name) {
  if (name == "auto") return probe::BackendChoice::AUTO;
  if (name == "cpu") return probe::BackendChoice::CPU;
  if (name == "cuda") return probe::BackendChoice::CUDA;
  throw UsageError("--backend must be 'auto', 'cpu' or 'cuda', not '" + name + "'");
}

int Probe(const std::vector<std::string>& args) {
  probe::ProbeOptions probe_options;
  std::string backend = "auto";
  std::string format;
  std::string out_path;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("backend", po::value(&backend)->default_value(backend),
       "auto (CUDA when its module loads and finds a device, else CPU), cpu or cuda (an error if unavailable)")
      ("quick", "small shapes, few repeats (under a minute on a 2-core machine)")
      ("full", "the whole sweep: d 768/2304/4096, n 16Ki..256Ki, k 32/64/128, several batch sizes")
      ("threads", CountValue(&probe_options.threads),
       "CPU threads for the kernels and OpenBLAS (0 = every CPU this process may use)")
      ("max-seconds-per-shape", NumberValue<Range::NON_NEGATIVE>(&probe_options.max_seconds_per_shape),
       "time budget per timed shape; larger GEMMs run with a smaller batch, others are skipped (0 = the mode's)")
      ("out,o", po::value(&out_path), "write the profile JSON to this file (read by 'plan --profile')");
  AddFormatOption(&options, &format);
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan probe [--backend auto|cpu|cuda] [--quick|--full] [--threads N] [--out PROFILE.json]",
              options,
              {"scaleplan probe --quick                         # a first look, under a minute",
               "scaleplan probe --out profile.json              # the standard sweep, saved for 'plan --profile'",
               "scaleplan probe --backend cpu --threads 8 --full --format json > cpu.json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (vm.count("quick") && vm.count("full")) throw UsageError("give either --quick or --full, not both");
  if (vm.count("quick")) probe_options.mode = probe::ProbeMode::QUICK;
  if (vm.count("full")) probe_options.mode = probe::ProbeMode::FULL;
  probe_options.backend = ParseBackend(backend);
  std::string why;
  if (!probe_options.Check(&why)) throw UsageError(why);

  probe::ProbeReport report;
  try {
    ProgressBar bar("probing");
    report = probe::RunProbe(probe_options, [&bar](double fraction, const std::string&) {
      bar.Update(static_cast<int>(fraction * 1000.0), 1000);
    });
  } catch (const probe::BackendUnavailableError& error) {
    std::cerr << "scaleplan probe: error: --backend cuda: " << error.what() << '\n';
    return kExitUsage;
  }
  const std::string json = HardwareProfileToJson(report.profile);
  if (!out_path.empty()) WriteFileAtomically(out_path, json);
  if (output == OutputFormat::JSON) {
    for (const std::string& note : report.notes) std::cerr << "scaleplan probe: note: " << note << '\n';
    std::cout << json;
  } else {
    std::cout << probe::FormatProbeTable(report.profile, report.notes);
    if (!out_path.empty()) std::cout << "\nprofile written to " << out_path << '\n';
  }
  return kExitOk;
}

}  // namespace

int RunProbe(const std::vector<std::string>& args) { return RunGuarded("probe", [&] { return Probe(args); }); }

}  // namespace scaleplan::cli
