// scaleplan probe: measure FLOP/s and memory bandwidth with the kernels of a TopK sparse-autoencoder training step
// and write a hardware profile (read back by 'plan --profile').
#include <algorithm>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "core/hardware_profile.h"
#include "gpu_probe/collectives.h"
#include "gpu_probe/host_info.h"
#include "gpu_probe/probe.h"
#include "gpu_probe/report.h"
#if SCALEPLAN_HAS_MPI
#include "gpu_probe/mpi_collectives.h"
#endif

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

probe::BackendChoice ParseBackend(const std::string& name) {
  if (name == "auto") return probe::BackendChoice::AUTO;
  if (name == "cpu") return probe::BackendChoice::CPU;
  if (name == "cuda") return probe::BackendChoice::CUDA;
  throw UsageError("--backend must be 'auto', 'cpu' or 'cuda', not '" + name + "'");
}

// probe --collectives: every rank of the job runs this; rank 0 alone prints and writes.
int ProbeCollectives(const probe::CollectiveProbeOptions& options, OutputFormat output, const std::string& out_path) {
#if SCALEPLAN_HAS_MPI
  static_assert(probe::kCollectiveTimeoutExit == kExitCollectiveFailed);
  probe::CollectiveProbeResult result;
  try {
    result = probe::RunCollectiveProbe(options);
  } catch (const probe::NothingToMeasureError& error) {
    std::cerr << "scaleplan probe: error: --collectives: " << error.what() << '\n';
    return kExitUsage;
  } catch (const probe::CollectiveBackendUnavailableError&) {
    return kExitUsage;  // already said by rank 0, before MPI_Finalize
  } catch (const probe::CollectiveCheckError&) {
    return kExitCollectiveFailed;  // already said by rank 0, before MPI_Finalize
  } catch (const probe::CollectiveUsageError&) {
    return kExitUsage;  // another rank refused its options: said by rank 0, before MPI_Finalize
  }
  if (!result.is_root) return kExitOk;
  HardwareProfile profile;
  const bool nccl = result.interconnect.backend == "nccl";
  profile.backend = nccl ? "cuda" : "cpu";
  profile.host = probe::CollectHostInfo(1);
  profile.device = nccl ? result.device : profile.host.cpu_model;
  profile.interconnect = result.interconnect;
  const std::string json = HardwareProfileToJson(profile);
  if (!out_path.empty()) WriteFileAtomically(out_path, json);
  for (const std::string& note : result.notes) std::cerr << "scaleplan probe: note: " << note << '\n';
  // A model that misses its measurements (FitCollectiveModel's warnings, also in the profile): one line per model.
  bool warned = false;
  for (const CollectiveModel& model : result.interconnect.models) {
    if (model.warnings.empty()) continue;
    std::string joined;
    for (const std::string& warning : model.warnings) joined += (joined.empty() ? "" : "; ") + warning;
    std::cerr << "scaleplan probe: warning: " << model.name << " (" << model.scope << ", " << model.ranks
              << " ranks): " << joined << '\n';
    warned = true;
  }
  if (warned) {
    std::cerr << "scaleplan probe: warning: such a model comes from disturbed timings (other work on the machine): "
                 "rerun the probe on an idle machine before planning with it (gpu_probe/README.md)\n";
  }
  if (output == OutputFormat::JSON) {
    std::cout << json;
  } else {
    std::cout << probe::FormatCollectivesTable(result.interconnect);
    if (!out_path.empty()) std::cout << "\nprofile written to " << out_path << '\n';
  }
  return kExitOk;
#else
  (void)options;
  (void)output;
  (void)out_path;
  std::cerr << "scaleplan probe: error: --collectives: this scaleplan was built without MPI (install "
               "libopenmpi-dev, scripts/install_deps.sh, and reconfigure)\n";
  return kExitUsage;
#endif
}

