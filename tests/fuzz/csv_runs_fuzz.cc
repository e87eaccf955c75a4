// The CSV reader (core/csv.h) and the runs loader on top of it (core/runs_table.h).
//
// Beyond not crashing: every row the reader returns has the header's field count and starts on a later line than
// the row before; the table does not depend on the line ends (the same text with LF only gives the same header and
// rows, CRs inside quoted fields aside); and every run the loader accepts has finite, positive N, D, C and loss,
// including a D or C it derived from the other columns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/csv.h"
#include "core/error.h"
#include "core/runs_table.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using scaleplan::fuzz::FinitePositive;

// CRLF and lone CR line ends as LF.
std::string WithLfLineEnds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
    } else if (i + 1 >= text.size() || text[i + 1] != '\n') {
      out += '\n';
    }
  }
  return out;
}

std::optional<scaleplan::CsvTable> TryParseCsv(std::string_view text) {
  try {
    return scaleplan::ParseCsv(text, "<fuzz>");
  } catch (const scaleplan::InputError&) {
    return std::nullopt;
  }
}

void CheckCsv(std::string_view text) {
  const std::optional<scaleplan::CsvTable> table = TryParseCsv(text);
  const std::optional<scaleplan::CsvTable> lf_table = TryParseCsv(WithLfLineEnds(text));
  FUZZ_EXPECT(table.has_value() == lf_table.has_value());
  if (!table) return;
  FUZZ_EXPECT(table->header_line >= 1);
  int previous_line = table->header_line;
  for (const scaleplan::CsvRow& row : table->rows) {
    FUZZ_EXPECT(row.fields.size() == table->header.size());
    FUZZ_EXPECT(row.line > previous_line);
    previous_line = row.line;
  }
  FUZZ_EXPECT(table->rows.size() == lf_table->rows.size());
  for (size_t i = 0; i < table->header.size(); ++i) {
    FUZZ_EXPECT(WithLfLineEnds(table->header[i]) == lf_table->header[i]);
  }
  for (size_t r = 0; r < table->rows.size(); ++r) {
    for (size_t i = 0; i < table->header.size(); ++i) {
      FUZZ_EXPECT(WithLfLineEnds(table->rows[r].fields[i]) == lf_table->rows[r].fields[i]);
    }
  }
}

void CheckRuns(std::string_view text) {
  try {
    const scaleplan::RunsTable table = scaleplan::ParseRunsCsv(text, "<fuzz>");
    FUZZ_EXPECT(!table.runs.empty());
    for (const scaleplan::TrainingRun& run : table.runs) {
      FUZZ_EXPECT(FinitePositive(run.num_params));
      FUZZ_EXPECT(FinitePositive(run.num_tokens));
      FUZZ_EXPECT(FinitePositive(run.compute_flops));
      FUZZ_EXPECT(FinitePositive(run.loss_nats));
      FUZZ_EXPECT(run.line >= 1);
    }
    static_cast<void>(scaleplan::HashRuns(table));
  } catch (const scaleplan::InputError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = scaleplan::fuzz::AsText(data, size);
  CheckCsv(text);
  CheckRuns(text);
  return 0;
}
