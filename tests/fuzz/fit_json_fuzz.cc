// The saved-fit reader (fitting/fit_json.h, what `plan --fit` reads).
//
// Beyond not crashing: an accepted fit is a usable law (finite, positive E, A, B, alpha, beta), every bootstrap law
// is too, and the interval level lies in (0, 1).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/chinchilla_law.h"
#include "core/error.h"
#include "fitting/fit_json.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::FiniteNonNegative;
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  try {
    const scaleplan::SavedLaw saved = scaleplan::ParseSavedFit(text, "<fuzz>");
    FUZZ_EXPECT(saved.law.Check(nullptr));
    for (const scaleplan::ChinchillaLaw& law : saved.bootstrap_laws) FUZZ_EXPECT(law.Check(nullptr));
    FUZZ_EXPECT(saved.confidence > 0.0 && saved.confidence < 1.0);
    FUZZ_EXPECT(FiniteNonNegative(saved.compute_min) && FiniteNonNegative(saved.compute_max));
  } catch (const scaleplan::InputError&) {
  }
  return 0;
}
