// The hardware side of a plan (core/training_plan.h), which `scaleplan plan`, `scaleplan sweep` and the desktop
// planner share: the recomputation AUTO chooses, the shape and device counts against a brute force over the
// practical shapes, days and cost against their closed forms, and a measured profile's peaks.
#include "core/training_plan.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/collective_cost.h"

namespace scaleplan {
namespace {

constexpr double kUsable = 0.90;  // TrainingPlanOptions' default usable memory fraction

const Accelerator& H100() { return *BundledHardwareCatalogue().TryFind("H100-SXM"); }

// The fewest devices over every practical shape for N with `recomputation` (0 when none fits), by brute force.
std::int64_t FewestDevicesOverShapes(double num_params, Recomputation recomputation) {
  TrainingMemoryOptions options;
  options.recomputation = recomputation;
  std::int64_t best = 0;
  for (const ShapeProposal& proposal : ProposeShapes(num_params)) {
    const std::int64_t devices =
        MinAcceleratorsForMemory(EstimateTrainingMemory(proposal.shape, options), H100(), kUsable);
    if (devices > 0 && (best == 0 || devices < best)) best = devices;
  }
  return best;
}

TEST(RecomputeChoice, NamesRoundTrip) {
  for (RecomputeChoice choice :
       {RecomputeChoice::AUTO, RecomputeChoice::NONE, RecomputeChoice::SELECTIVE, RecomputeChoice::FULL}) {
    EXPECT_EQ(TryParseRecomputeChoice(RecomputeChoiceName(choice)), choice);
  }
  EXPECT_EQ(std::string(RecomputeChoiceName(RecomputeChoice::AUTO)), "auto");
  EXPECT_FALSE(TryParseRecomputeChoice("Auto").has_value());
  EXPECT_FALSE(TryParseRecomputeChoice("partial").has_value());
}

TEST(EstimateModelMemory, AutoTakesFullRecomputationWhenSelectiveFitsNowhere) {
  // The bundled fit's N_opt at Gopher's budget, 73.2B (README): selective activations of one 4,096-token sequence
  // alone exceed an H100's usable 72 GB, so no count holds the state; full recomputation does.
  const double n = 73.19e9;
  ASSERT_EQ(FewestDevicesOverShapes(n, Recomputation::SELECTIVE), 0);
  const std::int64_t full = FewestDevicesOverShapes(n, Recomputation::FULL);
  ASSERT_GT(full, 0);

  const ModelMemory memory = EstimateModelMemory(n, &H100(), RecomputeChoice::AUTO, kUsable);
  EXPECT_TRUE(memory.has_shape);
  EXPECT_EQ(memory.recomputation, Recomputation::FULL);
  EXPECT_EQ(memory.min_devices_for_memory, full);
  // The chosen shape is a practical one for N, and its state is what the memory model says for it.
  EXPECT_NEAR(static_cast<double>(memory.shape_params) / n, 1.0, 0.05);
  TrainingMemoryOptions full_options;
  full_options.recomputation = Recomputation::FULL;
  EXPECT_EQ(memory.memory.TotalBytes(), EstimateTrainingMemory(memory.shape, full_options).TotalBytes());
  // The model state alone: 16 bytes per parameter of the shape over 72 GB devices.
  EXPECT_EQ(memory.min_devices_for_state,
            static_cast<std::int64_t>(std::ceil(16.0 * static_cast<double>(memory.shape_params) / 72e9)));

  // Selective asked for explicitly: reported, and no count holds it.
  const ModelMemory selective = EstimateModelMemory(n, &H100(), RecomputeChoice::SELECTIVE, kUsable);
  EXPECT_EQ(selective.recomputation, Recomputation::SELECTIVE);
  EXPECT_EQ(selective.min_devices_for_memory, 0);
  EXPECT_GT(selective.memory.ActivationAndLogitBytes(), 72e9);
}

TEST(EstimateModelMemory, SmallModelsKeepSelectiveRecomputation) {
  const ModelMemory memory = EstimateModelMemory(1e9, &H100(), RecomputeChoice::AUTO, kUsable);
  EXPECT_EQ(memory.recomputation, Recomputation::SELECTIVE);
  EXPECT_EQ(memory.min_devices_for_memory, FewestDevicesOverShapes(1e9, Recomputation::SELECTIVE));
  EXPECT_EQ(memory.min_devices_for_memory, 1);  // ~16 GB of state and a few GB of activations on one H100
  EXPECT_LE(memory.memory.TotalBytes(), 72e9);
}

TEST(EstimateModelMemory, WithoutADeviceTheShapeClosestToTheCommonRatio) {
  const double n = 7e9;
  const std::vector<ShapeProposal> shapes = ProposeShapes(n);
  ASSERT_FALSE(shapes.empty());
  const auto ratio_distance = [](const ShapeProposal& p) {
    return std::fabs(std::log(static_cast<double>(p.shape.d_model) / static_cast<double>(p.shape.num_layers) / 128.0));
  };
  const ShapeProposal& closest = *std::min_element(
      shapes.begin(), shapes.end(),
      [&](const ShapeProposal& a, const ShapeProposal& b) { return ratio_distance(a) < ratio_distance(b); });
  const ModelMemory memory = EstimateModelMemory(n, nullptr, RecomputeChoice::AUTO, kUsable);
  EXPECT_EQ(memory.recomputation, Recomputation::SELECTIVE);  // AUTO without a device
  EXPECT_EQ(memory.shape.d_model, closest.shape.d_model);
  EXPECT_EQ(memory.shape.num_layers, closest.shape.num_layers);
  EXPECT_EQ(memory.min_devices_for_memory, 0);
  EXPECT_EQ(memory.min_devices_for_state, 0);
}

TEST(EstimateModelMemory, NoShapeCountsSixteenBytesPerParameter) {
  for (double n : {5e5, 2e15}) {
    const ModelMemory memory = EstimateModelMemory(n, &H100(), RecomputeChoice::AUTO, kUsable);
    EXPECT_FALSE(memory.has_shape) << n;
    EXPECT_EQ(memory.memory.ModelStateBytes(), 16.0 * n) << n;
    EXPECT_EQ(memory.memory.ActivationAndLogitBytes(), 0.0) << n;
    const auto state_devices = static_cast<std::int64_t>(std::ceil(16.0 * n / 72e9));
    EXPECT_EQ(memory.min_devices_for_state, state_devices) << n;
    EXPECT_EQ(memory.min_devices_for_memory, state_devices) << n;  // nothing unsharded: the state decides
  }
}

TEST(TimeOnDevices, DaysAndCostAreTheClosedForm) {
  const double flops = 5.76e23;
  const ModelMemory memory = EstimateModelMemory(73.19e9, &H100(), RecomputeChoice::AUTO, kUsable);
  TrainingPlanOptions options;
  options.price_usd_per_hour = 2.5;
  const DeviceTime time = TimeOnDevices(flops, memory, H100(), options);
  EXPECT_EQ(time.num_accelerators, memory.min_devices_for_memory);
  const double n = static_cast<double>(time.num_accelerators);
  const double seconds = flops / (n * 989e12 * 0.40);
  EXPECT_NEAR(time.days / (seconds / 86400.0), 1.0, 1e-12);
  EXPECT_NEAR(time.device_hours / (n * seconds / 3600.0), 1.0, 1e-12);
  EXPECT_NEAR(time.cost_usd / (2.5 * n * seconds / 3600.0), 1.0, 1e-12);
  EXPECT_EQ(time.price_usd_per_hour, 2.5);
  EXPECT_TRUE(time.feasible);

  // A 30-day limit needs ceil(C / (peak x MFU x 30 days)) devices.
  options.max_days = 30;
  const DeviceTime month = TimeOnDevices(flops, memory, H100(), options);
  const auto for_days = static_cast<std::int64_t>(std::ceil(flops / (989e12 * 0.40 * 30 * 86400.0)));
  EXPECT_EQ(month.min_devices_for_days, for_days);
  EXPECT_EQ(month.num_accelerators, std::max(for_days, memory.min_devices_for_memory));
  EXPECT_LE(month.days, 30.0);
  EXPECT_TRUE(month.feasible);

  // Too few devices for the state: infeasible, still timed.
  options = TrainingPlanOptions{};
  options.num_accelerators = 4;
  const DeviceTime few = TimeOnDevices(flops, memory, H100(), options);
  EXPECT_EQ(few.num_accelerators, 4);
  EXPECT_FALSE(few.feasible);
  EXPECT_NEAR(few.days * 86400.0 * 4 * 989e12 * 0.40 / flops, 1.0, 1e-12);
  EXPECT_EQ(few.price_usd_per_hour, H100().price_usd_per_hour);  // the catalogue's planning default
}

TEST(PlanTrainingHardware, AgreesWithPlanTrainingAndReportsInfeasiblePlans) {
  const double n = 73.19e9, flops = 5.76e23;
  const TrainingHardware plan = PlanTrainingHardware(n, flops, H100(), TrainingPlanOptions{}, RecomputeChoice::AUTO);
  EXPECT_TRUE(plan.time.feasible);
  EXPECT_TRUE(plan.verdict.feasible);
  EXPECT_TRUE(plan.verdict.reasons.empty());
  EXPECT_EQ(plan.verdict.num_accelerators, plan.time.num_accelerators);
  EXPECT_EQ(plan.peak_flops_per_second, 989e12);
  EXPECT_EQ(plan.usable_memory_bytes, 72e9);
  // Sharded state, plus one sequence's activations and two gathered layers (core/hardware.h).
  const TrainingMemory& m = plan.memory.memory;
  EXPECT_DOUBLE_EQ(plan.memory_bytes_per_device,
                   m.ModelStateBytes() / static_cast<double>(plan.time.num_accelerators) +
                       m.ActivationAndLogitBytes() + 2.0 * m.layer_weight_bytes);
  EXPECT_LE(plan.memory_bytes_per_device, 72e9);

  // Without recomputation nothing fits: the time is given on the devices that hold the model state.
  const TrainingHardware none = PlanTrainingHardware(n, flops, H100(), TrainingPlanOptions{}, RecomputeChoice::NONE);
  EXPECT_FALSE(none.time.feasible);
  EXPECT_FALSE(none.verdict.feasible);
  EXPECT_EQ(none.memory.min_devices_for_memory, 0);
  EXPECT_EQ(none.time.num_accelerators, none.memory.min_devices_for_state);
  EXPECT_GT(none.time.days, 0.0);
  ASSERT_FALSE(none.verdict.reasons.empty());
  EXPECT_EQ(none.verdict.reasons[0].rfind("no device count fits", 0), 0u) << none.verdict.reasons[0];
}

HardwareProfile CpuProfile() {
  HardwareProfile profile;
  profile.backend = "cpu";
  profile.device = "Test CPU";
  profile.peak_flops = 7e10;
  profile.bandwidth_bytes_per_s = 2.5e10;
  return profile;
}

TEST(AcceleratorFromProfile, MeasuredPeaksReplaceTheCatalogues) {
  std::string why;
  const std::optional<Accelerator> measured = AcceleratorFromProfile(&H100(), CpuProfile(), "cpu.json", &why);
  ASSERT_TRUE(measured.has_value()) << why;
  EXPECT_EQ(measured->name, "H100-SXM");
  EXPECT_EQ(measured->memory_bytes, 80e9);  // memory and price stay the catalogue's
  EXPECT_EQ(measured->price_usd_per_hour, H100().price_usd_per_hour);
  for (NumericType type : kAllNumericTypes) EXPECT_EQ(measured->DenseFlopsPerSecond(type), 7e10);
  EXPECT_EQ(measured->memory_bytes_per_second, 2.5e10);
  EXPECT_EQ(measured->source, "measured profile cpu.json");

  // A CPU profile cannot stand for a device on its own: it does not know the device memory.
  EXPECT_FALSE(AcceleratorFromProfile(nullptr, CpuProfile(), "cpu.json", &why).has_value());
  EXPECT_EQ(why, "the profile 'cpu.json' (cpu) does not say how much memory the device has");

  HardwareProfile cuda = CpuProfile();
  cuda.backend = "cuda";
  cuda.device = "NVIDIA H100 80GB HBM3";
  cuda.cuda_device = CudaDeviceInfo{};
  cuda.cuda_device->memory_bytes = 79.6e9;
  const std::optional<Accelerator> gpu = AcceleratorFromProfile(nullptr, cuda, "gpu.json", &why);
  ASSERT_TRUE(gpu.has_value()) << why;
  EXPECT_EQ(gpu->name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(gpu->memory_bytes, 79.6e9);
  EXPECT_EQ(gpu->DenseFlopsPerSecond(NumericType::BF16), 7e10);
}

// An interconnect-only profile (probe --collectives): intra-node all-reduce measured, inter-node not.
HardwareProfile IntraNodeOnlyProfile() {
  HardwareProfile profile = CpuProfile();
  profile.peak_flops = 0.0;
  profile.bandwidth_bytes_per_s = 0.0;
  profile.kernels.clear();
  InterconnectProfile interconnect;
  interconnect.ranks = 8;
  interconnect.nodes = 1;
  interconnect.ranks_per_node = 8;
  interconnect.models.push_back({"all_gather", "intra_node", 8, 9e-6, 1e9});  // not the all-reduce: ignored
  interconnect.models.push_back({"all_reduce", "intra_node", 8, 3e-6, 3.1e11});
  profile.interconnect = interconnect;
  return profile;
}

TEST(AcceleratorFromProfile, MeasuredAllReduceBusBandwidthIsUsedAsItStands) {
  std::string why;
  const std::optional<Accelerator> measured =
      AcceleratorFromProfile(&H100(), IntraNodeOnlyProfile(), "ic.json", &why);
  ASSERT_TRUE(measured.has_value()) << why;
  // No kernels measured: the catalogue's peaks stay.
  EXPECT_EQ(measured->DenseFlopsPerSecond(NumericType::BF16), H100().DenseFlopsPerSecond(NumericType::BF16));
  EXPECT_EQ(measured->memory_bytes_per_second, H100().memory_bytes_per_second);
  EXPECT_TRUE(measured->interconnect_is_bus_bandwidth);
  const LinkModel intra = IntraNodeLink(*measured);
  EXPECT_EQ(intra.busbw_bytes_per_second, 3.1e11);  // the fit's figure, no efficiency applied
  EXPECT_EQ(intra.latency_seconds, 3e-6);
  // The level not measured: the catalogue's link rate through its efficiency, as without a profile.
  const LinkModel inter = InterNodeLink(*measured);
  EXPECT_DOUBLE_EQ(inter.busbw_bytes_per_second, H100().inter_node_bytes_per_second * 24.0 / 25.0);
  EXPECT_EQ(inter.busbw_bytes_per_second, InterNodeLink(H100()).busbw_bytes_per_second);
  EXPECT_EQ(inter.latency_seconds, H100().inter_node_latency_seconds);
  EXPECT_EQ(measured->devices_per_node, H100().devices_per_node);
  // An 8-way all-reduce of 1 GB inside a node: 2 x 7/8 x 1e9 / 3.1e11 + 2 x 3 steps x 3 us.
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_REDUCE, 1e9, 8, intra), 1.75e9 / 3.1e11 + 6.0 * 3e-6);
}

TEST(AcceleratorFromProfile, AProfileWithoutAnAllReduceModelKeepsTheCatalogueInterconnect) {
  HardwareProfile profile = IntraNodeOnlyProfile();
  profile.interconnect->models.erase(profile.interconnect->models.begin() + 1);
  std::string why;
  const std::optional<Accelerator> measured = AcceleratorFromProfile(&H100(), profile, "ic.json", &why);
  ASSERT_TRUE(measured.has_value()) << why;
  EXPECT_FALSE(measured->interconnect_is_bus_bandwidth);
  EXPECT_EQ(IntraNodeLink(*measured).busbw_bytes_per_second, IntraNodeLink(H100()).busbw_bytes_per_second);
}

TEST(ProfileDeviceMismatch, AProfileOfAnotherDeviceIsNamedAsSuch) {
  // A CPU's 70 GFLOP/s is no H100's peak: said, with both devices and the rate.
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", CpuProfile(), "cpu.json"),
            "the profile 'cpu.json' was measured on Test CPU (cpu), not on H100-SXM: its 70 GFLOP/s is not applied; "
            "the plan uses the H100-SXM's catalogue peaks");
  HardwareProfile cuda = CpuProfile();
  cuda.backend = "cuda";
  cuda.device = "NVIDIA H100 80GB HBM3";
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", cuda, "gpu.json"), "");
  EXPECT_EQ(ProfileDeviceMismatch("h100-pcie", cuda, "gpu.json"), "");
  EXPECT_EQ(ProfileDeviceMismatch("A100-80GB", cuda, "gpu.json"),
            "the profile 'gpu.json' was measured on NVIDIA H100 80GB HBM3 (cuda), not on A100-80GB: its 70 GFLOP/s is "
            "not applied; the plan uses the A100-80GB's catalogue peaks");
  // An interconnect-only profile measured no peak: nothing to misapply.
  HardwareProfile links = CpuProfile();
  links.peak_flops = 0.0;
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", links, "ic.json"), "");
}

