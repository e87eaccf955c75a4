#include "gpu_probe/mpi_collectives.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "gpu_probe/backend.h"
#include "gpu_probe/collective_pattern.h"
#include "gpu_probe/host_info.h"
#include "gpu_probe/nccl_backend.h"

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

std::string HostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "an unnamed host";
  return name;
}

// Test hooks, each naming a collective: SCALEPLAN_COLLECTIVES_CORRUPT corrupts its first received element on the
// last rank before the check (the suite sees a wrong result refused); SCALEPLAN_COLLECTIVES_STALL makes the last
// rank stop before calling it (the suite sees the timeout end the job instead of a hang).
bool HookFor(const char* variable, Collective collective) {
  const char* name = std::getenv(variable);
  return name != nullptr && std::string(name) == CollectiveName(collective);
}

int Code(Collective collective) { return static_cast<int>(collective); }

// Runs the collectives of one scope on one library: the check on the known pattern (collective_pattern.h), then the
// timed samples. Every rank of the scope's communicator calls the same methods in the same order.
class ScopeRunner {
 public:
  virtual ~ScopeRunner() = default;
  // Runs `collective` once at `bytes` on a fresh pattern: "" when this rank received what it must, else the first
  // difference. `corrupt`: the test hook.
  virtual std::string Check(Collective collective, std::int64_t bytes, bool corrupt) = 0;
  // This rank's seconds per call of each sample, on the buffers of the last Check.
  virtual std::vector<double> Time(Collective collective, std::int64_t bytes, int warmup, int repeats,
                                   int calls_per_sample) = 0;
};

// MPI on host buffers; each sample starts at a barrier and is timed with MPI_Wtime.
class MpiRunner : public ScopeRunner {
 public:
  explicit MpiRunner(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &ranks_);
  }

  std::string Check(Collective collective, std::int64_t bytes, bool corrupt) override {
    sizes_ = pattern::SizesOf(Code(collective), bytes / 4, ranks_);
    send_.resize(static_cast<std::size_t>(sizes_.send));
    recv_.assign(static_cast<std::size_t>(sizes_.recv), -1.0f);
    pattern::FillSend(Code(collective), rank_, ranks_, sizes_, send_.data());
    Call(collective);
    if (corrupt && !recv_.empty()) recv_[0] += 1.0f;
    return pattern::FirstDifference(Code(collective), rank_, ranks_, sizes_, recv_.data());
  }

  std::vector<double> Time(Collective collective, std::int64_t, int warmup, int repeats,
                           int calls_per_sample) override {
    for (int i = 0; i < warmup; ++i) Call(collective);
    std::vector<double> local(static_cast<std::size_t>(repeats));
    for (double& seconds : local) {
      MPI_Barrier(comm_);
      const double start = MPI_Wtime();
      for (int call = 0; call < calls_per_sample; ++call) Call(collective);
      seconds = (MPI_Wtime() - start) / calls_per_sample;
    }
    return local;
  }

 private:
  void Call(Collective collective) {
    const int count = static_cast<int>(sizes_.count);
    float* send = send_.data();
    float* recv = recv_.data();
    switch (collective) {
      case Collective::ALL_REDUCE:
        MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm_);
        return;
      case Collective::ALL_GATHER:
        MPI_Allgather(send, count, MPI_FLOAT, recv, count, MPI_FLOAT, comm_);
        return;
      case Collective::REDUCE_SCATTER:
        MPI_Reduce_scatter_block(send, recv, count, MPI_FLOAT, MPI_SUM, comm_);
        return;
      case Collective::ALL_TO_ALL:
        MPI_Alltoall(send, count, MPI_FLOAT, recv, count, MPI_FLOAT, comm_);
        return;
      case Collective::SEND_RECV:
        MPI_Sendrecv(send, count, MPI_FLOAT, (rank_ + 1) % ranks_, 0, recv, count, MPI_FLOAT,
                     (rank_ + ranks_ - 1) % ranks_, 0, comm_, MPI_STATUS_IGNORE);
        return;
    }
  }

  MPI_Comm comm_;
  int rank_ = 0;
  int ranks_ = 0;
  pattern::BufferSizes sizes_;
  std::vector<float> send_;
  std::vector<float> recv_;
};

// NCCL on device buffers (the module, nccl_backend.h), one communicator per scope; each sample is timed with CUDA
// events on the communicator's stream. A failed NCCL or CUDA call comes back as a BackendError.
class NcclRunner : public ScopeRunner {
 public:
  explicit NcclRunner(std::unique_ptr<NcclCommunicator> comm) : comm_(std::move(comm)) {}

