// The desktop session reader (gui/session.h). It needs no display: the reader is plain C++ in the gui library.
//
// Beyond not crashing: an accepted session has fit and plan options that pass their own Check, a finite positive
// budget, finite non-negative token limits, no negative row index or bootstrap count; writing it back
// (SessionToJson) keeps every number it read (ExpectKeptValues), and reading that gives the same JSON again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "gui/session.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::FiniteNonNegative;
  using scaleplan::fuzz::FinitePositive;
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  scaleplan::gui::Session session;
  try {
    session = scaleplan::gui::ParseSession(text, "<fuzz>");
  } catch (const scaleplan::InputError&) {
    return 0;
  }
  FUZZ_EXPECT(session.fit_options.Check(nullptr));
  FUZZ_EXPECT(session.plan.training.Check(nullptr));
  FUZZ_EXPECT(FinitePositive(session.budget_flops));
  FUZZ_EXPECT(FiniteNonNegative(session.plan.inference_tokens));
  FUZZ_EXPECT(FiniteNonNegative(session.plan.unique_tokens));
  FUZZ_EXPECT(session.bootstrap_resamples >= 0);
  for (int row : session.excluded_rows) FUZZ_EXPECT(row >= 0);
  const nlohmann::ordered_json written_json = scaleplan::gui::SessionToJson(session);
  scaleplan::fuzz::ExpectKeptValues(nlohmann::json::parse(text), written_json);
  const std::string written = written_json.dump();
  scaleplan::gui::Session back;
  try {
    back = scaleplan::gui::ParseSession(written, "<fuzz: written back>");
  } catch (const scaleplan::InputError&) {
    scaleplan::fuzz::ExpectationFailed(__FILE__, __LINE__, "a session written by SessionToJson reads back");
  }
  FUZZ_EXPECT(scaleplan::gui::SessionToJson(back).dump() == written);
  return 0;
}
