#include "fitting/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace scaleplan {

bool BootstrapOptions::Check(std::string* why) const {
  auto fail = [why](const std::string& message) {
    if (why) *why = message;
    return false;
  };
  if (num_resamples < kMinBootstrapResamples) {
    return fail("the bootstrap needs at least " + std::to_string(kMinBootstrapResamples) + " resamples");
  }
  if (num_resamples > 1'000'000) return fail("at most 1,000,000 bootstrap resamples");
  if (!(confidence > 0 && confidence < 1)) return fail("the interval level must lie strictly between 0 and 1");
  if (num_candidates < 1 || num_refits < 1) return fail("the bootstrap needs at least one candidate and one refit");
  if (num_threads < 0) return fail("the thread count must be 0 (all cores) or positive");
  return true;
}

namespace {

// SplitMix64: a small, well-mixed generator whose output is the same on every platform and standard library.
std::uint64_t SplitMix64(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The draws of stream `index` (a 64-bit index: stratified resamples use resample x strata + stratum).
std::vector<int> DrawCounts(size_t num_runs, std::uint64_t seed, std::uint64_t index) {
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ull + index;
  SplitMix64(&state);  // decorrelate neighbouring seeds
  std::vector<int> counts(num_runs, 0);
  for (size_t draw = 0; draw < num_runs; ++draw) {
    // A 64-bit draw modulo num_runs: the bias is below num_runs / 2^64, far under any sampling error.
    ++counts[static_cast<size_t>(SplitMix64(&state) % num_runs)];
  }
  return counts;
}

}  // namespace

std::vector<int> ResampleCounts(size_t num_runs, std::uint64_t seed, int index) {
  return DrawCounts(num_runs, seed, static_cast<std::uint64_t>(index));
}

std::vector<int> StratifiedResampleCounts(size_t num_runs, const std::vector<std::vector<size_t>>& strata,
                                          std::uint64_t seed, int index) {
  std::vector<int> counts(num_runs, 0);
  for (size_t b = 0; b < strata.size(); ++b) {
    const std::vector<size_t>& stratum = strata[b];
    if (stratum.empty()) continue;
    const std::vector<int> drawn =
        DrawCounts(stratum.size(), seed, static_cast<std::uint64_t>(index) * strata.size() + b);
    for (size_t k = 0; k < stratum.size(); ++k) counts[stratum[k]] += drawn[k];
  }
  return counts;
}

std::vector<std::vector<double>> BootstrapCandidates(const MultiStartResult& full, int num_candidates) {
  std::vector<std::vector<double>> candidates;
  candidates.push_back(full.params);  // index 0: the full-data optimum
  for (const auto& optimum : full.local_optima) {
    if (static_cast<int>(candidates.size()) >= num_candidates) break;
    if (optimum != full.params) candidates.push_back(optimum);
  }
  for (const auto& start : full.start_points) {
    if (static_cast<int>(candidates.size()) >= num_candidates) break;
    candidates.push_back(start);
  }
  return candidates;
}

}  // namespace scaleplan
