// The time of a collective on a cluster: the latency-bandwidth (alpha-beta) model on bus bandwidth, as nccl-tests
// defines it (doc/PERFORMANCE.md):
//   algbw = S / t,  busbw = algbw x F(n),  so  t = F(n) S / busbw + steps(n) alpha,
// with S the bytes nccl-tests counts (the array of an all-reduce; the whole gathered or scattered array of an
// all-gather or reduce-scatter; everything one rank sends in an all-to-all; the message of a send/recv) and
//   F(n) = 2 (n - 1) / n  all-reduce,   (n - 1) / n  all-gather, reduce-scatter, all-to-all,   1  send/recv.
// busbw is the figure that stays flat with n for a well-implemented collective: it is bounded by the slowest link a
// rank uses. Latency steps: 2 ceil(log2 n) for an all-reduce (NCCL switches to trees at scale), n - 1 for the
// ring all-gather, reduce-scatter and all-to-all, 1 for send/recv.
//
// Achievable bus bandwidth from the catalogue's link rates (core/hardware.h): link rate x an efficiency. Defaults
// from the NCCL maintainers' figures in nccl-tests issues: ~370 GB/s ring busbw on 8 x H100 over NVLink's 450 GB/s
// each way (#212): 0.82; ~24 GB/s per 200 Gb/s (25 GB/s) InfiniBand NIC (#119): 0.96. A measured profile replaces
// both (`plan --profile`): its figures are bus bandwidth already (Accelerator::interconnect_is_bus_bandwidth) and
// are used without the efficiencies.
#ifndef SCALEPLAN_CORE_COLLECTIVE_COST_H_
#define SCALEPLAN_CORE_COLLECTIVE_COST_H_

#include <cstdint>

#include "core/hardware.h"

namespace scaleplan {

enum class Collective { ALL_REDUCE, ALL_GATHER, REDUCE_SCATTER, ALL_TO_ALL, SEND_RECV };
const char* CollectiveName(Collective collective);  // "all_reduce", ... (the probe's names)

inline constexpr double kIntraNodeBusEfficiency = 370.0 / 450.0;
inline constexpr double kInterNodeBusEfficiency = 24.0 / 25.0;

// One level of the network as the model sees it.
struct LinkModel {
  double busbw_bytes_per_second = 0.0;
  double latency_seconds = 0.0;
};

// The bus-bandwidth factor F(n) above; 0 for n = 1 (nothing moves).
double BusBandwidthFactor(Collective collective, std::int64_t ranks);

// The latency steps above: 2 ceil(log2 n) all-reduce, n - 1 ring collectives, 1 send/recv; 0 for n <= 1.
double CollectiveLatencySteps(Collective collective, std::int64_t ranks);

// Seconds for one collective of `bytes` (nccl-tests' S) among `ranks` over `link`; 0 when ranks <= 1.
double CollectiveSeconds(Collective collective, double bytes, std::int64_t ranks, const LinkModel& link);

// The two levels of an accelerator's cluster (it must have interconnect figures).
LinkModel IntraNodeLink(const Accelerator& accelerator);
LinkModel InterNodeLink(const Accelerator& accelerator);

// The link a group of `ranks` devices uses whose members are `stride` devices apart in the cluster's numbering
// (devices 0..devices_per_node-1 form node 0, and so on): inside a node when the group spans at most one node's
// devices, else the inter-node link, the slowest one its ring crosses.
LinkModel GroupLink(const Accelerator& accelerator, std::int64_t ranks, std::int64_t stride);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_COLLECTIVE_COST_H_
