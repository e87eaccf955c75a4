#include "gpu_probe/collectives.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "gpu_probe/timing.h"

namespace scaleplan::probe {

bool CollectiveProbeOptions::Check(std::string* why) const {
  if (warmup < 0 || repeats < 0) {
    *why = "warm-up and repeats must not be negative";
    return false;
  }
  for (std::int64_t bytes : sizes) {
    if (bytes < 4) {
      *why = "message sizes must be at least 4 bytes";
      return false;
    }
  }
  if (!(timeout_seconds > 0.0)) {
    *why = "the timeout per collective must be positive";
    return false;
  }
  return true;
}

std::vector<std::int64_t> CollectiveSizes(const CollectiveProbeOptions& options) {
  constexpr std::int64_t kKiB = 1024;
  if (!options.sizes.empty()) return options.sizes;
  if (options.quick) return {kKiB, 64 * kKiB, kKiB * kKiB, 16 * kKiB * kKiB};
  std::vector<std::int64_t> sizes;
  for (std::int64_t bytes = kKiB; bytes <= kKiB * kKiB * kKiB; bytes *= 4) sizes.push_back(bytes);
  return sizes;
}

std::int64_t RoundedBytes(Collective collective, std::int64_t ranks, std::int64_t bytes) {
  const bool blocks = collective == Collective::ALL_GATHER || collective == Collective::REDUCE_SCATTER ||
                      collective == Collective::ALL_TO_ALL;
  const std::int64_t unit = 4 * (blocks ? std::max<std::int64_t>(ranks, 1) : 1);
  return std::max(unit, bytes / unit * unit);
}

int CallsPerSample(std::int64_t bytes) {
  constexpr std::int64_t kTarget = 4 * 1024 * 1024;  // bytes per sample below which calls are batched
  return static_cast<int>(std::clamp<std::int64_t>(kTarget / std::max<std::int64_t>(bytes, 1), 1, 64));
}

CollectiveMeasurement MakeCollectiveMeasurement(Collective collective, const std::string& scope, std::int64_t ranks,
                                                double bytes, std::vector<double> seconds) {
  const TimingSummary summary = Summarize(std::move(seconds));
  CollectiveMeasurement measurement;
  measurement.name = CollectiveName(collective);
  measurement.scope = scope;
  measurement.ranks = ranks;
  measurement.bytes = bytes;
  measurement.seconds_median = summary.seconds_median;
  measurement.seconds_best = summary.seconds_best;
  measurement.algbw_bytes_per_s = bytes / summary.seconds_median;
  measurement.busbw_bytes_per_s = measurement.algbw_bytes_per_s * BusBandwidthFactor(collective, ranks);
  return measurement;
}

std::optional<Collective> CollectiveFromName(const std::string& name) {
  for (Collective collective : kProbedCollectives) {
    if (name == CollectiveName(collective)) return collective;
  }
  return std::nullopt;
}

namespace {

// The model's warnings (FitCollectiveModel): the line t = a + b S against every measured size, the spread of the
// two anchor sizes' samples, and a latency clamped to 0.
std::vector<std::string> CheckCollectiveModel(const std::vector<CollectiveMeasurement>& measurements,
                                              const CollectiveMeasurement& smallest,
                                              const CollectiveMeasurement& largest, double a, double b, bool clamped) {
  std::vector<std::string> warnings;
  char text[256];
  if (clamped) {
    std::snprintf(text, sizeof text,
                  "latency clamped to 0: the line through %.0f and %.0f bytes crossed zero time, so the model is the "
                  "largest message's bandwidth alone",
                  smallest.bytes, largest.bytes);
    warnings.emplace_back(text);
  }
  std::vector<const CollectiveMeasurement*> by_size;
  for (const CollectiveMeasurement& m : measurements) by_size.push_back(&m);
  std::sort(by_size.begin(), by_size.end(),
            [](const CollectiveMeasurement* x, const CollectiveMeasurement* y) { return x->bytes < y->bytes; });
  for (const CollectiveMeasurement* m : by_size) {
    const double modelled = a + b * m->bytes, measured = m->seconds_median;
    const double off = std::max(modelled / measured, measured / modelled);
    if (off > kModelMissFactor) {
      std::snprintf(text, sizeof text,
                    "at %.0f bytes the model misses the measured time by %.3gx (model %.3g us, measured %.3g us)",
                    m->bytes, off, modelled * 1e6, measured * 1e6);
      warnings.emplace_back(text);
    }
  }
  for (const CollectiveMeasurement* anchor : {&smallest, &largest}) {
    const double spread = anchor->seconds_median / anchor->seconds_best;
    if (spread > kAnchorSpreadFactor) {
      std::snprintf(text, sizeof text,
                    "at %.0f bytes, an anchor of the line, the median time is %.3gx the best (%.3g us against %.3g us)",
                    anchor->bytes, spread, anchor->seconds_median * 1e6, anchor->seconds_best * 1e6);
      warnings.emplace_back(text);
    }
  }
  return warnings;
}

}  // namespace

std::optional<CollectiveModel> FitCollectiveModel(const std::vector<CollectiveMeasurement>& measurements) {
  if (measurements.size() < 2) return std::nullopt;
  const std::optional<Collective> collective = CollectiveFromName(measurements.front().name);
  if (!collective) return std::nullopt;
  const std::int64_t ranks = measurements.front().ranks;
  // The line t = a + b S through the smallest and the largest message (Hockney's two asymptotes): the latency from
  // the smallest, the bandwidth from the largest. The plans need both ends right (pipeline sends and small
  // collectives are latency-bound, gradient all-reduces of hundreds of MB bandwidth-bound), and a transport changes
  // regime in between (cache to DRAM on CPUs, NCCL's protocols on GPUs): a least-squares line over every size then
  // fits neither end (measured on 2 CPU ranks: 7 GB/s from a line weighted by relative error against 1 GB/s at
  // 16 MiB). a < 0 (the largest message relatively slower) is clamped to 0 with the line through the largest.
  const auto [smallest, largest] = std::minmax_element(
      measurements.begin(), measurements.end(),
      [](const CollectiveMeasurement& x, const CollectiveMeasurement& y) { return x.bytes < y.bytes; });
  const double s0 = smallest->bytes, t0 = smallest->seconds_median;
  const double s1 = largest->bytes, t1 = largest->seconds_median;
  if (!(s1 > s0) || !(t1 > t0) || !(t0 > 0.0)) return std::nullopt;
  double b = (t1 - t0) / (s1 - s0);
  double a = t0 - b * s0;
  const bool clamped = a < 0.0;
  if (clamped) {
    a = 0.0;
    b = t1 / s1;
  }
  if (!(b > 0.0)) return std::nullopt;
  CollectiveModel model;
  model.name = measurements.front().name;
  model.scope = measurements.front().scope;
  model.ranks = ranks;
  model.latency_seconds = a / CollectiveLatencySteps(*collective, ranks);
  model.busbw_bytes_per_s = BusBandwidthFactor(*collective, ranks) / b;
  model.warnings = CheckCollectiveModel(measurements, *smallest, *largest, a, b, clamped);
  return model;
}

std::string FormatCollectivesTable(const InterconnectProfile& interconnect) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "interconnect (%s): %lld ranks on %lld node(s), %lld per node\n\n",
                interconnect.backend.c_str(), static_cast<long long>(interconnect.ranks),
                static_cast<long long>(interconnect.nodes), static_cast<long long>(interconnect.ranks_per_node));
  out << line;
  std::snprintf(line, sizeof line, "%-15s %-11s %5s %14s %12s %12s %13s %13s\n", "collective", "scope", "ranks",
                "bytes", "median_us", "best_us", "algbw_GB/s", "busbw_GB/s");
  out << line;
  for (const CollectiveMeasurement& m : interconnect.collectives) {
    std::snprintf(line, sizeof line, "%-15s %-11s %5lld %14.0f %12.2f %12.2f %13.3f %13.3f\n", m.name.c_str(),
                  m.scope.c_str(), static_cast<long long>(m.ranks), m.bytes, m.seconds_median * 1e6,
                  m.seconds_best * 1e6, m.algbw_bytes_per_s / 1e9, m.busbw_bytes_per_s / 1e9);
    out << line;
  }
  out << "\nfitted latency-bandwidth models (seconds = steps x latency + F x bytes / busbw)\n";
  std::snprintf(line, sizeof line, "%-15s %-11s %5s %16s %13s\n", "collective", "scope", "ranks", "latency_us/step",
                "busbw_GB/s");
  out << line;
  for (const CollectiveModel& m : interconnect.models) {
    std::snprintf(line, sizeof line, "%-15s %-11s %5lld %16.3f %13.3f\n", m.name.c_str(), m.scope.c_str(),
                  static_cast<long long>(m.ranks), m.latency_seconds * 1e6, m.busbw_bytes_per_s / 1e9);
    out << line;
  }
  return out.str();
}

}  // namespace scaleplan::probe
