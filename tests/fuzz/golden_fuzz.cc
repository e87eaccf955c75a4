// The golden-file reader (fitting/golden.h, what `scaleplan check --golden` reads).
//
// Beyond not crashing: an accepted golden has its law's parameters (chinchilla and kaplan: finite and positive, a
// usable Chinchilla law; isoflop: finite; the laws with runs of their own, fitting/law_table.h: at least one, finite,
// and no predictions), a finite non-negative objective (isoflop, hyperparams: none), ordered finite intervals,
// finite positive predictions, at least one run, fit options that pass their own Check and a usable grid (isoflop: a
// budget tolerance in (0, 1) and at least 3 runs per budget; dictionary and hyperparams: no grid), and a bootstrap
// with resamples >= 1 and a level in (0, 1); writing it back
// (GoldenToJson) keeps every number it read (ExpectKeptValues), and reading that gives the same JSON again.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "fitting/golden.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using scaleplan::fuzz::FiniteNonNegative;
using scaleplan::fuzz::FinitePositive;

bool Ordered(const scaleplan::Interval& interval) {
  return std::isfinite(interval.lower) && std::isfinite(interval.upper) && interval.lower <= interval.upper;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  scaleplan::Golden golden;
  try {
    golden = scaleplan::ParseGolden(text, "<fuzz>");
  } catch (const scaleplan::InputError&) {
    return 0;
  }
  const bool isoflop = golden.law_name == "isoflop";
  const scaleplan::TableLaw* table_law = scaleplan::FindTableLaw(golden.law_name);
  const bool own_runs = table_law != nullptr && table_law->own_reader;  // data-constrained, sparse, ...
  const bool hyperparams = golden.law_name == "hyperparams";
  if (!own_runs) FUZZ_EXPECT(golden.parameters.size() == scaleplan::GoldenParameterNames(golden.law_name).size());
  if (own_runs) FUZZ_EXPECT(golden.predictions.empty());
  FUZZ_EXPECT(!golden.parameters.empty());
  for (const auto& [name, value] : golden.parameters) {
    FUZZ_EXPECT(isoflop || own_runs ? std::isfinite(value) : FinitePositive(value));
  }
  if (golden.law_name == "chinchilla") FUZZ_EXPECT(golden.Law().Check(nullptr));
  FUZZ_EXPECT(golden.has_objective == !(isoflop || hyperparams));
  if (golden.has_objective) FUZZ_EXPECT(FiniteNonNegative(golden.objective));
  for (const auto& [name, interval] : golden.intervals) FUZZ_EXPECT(Ordered(interval));
  for (const scaleplan::GoldenPrediction& prediction : golden.predictions) {
    FUZZ_EXPECT(FinitePositive(prediction.compute_flops));
    FUZZ_EXPECT(FinitePositive(prediction.num_params));
    FUZZ_EXPECT(FinitePositive(prediction.num_tokens));
    FUZZ_EXPECT(FinitePositive(prediction.loss_nats));
    if (prediction.has_intervals) {
      FUZZ_EXPECT(Ordered(prediction.num_params_interval));
      FUZZ_EXPECT(Ordered(prediction.num_tokens_interval));
      FUZZ_EXPECT(Ordered(prediction.loss_interval));
    }
  }
  FUZZ_EXPECT(golden.data_num_runs >= 1);
  FUZZ_EXPECT(golden.data_hash.size() == 16);
  if (isoflop) {
    FUZZ_EXPECT(golden.budget_tolerance > 0.0 && golden.budget_tolerance < 1.0);
    FUZZ_EXPECT(golden.min_budget_runs >= 3);
  } else if (hyperparams) {
    FUZZ_EXPECT(golden.table_options.hyperparams.Check(nullptr));
  } else {
    FUZZ_EXPECT(golden.fit_options.Check(nullptr));
    if (table_law == nullptr || table_law->has_grid) FUZZ_EXPECT(golden.grid.Check(nullptr));
  }
  if (golden.bootstrap) {
    FUZZ_EXPECT(golden.bootstrap->num_resamples >= 1);
    FUZZ_EXPECT(golden.bootstrap->confidence > 0.0 && golden.bootstrap->confidence < 1.0);
  }
  const nlohmann::ordered_json written_json = scaleplan::GoldenToJson(golden);
  scaleplan::fuzz::ExpectKeptValues(nlohmann::json::parse(text), written_json);
  const std::string written = written_json.dump();
  scaleplan::Golden back;
  try {
    back = scaleplan::ParseGolden(written, "<fuzz: written back>");
  } catch (const scaleplan::InputError&) {
    scaleplan::fuzz::ExpectationFailed(__FILE__, __LINE__, "a golden written by GoldenToJson reads back");
  }
  FUZZ_EXPECT(scaleplan::GoldenToJson(back).dump() == written);
  return 0;
}