  std::string Check(Collective collective, std::int64_t bytes, bool corrupt) override {
    return comm_->Check(collective, bytes, corrupt);
  }
  std::vector<double> Time(Collective collective, std::int64_t bytes, int warmup, int repeats,
                           int calls_per_sample) override {
    return comm_->Time(collective, bytes, warmup, repeats, calls_per_sample);
  }

 private:
  std::unique_ptr<NcclCommunicator> comm_;
};

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

// Ends the run on every rank of `comm` when `failure` is not empty on any of them: each such rank prints its own
// reason, then rank 0 of the job prints message(first failing rank) (FailCheck). Called by every rank together.
template <typename Message>
void FailIfAnyRank(MPI_Comm comm, const std::string& failure, const std::string& what, Message message) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  int first = failure.empty() ? ranks : rank;
  int reported = ranks;
  MPI_Allreduce(&first, &reported, 1, MPI_INT, MPI_MIN, comm);
  if (reported == ranks) return;
  if (!failure.empty())
    std::fprintf(stderr, "scaleplan probe: rank %d of %s: %s\n", rank, what.c_str(), failure.c_str());
  FailCheck(message(reported));
}

// The runner of one scope: MPI on `comm`, or, with `nccl`, an NCCL communicator over the same ranks on `device`,
// its unique id made by the scope's rank 0 and broadcast over `comm`.
std::unique_ptr<ScopeRunner> MakeRunner(MPI_Comm comm, const std::string& scope, const NcclModule* nccl, int device,
                                        const CollectiveProbeOptions& options, Watchdog* watchdog) {
  if (nccl == nullptr) return std::make_unique<MpiRunner>(comm);
  int rank = 0, ranks = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::string what = "the NCCL communicator (" + scope + ", " + std::to_string(ranks) + " ranks)";
  watchdog->Arm(options.timeout_seconds, what);
  std::string failure;
  NcclUniqueId id{};
  if (rank == 0) {
    try {
      id = nccl->UniqueId();
    } catch (const BackendError& error) {
      failure = error.what();
    }
  }
  FailIfAnyRank(comm, failure, what, [&](int) { return what + " could not be set up: no unique id on its rank 0"; });
  MPI_Bcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0, comm);
  std::unique_ptr<ScopeRunner> runner;
  try {
    runner = std::make_unique<NcclRunner>(nccl->Open(rank, ranks, device, id));
  } catch (const BackendError& error) {
    failure = error.what();
  }
  FailIfAnyRank(comm, failure, what,
                [&](int failed) { return what + " could not be set up on rank " + std::to_string(failed); });
  watchdog->Disarm();
  return runner;
}

// Measures every collective at every size on `comm` (all its ranks call this together), with MPI or, when `nccl` is
// given, NCCL on `device`. The result, the same on every rank of `comm`, times each sample by its slowest rank.
std::vector<CollectiveMeasurement> MeasureScope(MPI_Comm comm, const std::string& scope,
                                                const CollectiveProbeOptions& options, const NcclModule* nccl,
                                                int device, Watchdog* watchdog) {
  int rank = 0, ranks = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::unique_ptr<ScopeRunner> runner = MakeRunner(comm, scope, nccl, device, options, watchdog);
  std::vector<CollectiveMeasurement> measurements;
  for (Collective collective : kProbedCollectives) {
    for (std::int64_t asked : CollectiveSizes(options)) {
      const std::int64_t bytes = RoundedBytes(collective, ranks, asked);
      const std::string what = std::string(CollectiveName(collective)) + " (" + scope + ", " +
                               std::to_string(ranks) + " ranks, " + std::to_string(bytes) + " bytes)";
      watchdog->Arm(options.timeout_seconds, what);

      const bool last = rank == ranks - 1;
      if (last && HookFor("SCALEPLAN_COLLECTIVES_STALL", collective)) {
        std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * options.timeout_seconds + 1.0));
      }
      // The check: one call on the fresh pattern, every rank's result compared with its expected values.
      std::string wrong, error;
      try {
        wrong = runner->Check(collective, bytes, last && HookFor("SCALEPLAN_COLLECTIVES_CORRUPT", collective));
      } catch (const BackendError& failure) {
        error = failure.what();
      }
      FailIfAnyRank(comm, error, what, [&](int failed) { return what + " failed on rank " + std::to_string(failed); });
      FailIfAnyRank(comm, wrong, what, [&](int failed) {
        return what + " returned a wrong result on rank " + std::to_string(failed) +
               ": nothing is reported for a collective that does not compute what it must";
      });

      std::vector<double> local;
      try {
        local = runner->Time(collective, bytes, options.Warmup(), options.Repeats(), CallsPerSample(bytes));
      } catch (const BackendError& failure) {
        error = failure.what();
      }
      FailIfAnyRank(comm, error, what,
                    [&](int failed) { return what + " failed on rank " + std::to_string(failed) + " while timed"; });
      std::vector<double> slowest(local.size());
      MPI_Allreduce(local.data(), slowest.data(), static_cast<int>(local.size()), MPI_DOUBLE, MPI_MAX, comm);
      watchdog->Disarm();
      measurements.push_back(
          MakeCollectiveMeasurement(collective, scope, ranks, static_cast<double>(bytes), std::move(slowest)));
    }
  }
  return measurements;
}

