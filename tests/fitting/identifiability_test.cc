#include "fitting/identifiability.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "core/dictionary_runs.h"
#include "core/error.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/dictionary_fit.h"
#include "fitting/kaplan_fit.h"

namespace scaleplan {
namespace {

// Besiroglu et al. 2024's point estimate, the law every generated run follows exactly.
const ChinchillaLaw kTruth{1.817, 482.01, 2085.43, 0.3478, 0.3658};

struct Point {
  double num_params, num_tokens;
};

RunsTable RunsAt(const std::vector<Point>& points, const ChinchillaLaw& law = kTruth) {
  RunsTable table;
  table.source = "generated.csv";
  for (const Point& p : points) {
    TrainingRun run;
    run.num_params = p.num_params;
    run.num_tokens = p.num_tokens;
    run.compute_flops = 6 * p.num_params * p.num_tokens;
    run.loss_nats = law.Loss(p.num_params, p.num_tokens);
    run.line = static_cast<int>(table.runs.size()) + 2;  // as if read from a file with a header on line 1
    table.runs.push_back(run);
  }
  return table;
}

// The log-space Huber objective of `law` on `table`, evaluated the way the fit evaluates it.
double Objective(const ChinchillaLaw& law, const RunsTable& table) {
  const ChinchillaModel model(table);
  const double p[5] = {std::log(law.A), std::log(law.B), std::log(law.E), law.alpha, law.beta};
  return EvaluateObjective(model, p, 1e-3);
}

std::string FitError(const RunsTable& table) {
  try {
    FitChinchilla(table, MultiStartOptions{});
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error: the law was fitted)";
}

std::vector<Point> Grid(const std::vector<double>& params, const std::vector<double>& tokens) {
  std::vector<Point> points;
  for (double n : params) {
    for (double d : tokens) points.push_back({n, d});
  }
  return points;
}

TEST(Identifiability, AllRunsAtOneDCannotIdentifyBetaBAndE) {
  std::vector<Point> points;
  for (int k = 0; k < 12; ++k) points.push_back({1e7 * std::pow(2.0, k), 2e10});
  const RunsTable table = RunsAt(points);
  const Identifiability verdict = AssessIdentifiability(table, ChinchillaModel::Terms());
  EXPECT_FALSE(verdict.identifiable);
  EXPECT_EQ(verdict.num_distinct_tokens, 1);
  EXPECT_EQ(verdict.num_distinct_params, 12);
  EXPECT_EQ(verdict.verdict,
            "all 12 runs have D = 2e+10: beta, B and E cannot be identified (at a single D, E + B / D^beta is one "
            "number); runs at 3 or more distinct D are needed");
  EXPECT_EQ(FitError(table), "generated.csv: " + verdict.verdict);
  // Why: a law with another beta (and B, E moved to keep E + B / D^beta at D = 2e10) fits these runs exactly as
  // well, so any beta the optimiser stopped at would be an accident of its starting point.
  ChinchillaLaw other = kTruth;
  other.beta = 0.9;
  other.B = 1e7;
  other.E = kTruth.E + kTruth.B / std::pow(2e10, kTruth.beta) - other.B / std::pow(2e10, other.beta);
  ASSERT_GT(other.E, 0.0);
  EXPECT_LT(Objective(kTruth, table), 1e-20);
  EXPECT_LT(Objective(other, table), 1e-20);
}

TEST(Identifiability, ExactlyCollinearRunsCannotTellTheNTermFromTheDTerm) {
  std::vector<Point> points;
  for (int k = 0; k < 12; ++k) points.push_back({1e7 * std::pow(2.0, k), 20 * 1e7 * std::pow(2.0, k)});
  const RunsTable table = RunsAt(points);
  const Identifiability verdict = AssessIdentifiability(table, ChinchillaModel::Terms());
  EXPECT_FALSE(verdict.identifiable);
  EXPECT_NEAR(verdict.log_correlation, 1.0, 1e-12);
  EXPECT_EQ(verdict.verdict,
            "log N and log D are collinear across the 12 runs (correlation 1.000000, D = 20 N^1): alpha and A (the "
            "N term) cannot be told from beta and B (the D term); vary N and D independently, e.g. several D per N");
  EXPECT_EQ(FitError(table), "generated.csv: " + verdict.verdict);
  // Why: on D = 20 N the two terms can swap roles. (A, alpha, B, beta) -> (B 20^-beta, beta, A 20^alpha, alpha)
  // predicts every run identically, with alpha and beta exchanged.
  const ChinchillaLaw swapped{kTruth.E, kTruth.B * std::pow(20.0, -kTruth.beta), kTruth.A * std::pow(20.0, kTruth.alpha),
                              kTruth.beta, kTruth.alpha};
  for (const TrainingRun& run : table.runs) {
    EXPECT_NEAR(swapped.Loss(run.num_params, run.num_tokens), run.loss_nats, 1e-12 * run.loss_nats);
  }
}

TEST(Identifiability, TooFewRunsOrTooFewDistinctPoints) {
  const RunsTable five = RunsAt({{1e8, 1e9}, {1e8, 4e9}, {4e8, 1e9}, {4e8, 4e9}, {1.6e9, 1.6e10}});
  EXPECT_EQ(FitError(five), "generated.csv: too few runs to fit: 5 runs, but the Chinchilla law has 5 parameters "
                            "(need at least 6 runs)");
  // Twelve runs, but at five points (3 distinct N, 3 distinct D): replicates add no information about the shape.
  std::vector<Point> replicated;
  for (int copy = 0; copy < 2; ++copy) {
    for (const Point& p : std::vector<Point>{{1e8, 1e9}, {1e8, 4e9}, {4e8, 1e9}, {1.6e9, 1.6e10}, {1.6e9, 4e9},
                                             {4e8, 1e9}}) {
      replicated.push_back(p);
    }
  }
  const RunsTable table = RunsAt(replicated);
  const Identifiability verdict = AssessIdentifiability(table, ChinchillaModel::Terms());
  EXPECT_FALSE(verdict.identifiable);
  EXPECT_EQ(verdict.num_points, 5);
  EXPECT_EQ(verdict.verdict,
            "too few distinct runs to fit: 12 runs at only 5 distinct (N, D) points, but the Chinchilla law has 5 "
            "parameters (need at least 6 distinct points; repeated runs at one point measure the noise there, not "
            "the law's shape)");
}

TEST(Identifiability, TwoDistinctValuesAreTooFewForALawWithAConstantButEnoughForKaplans) {
  const RunsTable table = RunsAt(Grid({1e8, 1e9}, {1e9, 2e9, 4e9, 8e9, 1.6e10, 3.2e10}));
  const Identifiability chinchilla = AssessIdentifiability(table, ChinchillaModel::Terms());
  EXPECT_FALSE(chinchilla.identifiable);
  EXPECT_EQ(chinchilla.verdict,
            "the 12 runs have only 2 distinct values of N (1e+08, 1e+09): alpha, A and E cannot all be identified "
            "(E + A / N^alpha at 2 values of N is 2 numbers); runs at 3 or more distinct N are needed");
  // Why: E + A / N^alpha through two points leaves a family of (E, A, alpha). Keep its values at 1e8 and 1e9 with
  // another alpha: the objective is as small as the truth's.
  ChinchillaLaw other = kTruth;
  other.alpha = 0.8;
  const double at_small = kTruth.A / std::pow(1e8, kTruth.alpha), at_large = kTruth.A / std::pow(1e9, kTruth.alpha);
  other.A = (at_small - at_large) / (std::pow(1e8, -other.alpha) - std::pow(1e9, -other.alpha));
  other.E = kTruth.E + at_large - other.A * std::pow(1e9, -other.alpha);
  ASSERT_GT(other.E, 0.0);
  EXPECT_LT(Objective(other, table), 1e-20);
  // Kaplan's law has no additive constant: (N_c / N)^(alpha_N / alpha_D) at two N pins N_c and alpha_N down.
  EXPECT_TRUE(AssessIdentifiability(table, KaplanModel::Terms()).identifiable);
  std::vector<Point> one_d;
  for (int k = 0; k < 12; ++k) one_d.push_back({1e7 * std::pow(2.0, k), 2e10});
  const Identifiability kaplan = AssessIdentifiability(RunsAt(one_d), KaplanModel::Terms());
  EXPECT_FALSE(kaplan.identifiable);
  EXPECT_EQ(kaplan.verdict,
            "all 12 runs have D = 2e+10: D_c cannot be identified (at a single D, D_c / D is one number); runs at 2 "
            "or more distinct D are needed");
  try {
    FitKaplan(RunsAt(one_d), MultiStartOptions{});
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "generated.csv: " + kaplan.verdict);
  }
}

TEST(Identifiability, StronglyCorrelatedRunsWarnAndStillRecoverTheLaw) {
  // Runs near a compute-optimal frontier: D = 20 N within a factor 0.7..1.4.
  std::vector<Point> points;
  for (int k = 0; k < 12; ++k) {
    for (double factor : {0.7, 1.0, 1.4}) points.push_back({1e7 * std::pow(2.0, k), 20 * factor * 1e7 * std::pow(2.0, k)});
  }
  const RunsTable table = RunsAt(points);
  const Identifiability verdict = AssessIdentifiability(table, ChinchillaModel::Terms());
  ASSERT_TRUE(verdict.identifiable) << verdict.verdict;
  EXPECT_GT(verdict.log_correlation, kStrongCorrelation);
  EXPECT_LT(verdict.log_correlation, kCollinearCorrelation);
  ASSERT_EQ(verdict.warnings.size(), 1u);
  EXPECT_EQ(verdict.warnings[0].rfind("log N and log D are strongly correlated (correlation 0.99", 0), 0u)
      << verdict.warnings[0];
  // The warning is not a refusal: the runs off the line do identify the law, and the fit finds it.
  const ChinchillaFit fit = FitChinchilla(table, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_EQ(fit.warnings, verdict.warnings);
  EXPECT_NEAR(fit.law.alpha, kTruth.alpha, 1e-4);
  EXPECT_NEAR(fit.law.beta, kTruth.beta, 1e-4);
  EXPECT_NEAR(fit.law.E, kTruth.E, 1e-4);
}

TEST(Identifiability, CorrelationIsPearsonsOnTheLogs) {
  // log(N / 1e8) = 0..5 and log(D / 1e9) = 0, 2, 1, 0, 2, 1. By hand: deviations from the means 2.5 and 1 give
  // Sxy = 2.5 - 1.5 + 0 - 0.5 + 1.5 + 0 = 2, Sxx = 17.5, Syy = 4, so r = 2 / sqrt(70).
  const double y[] = {0, 2, 1, 0, 2, 1};
  std::vector<Point> points;
  for (int i = 0; i < 6; ++i) points.push_back({1e8 * std::exp(i), 1e9 * std::exp(y[i])});
  const Identifiability verdict = AssessIdentifiability(RunsAt(points), ChinchillaModel::Terms());
  ASSERT_TRUE(verdict.identifiable) << verdict.verdict;
  EXPECT_NEAR(verdict.log_correlation, 2 / std::sqrt(70.0), 1e-12);
  EXPECT_EQ(verdict.num_points, 6);
  EXPECT_EQ(verdict.num_distinct_params, 6);
  EXPECT_EQ(verdict.num_distinct_tokens, 3);
  // Six runs for five parameters: identifiable, with a warning.
  ASSERT_EQ(verdict.warnings.size(), 1u);
  EXPECT_EQ(verdict.warnings[0], "only 6 runs for the 5 parameters of the Chinchilla law (fewer than 2 per parameter): "
                                 "the fit can follow the noise; check it with --bootstrap");
}

TEST(Identifiability, ExactRepeatsWarnWithTheirLines) {
  std::vector<Point> points = Grid({1e8, 4e8, 1.6e9}, {1e9, 4e9, 1.6e10});
  points.push_back(points[0]);
  points.push_back(points[4]);
  RunsTable table = RunsAt(points);
  // A replicate with another loss (another seed) is not a repeat.
  table.runs.push_back(table.runs[1]);
  table.runs.back().loss_nats *= 1.001;
  table.runs.back().line = 13;
  const Identifiability verdict = AssessIdentifiability(table, ChinchillaModel::Terms());
  ASSERT_TRUE(verdict.identifiable) << verdict.verdict;
  ASSERT_EQ(verdict.warnings.size(), 1u);
  EXPECT_EQ(verdict.warnings[0],
            "2 runs repeat an earlier run exactly (N, D and the loss equal): line 11 repeats line 2, line 12 repeats "
            "line 6; every copy is fitted, so a repeated run weighs more (remove the copies if they are the same run "
            "exported twice)");
}

TEST(Identifiability, TheBundledRunsRaiseNothing) {
  const RunsTable runs = BundledChinchillaRuns();
  const Identifiability verdict = AssessIdentifiability(runs, ChinchillaModel::Terms());
  EXPECT_TRUE(verdict.identifiable) << verdict.verdict;
  EXPECT_TRUE(verdict.warnings.empty()) << verdict.warnings.front();
  // Counted independently from data/chinchilla_runs.csv without its 5 highest losses: 140 different N, which the
  // SVG reconstruction jitters by parts in 10^7 around 52 sizes 1e-6 apart or more (sorted log N, a new value
  // where the gap exceeds 1e-6), and the Pearson correlation of log N with log(C / 6N) 0.3376.
  EXPECT_EQ(verdict.num_runs, 240);
  EXPECT_EQ(verdict.num_distinct_params, 52);
  EXPECT_NEAR(verdict.log_correlation, 0.3376, 1e-4);
}

TEST(Identifiability, DictionaryTokenLawOnCollinearRunsFallsBackToThePrior) {
  // Only the grid family: every run is trained on T_conv(n) = 40e9 (n / 2^24)^0.6 tokens, so at any k, log T is a
  // linear function of log n and the token law L(n, T) cannot be fitted.
  DictionaryRunsDesign design;
  design.sweep_token_fractions.clear();
  const DictionaryRunsTable runs = GenerateDictionaryRuns(design, 7, "grid.csv");
  const DictionaryFit fit = FitDictionaryLaws(runs);
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_FALSE(fit.has_token_law);
  EXPECT_EQ(fit.token_law_note.rfind("the runs at k = ", 0), 0u) << fit.token_law_note;
  EXPECT_NE(fit.token_law_note.find("cannot identify the token law: log n and log T are collinear"),
            std::string::npos)
      << fit.token_law_note;
  // With the sweep family (several T per n at k = 32) the token law is fitted.
  const DictionaryFit with_sweep = FitDictionaryLaws(GenerateDictionaryRuns(DictionaryRunsDesign{}, 7));
  EXPECT_TRUE(with_sweep.has_token_law) << with_sweep.token_law_note;
}

TEST(Identifiability, DataConstrainedFitNeedsRepeatedDataAndExcessParameters) {
  DataConstrainedRunsTable table;
  table.source = "dc.csv";
  const DataConstrainedLaw law = MuennighoffC4Law();
  for (double n : {1e8, 4e8, 1.6e9}) {
    for (double d : {2e9, 8e9, 3.2e10}) {
      table.runs.push_back({n, d, 1e11, law.Loss(n, d, 1e11), 0});  // U = 1e11 > D: no run repeats its data
    }
  }
  try {
    FitDataConstrained(table);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "dc.csv: no run repeats its data (D <= U in all 9 runs): R_D* cannot be identified, as it acts only on "
              "repeated tokens; the fit needs runs trained for more than one epoch of their unique tokens");
  }
  // Why: R_D* leaves the prediction of a run that does not repeat its data unchanged.
  DataConstrainedLaw other = law;
  other.R_D_star = 3 * law.R_D_star;
  for (const DataConstrainedRun& run : table.runs) {
    EXPECT_EQ(other.Loss(run.num_params, run.num_tokens, run.unique_tokens),
              law.Loss(run.num_params, run.num_tokens, run.unique_tokens));
  }
  // The bundled runs repeat data and have excess parameters: both constants are fitted.
  EXPECT_TRUE(FitDataConstrained(BundledMuennighoffRuns()).usable);
}

}  // namespace
}  // namespace scaleplan