// Reads the options and probes. *collectives_started: set once the options are read and --collectives begins.
int ParseAndProbe(const std::vector<std::string>& args, bool* collectives_started) {
  probe::ProbeOptions probe_options;
  probe::CollectiveProbeOptions collective_options;
  std::string backend = "auto";
  std::string format;
  std::string out_path;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("backend", po::value(&backend)->default_value(backend),
       "auto (CUDA when its module loads and finds a device, else CPU), cpu or cuda (an error if unavailable); "
       "with --collectives: cuda is NCCL, one rank per GPU, cpu is MPI, auto NCCL when every rank has a GPU")
      ("quick", "small shapes, few repeats (under a minute on a 2-core machine)")
      ("full", "the whole sweep: d 768/2304/4096, n 16Ki..256Ki, k 32/64/128, several batch sizes")
      ("threads", CountValue(&probe_options.threads),
       "CPU threads for the kernels and OpenBLAS (0 = every CPU this process may use)")
      ("max-seconds-per-shape", NumberValue<Range::NON_NEGATIVE>(&probe_options.max_seconds_per_shape),
       "time budget per timed shape; larger GEMMs run with a smaller batch, others are skipped (0 = the mode's)")
      ("collectives", "measure the interconnect instead: all-reduce, all-gather, reduce-scatter, all-to-all and "
                      "send/recv over MPI or NCCL, 1 KiB..1 GiB (--quick: 4 sizes up to 16 MiB); start with mpirun "
                      "or srun")
      ("collective-timeout", NumberValue<Range::POSITIVE>(&collective_options.timeout_seconds),
       "--collectives: seconds each collective may take at one size before the job is ended (exit 6)")
      ("out,o", po::value(&out_path), "write the profile JSON to this file (read by 'plan --profile')");
  AddFormatOption(&options, &format);
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan probe [--backend auto|cpu|cuda] [--quick|--full] [--threads N] [--out PROFILE.json]", options,
              {"scaleplan probe --quick                         # a first look, under a minute",
               "scaleplan probe --out profile.json              # the standard sweep, saved for 'plan --profile'",
               "scaleplan probe --backend cpu --threads 8 --full --format json > cpu.json",
               "mpirun -np 8 scaleplan probe --collectives --out cluster.json  # the interconnect",
               "mpirun -np 8 scaleplan probe --collectives --backend cuda     # NCCL, one rank per GPU"},
              "6 --collectives: a wrong result, ranks that disagree, or a collective past its timeout");
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (vm.count("quick") && vm.count("full")) throw UsageError("give either --quick or --full, not both");
  if (vm.count("quick")) probe_options.mode = probe::ProbeMode::QUICK;
  if (vm.count("full")) probe_options.mode = probe::ProbeMode::FULL;
  if (vm.count("collectives")) {
    if (vm.count("full")) throw UsageError("--collectives takes --quick or nothing, not --full");
    collective_options.quick = vm.count("quick") > 0;
    switch (ParseBackend(backend)) {
      case probe::BackendChoice::AUTO: collective_options.backend = probe::CollectiveBackend::AUTO; break;
      case probe::BackendChoice::CPU: collective_options.backend = probe::CollectiveBackend::MPI; break;
      case probe::BackendChoice::CUDA: collective_options.backend = probe::CollectiveBackend::NCCL; break;
    }
    std::string why;
    if (!collective_options.Check(&why)) throw UsageError(why);
    *collectives_started = true;
    return ProbeCollectives(collective_options, output, out_path);
  }
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

// `probe --collectives` runs on every rank of the job: a usage error, the same on every rank, is said once (by rank
// 0) and every rank leaves through MPI_Finalize with the usage code, instead of each rank printing it and the launcher
// aborting the job (RefuseCollectiveProbe; the ranks whose options were accepted meet it in RunCollectiveProbe).
int Probe(const std::vector<std::string>& args) {
  bool collectives_started = false;
  // Whether a usage error (UsageError, or Boost's for an option value) is left to RunGuarded, which prints it.
  const auto on_every_rank = [&] {
#if SCALEPLAN_HAS_MPI
    return !collectives_started && std::find(args.begin(), args.end(), "--collectives") != args.end() &&
           probe::StartedByMpiLauncher();
#else
    return false;
#endif
  };
  std::string refused;
  try {
    return ParseAndProbe(args, &collectives_started);
  } catch (const UsageError& error) {
    if (!on_every_rank()) throw;
    refused = error.what();
  } catch (const po::error& error) {
    if (!on_every_rank()) throw;
    refused = error.what();
  }
#if SCALEPLAN_HAS_MPI
  try {
    probe::RefuseCollectiveProbe(refused);
  } catch (const probe::CollectiveUsageError&) {
    // Said by rank 0 before MPI_Finalize; every rank leaves with the usage code.
  }
#endif
  return kExitUsage;
}

}  // namespace

int RunProbe(const std::vector<std::string>& args) { return RunGuarded("probe", [&] { return Probe(args); }); }

}  // namespace scaleplan::cli
