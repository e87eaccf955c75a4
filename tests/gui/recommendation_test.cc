// The Plan and Dictionary panels' sources, without widgets: budget parsing, the recommendation and its hardware side
// against `scaleplan plan`, the dictionary plan against `scaleplan dictionary`, the exports, and sessions.
#include "gui/recommendation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bundled_data.h"
#include "core/error.h"
#include "gui/dictionary_plan.h"
#include "gui/session.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

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
  settings.recompute = RecomputeChoice::FULL;
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  // Hoffmann et al.'s allocation check values for Gopher's budget (README): 32.2B parameters, 2.98T tokens.
  EXPECT_NEAR(plan.allocation.num_params / 32.2e9, 1.0, 0.002);
  EXPECT_NEAR(plan.allocation.num_tokens / 2.98e12, 1.0, 0.002);
  const Allocation closed_form = Hoffmann().ComputeOptimal(5.76e23);
  EXPECT_EQ(plan.allocation.num_params, closed_form.num_params);
  const TrainingHardware& h = plan.hardware;
  ASSERT_TRUE(h.memory.has_shape);
  EXPECT_LE(std::fabs(static_cast<double>(h.memory.shape_params) / plan.allocation.num_params - 1.0), 0.05);
  EXPECT_EQ(h.memory.recomputation, Recomputation::FULL);
  EXPECT_TRUE(h.time.feasible);
  // Time is for the budget itself: devices x seconds x peak x MFU = C.
  EXPECT_NEAR(static_cast<double>(h.time.num_accelerators) * h.time.days * 86400.0 * 989e12 * 0.40 / 5.76e23, 1.0,
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
  const DeviceTime& t = plan.hardware.time;
  EXPECT_NEAR(static_cast<double>(t.num_accelerators) * t.days * 86400.0 * plan.hardware.peak_flops_per_second * 0.40 /
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

// A law with positive but extreme coefficients, as a hand-edited file can hold: A = 1e300 with alpha = 5 puts the
// optimum of 1e22 FLOPs at G (C/6)^(beta/(alpha+beta)) ~ 1e56 parameters, so D = C / (6 N) is far below one token.
TEST(Recommend, RefusesALawWhosePlanIsOutOfRange) {
  ChinchillaLaw extreme = Hoffmann();
  extreme.A = 1e300;
  extreme.alpha = 5.0;
  const LawSource source{extreme, "edited law", 0};
  try {
    Recommend(source, 1e22, PlanSettings{}, BundledHardwareCatalogue());
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("edited law gives no usable plan at 1.00e+22 FLOPs: D = "),
              std::string::npos)
        << error.what();
  }
}

TEST(Recommend, ExportsCarryTheNumbers) {
  LawSource source{Hoffmann(), "hoffmann", 0};
  const Recommendation plan = Recommend(source, 1e23, PlanSettings{}, BundledHardwareCatalogue());
  const auto json = RecommendationToJson(plan, source, PlanSettings{});
  EXPECT_EQ(json["num_params"].get<double>(), plan.allocation.num_params);
  EXPECT_EQ(json["law"]["E"].get<double>(), Hoffmann().E);
  EXPECT_EQ(json["shape"]["d_model"].get<long long>(), plan.hardware.memory.shape.d_model);
  EXPECT_EQ(json["num_accelerators"].get<long long>(), plan.hardware.time.num_accelerators);
  const std::string csv = RecommendationToCsv(plan);
  const std::string header = csv.substr(0, csv.find('\n'));
  const std::string row = csv.substr(csv.find('\n') + 1);
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), std::count(row.begin(), row.end(), ','));
  EXPECT_EQ(std::stod(row.substr(row.find(',') + 1)), plan.allocation.num_params);  // full precision
}

