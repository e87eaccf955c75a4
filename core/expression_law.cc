#include "core/expression_law.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.h"
#include "core/scalar_search.h"
#include "core/units.h"

namespace scaleplan {
namespace {

constexpr int kScanPoints = 401;  // 0.075 apart in log N over the full bracket (7.8% steps)
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A value and its derivative along one direction (forward mode), the number type EvaluateProgram needs for df/dx.
struct Dual {
  double v = 0.0;
  double d = 0.0;
  Dual() = default;
  Dual(double value) : v(value) {}  // NOLINT: EvaluateProgram converts constants implicitly
  Dual(double value, double derivative) : v(value), d(derivative) {}
  Dual& operator+=(const Dual& o) {
    v += o.v;
    d += o.d;
    return *this;
  }
  Dual& operator-=(const Dual& o) {
    v -= o.v;
    d -= o.d;
    return *this;
  }
  Dual& operator*=(const Dual& o) {
    d = d * o.v + v * o.d;
    v *= o.v;
    return *this;
  }
  Dual& operator/=(const Dual& o) {
    d = (d * o.v - v * o.d) / (o.v * o.v);
    v /= o.v;
    return *this;
  }
  Dual operator-() const { return {-v, -d}; }
  bool operator<(const Dual& o) const { return v < o.v; }
  bool operator>(const Dual& o) const { return v > o.v; }
};

Dual operator*(Dual x, const Dual& y) { return x *= y; }  // EXP_PRODUCT multiplies by a row value

Dual exp(const Dual& x) {
  const double e = std::exp(x.v);
  return {e, e * x.d};
}
Dual log(const Dual& x) { return {std::log(x.v), x.d / x.v}; }
Dual sqrt(const Dual& x) {
  const double s = std::sqrt(x.v);
  return {s, x.d / (2.0 * s)};
}
Dual abs(const Dual& x) { return x.v < 0 ? -x : x; }
Dual pow(const Dual& x, double p) {
  const double value = std::pow(x.v, p);
  return {value, x.d == 0.0 ? 0.0 : p * std::pow(x.v, p - 1.0) * x.d};
}
Dual pow(const Dual& x, const Dual& p) {
  if (p.d == 0.0) return pow(x, p.v);  // no log of x: x may be negative with an integer exponent
  const double value = std::pow(x.v, p.v);
  return {value, value * (p.d * std::log(x.v) + (x.d == 0.0 ? 0.0 : p.v * x.d / x.v))};
}

// f(x) = L(e^x, C / (6 e^x)) and, with a derivative, df/dx (dN/dx = N, dD/dx = -D, C fixed).
class BudgetSlice {
 public:
  BudgetSlice(const ExpressionLaw& law, double compute_flops) : law_(law), compute_flops_(compute_flops) {
    values_.assign(law.params.begin(), law.params.end());
    values_.resize(law.params.size() + 3);
    duals_.assign(law.params.begin(), law.params.end());
    duals_.resize(law.params.size() + 3);
  }
  double Value(double log_params) {
    const size_t p = law_.params.size();
    values_[p] = std::exp(log_params);
    values_[p + 1] = compute_flops_ / (6.0 * values_[p]);
    values_[p + 2] = compute_flops_;
    const double loss = EvaluateProgram(law_.program, values_.data(), nullptr);
    return std::isfinite(loss) ? loss : kInfinity;
  }
  double Slope(double log_params) {
    const size_t p = law_.params.size();
    const double num_params = std::exp(log_params);
    const double num_tokens = compute_flops_ / (6.0 * num_params);
    duals_[p] = Dual(num_params, num_params);
    duals_[p + 1] = Dual(num_tokens, -num_tokens);
    duals_[p + 2] = Dual(compute_flops_);
    std::array<Dual, kMaxExpressionDepth> stack;
    return EvaluateProgram<Dual>(law_.program, duals_.data(), nullptr, stack.data()).d;
  }

