// The session reader's limits on bad input (the round trip and the key errors are in recommendation_test.cc). Each
// case here was found by tests/fuzz/session_fuzz.cc; its input is in tests/fuzz/regressions/session/.
#include "gui/session.h"

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan::gui {
namespace {

// ParseSession's InputError message, or "(accepted)".
std::string Message(const std::string& text) {
  try {
    ParseSession(text, "s.json");
  } catch (const InputError& error) {
    return error.what();
  }
  return "(accepted)";
}

// Counts are read as whole numbers that fit their type: 2^32 + 1 starts once became 1 start, 2.5 became 2, and a
// device count of 1e300 was converted to an integer it does not fit (undefined behaviour).
TEST(Session, CountsAreWholeNumbersThatFitTheirType) {
  EXPECT_EQ(Message(R"({"fit": {"starts": 4294967297}})"),
            "s.json: /fit/starts: whole number out of range, got number");
  EXPECT_EQ(Message(R"({"fit": {"starts": 2.5}})"), "s.json: /fit/starts: must be a whole number, got number");
  EXPECT_EQ(Message(R"({"plan": {"num_accelerators": 1e300}})"),
            "s.json: /plan/num_accelerators: must be a whole number, got number");
  EXPECT_EQ(Message(R"({"runs": {"excluded_rows": [4294967296]}})"),
            "s.json: /runs/excluded_rows: must hold non-negative integers, got 4294967296");
  EXPECT_EQ(ParseSession(R"({"fit": {"starts": 16}, "plan": {"num_accelerators": 8192}})", "s.json")
                .plan.training.num_accelerators,
            8192);
}

// Versions start at 1: version 0 was read as a session and written back as version 1.
TEST(Session, SchemaVersionBelowOneIsAnInputError) {
  EXPECT_EQ(Message(R"({"schema_version": 0})"), "s.json: schema_version 0 is not a version");
  EXPECT_EQ(Message(R"({"schema_version": -3})"), "s.json: schema_version -3 is not a version");
  EXPECT_EQ(Message(R"({"schema_version": 1})"), "(accepted)");
}

// nlohmann reports a number beyond the double range as out_of_range, not as a parse error; it escaped the reader.
TEST(Session, NumberBeyondTheDoubleRangeIsAnInputError) {
  EXPECT_EQ(Message(R"({"plan": {"budget_flops": 1e309}})").rfind("s.json: not valid JSON: ", 0), 0u);
}

// The offending value is quoted one level deep: dumping a value nested 100,000 deep overflowed the stack.
TEST(Session, DeeplyNestedBadValueIsQuotedShort) {
  const int depth = 100000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_EQ(Message(R"({"runs": {"excluded_rows": [)" + nested + "]}}"),
            "s.json: /runs/excluded_rows: must hold non-negative integers, got [[...]]");
}

}  // namespace
}  // namespace scaleplan::gui