// `scaleplan plan ... --mfu 0.4 --max-days 90 --format json`, parsed (one plan; 90 days: the panel's target). The Plan
// panel times a plan at its MFU field (default TrainingPlanOptions' 0.40), which is `plan --mfu`; without it `plan
// --accelerator` runs the layout search.
nlohmann::json PlanJson(const std::string& args) {
  const bool on_hardware =
      args.find("--accelerator") != std::string::npos || args.find("--profile") != std::string::npos;
  const testing::CommandResult result =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plan " + args + (on_hardware ? " --max-days 90" : "") +
                          " --mfu 0.4 --format json");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

// The hardware keys of a recommendation's export against `scaleplan plan`'s for the same plan.
void ExpectSameHardware(const nlohmann::ordered_json& gui, const nlohmann::json& cli) {
  for (const char* key : {"num_params", "num_tokens", "compute_flops", "days", "gpu_hours", "cost_usd",
                          "memory_bytes", "model_state_bytes", "memory_bytes_per_device", "usable_memory_bytes",
                          "peak_flops_per_second", "price_usd_per_hour"}) {
    ASSERT_TRUE(cli.contains(key)) << key;
    EXPECT_NEAR(gui[key].get<double>(), cli[key].get<double>(), 1e-12 * std::fabs(cli[key].get<double>())) << key;
  }
  for (const char* key : {"num_accelerators", "min_devices_for_memory", "min_devices_for_model_state"}) {
    EXPECT_EQ(gui[key].get<long long>(), cli[key].get<long long>()) << key;
  }
  EXPECT_EQ(gui["recomputation"].get<std::string>(), cli["recomputation"].get<std::string>());
  EXPECT_EQ(gui["feasible"].get<bool>(), cli["feasible"].get<bool>());
  EXPECT_EQ(gui["accelerator"].get<std::string>(), cli["accelerator"].get<std::string>());
}

TEST(Recommend, HardwareIsScaleplanPlans) {
  // Epoch's law plans 72B parameters at Gopher's budget (REFERENCE): selective activations of one sequence do not
  // fit an H100, so `plan` (recompute auto) takes full recomputation and says it fits. So must the window.
  LawSource source{FindPublishedLaw("epoch")->law, "epoch", 0};
  PlanSettings settings;
  settings.accelerator = "H100-SXM";
  const Recommendation plan = Recommend(source, 5.76e23, settings, BundledHardwareCatalogue());
  const nlohmann::json cli = PlanJson("--law epoch --compute 5.76e23 --accelerator H100-SXM");
  ExpectSameHardware(RecommendationToJson(plan, source, settings), cli);
  EXPECT_EQ(cli["recomputation"], "full");
  EXPECT_TRUE(cli["feasible"].get<bool>());
  const std::string verdict = MemoryVerdict(plan.hardware);
  EXPECT_EQ(verdict.rfind("fits: ", 0), 0u) << verdict;
  EXPECT_NE(verdict.find(" per device on " + std::to_string(cli["num_accelerators"].get<long long>()) +
                         " x H100-SXM (full recomputation)"),
            std::string::npos)
      << verdict;

  // A fixed count, a price and a 60-day limit; and a count too small for the state.
  settings.training.num_accelerators = 512;
  settings.training.price_usd_per_hour = 2.25;
  settings.training.max_days = 60;
  ExpectSameHardware(RecommendationToJson(Recommend(source, 1e24, settings, BundledHardwareCatalogue()), source,
                                          settings),
                     PlanJson("--law epoch --compute 1e24 --accelerator H100-SXM --count 512 --price-per-hour 2.25 "
                              "--max-days 60"));
  settings = PlanSettings{};
  settings.accelerator = "A100-40GB";
  settings.training.num_accelerators = 2;
  settings.recompute = RecomputeChoice::SELECTIVE;
  const Recommendation small = Recommend(source, 1e23, settings, BundledHardwareCatalogue());
  EXPECT_FALSE(small.hardware.time.feasible);
  EXPECT_EQ(MemoryVerdict(small.hardware).rfind("does not fit: ", 0), 0u) << MemoryVerdict(small.hardware);
  const testing::CommandResult infeasible = testing::RunCommand(
      std::string(SCALEPLAN_BINARY) +
      " plan --law epoch --compute 1e23 --accelerator A100-40GB --count 2 --recompute selective --mfu 0.4 "
      "--format json");
  EXPECT_EQ(infeasible.exit_code, 1);  // `plan` reports an infeasible plan with exit code 1
  ExpectSameHardware(RecommendationToJson(small, source, settings), nlohmann::json::parse(infeasible.out));
}

