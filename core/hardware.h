// The accelerator catalogue (data/hardware.json) and the time, cost and memory-fit model for a training run.
//
// Catalogue figures are DENSE peaks per numeric type. Datasheets print the 2:4-structured-sparsity figure next to
// (or instead of) the dense one; the catalogue holds half of it, which is what MFU is measured against.
//
// JSON schema, version 1:
//   {
//     "schema_version": 1,
//     "description": "...",                          optional
//     "accelerators": [
//       {
//         "name": "H100-SXM",                         unique, compared case-insensitively
//         "vendor": "NVIDIA",
//         "source": "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column",
//         "notes": "...",                             optional
//         "memory_bytes": 80e9,                       > 0
//         "memory_bytes_per_second": 3.35e12,         > 0
//         "price_usd_per_hour": 3.0,                  >= 0, a planning default the user overrides
//         "dense_flops_per_second": { "fp32": 67e12, "tf32": 494.5e12, "bf16": 989e12, "fp16": 989e12, "fp8": 1979e12 },
//         "interconnect": {                           optional; the layout search needs it
//           "devices_per_node": 8,                    the high-bandwidth domain (NVLink/NVSwitch, xGMI, an ICI slice)
//           "intra_node_bytes_per_second": 450e9,     per device, one direction, link rate
//           "inter_node_bytes_per_second": 50e9,      per device, one direction: its share of the node's NICs
//           "intra_node_latency_seconds": 5e-6,       one step of a collective inside a node
//           "inter_node_latency_seconds": 10e-6,      one step across nodes
//           "source": "..."
//         }
//       }, ...
//     ]
//   }
// Each peak is > 0; a numeric type the device lacks is left out. Unknown keys are errors (they are usually typos).
#ifndef SCALEPLAN_CORE_HARDWARE_H_
#define SCALEPLAN_CORE_HARDWARE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/transformer.h"

namespace scaleplan {

inline constexpr int kHardwareCatalogueSchemaVersion = 1;

struct Accelerator {
  std::string name;                      // catalogue key, e.g. "H100-SXM"
  std::string vendor;
  std::string source;                    // the vendor document the figures come from
  std::string notes;
  double memory_bytes = 0;               // device memory (datasheet GB read as 1e9 bytes)
  double memory_bytes_per_second = 0;    // peak memory bandwidth
  double price_usd_per_hour = 0;         // planning default per device-hour; override per plan
  std::array<double, kNumNumericTypes> dense_flops_per_second{};  // by NumericType; 0 = not supported
  // The interconnect, as link rates (core/collective_cost.h turns them into achievable bus bandwidth); all 0 when
  // the entry has none.
  std::int64_t devices_per_node = 0;          // the high-bandwidth domain: 8 for HGX, 72 for GB200-NVL72
  double intra_node_bytes_per_second = 0;     // per device, one direction
  double inter_node_bytes_per_second = 0;     // per device, one direction
  double intra_node_latency_seconds = 0;
  double inter_node_latency_seconds = 0;
  std::string interconnect_source;
  // true when the two bandwidths above are measured bus bandwidth (a profile's fitted all-reduce models, see
  // AcceleratorFromProfile): core/collective_cost.h then uses them as they stand, without its link efficiencies.
  bool interconnect_is_bus_bandwidth = false;

  bool HasInterconnect() const { return devices_per_node > 0; }

  // 0 when the device has no peak for `type`.
  double DenseFlopsPerSecond(NumericType type) const { return dense_flops_per_second[static_cast<int>(type)]; }
  std::vector<NumericType> SupportedTypes() const;
};

class HardwareCatalogue {
 public:
  HardwareCatalogue() = default;
  HardwareCatalogue(std::string source_label, std::vector<Accelerator> accelerators);

  const std::string& source_label() const { return source_label_; }
  const std::vector<Accelerator>& accelerators() const { return accelerators_; }
  std::vector<std::string> Names() const;

  // Case-insensitive lookup; nullptr when unknown.
  const Accelerator* TryFind(std::string_view name) const;
  // As TryFind, but an unknown name throws InputError naming `where` (e.g. {"--accelerator"}) and listing the
  // known names.
  const Accelerator& Find(std::string_view name, InputLocation where = {}) const;

