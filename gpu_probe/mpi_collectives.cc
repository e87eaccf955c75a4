#include "gpu_probe/mpi_collectives.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "gpu_probe/host_info.h"

namespace scaleplan::probe {
namespace {

// Ends the process (and so the job: the launcher stops the other ranks) when a collective runs past its deadline.
// It never calls MPI: only the main thread does.
class Watchdog {
 public:
  explicit Watchdog(int rank) : rank_(rank), thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Arm(double seconds, std::string what) {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    what_ = std::move(what);
    seconds_ = seconds;
    armed_ = true;
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (armed_ && Clock::now() > deadline_) {
        std::fprintf(stderr,
                     "scaleplan probe: error: rank %d: %s did not complete within %g s (a rank stopped or the "
                     "network hangs); ending the job, no profile written\n",
                     rank_, what_.c_str(), seconds_);
        std::fflush(stderr);
        _exit(kCollectiveTimeoutExit);
      }
      wake_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  const int rank_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool armed_ = false;
  Clock::time_point deadline_{};
  double seconds_ = 0.0;
  std::string what_;
  std::thread thread_;  // last: starts once the members above exist
};

// MPI_Init ... MPI_Finalize, on every path out; a caller that initialised MPI itself (the benchmark) keeps it.
class MpiSession {
 public:
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    owner_ = initialized == 0;
    if (owner_) MPI_Init(nullptr, nullptr);
  }
  ~MpiSession() {
    if (owner_) MPI_Finalize();
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool owner_ = false;
};

// Test hooks, each naming a collective: SCALEPLAN_COLLECTIVES_CORRUPT corrupts its first received element on the
// last rank before the check (the suite sees a wrong result refused); SCALEPLAN_COLLECTIVES_STALL makes the last
// rank stop before calling it (the suite sees the timeout end the job instead of a hang).
bool HookFor(const char* variable, Collective collective) {
  const char* name = std::getenv(variable);
  return name != nullptr && std::string(name) == CollectiveName(collective);
}

struct Buffers {
  std::vector<float> send;
  std::vector<float> recv;
  int count = 0;  // elements per block: the array (all-reduce, send/recv) or one rank's block
};

// Sizes the buffers for `bytes` (already rounded) and fills the send buffer with the rank's pattern.
Buffers Prepare(Collective collective, std::int64_t bytes, int rank, int ranks) {
  Buffers buffers;
  const std::int64_t elements = bytes / 4;
  const std::int64_t block = elements / ranks;
  std::int64_t send = elements, recv = elements;
  switch (collective) {
    case Collective::ALL_REDUCE:
    case Collective::SEND_RECV:
      buffers.count = static_cast<int>(elements);
      break;
    case Collective::ALL_GATHER:
      buffers.count = static_cast<int>(block);
      send = block;
      break;
    case Collective::REDUCE_SCATTER:
      buffers.count = static_cast<int>(block);
      recv = block;
      break;
    case Collective::ALL_TO_ALL:
      buffers.count = static_cast<int>(block);
      break;
  }
  buffers.send.resize(static_cast<std::size_t>(send));
  buffers.recv.assign(static_cast<std::size_t>(recv), -1.0f);
  for (std::int64_t i = 0; i < send; ++i) {
    // Small integers: every sum below is exact in float. All-to-all tags each block with (source, destination).
    buffers.send[static_cast<std::size_t>(i)] =
        collective == Collective::ALL_TO_ALL ? static_cast<float>(rank * ranks + i / block)
                                             : static_cast<float>(rank + 1 + i % 7);
  }
  return buffers;
}

void Call(Collective collective, MPI_Comm comm, int rank, int ranks, Buffers* b) {
  switch (collective) {
    case Collective::ALL_REDUCE:
      MPI_Allreduce(b->send.data(), b->recv.data(), b->count, MPI_FLOAT, MPI_SUM, comm);
      return;
    case Collective::ALL_GATHER:
      MPI_Allgather(b->send.data(), b->count, MPI_FLOAT, b->recv.data(), b->count, MPI_FLOAT, comm);
      return;
    case Collective::REDUCE_SCATTER:
      MPI_Reduce_scatter_block(b->send.data(), b->recv.data(), b->count, MPI_FLOAT, MPI_SUM, comm);
      return;
    case Collective::ALL_TO_ALL:
      MPI_Alltoall(b->send.data(), b->count, MPI_FLOAT, b->recv.data(), b->count, MPI_FLOAT, comm);
      return;
    case Collective::SEND_RECV:
      MPI_Sendrecv(b->send.data(), b->count, MPI_FLOAT, (rank + 1) % ranks, 0, b->recv.data(), b->count, MPI_FLOAT,
                   (rank + ranks - 1) % ranks, 0, comm, MPI_STATUS_IGNORE);
      return;
  }
}

// Thrown on every rank; printed by rank 0 of the job here, before MPI_Finalize, which no rank leaves before all
// have reached it: printed after it, the line could be lost to the launcher stopping the job.
[[noreturn]] void FailCheck(const std::string& what) {
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  if (world_rank == 0) {
    std::fprintf(stderr, "scaleplan probe: error: --collectives: %s (no profile written)\n", what.c_str());
    std::fflush(stderr);
  }
  throw CollectiveCheckError(what, world_rank == 0);
}

// The value element i of the received buffer must hold.
float Expected(Collective collective, std::int64_t i, int rank, int ranks, int count) {
  const float n = static_cast<float>(ranks);
  switch (collective) {
    case Collective::ALL_REDUCE:
      return n * (n + 1.0f) / 2.0f + n * static_cast<float>(i % 7);
    case Collective::ALL_GATHER:
      return static_cast<float>(i / count + 1 + (i % count) % 7);
    case Collective::REDUCE_SCATTER:
      return n * (n + 1.0f) / 2.0f + n * static_cast<float>((static_cast<std::int64_t>(rank) * count + i) % 7);
    case Collective::ALL_TO_ALL:
      return static_cast<float>((i / count) * ranks + rank);
    case Collective::SEND_RECV:
      return static_cast<float>((rank + ranks - 1) % ranks + 1 + i % 7);
  }
  return 0.0f;
}

// "" when the received buffer holds what it must, else the first difference.
std::string CheckResult(Collective collective, const Buffers& b, int rank, int ranks) {
  for (std::size_t i = 0; i < b.recv.size(); ++i) {
    const float expected = Expected(collective, static_cast<std::int64_t>(i), rank, ranks, b.count);
    if (b.recv[i] != expected) {
      return "element " + std::to_string(i) + " is " + std::to_string(b.recv[i]) + ", expected " +
             std::to_string(expected);
    }
  }
  return "";
}

// Measures every collective at every size on `comm` (all its ranks call this together). The result, the same on
// every rank of `comm`, times each sample by its slowest rank.
std::vector<CollectiveMeasurement> MeasureScope(MPI_Comm comm, const std::string& scope,
                                                const CollectiveProbeOptions& options, Watchdog* watchdog) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  std::vector<CollectiveMeasurement> measurements;
  for (Collective collective : kProbedCollectives) {
    for (std::int64_t asked : CollectiveSizes(options)) {
      const std::int64_t bytes = RoundedBytes(collective, ranks, asked);
      const std::string what = std::string(CollectiveName(collective)) + " (" + scope + ", " +
                               std::to_string(ranks) + " ranks, " + std::to_string(bytes) + " bytes)";
      watchdog->Arm(options.timeout_seconds, what);
      Buffers buffers = Prepare(collective, bytes, rank, ranks);

      const bool last = rank == ranks - 1;
      if (last && HookFor("SCALEPLAN_COLLECTIVES_STALL", collective)) {
        std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * options.timeout_seconds + 1.0));
      }
      // The check: one call on the fresh pattern, every rank's result compared with its expected values.
      Call(collective, comm, rank, ranks, &buffers);
      if (last && HookFor("SCALEPLAN_COLLECTIVES_CORRUPT", collective) && !buffers.recv.empty()) {
        buffers.recv[0] += 1.0f;
      }
      const std::string wrong = CheckResult(collective, buffers, rank, ranks);
      int first_wrong = wrong.empty() ? ranks : rank;
      int reported = ranks;
      MPI_Allreduce(&first_wrong, &reported, 1, MPI_INT, MPI_MIN, comm);
      if (reported < ranks) {
        if (!wrong.empty()) {
          std::fprintf(stderr, "scaleplan probe: rank %d of %s: %s\n", rank, what.c_str(), wrong.c_str());
        }
        FailCheck(what + " returned a wrong result on rank " + std::to_string(reported) +
                  ": nothing is reported for a collective that does not compute what it must");
      }

