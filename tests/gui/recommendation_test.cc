// The Plan panel's sources, without widgets: budget parsing, the recommendation, its exports, and sessions.
#include "gui/recommendation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/error.h"
#include "gui/session.h"

namespace scaleplan::gui {
namespace {

// Hoffmann et al.'s published (rounded) law.
ChinchillaLaw Hoffmann() { return FindPublishedLaw("hoffmann")->law; }

const Accelerator& H100() { return *BundledHardwareCatalogue().TryFind("H100-SXM"); }

TEST(ParseBudget, FlopsInEveryForm) {
  const TrainingPlanOptions options;
  std::string why;
  EXPECT_EQ(ParseBudget("1e24", H100(), options, &why), 1e24);
  EXPECT_EQ(ParseBudget(" 5.76e23 ", H100(), options, &why), 5.76e23);
  EXPECT_EQ(ParseBudget("300P", H100(), options, &why), 300e15);
  EXPECT_EQ(ParseBudget("2e23 FLOPs", H100(), options, &why), 2e23);
}

TEST(ParseBudget, DeviceTimeThroughTheAcceleratorAndMfu) {
  TrainingPlanOptions options;
  options.mfu = 0.5;
  const double peak = 989e12;  // H100 SXM dense bf16, the datasheet's 1979 TFLOP/s with sparsity halved
  ASSERT_EQ(H100().DenseFlopsPerSecond(NumericType::BF16), peak);
  std::string why;
  EXPECT_DOUBLE_EQ(*ParseBudget("300 GPU-days", H100(), options, &why), 300.0 * 86400 * peak * 0.5);
  EXPECT_DOUBLE_EQ(*ParseBudget("7200 gpu-hours", H100(), options, &why), 300.0 * 86400 * peak * 0.5);
  // Wall-clock time needs the device count.
  EXPECT_FALSE(ParseBudget("30 days", H100(), options, &why).has_value());
  EXPECT_EQ(why, "wall-clock time needs a device count: set the count, or give GPU-days");
  options.num_accelerators = 1024;
  EXPECT_DOUBLE_EQ(*ParseBudget("30 days", H100(), options, &why), 30.0 * 86400 * 1024 * peak * 0.5);
}

TEST(ParseBudget, RejectsWhatIsNotABudget) {
  const TrainingPlanOptions options;
  std::string why;
  for (const char* text : {"", "abc", "-1", "0", "1e24 parsecs", "five GPU-days", "nan"}) {
    EXPECT_FALSE(ParseBudget(text, H100(), options, &why).has_value()) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
  EXPECT_FALSE(ParseBudget("abc", H100(), options, &why).has_value());
  EXPECT_EQ(why.rfind("not a budget: 'abc'", 0), 0u) << why;
}

TEST(Recommend, IsTheClosedFormPlusShapeAndHardware) {
  LawSource source{Hoffmann(), "hoffmann", 1e22};
  PlanSettings settings;
  settings.accelerator = "H100-SXM";
  settings.memory.recomputation = Recomputation::FULL;
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  // Hoffmann et al.'s allocation check values for Gopher's budget (README): 32.2B parameters, 2.98T tokens.
  EXPECT_NEAR(plan.allocation.num_params / 32.2e9, 1.0, 0.002);
  EXPECT_NEAR(plan.allocation.num_tokens / 2.98e12, 1.0, 0.002);
  const Allocation closed_form = Hoffmann().ComputeOptimal(5.76e23);
  EXPECT_EQ(plan.allocation.num_params, closed_form.num_params);
  ASSERT_TRUE(plan.shape.has_value());
  EXPECT_LE(std::fabs(plan.shape->relative_error), settings.shapes.max_relative_error);
  ASSERT_TRUE(plan.training.has_value());
  EXPECT_TRUE(plan.training->feasible);
  // Time is for the budget itself: devices x seconds x peak x MFU = C.
  const TrainingPlan& t = *plan.training;
  EXPECT_NEAR(static_cast<double>(t.num_accelerators) * t.seconds * t.peak_flops_per_second * 0.40 / 5.76e23, 1.0,
              1e-12);
  // 57.6x beyond the largest "fitted" run (1e22) is flagged.
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0], "extrapolates 57.6x beyond the largest fitted run (1.00e+22 FLOPs)");
}

TEST(Recommend, UniqueTokenLimitThatDoesNotBindIsChinchilla) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  PlanSettings settings;
  settings.unique_tokens = 1e15;  // far more than the 2.98T the budget needs
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  EXPECT_EQ(plan.mode, "data-constrained");
  EXPECT_FALSE(plan.data_limited);
  EXPECT_EQ(plan.allocation.num_params, Hoffmann().ComputeOptimal(5.76e23).num_params);
  EXPECT_EQ(plan.allocation.num_tokens, Hoffmann().ComputeOptimal(5.76e23).num_tokens);
}

