#include "core/hardware.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/transformer.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using Json = nlohmann::json;

const HardwareCatalogue& BundledCatalogue() {
  static const HardwareCatalogue catalogue =
      ReadHardwareCatalogueFile(scaleplan::testing::SourcePath("data/hardware.json"));
  return catalogue;
}

// ---------------------------------------------------------------------------------------------------------------
TEST(HardwareCatalogue, H100SxmIsTheReferenceDensePeak) {
  const Accelerator& h100 = BundledCatalogue().Find("H100-SXM");
  EXPECT_DOUBLE_EQ(h100.DenseFlopsPerSecond(NumericType::BF16), 989e12);  // not the 1,979 sparsity figure
  EXPECT_DOUBLE_EQ(h100.DenseFlopsPerSecond(NumericType::FP16), 989e12);
  EXPECT_DOUBLE_EQ(h100.memory_bytes_per_second, 3.35e12);
  EXPECT_DOUBLE_EQ(h100.memory_bytes, 80e9);
}

TEST(HardwareCatalogue, HoldsTheDatasheetDenseFigures) {
  const HardwareCatalogue& catalogue = BundledCatalogue();
  // Dense BF16 as printed in each datasheet (or its sparsity figure halved).
  EXPECT_DOUBLE_EQ(catalogue.Find("A100-40GB").DenseFlopsPerSecond(NumericType::BF16), 312e12);
  EXPECT_DOUBLE_EQ(catalogue.Find("A100-80GB").memory_bytes_per_second, 2.039e12);
  EXPECT_DOUBLE_EQ(catalogue.Find("H100-PCIe").DenseFlopsPerSecond(NumericType::BF16), 756e12);
  EXPECT_DOUBLE_EQ(catalogue.Find("MI300X").DenseFlopsPerSecond(NumericType::BF16), 1307.4e12);
  EXPECT_DOUBLE_EQ(catalogue.Find("H200").memory_bytes, 141e9);
  EXPECT_DOUBLE_EQ(catalogue.Find("A100-80GB").DenseFlopsPerSecond(NumericType::FP8), 0.0);  // Ampere has no fp8

  for (const char* name : {"H100-SXM", "H100-PCIe", "H200", "A100-40GB", "A100-80GB", "B200", "L40S", "MI300X"}) {
    const Accelerator* accelerator = catalogue.TryFind(name);
    ASSERT_NE(accelerator, nullptr) << name;
    EXPECT_FALSE(accelerator->source.empty()) << name;
    EXPECT_GT(accelerator->price_usd_per_hour, 0.0) << name;
    // Tensor-core 16-bit peaks are above the fp32 ones on every listed device.
    EXPECT_GT(accelerator->DenseFlopsPerSecond(NumericType::BF16), accelerator->DenseFlopsPerSecond(NumericType::FP32))
        << name;
  }
}

