// The probe-profile reader (core/hardware_profile.h, what `plan --profile` reads).
//
// Beyond not crashing: an accepted profile has finite, positive peak FLOP/s and bandwidth, at least one thread,
// finite non-negative measurements and non-negative shapes and counts; writing it back (HardwareProfileToJson)
// keeps every number it read (ExpectKeptValues), and reading that gives the same text again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/hardware_profile.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::FiniteNonNegative;
  using scaleplan::fuzz::FinitePositive;
  const std::string text(scaleplan::fuzz::AsText(data, size));
  scaleplan::HardwareProfile profile;
  try {
    profile = scaleplan::HardwareProfileFromJson(text, "<fuzz>");
  } catch (const scaleplan::InputError&) {
    return 0;
  }
  FUZZ_EXPECT(profile.schema_version >= 1 && profile.schema_version <= scaleplan::kHardwareProfileSchemaVersion);
  FUZZ_EXPECT(profile.backend == "cpu" || profile.backend == "cuda");
  FUZZ_EXPECT(FinitePositive(profile.peak_flops));
  FUZZ_EXPECT(FinitePositive(profile.bandwidth_bytes_per_s));
  FUZZ_EXPECT(profile.host.threads >= 1);
  if (profile.cuda_device) {
    const scaleplan::CudaDeviceInfo& gpu = *profile.cuda_device;
    FUZZ_EXPECT(gpu.sm_count >= 0 && gpu.compute_capability_major >= 0 && gpu.compute_capability_minor >= 0);
    FUZZ_EXPECT(gpu.clock_khz >= 0 && gpu.memory_clock_khz >= 0 && gpu.memory_bus_width_bits >= 0);
    FUZZ_EXPECT(FiniteNonNegative(gpu.memory_bytes) && FiniteNonNegative(gpu.l2_cache_bytes));
  }
  FUZZ_EXPECT(FiniteNonNegative(profile.calibration.fma_peak_flops));
  FUZZ_EXPECT(FiniteNonNegative(profile.calibration.last_level_cache_bytes));
  for (const scaleplan::CacheSweepPoint& point : profile.calibration.cache_sweep) {
    FUZZ_EXPECT(FiniteNonNegative(point.working_set_bytes) && FiniteNonNegative(point.bytes_per_second));
  }
  for (const scaleplan::KernelMeasurement& kernel : profile.kernels) {
    FUZZ_EXPECT(!kernel.name.empty());
    FUZZ_EXPECT(kernel.d >= 0 && kernel.n >= 0 && kernel.k >= 0 && kernel.batch >= 0);
    for (double value : {kernel.seconds_median, kernel.seconds_best, kernel.flops, kernel.bytes,
                         kernel.flops_per_second, kernel.bytes_per_second, kernel.working_set_bytes,
                         kernel.arithmetic_intensity, kernel.roofline_fraction}) {
      FUZZ_EXPECT(FiniteNonNegative(value));
    }
  }
  const std::string written = scaleplan::HardwareProfileToJson(profile);
  scaleplan::fuzz::ExpectKeptValues(nlohmann::json::parse(text), nlohmann::json::parse(written));
  scaleplan::HardwareProfile back;
  try {
    back = scaleplan::HardwareProfileFromJson(written, "<fuzz: written back>");
  } catch (const scaleplan::InputError&) {
    scaleplan::fuzz::ExpectationFailed(__FILE__, __LINE__, "a profile written by HardwareProfileToJson reads back");
  }
  FUZZ_EXPECT(scaleplan::HardwareProfileToJson(back) == written);
  return 0;
}
