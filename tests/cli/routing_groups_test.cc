// Routing runs grouped by their router (`--group-by router_type`) are fitted without the Dense runs that the law's
// own per-router fit takes as every router's E = 1 anchor: the output says so, and the Dense group's verdict names
// the cause (no routed runs), not a run count.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

nlohmann::json Json(const std::string& args) {
  const CommandResult result = RunScaleplan(args + " --format json");
  EXPECT_EQ(result.exit_code, 0) << args << '\n' << result.err;
  return nlohmann::json::parse(result.out);
}

// Exactly one of the notes (beside the reader's, such as what --filter left out) says so.
bool NotesSayDenseAnchorIsLeftOut(const nlohmann::json& json) {
  int count = 0;
  for (const nlohmann::json& note : json.value("notes", nlohmann::json::array())) {
    count += note.get<std::string>().find("without the Dense runs that fit --law routing gives every router as its "
                                          "E = 1 anchor") != std::string::npos;
  }
  return count == 1;
}

TEST(RoutingGroupsTest, GroupedValidationNotesTheMissingAnchorAndTheDenseGroupNeedsRoutedRuns) {
  const nlohmann::json json = Json("validate --law routing --holdout-above 1e20 --group-by router_type");
  EXPECT_TRUE(NotesSayDenseAnchorIsLeftOut(json)) << json["notes"].dump();
  ASSERT_EQ(json["groups"].size(), 4u);
  const nlohmann::json& dense = json["groups"][0];
  EXPECT_EQ(dense["group"]["router_type"], "Dense");
  const std::string status = dense["status"];
  EXPECT_NE(status.find("a routing fit needs routed runs: these 5 runs are all Dense"), std::string::npos) << status;
  EXPECT_EQ(status.find("at least 7"), std::string::npos) << status;
  // Grouped by another column, no such note (the bundled runs share one seed: one group, Dense runs included).
  EXPECT_FALSE(NotesSayDenseAnchorIsLeftOut(Json("validate --law routing --holdout-above 1e20 --group-by seed")));
}

TEST(RoutingGroupsTest, GroupedFitDiffersFromTheLawsOwnPerRouterFitAndSaysWhy) {
  const nlohmann::json grouped = Json("fit --law routing --filter 'router_type!=Dense' --group-by router_type");
  EXPECT_TRUE(NotesSayDenseAnchorIsLeftOut(grouped)) << grouped["notes"].dump();
  const nlohmann::json own = Json("fit --law routing");
  double grouped_a = 0.0, own_a = 0.0;
  for (const nlohmann::json& group : grouped["groups"]) {
    if (group["group"]["router_type"] == "S-Base") grouped_a = group["parameters"]["S-Base.a"];
  }
  for (const nlohmann::json& router : own["routers"]) {
    if (router["router"] == "S-Base") own_a = router["a"];
  }
  // S-Base's 53 runs alone against the same runs with the 5 Dense runs: a -0.0863 against -0.0841.
  EXPECT_NEAR(grouped_a, -0.0863, 5e-4);
  EXPECT_NEAR(own_a, -0.08415, 5e-4);
}

}  // namespace
}  // namespace scaleplan::testing