      for (int i = 0; i < options.Warmup(); ++i) Call(collective, comm, rank, ranks, &buffers);
      const int calls = CallsPerSample(bytes);
      std::vector<double> local(static_cast<std::size_t>(options.Repeats()));
      for (double& seconds : local) {
        MPI_Barrier(comm);
        const double start = MPI_Wtime();
        for (int call = 0; call < calls; ++call) Call(collective, comm, rank, ranks, &buffers);
        seconds = (MPI_Wtime() - start) / calls;
      }
      std::vector<double> slowest(local.size());
      MPI_Allreduce(local.data(), slowest.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_MAX, comm);
      watchdog->Disarm();
      measurements.push_back(
          MakeCollectiveMeasurement(collective, scope, ranks, static_cast<double>(bytes), std::move(slowest)));
    }
  }
  return measurements;
}

void AddModels(const std::vector<CollectiveMeasurement>& measurements, InterconnectProfile* interconnect,
               std::vector<std::string>* notes) {
  for (Collective collective : kProbedCollectives) {
    std::vector<CollectiveMeasurement> mine;
    for (const CollectiveMeasurement& m : measurements) {
      if (m.name == CollectiveName(collective)) mine.push_back(m);
    }
    if (mine.empty()) continue;
    if (const std::optional<CollectiveModel> model = FitCollectiveModel(mine)) {
      interconnect->models.push_back(*model);
    } else {
      notes->push_back(std::string("no latency-bandwidth model for ") + CollectiveName(collective) + " (" +
                       mine.front().scope + "): its time does not grow with the message size");
    }
  }
}

}  // namespace