TEST(ProfileDeviceMismatch, LinksMeasuredBetweenCpuProcessesAreNoH100s) {
  // MPI between CPU ranks measured loopback or a CPU cluster's network, not NVLink: named with what is not applied.
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", IntraNodeOnlyProfile(), "ic.json"),
            "the profile 'ic.json' was measured on Test CPU (cpu), not on H100-SXM: its interconnect (mpi all-reduce "
            "bus bandwidth between 8 ranks) is not applied; the plan uses the H100-SXM's catalogue interconnect");
  HardwareProfile both = IntraNodeOnlyProfile();
  both.peak_flops = 7e10;
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", both, "cpu.json"),
            "the profile 'cpu.json' was measured on Test CPU (cpu), not on H100-SXM: its 70 GFLOP/s and its "
            "interconnect (mpi all-reduce bus bandwidth between 8 ranks) are not applied; the plan uses the "
            "H100-SXM's catalogue peaks and interconnect");
  // The same links measured by NCCL between H100s are the H100's.
  HardwareProfile nccl = IntraNodeOnlyProfile();
  nccl.backend = "cuda";
  nccl.device = "NVIDIA H100 80GB HBM3";
  nccl.interconnect->backend = "nccl";
  EXPECT_EQ(ProfileDeviceMismatch("H100-SXM", nccl, "gpu.json"), "");
  EXPECT_NE(ProfileDeviceMismatch("A100-80GB", nccl, "gpu.json"), "");
}

