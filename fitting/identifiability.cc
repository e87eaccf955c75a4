#include "fitting/identifiability.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan {
namespace {

// For each value, the index of its group of distinct values (values within kDistinctRelativeTolerance of the
// previous one in sorted order share a group); returns the number of groups. `logs` are natural logarithms, so a
// relative tolerance is an absolute one on them.
int GroupDistinct(const std::vector<double>& logs, std::vector<int>* group) {
  std::vector<size_t> order(logs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&logs](size_t i, size_t j) { return logs[i] < logs[j]; });
  group->assign(logs.size(), 0);
  int count = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    if (k == 0 || logs[order[k]] - logs[order[k - 1]] > kDistinctRelativeTolerance) ++count;
    (*group)[order[k]] = count - 1;
  }
  return count;
}

// The distinct values of `values` by group, listed for a message: "1e+08, 1e+09".
std::string ListGroups(const std::vector<double>& values, const std::vector<int>& group, int num_groups) {
  std::vector<double> first(static_cast<size_t>(num_groups), 0.0);
  std::vector<bool> seen(static_cast<size_t>(num_groups), false);
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t g = static_cast<size_t>(group[i]);
    if (!seen[g]) first[g] = values[i], seen[g] = true;
  }
  std::string out;
  for (double value : first) out += (out.empty() ? "" : ", ") + FormatSignificant(value, 4);
  return out;
}

// Pearson correlation of x and y, with the least-squares line y = intercept + slope x; 0 when either is constant.
struct Line {
  double correlation = 0.0;
  double slope = 0.0;
  double intercept = 0.0;
};

Line FitLine(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
  }
  Line line;
  if (!(sxx > 0.0) || !(syy > 0.0)) return line;
  line.correlation = std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
  line.slope = sxy / sxx;
  line.intercept = mean_y - line.slope * mean_x;
  return line;
}

// "D = 20 N^1" for the line log D = intercept + slope log N.
std::string LineFormula(const Line& line, const LawTerms& law) {
  return law.tokens_axis + " = " + FormatSignificant(std::exp(line.intercept), 4) + " " + law.params_axis + "^" +
         FormatSignificant(line.slope, 4);
}

// "line 18 repeats line 2" (or "run 18 repeats run 2" when the runs carry no line numbers).
std::string RunName(const TrainingRun& run, size_t index) {
  return run.line > 0 ? "line " + std::to_string(run.line) : "run " + std::to_string(index + 1);
}

std::string DuplicateWarning(const RunsTable& table) {
  const std::vector<TrainingRun>& runs = table.runs;
  std::vector<size_t> order(runs.size());
  std::iota(order.begin(), order.end(), 0);
  const auto key = [&runs](size_t i) {
    return std::make_tuple(runs[i].num_params, runs[i].num_tokens, runs[i].loss_nats);
  };
  std::stable_sort(order.begin(), order.end(), [&key](size_t i, size_t j) { return key(i) < key(j); });
  std::vector<std::pair<size_t, size_t>> repeats;  // (repeat, first occurrence), in file order of the repeat
  size_t first = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    if (k == 0 || key(order[k]) != key(order[k - 1])) {
      first = order[k];
    } else {
      repeats.emplace_back(order[k], first);
    }
  }
  if (repeats.empty()) return "";
  std::sort(repeats.begin(), repeats.end());
  constexpr size_t kListed = 5;
  std::string list;
  for (size_t k = 0; k < repeats.size() && k < kListed; ++k) {
    list += (k == 0 ? "" : ", ") + RunName(runs[repeats[k].first], repeats[k].first) + " repeats " +
            RunName(runs[repeats[k].second], repeats[k].second);
  }
  if (repeats.size() > kListed) list += " and " + std::to_string(repeats.size() - kListed) + " more";
  const std::string count = std::to_string(repeats.size()) + (repeats.size() == 1 ? " run repeats" : " runs repeat");
  return count + " an earlier run exactly (N, D and the loss equal): " + list +
         "; every copy is fitted, so a repeated run weighs more (remove the copies if they are the same run "
         "exported twice)";
}

}  // namespace

