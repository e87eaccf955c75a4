// Speed of an expression law (`fit --law-expr`, fitting/expression_fit.h) against the built-in fit of the same law in
// the same run: the Chinchilla form written as an expression in the built-in parameters,
//   exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e),
// from the same 4,500-point grid, against FitChinchilla (hand-written vectorised objective and gradient). Both must
// reach the same optimum (checked). Prints medians and the ratio expression / built-in, on one thread (the steadier
// figure) and on all cores; the target is within 5x.
#include <cmath>
#include <cstdio>
#include <vector>

#include "bench/bench_util.h"
#include "core/bundled_data.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/expression_fit.h"

int main() {
  using namespace scaleplan;
  using bench::MedianSeconds;
  const RunsTable runs = BundledChinchillaRuns();
  const std::vector<ExpressionParam> params = {
      ParseExpressionParam("a=0:25:5"), ParseExpressionParam("b=0:25:5"), ParseExpressionParam("e=-1:1:0.5"),
      ParseExpressionParam("alpha=0:2:0.5"), ParseExpressionParam("beta=0:2:0.5")};
  const ExpressionLawSpec spec = MakeExpressionLawSpec("exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)", params);
  const ExpressionRuns expression_runs = BindExpressionLaw(spec, runs, "");

  int failures = 0;
  for (const int threads : {1, 0}) {
    MultiStartOptions options;
    options.num_threads = threads;
    ChinchillaFit builtin;
    ExpressionFit expression;
    const int repeats = 9;
    const double builtin_s = MedianSeconds(repeats, [&] { builtin = FitChinchilla(runs, options); });
    const double expression_s =
        MedianSeconds(repeats, [&] { expression = FitExpressionLaw(expression_runs, spec, options); });
    const double ratio = expression_s / builtin_s;
    std::printf("%s:\n", threads == 1 ? "one thread" : "all cores");
    std::printf("  built-in Chinchilla fit (64 of 4,500 starts)   median %8.4f s  objective %.10f\n", builtin_s,
                builtin.search.objective);
    std::printf("  expression fit, same form and grid             median %8.4f s  objective %.10f\n", expression_s,
                expression.search.objective);
    std::printf("  ratio expression / built-in: %.2fx (target: within 5x)\n", ratio);
    const bool same = std::fabs(expression.search.objective / builtin.search.objective - 1) <= 1e-9;
    double worst = 0;
    for (size_t k = 0; k < 5; ++k) {
      worst = std::max(worst, std::fabs(expression.params[k] - builtin.search.params[k]) /
                                  std::max(1.0, std::fabs(builtin.search.params[k])));
    }
    std::printf("  same optimum: %s (objective within 1e-9 relative; parameters within %.1e)\n", same ? "yes" : "NO",
                worst);
    failures += same ? 0 : 1;
  }
  return failures == 0 ? 0 : 1;
}