 private:
  const ExpressionLaw& law_;
  double compute_flops_;
  std::vector<double> values_;
  std::vector<Dual> duals_;
};

Allocation AllocationAt(double compute_flops, double log_params, double loss_nats) {
  Allocation out;
  out.num_params = std::exp(log_params);
  out.num_tokens = compute_flops / (6.0 * out.num_params);
  out.compute_flops = compute_flops;
  out.tokens_per_param = out.num_tokens / out.num_params;
  out.loss_nats = loss_nats;
  return out;
}

// The first budget, decades apart from kExpressionMinComputeFlops, whose compute-optimal allocation `reached`, then
// bisection in log C between it and the decade below. `what` names the quantity in the refusals.
ExpressionSearch FirstBudgetReaching(const ExpressionLaw& law, const std::function<bool(const Allocation&)>& reached,
                                     const std::function<std::string(const Allocation&)>& describe) {
  constexpr double kLn10 = 2.302585092994046;
  const int first_decade = static_cast<int>(std::lround(std::log10(kExpressionMinComputeFlops)));
  const int last_decade = static_cast<int>(std::lround(std::log10(kExpressionMaxComputeFlops)));
  std::optional<Allocation> below;  // the decade below, when it has an optimum that does not reach
  std::optional<Allocation> last;   // the largest budget with an optimum
  std::string last_why;
  for (int decade = first_decade; decade <= last_decade; ++decade) {
    const ExpressionSearch at = ExpressionComputeOptimal(law, std::pow(10.0, decade));
    if (!at.allocation) {
      below.reset();
      last_why = at.why;
      continue;
    }
    last = at.allocation;
    if (!reached(*at.allocation)) {
      below = at.allocation;
      continue;
    }
    if (!below) {
      const std::string where =
          decade == first_decade
              ? "already at " + FormatScientific(std::pow(10.0, decade)) + " FLOPs, the smallest budget searched"
              : "somewhere below " + FormatScientific(std::pow(10.0, decade)) +
                    " FLOPs, where the law has no compute-optimal size (" + last_why + ")";
      return {std::nullopt, "it is reached " + where};
    }
    double lo = std::log(below->compute_flops), hi = decade * kLn10;
    Allocation upper = *at.allocation;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
      const double mid = 0.5 * (lo + hi);
      const ExpressionSearch inside = ExpressionComputeOptimal(law, std::exp(mid));
      if (!inside.allocation) return inside;
      if (reached(*inside.allocation)) {
        hi = mid;
        upper = *inside.allocation;
      } else {
        lo = mid;
      }
    }
    return {upper, ""};
  }
  if (!last)
    return {std::nullopt, "no budget from " + FormatScientific(kExpressionMinComputeFlops) + " to " +
                              FormatScientific(kExpressionMaxComputeFlops) + " FLOPs has a compute-optimal size (" +
                              last_why + ")"};
  return {std::nullopt, "the compute-optimal plan reaches " + describe(*last) + " at " +
                            FormatScientific(last->compute_flops) +
                            " FLOPs, the largest budget searched with an "
                            "optimum, and no further"};
}

}  // namespace

double ExpressionLaw::Loss(double num_params, double num_tokens) const {
  std::vector<double> values = params;
  values.insert(values.end(), {num_params, num_tokens, 6.0 * num_params * num_tokens});
  return EvaluateProgram(program, values.data(), nullptr);
}

ExpressionLaw MakeExpressionLaw(const std::string& text, const std::vector<std::string>& param_names,
                                const std::vector<double>& params, const std::string& source) {
  SCALEPLAN_CHECK(param_names.size() == params.size(), "one value per parameter");
  const Expression expression = Expression::Parse(text, source);
  ExpressionLaw law;
  law.text = text;
  law.param_names = param_names;
  law.params = params;
  const int num_params = static_cast<int>(params.size());
  std::vector<ExpressionBinding> bindings;
  for (const ExpressionSymbol& symbol : expression.Symbols()) {
    const auto param = std::find(param_names.begin(), param_names.end(), symbol.name);
    int index = static_cast<int>(param - param_names.begin());
    if (param == param_names.end()) {
      if (symbol.name == "N" || symbol.name == "D" || symbol.name == "C") {
        index = num_params + (symbol.name == "N" ? 0 : symbol.name == "D" ? 1 : 2);
      } else {
        if (law.other_column.empty()) law.other_column = symbol.name;
        index = num_params;  // bound for evaluation's sake; such a law does not plan
      }
    }
    bindings.push_back({ExpressionBinding::Kind::PARAMETER, index});
  }
  law.program = expression.Bind(bindings, num_params + 3, 0);
  return law;
}

