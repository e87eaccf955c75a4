#include "fitting/golden.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/error.h"
#include "fitting/chinchilla_fit.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

struct Recorded {
  RunsTable table;
  ChinchillaFit fit;
  ChinchillaBootstrap bootstrap;
};

// The bundled fit and a small bootstrap, made once for every test here.
const Recorded& BundledRecord() {
  static const Recorded recorded = [] {
    Recorded r;
    r.table = BundledChinchillaRuns();
    r.fit = FitChinchilla(r.table, MultiStartOptions{});
    BootstrapOptions options;
    options.num_resamples = 50;
    options.seed = testing::TestSeed();
    r.bootstrap = BootstrapChinchilla(r.table, r.fit, options);
    return r;
  }();
  return recorded;
}

std::string ParseError(const std::string& text) {
  try {
    ParseGolden(text, "golden.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(Golden, RecordsTheFitItsPredictionsAndItsOptions) {
  const Recorded& r = BundledRecord();
  ASSERT_TRUE(r.fit.search.usable);
  const nlohmann::ordered_json json = MakeGolden(r.fit, r.table, &r.bootstrap, DefaultGoldenBudgets());
  EXPECT_EQ(json["schema_version"], 1);
  EXPECT_EQ(json["law"], "chinchilla");
  EXPECT_EQ(json["parameters"]["alpha"].get<double>(), r.fit.law.alpha);
  EXPECT_EQ(json["objective"].get<double>(), r.fit.search.objective);
  // N_opt at Gopher's budget by the closed form, written out here: G (C/6)^a, G = (alpha A / (beta B))^(1/(alpha+beta)).
  const ChinchillaLaw& law = r.fit.law;
  const double g = std::pow(law.alpha * law.A / (law.beta * law.B), 1 / (law.alpha + law.beta));
  const double n_opt = g * std::pow(5.76e23 / 6, law.beta / (law.alpha + law.beta));
  ASSERT_EQ(json["predictions"].size(), 4u);
  EXPECT_EQ(json["predictions"][2]["compute_flops"].get<double>(), 5.76e23);
  EXPECT_NEAR(json["predictions"][2]["num_params"].get<double>() / n_opt, 1.0, 1e-12);
  EXPECT_NEAR(json["predictions"][2]["num_tokens"].get<double>() * n_opt * 6 / 5.76e23, 1.0, 1e-12);
  const auto interval = json["predictions"][2]["intervals"]["num_params"];
  EXPECT_LT(interval[0].get<double>(), n_opt);
  EXPECT_GT(interval[1].get<double>(), n_opt);
  EXPECT_EQ(json["data"]["num_runs"], 240);
  EXPECT_EQ(json["data"]["hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(json["options"]["grid"], "a=0:25:5,b=0:25:5,e=-1:1:0.5,alpha=0:2:0.5,beta=0:2:0.5");
  EXPECT_EQ(json["options"]["starts"], 64);
  EXPECT_EQ(json["options"]["bootstrap"]["resamples"], 50);
  EXPECT_EQ(json["options"]["bootstrap"]["seed"].get<std::uint64_t>(), testing::TestSeed());
  // Without a bootstrap there are no intervals and no bootstrap options.
  const nlohmann::ordered_json plain = MakeGolden(r.fit, r.table, nullptr, {1e22});
  EXPECT_FALSE(plain.contains("intervals"));
  EXPECT_FALSE(plain["options"].contains("bootstrap"));
  EXPECT_FALSE(plain["predictions"][0].contains("intervals"));
}

TEST(Golden, RoundTripsExactly) {
  const Recorded& r = BundledRecord();
  const Golden golden = MakeGoldenRecord(r.fit, r.table, &r.bootstrap, DefaultGoldenBudgets());
  const Golden back = ParseGolden(GoldenToJson(golden).dump(2), "golden.json");
  EXPECT_EQ(back.law_name, "chinchilla");
  EXPECT_EQ(back.parameters, golden.parameters);
  EXPECT_EQ(back.objective, golden.objective);
  ASSERT_EQ(back.intervals.size(), 7u);
  for (size_t k = 0; k < 7; ++k) {
    EXPECT_EQ(back.intervals[k].first, golden.intervals[k].first);
    EXPECT_EQ(back.intervals[k].second.lower, golden.intervals[k].second.lower);
    EXPECT_EQ(back.intervals[k].second.upper, golden.intervals[k].second.upper);
  }
  ASSERT_EQ(back.predictions.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.predictions[i].compute_flops, DefaultGoldenBudgets()[i]);
    EXPECT_EQ(back.predictions[i].num_params, golden.predictions[i].num_params);
    EXPECT_EQ(back.predictions[i].loss_nats, golden.predictions[i].loss_nats);
    EXPECT_EQ(back.predictions[i].loss_interval.upper, golden.predictions[i].loss_interval.upper);
  }
  EXPECT_EQ(back.data_hash, FormatRunsHash(r.table));
  EXPECT_EQ(back.data_source, kBundledChinchillaLabel);
  EXPECT_EQ(back.fit_options.huber_delta, 1e-3);
  EXPECT_EQ(back.fit_options.num_starts, 64);
  EXPECT_FALSE(back.fit_options.exhaustive);
  EXPECT_EQ(back.grid.axes, ChinchillaModel::HoffmannGrid().axes);  // the grid text parses back to the same grid
  ASSERT_TRUE(back.bootstrap.has_value());
  EXPECT_EQ(back.bootstrap->num_resamples, 50);
  EXPECT_EQ(back.bootstrap->seed, testing::TestSeed());
  EXPECT_EQ(back.bootstrap->confidence, 0.95);
  // The same fit compared with itself holds everywhere, intervals included.
  const GoldenComparison same = CompareWithGolden(golden, back, GoldenTolerances{}, true);
  EXPECT_TRUE(same.data_hash_matches);
  EXPECT_EQ(same.num_failed, 0);
  EXPECT_EQ(same.checks.size(), 8 + 12 + 2 * (7 + 12) + 7 + 12u);
}

TEST(Golden, BadFilesGetLocatedErrors) {
  const Recorded& r = BundledRecord();
  const nlohmann::ordered_json good = MakeGolden(r.fit, r.table, &r.bootstrap, {1e21, 1e23});
  nlohmann::ordered_json doc = good;
  doc["parameters"].erase("alpha");
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: missing key 'parameters.alpha'");
  doc = good;
  doc["predictions"][1]["loss"] = "low";
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: key 'predictions[1].loss' must be a number, got string: '\"low\"'");
  doc = good;
  doc["schema_version"] = 2;
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: schema_version 2 is newer than this scaleplan understands (1); "
                                    "upgrade scaleplan");
  doc = good;
  doc["schema_version"] = "1";
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: key 'schema_version' must be an integer, got string: '\"1\"'");
  doc = good;
  doc["law"] = "kaplan";  // a Kaplan golden records N_c, D_c, alpha_N, alpha_D, not Chinchilla's parameters
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: missing key 'parameters.N_c'");
  doc = good;
  doc["law"] = "sparse";  // the laws of fitting/law_table.h record no intervals
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: a sparse golden has no intervals");
  doc.erase("intervals");
  doc["options"].erase("bootstrap");
  EXPECT_EQ(ParseError(doc.dump()).rfind("golden.json: a sparse golden records no predictions (the law gives no "
                                         "allocation at a budget)",
                                         0),
            0u);
  doc["predictions"] = nlohmann::ordered_json::array();  // and it records how its runs were read
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: missing key 'options.tokens_per_step'");
  doc = good;
  doc["law"] = "broken-power";
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: law 'broken-power' cannot be checked by this scaleplan (it checks: "
                                    "chinchilla, kaplan, isoflop, data-constrained, dictionary, sparse, moe, routing, "
                                    "hyperparams): '\"broken-power\"'");
  doc = good;
  doc["intervals"]["E"] = {2.0, 1.0};
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: key 'intervals.E' must be [lower, upper] with lower <= upper: "
                                    "'[2.0,1.0]'");
  doc = good;
  doc["parameters"]["B"] = -3.0;
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: key 'parameters.B' must be positive: '-3.0'");
  doc = good;
  doc["data"]["hash"] = "xyz";
  EXPECT_EQ(ParseError(doc.dump()), "golden.json: key 'data.hash' must be 16 lower-case hex digits: '\"xyz\"'");
  doc = good;
  doc["options"]["grid"] = "gamma=1";
  EXPECT_EQ(ParseError(doc.dump()),
            "golden.json: key 'options.grid' is not a grid: unknown grid parameter 'gamma' (this law has a, b, e, "
            "alpha, beta): '\"gamma=1\"'");
  doc = good;
  doc["options"].erase("bootstrap");
  EXPECT_EQ(ParseError(doc.dump()),
            "golden.json: the golden has intervals but no 'options.bootstrap' to reproduce them");
  EXPECT_EQ(ParseError("{\"schema_version\": 1,").rfind("golden.json: not valid JSON (", 0), 0u);
  EXPECT_EQ(ParseError("[1, 2]"), "golden.json: a golden file must be a JSON object");
  EXPECT_EQ(ParseError("{\"E\": 1.8, \"search\": {}}"),
            "golden.json: this is a saved fit ('fit --out'), not a golden file; record one with 'fit --save-golden'");
}

// A copy of `golden` with one parameter or prediction scaled by `factor`.
Golden Scaled(Golden golden, const std::string& name, double factor) {
  for (auto& [parameter, value] : golden.parameters) {
    if (parameter == name) value *= factor;
  }
  for (GoldenPrediction& prediction : golden.predictions) {
    if (name == "loss") prediction.loss_nats *= factor;
  }
  return golden;
}

const QuantityCheck& Find(const GoldenComparison& comparison, const std::string& name) {
  for (const QuantityCheck& check : comparison.checks) {
    if (check.name == name) return check;
  }
  ADD_FAILURE() << "no check named " << name;
  static const QuantityCheck none;
  return none;
}

TEST(Golden, ComparisonAppliesPerQuantityTolerances) {
  const Recorded& r = BundledRecord();
  const Golden golden = MakeGoldenRecord(r.fit, r.table, &r.bootstrap, DefaultGoldenBudgets());
  // Parameters at 1e-6: a 5e-7 change holds, 2e-6 drifts.
  GoldenComparison result = CompareWithGolden(golden, Scaled(golden, "E", 1 + 5e-7), {}, false);
  EXPECT_EQ(result.num_failed, 0);
  result = CompareWithGolden(golden, Scaled(golden, "E", 1 + 2e-6), {}, false);
  EXPECT_EQ(result.num_failed, 1);
  EXPECT_FALSE(Find(result, "E").passed);
  EXPECT_NEAR(Find(result, "E").relative_change, 2e-6, 1e-15);
  EXPECT_EQ(Find(result, "E").message.rfind("E drifted: golden 1.81721", 0), 0u) << Find(result, "E").message;
  // Predictions at 1%: 0.5% holds, 2% drifts at every budget.
  EXPECT_EQ(CompareWithGolden(golden, Scaled(golden, "loss", 1.005), {}, false).num_failed, 0);
  EXPECT_EQ(CompareWithGolden(golden, Scaled(golden, "loss", 1.02), {}, false).num_failed, 4);
  // Overrides: one budget in another spelling, a family, a parameter. A quantity's own name beats its family,
  // whatever the order.
  GoldenTolerances tolerances;
  tolerances.overrides = {{"loss@5.76e23", 0.001}, {"loss", 0.03}, {"E", 1e-5}};
  result = CompareWithGolden(golden, Scaled(Scaled(golden, "loss", 1.02), "E", 1 + 2e-6), tolerances, false);
  EXPECT_EQ(result.num_failed, 1);
  EXPECT_FALSE(Find(result, "loss@5.76e+23").passed);
  EXPECT_EQ(Find(result, "loss@5.76e+23").tolerance, 0.001);
  EXPECT_EQ(Find(result, "loss@1e+25").tolerance, 0.03);
  EXPECT_EQ(Find(result, "E").tolerance, 1e-5);
  tolerances.overrides = {{"gamma", 0.1}};
  EXPECT_THROW(CompareWithGolden(golden, golden, tolerances, false), InputError);
  tolerances.overrides = {{"loss@7e23", 0.1}};  // not a recorded budget
  EXPECT_THROW(CompareWithGolden(golden, golden, tolerances, false), InputError);
}

TEST(Golden, ChangedDataIsAWarningAndSkipsTheObjective) {
  const Recorded& r = BundledRecord();
  const Golden golden = MakeGoldenRecord(r.fit, r.table, nullptr, DefaultGoldenBudgets());
  Golden now = golden;
  now.data_hash = "0123456789abcdef";
  now.objective *= 1.5;
  const GoldenComparison result = CompareWithGolden(golden, now, {}, false);
  EXPECT_FALSE(result.data_hash_matches);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("hash 0123456789abcdef now"), std::string::npos);
  EXPECT_EQ(result.num_failed, 0);
  EXPECT_EQ(result.num_skipped, 1);
  EXPECT_TRUE(Find(result, "objective").skipped);
}

TEST(Golden, GoldenValuesMustLieInsideTheNewIntervals) {
  const Recorded& r = BundledRecord();
  const Golden golden = MakeGoldenRecord(r.fit, r.table, &r.bootstrap, DefaultGoldenBudgets());
  Golden now = golden;
  // Move the new alpha interval above the golden alpha (its bounds by 20%: beyond the 1% bound tolerance too).
  now.intervals[3].second = {golden.parameters[3].second * 1.1, golden.parameters[3].second * 1.2};
  const GoldenComparison result = CompareWithGolden(golden, now, {}, true);
  const QuantityCheck& inside = Find(result, "alpha.inside");
  EXPECT_FALSE(inside.passed);
  EXPECT_EQ(inside.kind, CheckKind::CONTAINMENT);
  EXPECT_NE(inside.message.find("lies outside the new interval"), std::string::npos);
  EXPECT_FALSE(Find(result, "alpha.lower").passed);
  EXPECT_FALSE(Find(result, "alpha.upper").passed);
  EXPECT_TRUE(Find(result, "beta.inside").passed);
  EXPECT_EQ(result.num_failed, 3);
}

}  // namespace
}  // namespace scaleplan