// SmallProfile() measured on an H100 (a CUDA profile of that device, with its 80 GB), at 8e14 FLOP/s.
HardwareProfile H100Profile() {
  HardwareProfile profile = testing::SmallProfile();
  profile.backend = "cuda";
  profile.device = "NVIDIA H100 80GB HBM3";
  profile.peak_flops = 8e14;
  profile.cuda_device = CudaDeviceInfo{};
  profile.cuda_device->name = profile.device;
  profile.cuda_device->memory_bytes = 80e9;
  return profile;
}

TEST(Recommend, MeasuredProfileIsPlanProfile) {
  const std::string path = testing::WriteTempFile("h100_profile.json", HardwareProfileToJson(H100Profile()));
  LawSource source{FindPublishedLaw("epoch")->law, "epoch", 0};
  PlanSettings settings;
  settings.accelerator = "H100-SXM";
  settings.profile = MeasuredProfile{H100Profile(), path};
  const Recommendation plan = Recommend(source, 1e22, settings, BundledHardwareCatalogue());
  // The H100's measured 800 TFLOP/s replaces the 989 TFLOP/s catalogue peak; memory stays the catalogue's 80 GB.
  EXPECT_EQ(plan.hardware.peak_flops_per_second, 8e14);
  EXPECT_EQ(plan.accelerator.memory_bytes, 80e9);
  EXPECT_EQ(plan.accelerator.source, "measured profile " + path);
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_NEAR(plan.hardware.time.days * 86400.0 * static_cast<double>(plan.hardware.time.num_accelerators) * 8e14 *
                  0.40 / plan.allocation.compute_flops,
              1.0, 1e-12);
  ExpectSameHardware(RecommendationToJson(plan, source, settings),
                     PlanJson("--law epoch --compute 1e22 --accelerator H100-SXM --profile '" + path + "'"));
  // The budget field's GPU-days convert at the measured peak too.
  std::string why;
  EXPECT_DOUBLE_EQ(*ParseBudget("10 GPU-days", plan.accelerator, settings.training, &why), 10 * 86400.0 * 8e14 * 0.40);

  // The measured device as its own entry: `plan --profile` without --accelerator.
  settings.accelerator = kMeasuredAccelerator;
  const Recommendation measured = Recommend(source, 1e22, settings, BundledHardwareCatalogue());
  EXPECT_EQ(measured.accelerator.name, "NVIDIA H100 80GB HBM3");
  ExpectSameHardware(RecommendationToJson(measured, source, settings),
                     PlanJson("--law epoch --compute 1e22 --profile '" + path + "'"));
  EXPECT_EQ(MeasuredAcceleratorTitle(H100Profile()), "Measured: NVIDIA H100 80GB HBM3");
}

