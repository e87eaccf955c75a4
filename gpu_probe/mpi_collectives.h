// The interconnect probe's runner ('scaleplan probe --collectives'), in its own library (scaleplan_probe_mpi, built
// only when MPI was found: SCALEPLAN_HAS_MPI) so that MPI is linked by the scaleplan binary alone and no other
// library or test carries it. Ranks come from the launcher (mpirun -np N, srun); they are grouped by host
// (MPI_COMM_TYPE_SHARED): intra_node runs on the ranks of each host, inter_node on one rank per host (when the job
// spans hosts). The collectives run on MPI (CPU buffers) or NCCL (one rank per GPU, the run-time module of
// nccl_backend.h, its unique ids and the timings exchanged with MPI). Every collective is checked against its
// expected values at every size before it is timed.
#ifndef SCALEPLAN_GPU_PROBE_MPI_COLLECTIVES_H_
#define SCALEPLAN_GPU_PROBE_MPI_COLLECTIVES_H_

#include <stdexcept>
#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "gpu_probe/collectives.h"

namespace scaleplan::probe {

// Not started by an MPI launcher, or a single rank: nothing to measure. what() says how to start it.
class NothingToMeasureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A collective returned a wrong result, or the ranks disagree on what to measure; thrown on every rank after rank 0
// has printed it to stderr (reports() is true there only).
class CollectiveCheckError : public std::runtime_error {
 public:
  CollectiveCheckError(const std::string& what, bool reports) : std::runtime_error(what), reports_(reports) {}
  bool reports() const { return reports_; }

 private:
  bool reports_;
};

// --backend cuda was asked for and NCCL cannot run on some rank (compiled out, module or libnccl missing, no driver,
// no device, more ranks than GPUs on a host); thrown on every rank after rank 0 has printed it (reports()).
class CollectiveBackendUnavailableError : public std::runtime_error {
 public:
  CollectiveBackendUnavailableError(const std::string& what, bool reports)
      : std::runtime_error(what), reports_(reports) {}
  bool reports() const { return reports_; }

 private:
  bool reports_;
};

// The options were refused on some rank (RefuseCollectiveProbe); thrown on every rank after rank 0 has printed the
// first refusing rank's message as the command line prints a usage error (reports() is true there only).
class CollectiveUsageError : public std::runtime_error {
 public:
  CollectiveUsageError(const std::string& what, bool reports) : std::runtime_error(what), reports_(reports) {}
  bool reports() const { return reports_; }

 private:
  bool reports_;
};

// The exit status of a rank whose collective did not complete within the timeout (the job then ends).
inline constexpr int kCollectiveTimeoutExit = 6;

struct CollectiveProbeResult {
  bool is_root = false;              // rank 0 of the job: the only one that reports and writes
  InterconnectProfile interconnect;  // complete on rank 0
  std::string device;                // NCCL: rank 0's GPU; empty for MPI
  std::vector<std::string> notes;
};

// Whether the environment shows an MPI launcher (mpirun, srun) started this process.
bool StartedByMpiLauncher();

// Initialises MPI (unless the caller did, who then finalises it), measures, finalises MPI. Throws
// NothingToMeasureError before initialising MPI when no launcher started the process, and after it (on every rank)
// when the job has a single rank; CollectiveBackendUnavailableError and CollectiveCheckError as above (a failed NCCL
// or CUDA call is a CollectiveCheckError). First of all the ranks agree that each accepted its options: where one
// refused them (RefuseCollectiveProbe), CollectiveUsageError on every rank.
CollectiveProbeResult RunCollectiveProbe(const CollectiveProbeOptions& options);

// The run of a rank, started by a launcher, whose command line was refused (`usage_error`: the one-line message, e.g.
// "--collective-timeout: must be positive: '0'"): initialises MPI and meets the other ranks where RunCollectiveProbe
// agrees on the options; rank 0 prints the first refusing rank's message as the command line prints a usage error
// ("scaleplan probe: error: MESSAGE" and the --help hint, once for the job), and every rank throws
// CollectiveUsageError, finalising MPI on the way out (never MPI_Abort), so that each leaves with the usage code.
[[noreturn]] void RefuseCollectiveProbe(const std::string& usage_error);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_MPI_COLLECTIVES_H_
