#include "cli/plan_support.h"

#include <optional>

#include "cli/cli_common.h"

namespace scaleplan::cli {

RecomputeChoice ParseRecomputeChoice(const std::string& text) {
  const std::optional<RecomputeChoice> choice = TryParseRecomputeChoice(text);
  if (!choice) throw UsageError("--recompute must be auto, none, selective or full, not '" + text + "'");
  return *choice;
}

}  // namespace scaleplan::cli