// A profile of another device (this CPU's 80 GFLOP/s) is not an A100's peak: the catalogue's stays, as `plan
// --accelerator A100-80GB --profile cpu.json` keeps it, and the plan says why. The CPU cannot be planned on alone
// (its profile does not say how much memory it has).
TEST(Recommend, ProfileOfAnotherDeviceIsNotApplied) {
  const std::string path = testing::WriteSmallProfile("cpu_profile.json");
  LawSource source{FindPublishedLaw("epoch")->law, "epoch", 0};
  PlanSettings settings;
  settings.accelerator = "A100-80GB";
  settings.profile = MeasuredProfile{testing::SmallProfile(), path};
  const Recommendation plan = Recommend(source, 1e22, settings, BundledHardwareCatalogue());
  EXPECT_EQ(plan.hardware.peak_flops_per_second, 312e12);
  const nlohmann::json cli = PlanJson("--law epoch --compute 1e22 --accelerator A100-80GB --profile '" + path + "'");
  ExpectSameHardware(RecommendationToJson(plan, source, settings), cli);
  ASSERT_EQ(plan.warnings.size(), 1u);
  ASSERT_EQ(cli["warnings"].size(), 1u);
  EXPECT_EQ(plan.warnings[0],
            cli["warnings"][0].get<std::string>() + " (choose 'Measured: Test CPU' to plan on the measured device)");
  EXPECT_EQ(cli["warnings"][0], "the profile '" + path +
                                    "' was measured on Test CPU (cpu), not on A100-80GB: its 80 GFLOP/s is not "
                                    "applied; the plan uses the A100-80GB's catalogue peaks");

  settings.accelerator = kMeasuredAccelerator;
  try {
    Recommend(source, 1e22, settings, BundledHardwareCatalogue());
    ADD_FAILURE() << "a CPU profile planned on alone";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "accelerator: the profile '" + path +
                                             "' (cpu) does not say how much memory the device has: choose a "
                                             "catalogue accelerator");
  }
}

// `scaleplan dictionary ... --format json`, parsed.
nlohmann::json DictionaryJson(const std::string& args) {
  const testing::CommandResult result =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " dictionary " + args + " --format json");
  EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 1) << result.err;
  return nlohmann::json::parse(result.out);
}

void ExpectSameCosts(const DictionaryCosts& gui, const nlohmann::json& cli) {
  const std::pair<const char*, double> numbers[] = {
      {"num_latents", gui.num_latents}, {"k", gui.k},
      {"num_tokens", gui.num_tokens},   {"compute_flops", gui.compute_flops},
      {"loss", gui.loss},               {"memory_bytes", gui.memory_bytes},
      {"days", gui.days},               {"device_hours", gui.device_hours},
      {"cost_usd", gui.cost_usd},       {"memory_bytes_per_device", gui.memory_bytes_per_device},
      {"training_days", gui.training_days}, {"harvest_days", gui.harvest_days}};
  for (const auto& [key, value] : numbers) {
    EXPECT_NEAR(value, cli[key].get<double>(), 1e-12 * std::fabs(cli[key].get<double>())) << key;
  }
  EXPECT_EQ(gui.devices, cli["devices"].get<long long>());
  EXPECT_EQ(gui.feasible, cli["feasible"].get<bool>());
}

