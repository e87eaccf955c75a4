#include "core/extrapolation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/units.h"

namespace scaleplan {
namespace {

std::string Printf(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace

FitRanges RangesOfRuns(const RunsTable& table) {
  FitRanges ranges;
  if (table.runs.empty()) return ranges;
  const TrainingRun& first = table.runs.front();
  ranges = {first.compute_flops, first.compute_flops, first.num_params,
            first.num_params,    first.num_tokens,    first.num_tokens};
  for (const TrainingRun& run : table.runs) {
    ranges.compute_min_flops = std::min(ranges.compute_min_flops, run.compute_flops);
    ranges.compute_max_flops = std::max(ranges.compute_max_flops, run.compute_flops);
    ranges.num_params_min = std::min(ranges.num_params_min, run.num_params);
    ranges.num_params_max = std::max(ranges.num_params_max, run.num_params);
    ranges.num_tokens_min = std::min(ranges.num_tokens_min, run.num_tokens);
    ranges.num_tokens_max = std::max(ranges.num_tokens_max, run.num_tokens);
  }
  return ranges;
}

std::optional<std::string> ExtrapolationWarning(const FitRanges& ranges, const Allocation& allocation, double factor) {
  std::vector<std::string> clauses;
  const double compute = allocation.compute_flops;
  if (compute > 0 && ranges.compute_max_flops > 0 && compute / ranges.compute_max_flops > factor) {
    const double beyond = compute / ranges.compute_max_flops;
    clauses.push_back("extrapolates " + Printf("%.3g", beyond) + "x (" + Printf("%.1f", std::log10(beyond)) +
                      " orders of magnitude) beyond the largest fitted run (" +
                      Printf("%.3g", ranges.compute_max_flops) + " FLOPs)");
  } else if (compute > 0 && ranges.compute_min_flops > 0 && ranges.compute_min_flops / compute > factor) {
    const double below = ranges.compute_min_flops / compute;
    clauses.push_back("extrapolates " + Printf("%.3g", below) + "x (" + Printf("%.1f", std::log10(below)) +
                      " orders of magnitude) below the smallest fitted run (" +
                      Printf("%.3g", ranges.compute_min_flops) + " FLOPs)");
  }
  // N and D: "N is 61.8x the largest fitted model (16.2B parameters)", "D is 1/20 of ...".
  const auto coordinate = [&](double value, double lo, double hi, const char* symbol, const char* largest,
                              const char* smallest, const char* unit) {
    if (!(value > 0)) return;
    if (hi > 0 && value / hi > factor) {
      clauses.push_back(std::string(symbol) + " is " + Printf("%.3g", value / hi) + "x " + largest + " (" +
                        FormatQuantity(hi) + " " + unit + ")");
    } else if (lo > 0 && lo / value > factor) {
      clauses.push_back(std::string(symbol) + " is " + Printf("%.3g", lo / value) + "x below " + smallest + " (" +
                        FormatQuantity(lo) + " " + unit + ")");
    }
  };
  coordinate(allocation.num_params, ranges.num_params_min, ranges.num_params_max, "N", "the largest fitted model",
             "the smallest fitted model", "parameters");
  coordinate(allocation.num_tokens, ranges.num_tokens_min, ranges.num_tokens_max, "D",
             "the most tokens of any fitted run", "the fewest tokens of any fitted run", "tokens");
  if (clauses.empty()) return std::nullopt;
  std::string text = clauses.front();
  for (size_t k = 1; k < clauses.size(); ++k) text += "; " + clauses[k];
  return text;
}

}  // namespace scaleplan
