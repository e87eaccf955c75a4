// The hardware-catalogue reader (core/hardware.h; data/hardware.json or --hardware FILE).
//
// Beyond not crashing: an accepted catalogue has at least one accelerator; each has a name, finite positive memory
// and bandwidth, a finite non-negative price and at least one finite positive dense peak (the others 0); names are
// unique case-insensitively, so looking each one up finds that accelerator.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/hardware.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::FiniteNonNegative;
  using scaleplan::fuzz::FinitePositive;
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  try {
    const scaleplan::HardwareCatalogue catalogue = scaleplan::ParseHardwareCatalogue(text, "<fuzz>");
    FUZZ_EXPECT(!catalogue.accelerators().empty());
    for (const scaleplan::Accelerator& accelerator : catalogue.accelerators()) {
      FUZZ_EXPECT(!accelerator.name.empty());
      FUZZ_EXPECT(FinitePositive(accelerator.memory_bytes));
      FUZZ_EXPECT(FinitePositive(accelerator.memory_bytes_per_second));
      FUZZ_EXPECT(FiniteNonNegative(accelerator.price_usd_per_hour));
      FUZZ_EXPECT(!accelerator.SupportedTypes().empty());
      for (double peak : accelerator.dense_flops_per_second) FUZZ_EXPECT(peak == 0.0 || FinitePositive(peak));
      FUZZ_EXPECT(catalogue.TryFind(accelerator.name) == &accelerator);
    }
  } catch (const scaleplan::InputError&) {
  }
  return 0;
}
