#include "core/collective_cost.h"

#include <bit>
#include <cmath>
#include <cstdint>

#include "core/error.h"

namespace scaleplan {

const char* CollectiveName(Collective collective) {
  switch (collective) {
    case Collective::ALL_REDUCE:
      return "all_reduce";
    case Collective::ALL_GATHER:
      return "all_gather";
    case Collective::REDUCE_SCATTER:
      return "reduce_scatter";
    case Collective::ALL_TO_ALL:
      return "all_to_all";
    case Collective::SEND_RECV:
      return "send_recv";
  }
  return "?";
}

double BusBandwidthFactor(Collective collective, std::int64_t ranks) {
  if (ranks <= 1) return 0.0;
  const double n = static_cast<double>(ranks);
  switch (collective) {
    case Collective::ALL_REDUCE:
      return 2.0 * (n - 1.0) / n;
    case Collective::ALL_GATHER:
    case Collective::REDUCE_SCATTER:
    case Collective::ALL_TO_ALL:
      return (n - 1.0) / n;
    case Collective::SEND_RECV:
      return 1.0;
  }
  return 0.0;
}

double CollectiveSeconds(Collective collective, double bytes, std::int64_t ranks, const LinkModel& link) {
  SCALEPLAN_CHECK(bytes >= 0.0, "a collective cannot move negative bytes");
  if (ranks <= 1 || bytes == 0.0) return 0.0;
  SCALEPLAN_CHECK(link.busbw_bytes_per_second > 0.0, "a link needs a positive bus bandwidth");
  return BusBandwidthFactor(collective, ranks) * bytes / link.busbw_bytes_per_second +
         CollectiveLatencySteps(collective, ranks) * link.latency_seconds;
}

double CollectiveLatencySteps(Collective collective, std::int64_t ranks) {
  if (ranks <= 1) return 0.0;
  switch (collective) {
    case Collective::ALL_REDUCE:
      return 2.0 * static_cast<double>(std::bit_width(static_cast<std::uint64_t>(ranks - 1)));
    case Collective::ALL_GATHER:
    case Collective::REDUCE_SCATTER:
    case Collective::ALL_TO_ALL:
      return static_cast<double>(ranks - 1);
    case Collective::SEND_RECV:
      return 1.0;
  }
  return 1.0;
}

LinkModel IntraNodeLink(const Accelerator& accelerator) {
  SCALEPLAN_CHECK(accelerator.HasInterconnect(), accelerator.name + " has no interconnect figures");
  const double efficiency = accelerator.interconnect_is_bus_bandwidth ? 1.0 : kIntraNodeBusEfficiency;
  return {efficiency * accelerator.intra_node_bytes_per_second, accelerator.intra_node_latency_seconds};
}

LinkModel InterNodeLink(const Accelerator& accelerator) {
  SCALEPLAN_CHECK(accelerator.HasInterconnect(), accelerator.name + " has no interconnect figures");
  const double efficiency = accelerator.interconnect_is_bus_bandwidth ? 1.0 : kInterNodeBusEfficiency;
  return {efficiency * accelerator.inter_node_bytes_per_second, accelerator.inter_node_latency_seconds};
}

LinkModel GroupLink(const Accelerator& accelerator, std::int64_t ranks, std::int64_t stride) {
  SCALEPLAN_CHECK(ranks >= 1 && stride >= 1, "a group needs at least one rank and a positive stride");
  const bool one_node =
      static_cast<double>(ranks) * static_cast<double>(stride) <= static_cast<double>(accelerator.devices_per_node);
  return one_node ? IntraNodeLink(accelerator) : InterNodeLink(accelerator);
}

}  // namespace scaleplan