// A profile's peaks and links apply to the device it measured only.
TEST(ProfiledAccelerator, MeasuredLinksApplyToTheMeasuredDeviceOnly) {
  std::string warning;
  const Accelerator cpu_links = ProfiledAccelerator(H100(), IntraNodeOnlyProfile(), "ic.json", &warning);
  EXPECT_EQ(warning, ProfileDeviceMismatch("H100-SXM", IntraNodeOnlyProfile(), "ic.json"));
  EXPECT_FALSE(cpu_links.interconnect_is_bus_bandwidth);
  EXPECT_EQ(cpu_links.intra_node_bytes_per_second, H100().intra_node_bytes_per_second);
  EXPECT_EQ(cpu_links.devices_per_node, H100().devices_per_node);

  HardwareProfile nccl = IntraNodeOnlyProfile();
  nccl.backend = "cuda";
  nccl.device = "NVIDIA H100 80GB HBM3";
  const Accelerator h100_links = ProfiledAccelerator(H100(), nccl, "gpu.json", &warning);
  EXPECT_EQ(warning, "");
  EXPECT_TRUE(h100_links.interconnect_is_bus_bandwidth);
  EXPECT_EQ(h100_links.intra_node_bytes_per_second, 3.1e11);  // the fitted all-reduce's bus bandwidth
}