Identifiability AssessIdentifiability(const RunsTable& table, const LawTerms& law) {
  SCALEPLAN_CHECK(law.num_params > 0 && law.min_distinct >= 1, "a law with parameters");
  Identifiability out;
  const std::vector<TrainingRun>& runs = table.runs;
  out.num_runs = static_cast<int>(runs.size());
  const auto fail = [&out](std::string verdict) {
    out.identifiable = false;
    out.verdict = std::move(verdict);
    return out;
  };
  const std::string runs_text = std::to_string(runs.size()) + (runs.size() == 1 ? " run" : " runs");
  const std::string needed = std::to_string(law.num_params + 1);
  if (out.num_runs <= law.num_params) {
    return fail("too few runs to fit: " + runs_text + ", but the " + law.name + " has " +
                std::to_string(law.num_params) + " parameters (need at least " + needed + " runs)");
  }

  std::vector<double> params(runs.size()), tokens(runs.size()), log_params(runs.size()), log_tokens(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    params[i] = runs[i].num_params;
    tokens[i] = runs[i].num_tokens;
    log_params[i] = std::log(params[i]);
    log_tokens[i] = std::log(tokens[i]);
  }
  std::vector<int> params_group, tokens_group;
  out.num_distinct_params = GroupDistinct(log_params, &params_group);
  out.num_distinct_tokens = GroupDistinct(log_tokens, &tokens_group);
  std::vector<std::pair<int, int>> points(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) points[i] = {params_group[i], tokens_group[i]};
  std::sort(points.begin(), points.end());
  out.num_points = static_cast<int>(std::unique(points.begin(), points.end()) - points.begin());

  // Rule 2, for N and then for D.
  const auto too_few_values = [&](int distinct, const std::vector<double>& values, const std::vector<int>& group,
                                  const std::string& axis, const std::string& term, const std::string& term_params) {
    const std::string need = "; runs at " + std::to_string(law.min_distinct) + " or more distinct " + axis +
                             " are needed";
    if (distinct == 1) {
      return "all " + runs_text + " have " + axis + " = " + FormatSignificant(values.front(), 4) + ": " + term_params +
             " cannot be identified (at a single " + axis + ", " + term + " is one number)" + need;
    }
    return "the " + runs_text + " have only " + std::to_string(distinct) + " distinct values of " + axis + " (" +
           ListGroups(values, group, distinct) + "): " + term_params + " cannot all be identified (" + term +
           " at " + std::to_string(distinct) + " values of " + axis + " is " + std::to_string(distinct) +
           " numbers)" + need;
  };
  if (out.num_distinct_params < law.min_distinct) {
    return fail(too_few_values(out.num_distinct_params, params, params_group, law.params_axis, law.params_term,
                               law.params_term_params));
  }
  if (out.num_distinct_tokens < law.min_distinct) {
    return fail(too_few_values(out.num_distinct_tokens, tokens, tokens_group, law.tokens_axis, law.tokens_term,
                               law.tokens_term_params));
  }
  // Rule 1 for points: replicates do not count.
  if (out.num_points <= law.num_params) {
    return fail("too few distinct runs to fit: " + runs_text + " at only " + std::to_string(out.num_points) +
                " distinct (" + law.params_axis + ", " + law.tokens_axis + ") points, but the " + law.name + " has " +
                std::to_string(law.num_params) + " parameters (need at least " + needed +
                " distinct points; repeated runs at one point measure the noise there, not the law's shape)");
  }
  // Rule 3.
  const Line line = FitLine(log_params, log_tokens);
  out.log_correlation = line.correlation;
  char correlation[32];
  std::snprintf(correlation, sizeof correlation, "%.6f", line.correlation);
  if (std::fabs(line.correlation) >= kCollinearCorrelation) {
    return fail("log " + law.params_axis + " and log " + law.tokens_axis + " are collinear across the " + runs_text +
                " (correlation " + correlation + ", " + LineFormula(line, law) + "): " + law.params_pair + " (the " +
                law.params_axis + " term) cannot be told from " + law.tokens_pair + " (the " + law.tokens_axis +
                " term); vary " + law.params_axis + " and " + law.tokens_axis +
                " independently, e.g. several " + law.tokens_axis + " per " + law.params_axis);
  }

  // Warnings.
  if (out.num_runs < kRunsPerParameter * law.num_params) {
    out.warnings.push_back("only " + runs_text + " for the " + std::to_string(law.num_params) + " parameters of the " +
                           law.name + " (fewer than " + std::to_string(kRunsPerParameter) +
                           " per parameter): the fit can follow the noise; check it with --bootstrap");
  }
  if (std::fabs(line.correlation) >= kStrongCorrelation) {
    std::snprintf(correlation, sizeof correlation, "%.4f", line.correlation);
    out.warnings.push_back("log " + law.params_axis + " and log " + law.tokens_axis +
                           " are strongly correlated (correlation " + correlation + ", near " +
                           LineFormula(line, law) + "): " + law.params_pair + " are told from " + law.tokens_pair +
                           " only by how far the runs leave that line; check the intervals with --bootstrap");
  }
  const std::string duplicates = DuplicateWarning(table);
  if (!duplicates.empty()) out.warnings.push_back(duplicates);
  return out;
}

std::vector<std::string> RequireIdentifiable(const RunsTable& table, const LawTerms& law) {
  Identifiability verdict = AssessIdentifiability(table, law);
  if (!verdict.identifiable) throw InputError(verdict.verdict, InputLocation{table.source});
  return std::move(verdict.warnings);
}

}  // namespace scaleplan