ExpressionLaw ReadSavedExpressionLaw(const nlohmann::json& doc, const std::string& source) {
  const auto fail = [&source](const std::string& what) { return InputError(what, InputLocation{source}); };
  if (!doc.is_object() || !doc.contains("expression") || !doc["expression"].is_string()) {
    throw fail("missing key 'expression' (the law's text)");
  }
  if (!doc.contains("parameters") || !doc["parameters"].is_object()) {
    throw fail("missing key 'parameters' (an object {name: fitted value})");
  }
  const nlohmann::json& parameters = doc["parameters"];
  std::vector<std::string> names;
  std::vector<double> values;
  for (auto it = parameters.begin(); it != parameters.end(); ++it) {
    if (!it.value().is_number() || !std::isfinite(it.value().get<double>())) {
      throw fail("key 'parameters." + it.key() + "' must be a finite number");
    }
    names.push_back(it.key());
    values.push_back(it.value().get<double>());
  }
  try {
    return MakeExpressionLaw(doc["expression"].get<std::string>(), names, values, "expression");
  } catch (const ExpressionError& error) {
    throw fail("key 'expression': " + std::string(error.what()));
  }
}

ExpressionSearch ExpressionComputeOptimal(const ExpressionLaw& law, double compute_flops) {
  SCALEPLAN_CHECK(law.Plans(), "an expression law of N, D and C only");
  const double max_params = std::min(kExpressionMaxParams, compute_flops / 6.0);  // at least one token
  if (!(compute_flops > 0.0) || !(max_params > kExpressionMinParams)) {
    return {std::nullopt, "a budget of " + FormatScientific(compute_flops) + " FLOPs is below 6 N D = " +
                              FormatScientific(6.0 * kExpressionMinParams) + " FLOPs of the smallest model searched, " +
                              FormatScientific(kExpressionMinParams) + " parameters on one token"};
  }
  BudgetSlice slice(law, compute_flops);
  const double lo = std::log(kExpressionMinParams), hi = std::log(max_params);
  const double step = (hi - lo) / (kScanPoints - 1);
  int best = -1;
  double best_value = kInfinity;
  for (int i = 0; i < kScanPoints; ++i) {
    const double value = slice.Value(i == kScanPoints - 1 ? hi : lo + i * step);
    if (value < best_value) {
      best = i;
      best_value = value;
    }
  }
  const std::string at_budget = " at " + FormatScientific(compute_flops) + " FLOPs";
  if (best < 0) return {std::nullopt, "the law is not a finite number anywhere" + at_budget};
  if (best == 0 || best == kScanPoints - 1) {
    const bool small = best == 0;
    const double edge_params = small ? kExpressionMinParams : max_params;
    return {std::nullopt, std::string("the loss") + at_budget + " keeps falling as N " + (small ? "shrinks" : "grows") +
                              " to the edge of the search, " + FormatScientific(edge_params) + " parameters on " +
                              FormatScientific(compute_flops / (6.0 * edge_params)) +
                              " tokens: the law has no compute-optimal size there (check its exponents)"};
  }
  double a = lo + (best - 1) * step;
  double b = best + 1 == kScanPoints - 1 ? hi : lo + (best + 1) * step;
  double x = lo + best * step;
  if (slice.Slope(a) < 0.0 && slice.Slope(b) > 0.0) {
    // The optimum is where df/dx = 0: bisection to the resolution of a double.
    for (int i = 0; i < 200; ++i) {
      const double mid = 0.5 * (a + b);
      if (mid <= a || mid >= b) break;
      (slice.Slope(mid) < 0.0 ? a : b) = mid;
    }
    x = 0.5 * (a + b);
  } else {
    // A kink at the optimum (min, max, abs): golden-section search on the neighbours' bracket.
    x = MinimizeScanGolden([&slice](double t) { return slice.Value(t); }, a, b, 3, 1e-12).x;
  }
  const double value = slice.Value(x);
  if (value > best_value) x = lo + best * step;  // never worse than the scan
  return {AllocationAt(compute_flops, x, slice.Value(x)), ""};
}

ExpressionSearch ExpressionComputeOptimalForParams(const ExpressionLaw& law, double num_params) {
  return FirstBudgetReaching(
      law, [num_params](const Allocation& a) { return a.num_params >= num_params; },
      [](const Allocation& a) { return "N_opt = " + FormatScientific(a.num_params) + " parameters"; });
}

ExpressionSearch ExpressionLeastComputeForLoss(const ExpressionLaw& law, double loss_nats) {
  return FirstBudgetReaching(
      law, [loss_nats](const Allocation& a) { return a.loss_nats <= loss_nats; },
      [](const Allocation& a) { return "a loss of " + FormatSignificant(a.loss_nats, 6); });
}

}  // namespace scaleplan