 private:
  std::string source_label_;
  std::vector<Accelerator> accelerators_;
};

// Parses the catalogue. Bad input (invalid JSON, a missing key, a wrong type, a non-positive figure, an unknown
// key or numeric type, a duplicate name, an unsupported schema_version) throws InputError whose message starts
// with `source_label` and names the JSON pointer of the offending value, e.g.
//   "<bundled hardware catalogue>: /accelerators/2/memory_bytes: must be a positive number: '-1'".
HardwareCatalogue ParseHardwareCatalogue(std::string_view json_text, const std::string& source_label);

// Reads and parses a catalogue file; an unreadable file is an InputError naming it.
HardwareCatalogue ReadHardwareCatalogueFile(const std::string& path);

// One field of an accelerator set by the user on top of its entry (`--peak-flops`, `--memory-bytes`,
// `--intra-node-bandwidth`, `--inter-node-bandwidth`, `--devices-per-node`); 0 = keep the entry's.
struct AcceleratorOverrides {
  double peak_flops_per_second = 0.0;         // replaces the dense peak of every numeric type the entry has
  double memory_bytes = 0.0;
  double intra_node_bytes_per_second = 0.0;
  double inter_node_bytes_per_second = 0.0;
  std::int64_t devices_per_node = 0;

  bool Any() const;
  bool Check(std::string* why) const;
};

// `accelerator` with the overrides applied; interconnect overrides on an entry without interconnect figures need
// all three of devices_per_node and both bandwidths (else InputError at `where`).
Accelerator ApplyAcceleratorOverrides(Accelerator accelerator, const AcceleratorOverrides& overrides,
                                      const InputLocation& where);

// ---------------------------------------------------------------------------------------------------------------
// Time, cost and memory fit.
//
// Time = training FLOPs / (devices x dense peak x MFU): throughput is taken as linear in the device count at the
// given MFU, so MFU must be one measured (or assumed) at that scale and with the FLOP convention the FLOPs were
// counted in (see AttentionFlops in core/transformer.h).
//
// Memory per device, with n devices: the model state (weights, gradients, optimizer) fully sharded across all n
// (ZeRO stage 3 / FSDP), plus the activations and logits of one micro-batch (not sharded: no tensor or sequence
// parallelism is modelled), plus, when n > 1, two layers' weights gathered unsharded (the layer being computed and
// the one prefetched). Only usable_memory_fraction of a device's memory is available: the rest goes to the
// runtime, communication buffers and fragmentation.
struct TrainingPlanOptions {
  double mfu = 0.40;                     // model FLOPs utilisation against the dense peak (PaLM 46%, Llama 3 38-43%)
  NumericType compute_type = NumericType::BF16;  // whose dense peak the MFU applies to
  std::int64_t num_accelerators = 0;     // 0 = the fewest that hold the training state (and meet max_days)
  double usable_memory_fraction = 0.90;  // of each device's memory
  double price_usd_per_hour = 0.0;       // per device-hour; 0 = the catalogue's planning default
  double max_days = 0.0;                 // wall-clock limit; 0 = none

  bool Check(std::string* why) const;
};

struct TrainingPlan {
  bool feasible = false;
  std::vector<std::string> reasons;            // why not feasible; empty when feasible
  std::string accelerator;                     // catalogue name
  std::int64_t num_accelerators = 0;           // the count the times and costs are for (0 if none could be chosen)
  std::int64_t min_accelerators_for_memory = 0;  // fewest devices that hold the state; 0 = no count does
  std::int64_t min_accelerators_for_days = 0;  // fewest devices that meet max_days; 0 when max_days is unset
  double peak_flops_per_second = 0;            // dense peak of one device for compute_type
  double usable_memory_bytes = 0;              // per device
  double memory_bytes_per_device = 0;          // needed per device at num_accelerators
  double seconds = 0;
  double days = 0;
  double device_hours = 0;                     // GPU-hours
  double price_usd_per_hour = 0;               // the price used
  double cost_usd = 0;
};

// Bytes each of `num_accelerators` devices needs (see above).
double MemoryBytesPerDevice(const TrainingMemory& memory, std::int64_t num_accelerators);

// The fewest devices whose usable memory holds `memory`; 0 when even unlimited sharding cannot (the activations
// and gathered layers alone exceed one device).
std::int64_t MinAcceleratorsForMemory(const TrainingMemory& memory, const Accelerator& accelerator,
                                      double usable_memory_fraction);

// Wall-clock seconds for `training_flops` on `num_accelerators` devices of `peak_flops_per_second` at `mfu`.
double TrainingSeconds(double training_flops, double peak_flops_per_second, std::int64_t num_accelerators,
                       double mfu);

// The plan for `training_flops` with training state `memory` on `accelerator`. Never throws for a plan that does
// not fit: the result says feasible = false and why (no peak for compute_type, too little memory at the chosen
// count or at any count, more days than max_days). Options are checked with SCALEPLAN_CHECK: front ends call
// TrainingPlanOptions::Check first.
TrainingPlan PlanTraining(double training_flops, const TrainingMemory& memory, const Accelerator& accelerator,
                          const TrainingPlanOptions& options = {});

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_HARDWARE_H_