TEST(ProfiledAccelerator, PeaksApplyToTheMeasuredDeviceOnly) {
  std::string warning;
  const Accelerator cpu_for_h100 = ProfiledAccelerator(H100(), CpuProfile(), "cpu.json", &warning);
  EXPECT_EQ(cpu_for_h100.DenseFlopsPerSecond(NumericType::BF16), 989e12);  // the catalogue's, not 70 GFLOP/s
  EXPECT_EQ(cpu_for_h100.memory_bytes_per_second, H100().memory_bytes_per_second);
  EXPECT_EQ(cpu_for_h100.source, H100().source);
  EXPECT_EQ(warning, ProfileDeviceMismatch("H100-SXM", CpuProfile(), "cpu.json"));

  HardwareProfile h100 = CpuProfile();
  h100.backend = "cuda";
  h100.device = "NVIDIA H100 80GB HBM3";
  h100.peak_flops = 7.5e14;
  const Accelerator measured = ProfiledAccelerator(H100(), h100, "gpu.json", &warning);
  EXPECT_EQ(warning, "");
  EXPECT_EQ(measured.DenseFlopsPerSecond(NumericType::BF16), 7.5e14);
  EXPECT_EQ(measured.memory_bytes_per_second, 2.5e10);
  EXPECT_EQ(measured.source, "measured profile gpu.json");
}

}  // namespace
}  // namespace scaleplan