TEST(RecommendDictionary, IsScaleplanDictionary) {
  DictionarySettings settings = DefaultDictionarySettings();  // d 4096, 1e20 FLOPs, k in 32..128, H100-SXM
  DictionaryRecommendation shown = RecommendDictionary(settings, BundledHardwareCatalogue());
  ASSERT_TRUE(shown.plan.reachable) << shown.plan.status;
  nlohmann::json cli = DictionaryJson("--d-model 4096 --compute 1e20");
  ExpectSameCosts(shown.plan.sparse, cli);
  ExpectSameCosts(shown.plan.dense, cli["dense"]);
  EXPECT_EQ(shown.plan.law_label, cli["law"].get<std::string>());
  EXPECT_TRUE(shown.plan.prior);
  EXPECT_EQ(shown.device, cli["device"].get<std::string>());

  // The same request built by hand gives the library's plan, number for number.
  DictionaryRequest request;
  request.d_model = 4096;
  request.compute_flops = 1e20;
  request.accelerator = *BundledHardwareCatalogue().TryFind("H100-SXM");
  const DictionaryPlan library = PlanDictionary(request);
  EXPECT_EQ(shown.plan.sparse.num_latents, library.sparse.num_latents);
  EXPECT_EQ(shown.plan.sparse.k, library.sparse.k);
  EXPECT_EQ(shown.plan.sparse.cost_usd, library.sparse.cost_usd);

  // A GPU-hour budget on another device with a subject model, a fixed k and a device count.
  settings.request.d_model = 8192;
  SetDictionaryGoal(DictionaryGoal::DEVICE_HOURS, 2000, &settings.request);
  settings.request.k = 64;
  settings.request.subject.num_params = 70e9;
  settings.request.options.num_devices = 8;
  settings.accelerator = "A100-80GB";
  shown = RecommendDictionary(settings, BundledHardwareCatalogue());
  ASSERT_TRUE(shown.plan.reachable) << shown.plan.status;
  cli = DictionaryJson("--d-model 8192 --gpu-hours 2000 --k 64 --subject-params 70B --count 8 --accelerator A100-80GB");
  ExpectSameCosts(shown.plan.sparse, cli);
  EXPECT_EQ(shown.plan.sparse.harvest_flops, cli["harvest_flops"].get<double>());

  // Measured speeds, as --profile.
  const std::string path = testing::WriteSmallProfile("dictionary_profile.json");
  settings = DefaultDictionarySettings();
  settings.profile = MeasuredProfile{testing::SmallProfile(), path};
  shown = RecommendDictionary(settings, BundledHardwareCatalogue());
  cli = DictionaryJson("--d-model 4096 --compute 1e20 --profile '" + path + "' --accelerator H100-SXM");
  ExpectSameCosts(shown.plan.sparse, cli);
  EXPECT_EQ(shown.device, cli["device"].get<std::string>());
  EXPECT_EQ(shown.plan.notes, cli["notes"].get<std::vector<std::string>>());

  // Options that do not check name themselves.
  settings = DefaultDictionarySettings();
  settings.request.k = 0.5;
  try {
    RecommendDictionary(settings, BundledHardwareCatalogue());
    ADD_FAILURE() << "k = 0.5 was accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "k must be at least 1");
  }
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
  session.plan.recompute = RecomputeChoice::FULL;
  session.plan.inference_tokens = 2e12;
  session.plan.unique_tokens = 5e11;
  session.dictionary.request.d_model = 8192;
  SetDictionaryGoal(DictionaryGoal::DEVICE_HOURS, 5e4, &session.dictionary.request);
  session.dictionary.request.k = 64;
  session.dictionary.request.subject.num_params = 70e9;
  session.dictionary.request.budget_includes_harvest = false;
  session.dictionary.request.options.num_devices = 16;
  session.dictionary.accelerator = "A100-80GB";
  session.dictionary.shown = DictionaryKernels::DENSE;
  session.hardware.profile_path = "/data/profile.json";
  session.hardware.use_profile = false;
  session.hardware.probe_mode = "full";
  session.chart = 4;
  session.log_loss = true;
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
  EXPECT_EQ(back.plan.recompute, RecomputeChoice::FULL);
  EXPECT_EQ(back.plan.inference_tokens, 2e12);
  EXPECT_EQ(back.plan.unique_tokens, 5e11);
  const DictionaryRequest& dictionary = back.dictionary.request;
  EXPECT_EQ(dictionary.d_model, 8192);
  EXPECT_EQ(dictionary.goal, DictionaryGoal::DEVICE_HOURS);
  EXPECT_EQ(dictionary.device_hours, 5e4);
  EXPECT_EQ(dictionary.compute_flops, 0.0);
  EXPECT_EQ(dictionary.k, 64);
  EXPECT_EQ(dictionary.subject.num_params, 70e9);
  EXPECT_FALSE(dictionary.budget_includes_harvest);
  EXPECT_EQ(dictionary.options.num_devices, 16);
  EXPECT_EQ(back.dictionary.accelerator, "A100-80GB");
  EXPECT_EQ(back.dictionary.shown, DictionaryKernels::DENSE);
  EXPECT_EQ(back.hardware.profile_path, "/data/profile.json");
  EXPECT_FALSE(back.hardware.use_profile);
  EXPECT_EQ(back.hardware.probe_mode, "full");
  EXPECT_EQ(back.chart, 4);
  EXPECT_TRUE(back.log_loss);
  // An older session (no dictionary, hardware or auto recomputation) keeps the defaults a new window starts with.
  const Session old = ParseSession(R"({"plan": {"recomputation": "selective"}})", "old.json");
  EXPECT_EQ(old.plan.recompute, RecomputeChoice::SELECTIVE);
  EXPECT_EQ(old.dictionary.request.d_model, 4096);
  EXPECT_EQ(old.dictionary.request.compute_flops, 1e20);
  EXPECT_EQ(old.hardware.probe_mode, "quick");
  EXPECT_TRUE(old.hardware.use_profile);
  EXPECT_FALSE(old.log_loss);  // saved before View > Log loss axis was kept: off

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
  EXPECT_EQ(message("{\"plan\": {\"recomputation\": \"partial\"}}"),
            "s.json: /plan/recomputation: must be auto, none, selective or full: 'partial'");
  EXPECT_EQ(message("{\"dictionary\": {\"goal\": \"money\"}}"),
            "s.json: /dictionary/goal: must be compute, device_hours, target_loss or latents: 'money'");
  EXPECT_EQ(message("{\"hardware\": {\"probe_mode\": \"slow\"}}"),
            "s.json: /hardware/probe_mode: must be quick, standard or full: 'slow'");
  EXPECT_EQ(message("{\"view\": {\"log_loss\": 1}}"), "s.json: /view/log_loss: must be true or false, got number");
  EXPECT_EQ(message("{}"), "(accepted)");
}

