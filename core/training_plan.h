// The hardware side of a language-model plan, from an allocation (N parameters trained on 6 N D FLOPs) to what
// `scaleplan plan`, `scaleplan sweep` and the desktop planner report: the training memory of a practical model of N
// parameters, the device count, wall-clock days, device-hours, cost and the feasibility verdict on an accelerator.
// One implementation, so that every front end gives the same memory verdict, device count, days and cost.
//
// The device is a catalogue entry (core/hardware.h), optionally with the peaks of a measured profile
// (core/hardware_profile.h, written by `scaleplan probe`): AcceleratorFromProfile.
#ifndef SCALEPLAN_CORE_TRAINING_PLAN_H_
#define SCALEPLAN_CORE_TRAINING_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/hardware.h"
#include "core/hardware_profile.h"
#include "core/transformer.h"

namespace scaleplan {

// Which activation recomputation the memory estimate assumes. AUTO takes the least recomputation with which some
// device count holds the state: selective (what FlashAttention-style kernels do anyway), else full.
enum class RecomputeChoice { AUTO, NONE, SELECTIVE, FULL };
const char* RecomputeChoiceName(RecomputeChoice choice);                   // "auto", "none", "selective", "full"
std::optional<RecomputeChoice> TryParseRecomputeChoice(std::string_view name);  // exact, lower case

// A model of N parameters as the memory model sees it: one of the practical shapes ProposeShapes offers for N
// (SwiGLU, 32k vocabulary, 4,096-token context, head_dim 128, one sequence per micro-batch; below ~30M parameters
// relaxed to tied embeddings and 50% tolerance). With a device, the shape and recomputation that fit on the fewest
// devices, the least recomputation among those that tie (AUTO weighs selective and full: full recomputation keeps
// the least activation memory, so the count is full recomputation's and selective is chosen when it fits on as few;
// a count that follows the model state smoothly and never falls as N grows, where "selective whenever some count
// holds it" jumped to several times that count as activations neared a device's memory); without one, or when none
// fits, the shape
// whose d_model / num_layers is closest to 128, the most common published ratio. With no shape at all (below ~3M
// parameters, above 1e15) only the model state is counted, 16 bytes per parameter.
struct ModelMemory {
  bool has_shape = false;
  TransformerShape shape;
  std::int64_t shape_params = 0;            // the shape's exact count
  Recomputation recomputation = Recomputation::SELECTIVE;
  TrainingMemory memory;
  std::int64_t min_devices_for_memory = 0;  // MinAcceleratorsForMemory: 0 = no count holds it (or no accelerator)
  std::int64_t min_devices_for_state = 0;   // fewest devices whose usable memory holds the model state alone
};

// The memory of `num_params`; with an accelerator (which decides AUTO recomputation) also the device counts.
// Without one, AUTO means selective. With `shape`, that shape (the model a layout search lays out, so that a plan
// speaks of one shape) instead of the practical shapes. Deterministic.
ModelMemory EstimateModelMemory(double num_params, const Accelerator* accelerator, RecomputeChoice recompute,
                                double usable_memory_fraction, const TransformerShape* shape = nullptr);

// Time and cost of `training_flops` on devices. The count is `requested` when positive, else the fewest that hold
// the training state (and meet max_days); when no count holds it (activations alone exceed a device), the fewest
// that hold the model state, so that days and cost are still reported for an infeasible plan.
struct DeviceTime {
  std::int64_t num_accelerators = 0;
  std::int64_t min_devices_for_days = 0;    // 0 = no max_days
  double days = 0.0;
  double device_hours = 0.0;
  double cost_usd = 0.0;
  double price_usd_per_hour = 0.0;  // the price used
  bool feasible = false;  // a peak for the type, enough memory at this count, within max_days
};
DeviceTime TimeOnDevices(double training_flops, const ModelMemory& memory, const Accelerator& accelerator,
                         const TrainingPlanOptions& options);

// The most devices one training step keeps busy at a given MFU, whatever the layout: a step of S whole sequences
// (global_batch_tokens / context, at least one), each split over at most T x P devices: tensor parallelism within a
// node (T = devices per node) and context parallelism (P a power of two up to 64, each way at least 1,024 tokens of the
// context, as the layout search allows). Pipeline stages do not raise it: a replica of k stages needs k micro-batches
// in flight, so data-parallel replicas x stages stays within S.
struct BusyDeviceBound {
  std::int64_t context_length = 0;
  std::int64_t sequences = 0;  // S
  std::int64_t tensor_ways = 1;   // T
  std::int64_t context_ways = 1;  // P
  double limit = 0.0;             // S x T x P
  bool Exceeded(std::int64_t num_devices) const { return static_cast<double>(num_devices) > limit && limit < 9e18; }
};
// `context_length` 0: the practical shapes' context (ShapeProposalOptions).
BusyDeviceBound MaxBusyDevices(double global_batch_tokens, std::int64_t context_length, std::int64_t devices_per_node);

// The options that time a plan within the bound: a chosen count (options.num_accelerators == 0) above it becomes the
// bound; a given count stays (the plan is then infeasible, as it is whenever time.num_accelerators exceeds the bound).
TrainingPlanOptions WithinBusyBound(const TrainingPlanOptions& options, const DeviceTime& time,
                                    const BusyDeviceBound& bound);

// The whole hardware side of one plan: the memory of N on the device, the count, time and cost, and PlanTraining's
// verdict (core/hardware.h) with its reasons. The two feasibility rules agree by construction (checked).
struct TrainingHardware {
  ModelMemory memory;
  DeviceTime time;
  TrainingPlan verdict;                   // PlanTraining(training_flops, memory.memory, accelerator, options)
  double peak_flops_per_second = 0.0;     // the device's dense peak for options.compute_type
  double usable_memory_bytes = 0.0;       // per device
  double memory_bytes_per_device = 0.0;   // at time.num_accelerators (0 when no count was chosen)
};

// The hardware keys of `scaleplan plan --format json` (accelerator, num_accelerators, mfu, peaks, days, cost, memory
// per device, recomputation, feasible, reasons), added to *out. The one writer of these keys: `plan` and the GUI's
// plan export both call it.
void AddTrainingHardwareJson(const TrainingHardware& hardware, double mfu, nlohmann::ordered_json* out);

// `training_flops` is what the time is for: 6 N D of the chosen allocation. Options are checked with
// SCALEPLAN_CHECK: front ends call TrainingPlanOptions::Check first.
TrainingHardware PlanTrainingHardware(double num_params, double training_flops, const Accelerator& accelerator,
                                      const TrainingPlanOptions& options, RecomputeChoice recompute);

// The device a measured profile describes, as `plan --profile` uses it: the catalogue entry `named` with every dense
// peak replaced by the profile's measured GEMM rate and its bandwidth by the measured one (MFU then applies to what
// the device reached), its source naming `profile_label` (a path). Without a named entry, a CUDA profile supplies
// its device's name and memory; a CPU profile cannot (it does not say how much memory a device has): nullopt with
// the reason in *why.
// A profile with an interconnect section (probe --collectives) also sets the intra- and inter-node bus bandwidth and
// per-step latency from its fitted all-reduce models (ApplyMeasuredInterconnect).
std::optional<Accelerator> AcceleratorFromProfile(const Accelerator* named, const HardwareProfile& profile,
                                                  const std::string& profile_label, std::string* why);

// `accelerator`'s interconnect from a measured one: the all-reduce models' bus bandwidth and per-step latency for
// the levels measured (intra_node, inter_node), the catalogue's link rates times their efficiencies for a level not
// measured, and interconnect_is_bus_bandwidth set. Unchanged when the profile has no all-reduce model, or measured
// one level only and the device has no catalogue figures for the other.
void ApplyMeasuredInterconnect(const InterconnectProfile& interconnect, const std::string& profile_label,
                               Accelerator* accelerator);

// "" when `profile` was measured on the kind of device `accelerator_name` (a catalogue name such as "H100-SXM")
// names, or measured neither a peak nor an all-reduce model; otherwise the warning a plan carries, because the
// measured rate and links describe another device and are not applied (ProfiledAccelerator): a CPU profile (its
// GEMM rate, and links measured by MPI between CPU processes), or a GPU whose name lacks the catalogue model
// ("H100"). Names compare case-insensitively.
std::string ProfileDeviceMismatch(const std::string& accelerator_name, const HardwareProfile& profile,
                                  const std::string& profile_label);

// The device a plan on the catalogue entry `named` runs on with a measured profile, as `plan --accelerator NAME
// --profile P.json` and the desktop planner use it. A profile's peaks describe the device it measured: they replace
// the entry's (AcceleratorFromProfile) only when ProfileDeviceMismatch is empty; a profile of another device (a
// CPU's 67 GFLOP/s for an A100) keeps the catalogue's peaks and *warning is the mismatch. The same rule holds for a
// measured interconnect: links measured between CPU processes (MPI over loopback or a CPU cluster's network) or
// between other GPUs are not the named device's, so the catalogue's interconnect stays and the warning says so.
Accelerator ProfiledAccelerator(const Accelerator& named, const HardwareProfile& profile,
                                const std::string& profile_label, std::string* warning);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_TRAINING_PLAN_H_