TEST(Recommend, BindingUniqueTokenLimitRepeatsData) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  PlanSettings settings;
  settings.unique_tokens = 3e11;  // a tenth of what the budget's Chinchilla plan needs
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  const Allocation chinchilla = Hoffmann().ComputeOptimal(5.76e23);
  EXPECT_TRUE(plan.data_limited);
  EXPECT_GT(plan.epochs, 1.0);
  EXPECT_NEAR(plan.epochs, plan.allocation.num_tokens / 3e11, 1e-9 * plan.epochs);
  EXPECT_NEAR(6 * plan.allocation.num_params * plan.allocation.num_tokens / 5.76e23, 1.0, 1e-9);  // same budget
  EXPECT_GT(plan.allocation.loss_nats, chinchilla.loss_nats);  // repeated data is worth less
}

TEST(Recommend, InferenceTokensMakeTheModelSmallerForTheSameLoss) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  PlanSettings settings;
  settings.inference_tokens = 2e13;
  settings.memory.recomputation = Recomputation::FULL;
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  const Allocation chinchilla = Hoffmann().ComputeOptimal(5.76e23);
  EXPECT_EQ(plan.mode, "inference-aware");
  ASSERT_TRUE(plan.inference.has_value());
  EXPECT_LT(plan.allocation.num_params, chinchilla.num_params);
  EXPECT_GT(plan.allocation.num_tokens, chinchilla.num_tokens);
  // Same loss, less lifetime compute 6 N D + 2 N T (Sardana et al. 2023), written out here.
  EXPECT_NEAR(Hoffmann().Loss(plan.allocation.num_params, plan.allocation.num_tokens), chinchilla.loss_nats, 1e-9);
  const double lifetime = 6 * plan.allocation.num_params * plan.allocation.num_tokens +
                          2 * plan.allocation.num_params * settings.inference_tokens;
  const double chinchilla_lifetime =
      6 * chinchilla.num_params * chinchilla.num_tokens + 2 * chinchilla.num_params * settings.inference_tokens;
  EXPECT_LT(lifetime, chinchilla_lifetime);
  // Training time is for the chosen model's own 6 N D, more than the budget.
  ASSERT_TRUE(plan.training.has_value());
  const TrainingPlan& t = *plan.training;
  EXPECT_NEAR(static_cast<double>(t.num_accelerators) * t.seconds * t.peak_flops_per_second * 0.40 /
                  (6 * plan.allocation.num_params * plan.allocation.num_tokens),
              1.0, 1e-9);
  EXPECT_EQ(RecommendationToJson(plan, source, settings)["mode"], "inference-aware");
}

TEST(Recommend, SettingsThatDoNotCheckAreInputErrors) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  PlanSettings settings;
  settings.training.mfu = 1.5;
  EXPECT_THROW(Recommend(source, 1e23, settings, BundledHardwareCatalogue()), InputError);
  settings = PlanSettings{};
  settings.accelerator = "Abacus";
  EXPECT_THROW(Recommend(source, 1e23, settings, BundledHardwareCatalogue()), InputError);
  EXPECT_THROW(Recommend(source, -1, PlanSettings{}, BundledHardwareCatalogue()), InputError);
  settings = PlanSettings{};
  settings.unique_tokens = -5;
  EXPECT_THROW(Recommend(source, 1e23, settings, BundledHardwareCatalogue()), InputError);
}