// The window's plan carries DeepSeek LLM's batch and learning rate, as `scaleplan plan` does by default: at
// C = 1e24, B = 2.0691e7 tokens and eta = 3.118e-4 (issue 16's check values), and its export has plan's numbers.
TEST(Recommend, HyperparamsAreScaleplanPlans) {
  LawSource source{FindPublishedLaw("epoch")->law, "epoch", 0};
  PlanSettings settings;
  settings.accelerator = "H100-SXM";
  const Recommendation plan = Recommend(source, 1e24, settings, BundledHardwareCatalogue());
  EXPECT_NEAR(plan.hyperparams.batch_tokens / 2.0691e7, 1.0, 1e-4);
  EXPECT_NEAR(plan.hyperparams.learning_rate / 3.118e-4, 1.0, 1e-4);
  const nlohmann::ordered_json gui = RecommendationToJson(plan, source, settings);
  const nlohmann::json cli = PlanJson("--law epoch --compute 1e24");
  for (const char* key : {"batch_tokens", "learning_rate"}) {
    EXPECT_EQ(gui[key].get<double>(), cli[key].get<double>()) << key;
  }
  for (const char* key : {"batch_sequences", "num_steps", "warmup_steps"}) {
    EXPECT_EQ(gui[key].get<long long>(), cli[key].get<long long>()) << key;
  }
  EXPECT_EQ(gui["hyperparams_source"].get<std::string>(), cli["hyperparams_source"].get<std::string>());
}

// Durations read as words and plain numbers, never in exponent notation ("7.93e+03 years").
TEST(FormatDuration, ReadsWithoutExponents) {
  EXPECT_EQ(FormatDuration(0.5), "12 hours");
  EXPECT_EQ(FormatDuration(12.34), "12.3 days");
  EXPECT_EQ(FormatDuration(3.4 * 365.25), "3.4 years");
  EXPECT_EQ(FormatDuration(999.4 * 365.25), "999 years");
  EXPECT_EQ(FormatDuration(999.6 * 365.25), "1,000 years");
  EXPECT_EQ(FormatDuration(7931.7 * 365.25), "7,930 years");
  EXPECT_EQ(FormatDuration(1.23456e6 * 365.25), "1,230,000 years");
  EXPECT_EQ(FormatDuration(0.0), "-");
}

}  // namespace
}  // namespace scaleplan::gui