TEST(HardwareCatalogue, LookupIsCaseInsensitiveAndUnknownNamesListTheKnownOnes) {
  const HardwareCatalogue& catalogue = BundledCatalogue();
  EXPECT_EQ(catalogue.Find("h100-sxm").name, "H100-SXM");
  EXPECT_EQ(catalogue.Find("mi300x").name, "MI300X");
  EXPECT_EQ(catalogue.TryFind("H100"), nullptr);
  try {
    catalogue.Find("H100", InputLocation{"--accelerator"});
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("--accelerator: unknown accelerator in ", 0), 0u) << message;
    EXPECT_NE(message.find("(known: H100-SXM, H100-PCIe, H200, A100-40GB, A100-80GB, B200, L40S, MI300X"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("): 'H100'"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------------------------------------------
Json MinimalCatalogue() {
  return Json::parse(R"({
    "schema_version": 1,
    "accelerators": [
      {"name": "H100-SXM", "vendor": "NVIDIA", "source": "datasheet", "memory_bytes": 80e9,
       "memory_bytes_per_second": 3.35e12, "price_usd_per_hour": 3.0,
       "dense_flops_per_second": {"bf16": 989e12}}
    ]})");
}

std::string ParseError(const Json& catalogue) {
  try {
    ParseHardwareCatalogue(catalogue.dump(), "test.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ParseHardwareCatalogue, AcceptsTheMinimalForm) {
  const HardwareCatalogue catalogue = ParseHardwareCatalogue(MinimalCatalogue().dump(), "test.json");
  ASSERT_EQ(catalogue.accelerators().size(), 1u);
  EXPECT_EQ(catalogue.source_label(), "test.json");
  EXPECT_DOUBLE_EQ(catalogue.accelerators()[0].DenseFlopsPerSecond(NumericType::BF16), 989e12);
  EXPECT_DOUBLE_EQ(catalogue.accelerators()[0].DenseFlopsPerSecond(NumericType::FP32), 0.0);
}

TEST(ParseHardwareCatalogue, ErrorsNameTheSourceAndTheJsonPointer) {
  EXPECT_EQ(ParseError(MinimalCatalogue()), "(no error)");

  Json bad = MinimalCatalogue();
  bad["accelerators"][0].erase("memory_bytes");
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators/0/memory_bytes: required key is missing");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["memory_bytes"] = "80GB";
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators/0/memory_bytes: expected a number, found string: '80GB'");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["memory_bytes"] = -1;
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators/0/memory_bytes: must be a positive number: '-1'");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["dense_flops_per_second"]["bf16"] = 0;
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators/0/dense_flops_per_second/bf16: must be a positive number: '0'");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["price_usd_per_hour"] = -2;
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators/0/price_usd_per_hour: must not be negative: '-2'");

  bad = MinimalCatalogue();
  bad["schema_version"] = 2;
  EXPECT_EQ(ParseError(bad), "test.json: /schema_version: unsupported schema version (this build reads 1): '2'");

  bad = MinimalCatalogue();
  bad.erase("schema_version");
  EXPECT_EQ(ParseError(bad), "test.json: /schema_version: required key is missing");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["dense_flops_per_second"]["fp6"] = 1e15;
  EXPECT_EQ(ParseError(bad),
            "test.json: /accelerators/0/dense_flops_per_second/fp6: unknown numeric type "
            "(known: fp32, tf32, bf16, fp16, fp8, fp4)");

  bad = MinimalCatalogue();
  bad["accelerators"][0]["memory_byte"] = 1;
  EXPECT_NE(ParseError(bad).find("test.json: /accelerators/0/memory_byte: unknown key (known: name, vendor"),
            std::string::npos);

  bad = MinimalCatalogue();
  bad["accelerators"].push_back(bad["accelerators"][0]);
  bad["accelerators"][1]["name"] = "h100-sxm";
  EXPECT_EQ(ParseError(bad),
            "test.json: /accelerators/1/name: duplicate accelerator name (names are compared case-insensitively): "
            "'h100-sxm'");

  bad = MinimalCatalogue();
  bad["accelerators"] = Json::object();
  EXPECT_EQ(ParseError(bad), "test.json: /accelerators: expected an array, found object: '{}'");

  try {
    ParseHardwareCatalogue("{\"schema_version\": 1, ", "test.json");
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("test.json: not valid JSON: ", 0), 0u) << error.what();
  }
  EXPECT_THROW(ReadHardwareCatalogueFile("/nonexistent/hardware.json"), InputError);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(PlanTraining, GopherBudgetOn1024H100s) {
  // 5.76e23 FLOPs on 1024 H100-SXM at 40% MFU: 5.76e23 / (1024 * 989e12 * 0.4) s = 16.46 days.
  const Accelerator& h100 = BundledCatalogue().Find("H100-SXM");
  TrainingPlanOptions options;
  options.num_accelerators = 1024;
  options.price_usd_per_hour = 2.0;
  TransformerShape chinchilla;
  chinchilla.num_layers = 80;
  chinchilla.d_model = 8192;
  chinchilla.num_heads = 64;
  chinchilla.d_ff = 32768;
  chinchilla.vocab_size = 32000;
  chinchilla.context_length = 2048;
  const TrainingPlan plan = PlanTraining(5.76e23, EstimateTrainingMemory(chinchilla), h100, options);
  ASSERT_TRUE(plan.feasible) << (plan.reasons.empty() ? "" : plan.reasons.front());
  const double seconds = 5.76e23 / (1024 * 989e12 * 0.4);
  EXPECT_DOUBLE_EQ(plan.seconds, seconds);
  EXPECT_NEAR(plan.days, 16.457, 0.001);
  EXPECT_DOUBLE_EQ(plan.device_hours, 1024 * seconds / 3600);
  EXPECT_DOUBLE_EQ(plan.cost_usd, 2.0 * 1024 * seconds / 3600);
  EXPECT_EQ(plan.num_accelerators, 1024);

  options.price_usd_per_hour = 0.0;  // the catalogue's planning default
  EXPECT_DOUBLE_EQ(PlanTraining(5.76e23, EstimateTrainingMemory(chinchilla), h100, options).price_usd_per_hour,
                   h100.price_usd_per_hour);
}

Accelerator TestDevice() {
  Accelerator device;
  device.name = "Test-GPU";
  device.memory_bytes = 80e9;
  device.memory_bytes_per_second = 2e12;
  device.price_usd_per_hour = 1.0;
  device.dense_flops_per_second[static_cast<int>(NumericType::BF16)] = 1e15;
  return device;
}

TrainingMemory HandMemory() {
  TrainingMemory memory;  // 1000 GB of state, 10 GB of activations and logits, 1 GB layers
  memory.weight_bytes = 125e9;
  memory.gradient_bytes = 125e9;
  memory.optimizer_bytes = 750e9;
  memory.activation_bytes = 8e9;
  memory.logit_bytes = 2e9;
  memory.layer_weight_bytes = 1e9;
  return memory;
}

TEST(PlanTraining, FewestDevicesThatHoldTheState) {
  // Usable 72 GB; unsharded 10 + 2 x 1 = 12 GB; 1000 GB / 60 GB -> 17 devices (16 would need 74.5 GB each).
  const TrainingMemory memory = HandMemory();
  EXPECT_DOUBLE_EQ(MemoryBytesPerDevice(memory, 16), 1000e9 / 16 + 12e9);
  EXPECT_EQ(MinAcceleratorsForMemory(memory, TestDevice(), 0.9), 17);
  EXPECT_EQ(MinAcceleratorsForMemory(memory, TestDevice(), 1.0), 15);  // 1000 / 68 = 14.7

  const TrainingPlan automatic = PlanTraining(1e21, memory, TestDevice());
  EXPECT_TRUE(automatic.feasible);
  EXPECT_EQ(automatic.num_accelerators, 17);
  EXPECT_NEAR(automatic.memory_bytes_per_device, 1000e9 / 17 + 12e9, 1.0);

  TrainingPlanOptions options;
  options.num_accelerators = 8;
  const TrainingPlan too_few = PlanTraining(1e21, memory, TestDevice(), options);
  EXPECT_FALSE(too_few.feasible);
  ASSERT_EQ(too_few.reasons.size(), 1u);
  EXPECT_EQ(too_few.reasons[0],
            "8 x Test-GPU need 137 GB per device, more than the 72 GB usable (90% of 80 GB); need at least 17");

  // A 7B model (Llama 2 shape) on H100-SXM with mixed-precision Adam: 107.8 GB of state plus 22.5 GB unsharded
  // (21.2 GB activations, 0.5 GB logits, 0.8 GB gathered layers) -> 107.8 / (72 - 22.5) -> 3 devices.
  TransformerShape llama;
  llama.num_layers = 32;
  llama.d_model = 4096;
  llama.num_heads = 32;
  llama.d_ff = 11008;
  llama.glu = true;
  llama.vocab_size = 32000;
  llama.context_length = 4096;
  EXPECT_EQ(MinAcceleratorsForMemory(EstimateTrainingMemory(llama), BundledCatalogue().Find("H100-SXM"), 0.9), 3);
}

TEST(PlanTraining, VerdictsSayWhy) {
  const TrainingMemory memory = HandMemory();
  // 17 devices x 1e15 x 0.5 for ten days.
  const double flops = 17 * 1e15 * 0.5 * 86400 * 10;
  TrainingPlanOptions options;
  options.mfu = 0.5;
  options.max_days = 4;
  options.num_accelerators = 17;
  const TrainingPlan slow = PlanTraining(flops, memory, TestDevice(), options);
  EXPECT_FALSE(slow.feasible);
  EXPECT_NEAR(slow.days, 10.0, 1e-9);
  EXPECT_EQ(slow.min_accelerators_for_days, 43);  // 170 device-days / 4 days = 42.5
  ASSERT_EQ(slow.reasons.size(), 1u);
  EXPECT_EQ(slow.reasons[0],
            "takes 10.0 days on 17 x Test-GPU at 50% MFU (bf16), more than the 4.0-day limit; need at least 43");

  options.num_accelerators = 0;  // choose: enough for memory and for the deadline
  const TrainingPlan chosen = PlanTraining(flops, memory, TestDevice(), options);
  EXPECT_TRUE(chosen.feasible);
  EXPECT_EQ(chosen.num_accelerators, 43);
  EXPECT_LE(chosen.days, 4.0);

  TrainingMemory huge_activations = memory;
  huge_activations.activation_bytes = 75e9;
  const TrainingPlan no_fit = PlanTraining(flops, huge_activations, TestDevice());
  EXPECT_FALSE(no_fit.feasible);
  EXPECT_EQ(no_fit.min_accelerators_for_memory, 0);
  EXPECT_EQ(no_fit.num_accelerators, 0);
  ASSERT_EQ(no_fit.reasons.size(), 1u);
  EXPECT_EQ(no_fit.reasons[0].rfind("no device count fits: one micro-batch's activations and logits (77 GB) plus "
                                    "two gathered layers (2 GB) exceed the 72 GB usable on one Test-GPU",
                                    0),
            0u)
      << no_fit.reasons[0];

  TrainingPlanOptions bf16;
  const TrainingPlan volta = PlanTraining(flops, memory, BundledCatalogue().Find("V100-SXM2-32GB"), bf16);
  EXPECT_FALSE(volta.feasible);
  ASSERT_FALSE(volta.reasons.empty());
  EXPECT_EQ(volta.reasons[0], "V100-SXM2-32GB has no dense bf16 peak in the catalogue (it has: fp32, fp16)");
}

TEST(TrainingPlanOptions, CheckExplainsWhatIsWrong) {
  std::string why;
  TrainingPlanOptions options;
  EXPECT_TRUE(options.Check(&why));
  options.mfu = 0.0;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "mfu must lie in (0, 1]");
  options.mfu = 1.5;
  EXPECT_FALSE(options.Check(&why));
  options = TrainingPlanOptions{};
  options.usable_memory_fraction = 0.0;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "usable_memory_fraction must lie in (0, 1]");
  options = TrainingPlanOptions{};
  options.max_days = -1;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_THROW(PlanTraining(1e21, HandMemory(), TestDevice(), options), InternalError);
}

}  // namespace
}  // namespace scaleplan
