// The dictionary (sparse autoencoder) runs loader (core/dictionary_runs.h).
//
// Beyond not crashing: every run it accepts has finite, positive n, k and loss with k < n, and a finite, positive
// T and d exactly when the file has those columns (0 otherwise).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/dictionary_runs.h"
#include "core/error.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::FinitePositive;
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  try {
    const scaleplan::DictionaryRunsTable table = scaleplan::ParseDictionaryRunsCsv(text, "<fuzz>");
    FUZZ_EXPECT(!table.runs.empty());
    for (const scaleplan::DictionaryRun& run : table.runs) {
      FUZZ_EXPECT(FinitePositive(run.num_latents));
      FUZZ_EXPECT(FinitePositive(run.k));
      FUZZ_EXPECT(run.k < run.num_latents);
      FUZZ_EXPECT(FinitePositive(run.loss));
      FUZZ_EXPECT(table.HasTokens() ? FinitePositive(run.num_tokens) : run.num_tokens == 0.0);
      FUZZ_EXPECT(table.HasWidth() ? FinitePositive(run.d_model) : run.d_model == 0.0);
      FUZZ_EXPECT(run.line >= 1);
    }
    static_cast<void>(scaleplan::HashDictionaryRuns(table));
  } catch (const scaleplan::InputError&) {
  }
  return 0;
}
