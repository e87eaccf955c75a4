// The interconnect probe's all-reduce against a plain MPI_Allreduce loop in the same run, and against the memory
// triad bandwidth (the limit of a shared-memory transport). Run under a launcher:
//   mpirun -np 2 build/bench/collectives_bench
// Target: the probe's busbw within 10% of the plain loop's at 16 MiB and above (the harness adds nothing).
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "core/collective_cost.h"
#include "gpu_probe/collectives.h"
#include "gpu_probe/mpi_collectives.h"

namespace {

constexpr int kRepeats = 10;

// Median over kRepeats samples of the slowest rank's seconds per MPI_Allreduce of `bytes`.
double PlainAllreduceSeconds(std::int64_t bytes) {
  const int count = static_cast<int>(bytes / 4);
  std::vector<float> send(static_cast<std::size_t>(count), 1.0f), recv(send.size());
  for (int i = 0; i < 2; ++i) MPI_Allreduce(send.data(), recv.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  std::vector<double> local(kRepeats), slowest(kRepeats);
  for (double& seconds : local) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    MPI_Allreduce(send.data(), recv.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    seconds = MPI_Wtime() - start;
  }
  MPI_Allreduce(local.data(), slowest.data(), kRepeats, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  std::sort(slowest.begin(), slowest.end());
  return (slowest[kRepeats / 2 - 1] + slowest[kRepeats / 2]) / 2.0;
}

// Plain STREAM triad a = b + s c on one core over 3 x 64 MiB, best of 5: bytes moved per second (3 arrays).
double TriadBytesPerSecond() {
  const std::size_t n = 16u << 20;
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const double start = MPI_Wtime();
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + 3.0f * c[i];
    best = std::min(best, MPI_Wtime() - start);
  }
  volatile float sink = a[n / 2];
  (void)sink;
  return 3.0 * 4.0 * static_cast<double>(n) / best;
}

}  // namespace

int main() {
  MPI_Init(nullptr, nullptr);
  int rank = 0, ranks = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  scaleplan::probe::CollectiveProbeOptions options;
  options.backend = scaleplan::probe::CollectiveBackend::MPI;  // the plain loop below is MPI's, also on a GPU node
  options.sizes = {16 << 20, 64 << 20};
  options.repeats = kRepeats;
  const double factor = scaleplan::BusBandwidthFactor(scaleplan::Collective::ALL_REDUCE, ranks);
  // Rounds alternate the probe and the plain loop, so that a busy machine slows both alike; the medians are reported.
  constexpr int kRounds = 5;
  std::vector<std::vector<double>> probe_busbw(options.sizes.size()), plain_busbw(options.sizes.size()),
      ratio(options.sizes.size());
  for (int round = 0; round < kRounds; ++round) {
    const scaleplan::probe::CollectiveProbeResult probe = scaleplan::probe::RunCollectiveProbe(options);
    for (std::size_t i = 0; i < options.sizes.size(); ++i) {
      const double bytes = static_cast<double>(options.sizes[i]);
      const double plain = bytes / PlainAllreduceSeconds(options.sizes[i]) * factor;
      for (const scaleplan::CollectiveMeasurement& m : probe.interconnect.collectives) {
        if (m.name != "all_reduce" || m.bytes != bytes) continue;
        probe_busbw[i].push_back(m.busbw_bytes_per_s);
        plain_busbw[i].push_back(plain);
        ratio[i].push_back(m.busbw_bytes_per_s / plain);
      }
    }
  }
  const double triad = rank == 0 ? TriadBytesPerSecond() : 0.0;
  if (rank == 0) {
    const auto median = [](std::vector<double> values) {
      std::sort(values.begin(), values.end());
      return values[values.size() / 2];
    };
    std::printf("all-reduce on %d ranks (intra_node), medians of %d rounds; triad %.2f GB/s on one core\n", ranks,
                kRounds, triad / 1e9);
    std::printf("%12s %16s %16s %8s %12s\n", "bytes", "probe_busbw_GB/s", "plain_busbw_GB/s", "ratio", "vs_triad");
    for (std::size_t i = 0; i < options.sizes.size(); ++i) {
      std::printf("%12lld %16.3f %16.3f %8.3f %12.3f\n", static_cast<long long>(options.sizes[i]),
                  median(probe_busbw[i]) / 1e9, median(plain_busbw[i]) / 1e9, median(ratio[i]),
                  median(probe_busbw[i]) / triad);
    }
  }
  MPI_Finalize();
  return 0;
}