// The library the job measures with. NCCL when `backend` allows it and every rank of the job loads the module, sees a
// driver and has its own device (NcclDeviceForRank, and no two ranks of a host on the same GPU by its UUID, gathered
// over `node`: a host showing each rank a single device may show them all the same one); else MPI, with a note (AUTO)
// naming the first rank that cannot and why, or, for an explicit NCCL, CollectiveBackendUnavailableError on every rank
// (printed by rank 0). Every rank of the job calls it together.
struct NcclChoice {
  std::unique_ptr<NcclModule> module;  // null: MPI
  int device = -1;
  std::string device_name;  // rank 0's device
  std::string note;
};

NcclChoice ChooseNccl(CollectiveBackend backend, MPI_Comm node) {
  NcclChoice choice;
  if (backend == CollectiveBackend::MPI) return choice;
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int local_rank = 0, local_ranks = 0;
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_ranks);
  std::string why;
  ScaleplanNcclDeviceInfo info{};
  choice.module = OpenNcclModule(&info, &why);
  if (choice.module) {
    choice.device = NcclDeviceForRank(local_rank, local_ranks, info.device_count, &why);
    if (choice.device < 0) {
      choice.module.reset();
    } else if (choice.device != 0) {
      try {
        info = choice.module->Query(choice.device);
      } catch (const BackendError& error) {
        why = error.what();
        choice.module.reset();
      }
    }
  }
  // Two ranks of a host on one GPU (each shown a single device that is the same one): NCCL would refuse them.
  std::vector<unsigned char> uuids(static_cast<std::size_t>(local_ranks) * sizeof info.uuid);
  unsigned char mine[sizeof info.uuid] = {0};
  if (choice.module) std::memcpy(mine, info.uuid, sizeof mine);
  MPI_Allgather(mine, static_cast<int>(sizeof mine), MPI_BYTE, uuids.data(), static_cast<int>(sizeof mine), MPI_BYTE,
                node);
  if (choice.module) {
    for (int other = 0; other < local_ranks; ++other) {
      if (other != local_rank &&
          std::memcmp(uuids.data() + static_cast<std::size_t>(other) * sizeof mine, mine, sizeof mine) == 0) {
        why = "local ranks " + std::to_string(std::min(other, local_rank)) + " and " +
              std::to_string(std::max(other, local_rank)) + " share one GPU (" + info.name +
              "): NCCL needs one GPU per rank";
        choice.module.reset();
        break;
      }
    }
  }
  int first = choice.module ? ranks : rank, failed = ranks;
  MPI_Allreduce(&first, &failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (failed == ranks) {
    char name[sizeof info.name] = {0};
    std::snprintf(name, sizeof name, "%s", info.name);
    MPI_Bcast(name, static_cast<int>(sizeof name), MPI_CHAR, 0, MPI_COMM_WORLD);
    choice.device_name = name;
    const int version = info.nccl_version;
    choice.note = "NCCL " + std::to_string(version / 10000) + "." + std::to_string(version % 10000 / 100) + "." +
                  std::to_string(version % 100) + " on " + choice.device_name + ", one rank per GPU";
    return choice;
  }
  // The first rank that cannot use NCCL tells the others why.
  char reason[512] = {0};
  if (rank == failed) std::snprintf(reason, sizeof reason, "%s: %s", HostName().c_str(), why.c_str());
  MPI_Bcast(reason, static_cast<int>(sizeof reason), MPI_CHAR, failed, MPI_COMM_WORLD);
  const std::string because = "rank " + std::to_string(failed) + " on " + reason;
  choice = NcclChoice{};
  if (backend == CollectiveBackend::AUTO) {
    choice.note = "NCCL backend not used (" + because + "); measuring with MPI";
    return choice;
  }
  const std::string what = "the NCCL backend is not available: " + because;
  if (rank == 0) {
    std::fprintf(stderr, "scaleplan probe: error: --collectives --backend cuda: %s (no profile written)\n",
                 what.c_str());
    std::fflush(stderr);
  }
  throw CollectiveBackendUnavailableError(what, rank == 0);
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

// Whether every rank of the job accepted its options (`usage_error` empty on every rank); if not, rank 0 prints the
// first refusing rank's message and every rank throws CollectiveUsageError. Called by every rank together, first.
void AgreeOnOptions(const std::string& usage_error, int rank, int ranks) {
  const int mine = usage_error.empty() ? ranks : rank;
  int refusing = ranks;
  MPI_Allreduce(&mine, &refusing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (refusing == ranks) return;
  char message[1024] = {0};
  if (rank == refusing) std::snprintf(message, sizeof message, "%s", usage_error.c_str());
  MPI_Bcast(message, static_cast<int>(sizeof message), MPI_CHAR, refusing, MPI_COMM_WORLD);
  if (rank == 0) {
    std::fprintf(stderr, "scaleplan probe: error: %s\nTry 'scaleplan probe --help'.\n", message);
    std::fflush(stderr);
  }
  throw CollectiveUsageError(message, rank == 0);
}

}  // namespace

void RefuseCollectiveProbe(const std::string& usage_error) {
  SCALEPLAN_CHECK(!usage_error.empty(), "a refusal needs its message");
  MpiSession session;
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  AgreeOnOptions(usage_error, rank, ranks);
  ThrowInternalError(__FILE__, __LINE__, "AgreeOnOptions returned on a refusing rank");
}

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
  AgreeOnOptions("", rank, ranks);  // a rank whose options were refused meets this one in RefuseCollectiveProbe
  // The smoke-test hook SCALEPLAN_COLLECTIVES_ONE_RANK=1 lets a one-rank job run every step (on one GPU: NCCL refuses
  // two ranks on one device) so that scripts/gpu_check.sh exercises the whole NCCL path; nothing is fitted then.
  const char* one_rank_hook = std::getenv("SCALEPLAN_COLLECTIVES_ONE_RANK");
  const bool one_rank = ranks == 1 && one_rank_hook != nullptr && std::string(one_rank_hook) == "1";
  if (ranks < 2 && !one_rank) {
    throw NothingToMeasureError("the job has a single rank: nothing to measure; start at least 2 (mpirun -np 2 ...)");
  }

  // Every rank must measure the same sizes with the same protocol, or the collectives would not match up.
  const std::vector<std::int64_t> sizes = CollectiveSizes(options);
  std::int64_t plan[5] = {static_cast<std::int64_t>(sizes.size()), 0, options.Warmup(), options.Repeats(),
                          static_cast<std::int64_t>(options.backend)};
  for (std::int64_t bytes : sizes) plan[1] += bytes;
  std::int64_t low[5], high[5];
  MPI_Allreduce(plan, low, 5, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(plan, high, 5, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  for (int i = 0; i < 5; ++i) {
    if (low[i] != high[i]) {
      FailCheck(
          "the ranks disagree on the message sizes, warm-up, repeats or backend to measure: start every rank "
          "with the same options");
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
    const NcclChoice nccl = ChooseNccl(options.backend, node);
    if (nccl.module) {
      result.interconnect.backend = "nccl";
      result.device = nccl.device_name;
      result.notes.push_back(nccl.note);
    } else if (!nccl.note.empty()) {
      result.notes.push_back(nccl.note);
    }
    Watchdog watchdog(rank);
    if (local_ranks >= 2 || one_rank) {
      std::vector<CollectiveMeasurement> intra =
          MeasureScope(node, "intra_node", options, nccl.module.get(), nccl.device, &watchdog);
      measured.insert(measured.end(), intra.begin(), intra.end());
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (nodes >= 2 && across_ranks >= 2) {
      std::vector<CollectiveMeasurement> inter =
          MeasureScope(across, "inter_node", options, nccl.module.get(), nccl.device, &watchdog);
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

  result.interconnect.collectives = measured;
  if (one_rank) {
    result.notes.push_back(
        "one rank (SCALEPLAN_COLLECTIVES_ONE_RANK): a smoke test; bus bandwidth is 0 and nothing "
        "is fitted at one rank");
    return result;
  }
  if (root_local_ranks < 2) result.notes.push_back("one rank per node: nothing measured within a node");
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