TEST(Recommend, ExportsCarryTheNumbers) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  const Recommendation plan = Recommend(source, 1e23, PlanSettings{}, BundledHardwareCatalogue());
  const auto json = RecommendationToJson(plan, source, PlanSettings{});
  EXPECT_EQ(json["num_params"].get<double>(), plan.allocation.num_params);
  EXPECT_EQ(json["law"]["E"].get<double>(), Hoffmann().E);
  EXPECT_EQ(json["shape"]["d_model"].get<long long>(), plan.shape->shape.d_model);
  const std::string csv = RecommendationToCsv(plan);
  const std::string header = csv.substr(0, csv.find('\n'));
  const std::string row = csv.substr(csv.find('\n') + 1);
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), std::count(row.begin(), row.end(), ','));
  EXPECT_EQ(std::stod(row.substr(row.find(',') + 1)), plan.allocation.num_params);  // full precision
}

TEST(Session, RoundTripsAndNamesBadKeys) {
  Session session;
  session.runs_path = "/data/runs.csv";
  session.columns.loss = "eval/loss";
  session.excluded_rows = {3, 7};
  session.fit_options.num_starts = 16;
  session.grid_spec = "alpha=0:2:0.25";
  session.bootstrap_resamples = 400;
  session.budget_flops = 3e24;
  session.budget_text = "300 GPU-days";
  session.plan.accelerator = "B200";
  session.plan.training.num_accelerators = 64;
  session.plan.training.mfu = 0.35;
  session.plan.memory.recomputation = Recomputation::FULL;
  session.plan.inference_tokens = 2e12;
  session.plan.unique_tokens = 5e11;
  session.chart = 2;
  const Session back = ParseSession(SessionToJson(session).dump(), "s.json");
  EXPECT_EQ(back.runs_path, session.runs_path);
  EXPECT_EQ(back.columns.loss, "eval/loss");
  EXPECT_EQ(back.excluded_rows, session.excluded_rows);
  EXPECT_EQ(back.fit_options.num_starts, 16);
  EXPECT_EQ(back.grid_spec, session.grid_spec);
  EXPECT_EQ(back.bootstrap_resamples, 400);
  EXPECT_EQ(back.budget_flops, 3e24);
  EXPECT_EQ(back.budget_text, "300 GPU-days");
  EXPECT_EQ(back.plan.accelerator, "B200");
  EXPECT_EQ(back.plan.training.num_accelerators, 64);
  EXPECT_EQ(back.plan.training.mfu, 0.35);
  EXPECT_EQ(back.plan.memory.recomputation, Recomputation::FULL);
  EXPECT_EQ(back.plan.inference_tokens, 2e12);
  EXPECT_EQ(back.plan.unique_tokens, 5e11);
  EXPECT_EQ(back.chart, 2);

  auto message = [](const std::string& text) {
    try {
      ParseSession(text, "s.json");
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message("{\"fit\": {\"starts\": \"many\"}}"), "s.json: /fit/starts: must be a number, got string");
  EXPECT_EQ(message("{\"schema_version\": 9}"), "s.json: schema_version 9 is newer than this scaleplan (1)");
  EXPECT_EQ(message("{\"runs\": {\"excluded_rows\": [1, -2]}}"),
            "s.json: /runs/excluded_rows: must hold non-negative integers, got -2");
  EXPECT_EQ(message("{\"plan\": {\"mfu\": 2}}"), "s.json: /plan: mfu must lie in (0, 1]");
  EXPECT_EQ(message("[1]"), "s.json: a session must be a JSON object");
  EXPECT_EQ(message("{}"), "(accepted)");
}

}  // namespace
}  // namespace scaleplan::gui
