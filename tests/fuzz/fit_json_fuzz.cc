// The saved-fit reader (fitting/fit_json.h, what `plan --fit` reads).
//
// Beyond not crashing: an accepted fit names a saved law; one that plans is usable (Chinchilla's form: finite,
// positive E, A, B, alpha, beta; Kaplan, IsoFLOP and data-constrained laws pass their own Check), every bootstrap
// law is usable too, the interval level lies in (0, 1), and the runs' ranges are finite and non-negative.
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
    if (saved.HasChinchillaForm()) FUZZ_EXPECT(saved.law.Check(nullptr));
    if (saved.law_name == "data-constrained") FUZZ_EXPECT(saved.data_constrained.Check(nullptr));
    if (saved.law_name == "kaplan") FUZZ_EXPECT(saved.kaplan.Check(nullptr));
    if (saved.law_name == "isoflop") FUZZ_EXPECT(saved.isoflop.Check(nullptr));
    if (!saved.Allocates()) FUZZ_EXPECT(saved.payload.is_object());
    for (const scaleplan::ChinchillaLaw& law : saved.bootstrap_laws) FUZZ_EXPECT(law.Check(nullptr));
    FUZZ_EXPECT(saved.confidence > 0.0 && saved.confidence < 1.0);
    FUZZ_EXPECT(FiniteNonNegative(saved.compute_min) && FiniteNonNegative(saved.compute_max));
    FUZZ_EXPECT(FiniteNonNegative(saved.num_params_min) && FiniteNonNegative(saved.num_params_max));
    FUZZ_EXPECT(FiniteNonNegative(saved.num_tokens_min) && FiniteNonNegative(saved.num_tokens_max));
  } catch (const scaleplan::InputError&) {
  }
  return 0;
}