bool StartedByMpiLauncher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

CollectiveProbeResult RunCollectiveProbe(const CollectiveProbeOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  if (!StartedByMpiLauncher()) {
    throw NothingToMeasureError(
        "no MPI launcher started this process, so there is one rank and nothing to measure; start one rank per "
        "device or core with 'mpirun -np N scaleplan probe --collectives' (or 'srun' in a Slurm job)");
  }
  MpiSession session;
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks < 2) {
    throw NothingToMeasureError("the job has a single rank: nothing to measure; start at least 2 (mpirun -np 2 ...)");
  }

  // Every rank must measure the same sizes with the same protocol, or the collectives would not match up.
  const std::vector<std::int64_t> sizes = CollectiveSizes(options);
  std::int64_t plan[4] = {static_cast<std::int64_t>(sizes.size()), 0, options.Warmup(), options.Repeats()};
  for (std::int64_t bytes : sizes) plan[1] += bytes;
  std::int64_t low[4], high[4];
  MPI_Allreduce(plan, low, 4, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(plan, high, 4, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  for (int i = 0; i < 4; ++i) {
    if (low[i] != high[i]) {
      FailCheck("the ranks disagree on the message sizes, warm-up or repeats to measure: start every rank with the "
                "same options");
    }
  }

  MPI_Comm node = MPI_COMM_NULL, across = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local_rank = 0, local_ranks = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_ranks);
  MPI_Comm_split(MPI_COMM_WORLD, local_rank, rank, &across);  // one rank per host: the same local rank everywhere
  int across_ranks = 0;
  MPI_Comm_size(across, &across_ranks);
  int leader = local_rank == 0 ? 1 : 0, nodes = 0;
  MPI_Allreduce(&leader, &nodes, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int root_local_ranks = local_ranks;
  MPI_Bcast(&root_local_ranks, 1, MPI_INT, 0, MPI_COMM_WORLD);

  CollectiveProbeResult result;
  result.is_root = rank == 0;
  result.interconnect.ranks = ranks;
  result.interconnect.nodes = nodes;
  result.interconnect.ranks_per_node = root_local_ranks;
  result.interconnect.backend = "mpi";
  std::vector<CollectiveMeasurement> measured;
  try {
    Watchdog watchdog(rank);
    if (local_ranks >= 2) {
      std::vector<CollectiveMeasurement> intra = MeasureScope(node, "intra_node", options, &watchdog);
      measured.insert(measured.end(), intra.begin(), intra.end());
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (nodes >= 2 && across_ranks >= 2) {
      std::vector<CollectiveMeasurement> inter = MeasureScope(across, "inter_node", options, &watchdog);
      measured.insert(measured.end(), inter.begin(), inter.end());
    }
    MPI_Barrier(MPI_COMM_WORLD);
  } catch (...) {
    MPI_Comm_free(&across);
    MPI_Comm_free(&node);
    throw;
  }
  MPI_Comm_free(&across);
  MPI_Comm_free(&node);

  if (root_local_ranks < 2) result.notes.push_back("one rank per node: nothing measured within a node");
  result.interconnect.collectives = measured;
  for (const char* scope : {"intra_node", "inter_node"}) {
    std::vector<CollectiveMeasurement> in_scope;
    for (const CollectiveMeasurement& m : measured) {
      if (m.scope == scope) in_scope.push_back(m);
    }
    AddModels(in_scope, &result.interconnect, &result.notes);
  }
  return result;
}

}  // namespace scaleplan::probe
