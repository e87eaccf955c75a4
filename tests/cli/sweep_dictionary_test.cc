// Drives the real `scaleplan` binary: `sweep --dictionary` rows against `scaleplan dictionary --format json` for the
// same inputs and against the cost formulas written out, its header and JSON keys, shards, a fit of runs, and the
// usage errors of mixing the two kinds of sweep.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using Json = nlohmann::ordered_json;
using testing::RunScaleplan;
using Result = testing::CommandResult;

using testing::Lines;
using testing::Split;

std::string Text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// The columns that are not keys of `scaleplan dictionary`'s JSON: the grid's MFU (an option there).
bool IsInputOnly(const std::string& column) { return column == "mfu"; }

// The value `scaleplan dictionary --format json` gives for a sweep column: dense_X is dense.X.
const Json& DictionaryValue(const Json& plan, const std::string& column) {
  static const Json kAbsent;
  const std::string dense = "dense_";
  if (column.compare(0, dense.size(), dense) == 0) {
    const std::string key = column.substr(dense.size());
    return plan["dense"].contains(key) ? plan["dense"][key] : kAbsent;
  }
  return plan.contains(column) ? plan[column] : kAbsent;
}

// Every JSONL row of the sweep equals the dictionary command run with that row's inputs, key for key.
TEST(SweepDictionaryCli, RowsEqualTheDictionaryCommand) {
  Result sweep = RunScaleplan("sweep --dictionary --d-model 4096,8192 --compute 1e20,1e22 --k 0,64 "
                              "--subject-params 0,70B --accelerator H100-SXM,A100-80GB --count 0,2 --mfu 0.35 "
                              "--format jsonl");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> lines = Lines(sweep.out);
  ASSERT_EQ(lines.size(), 64u);  // 2 widths x 2 budgets x 2 k x 2 subjects x 2 devices x 2 counts
  int compared = 0, fixed_count_rows = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Json row = Json::parse(lines[i]);
    // The enumeration order: d_model, budget, k, subject, accelerator, count (innermost here).
    EXPECT_EQ(row["d_model"].get<double>(), i < 32 ? 4096.0 : 8192.0);
    EXPECT_EQ(row["budget"].get<double>(), (i / 16) % 2 == 0 ? 1e20 : 1e22);
    EXPECT_EQ(row["subject_params"].get<double>(), (i / 4) % 2 == 0 ? 0.0 : 70e9);
    EXPECT_EQ(row["accelerator"], (i / 2) % 2 == 0 ? "H100-SXM" : "A100-80GB");
    const bool fixed_k = (i / 8) % 2 == 1;
    const bool fixed_count = i % 2 == 1;
    std::string args = "dictionary --d-model " + Text(row["d_model"].get<double>()) + " --compute " +
                       Text(row["budget"].get<double>()) + " --accelerator " + row["accelerator"].get<std::string>() +
                       " --mfu 0.35 --format json";
    if (fixed_k) args += " --k 64";
    if (row["subject_params"].get<double>() > 0) args += " --subject-params 70B";
    if (fixed_count) args += " --count 2";
    Result single = RunScaleplan(args);
    ASSERT_TRUE(single.exit_code == 0 || single.exit_code == 1) << args << "\n" << single.err;
    const Json plan = Json::parse(single.out);
    ASSERT_TRUE(plan["reachable"].get<bool>()) << args;
    if (fixed_k) {
      EXPECT_EQ(row["k"].get<double>(), 64.0);
    }
    if (fixed_count) {
      EXPECT_EQ(row["devices"].get<double>(), 2.0);
      ++fixed_count_rows;
    }
    for (const auto& [column, value] : row.items()) {
      if (IsInputOnly(column)) continue;
      const Json& expected = DictionaryValue(plan, column);
      ASSERT_FALSE(expected.is_null() && !value.is_null()) << column << " is not a dictionary key (" << args << ")";
      if (value.is_null()) {
        EXPECT_TRUE(expected.is_null()) << column << " " << args;
      } else if (value.is_boolean()) {
        EXPECT_EQ(value, expected) << column << " " << args;
      } else if (value.is_string()) {
        EXPECT_EQ(value, expected) << column << " " << args;
      } else {
        EXPECT_EQ(value.get<double>(), expected.get<double>()) << column << " " << args;
      }
      ++compared;
    }
  }
  EXPECT_EQ(fixed_count_rows, 32);
  EXPECT_GT(compared, 64 * 50);
}

// The cost formulas of core/dictionary.h, written out: 2 d n + 8 d k + 8 d k_aux FLOPs per token with sparse kernels,
// 10 d n + 8 d k_aux with dense ones, 2 n d parameters, training FLOPs = per token x T, harvest 2 N (5/6) per token.
TEST(SweepDictionaryCli, RowsFollowTheCostFormulas) {
  Result sweep = RunScaleplan("sweep --dictionary --d-model 2048,16384 --compute 1e21:1e25:5 --k 0,32 "
                              "--subject-params 0,1T");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> lines = Lines(sweep.out);
  ASSERT_EQ(lines.size(), 1u + 2 * 5 * 2 * 2);
  const std::vector<std::string> header = Split(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = Split(lines[i]);
    ASSERT_EQ(cells.size(), header.size()) << lines[i];
    std::map<std::string, double> row;
    for (size_t j = 0; j < header.size(); ++j) row[header[j]] = std::strtod(cells[j].c_str(), nullptr);
    ASSERT_EQ(cells[6], "true") << "reachable: " << lines[i];
    // Counts are written as integers (digits only), not 71787.797... or 32768.0.
    for (size_t j = 0; j < header.size(); ++j) {
      if (header[j] == "d_model" || header[j] == "num_latents" || header[j] == "k" || header[j] == "aux_latents" ||
          header[j] == "devices" || header[j] == "dense_num_latents") {
        EXPECT_EQ(cells[j].find_first_not_of("0123456789"), std::string::npos) << header[j] << ": " << cells[j];
      }
    }
    const double d = row["d_model"], n = row["num_latents"], k = row["k"], aux = row["aux_latents"];
    const double tokens = row["num_tokens"];
    EXPECT_NEAR(row["flops_per_token"] / (2 * d * n + 8 * d * k + 8 * d * aux), 1.0, 1e-12) << lines[i];
    EXPECT_NEAR(row["dense_flops_per_token"] / (10 * d * n + 8 * d * aux), 1.0, 1e-12) << lines[i];
    EXPECT_NEAR(row["num_params"] / (2 * n * d), 1.0, 1e-12);
    EXPECT_NEAR(row["compute_flops"] / (row["flops_per_token"] * tokens), 1.0, 1e-12);
    EXPECT_NEAR(row["dense_compute_flops"] / (row["dense_flops_per_token"] * tokens), 1.0, 1e-12);
    EXPECT_EQ(row["dense_num_latents"], n);
    EXPECT_EQ(row["dense_num_tokens"], tokens);
    EXPECT_GT(row["dense_compute_flops"], row["compute_flops"]);
    if (row["subject_params"] > 0) {
      EXPECT_NEAR(row["harvest_flops"] / (2 * 1e12 * 5.0 / 6.0 * tokens), 1.0, 1e-12);
      // The budget pays for training and harvesting.
      EXPECT_LE((row["compute_flops"] + row["harvest_flops"]) / row["budget"], 1.0 + 1e-9);
    } else {
      const size_t harvest = std::find(header.begin(), header.end(), "harvest_flops") - header.begin();
      EXPECT_EQ(cells[harvest], "");  // unknown subject: no harvest cost (JSON null)
      EXPECT_LE(row["compute_flops"] / row["budget"], 1.0 + 1e-9);
    }
    EXPECT_GE(k, 32);  // 32 itself, or chosen in the default range 32..128
    EXPECT_LE(k, 128);
  }
}

TEST(SweepDictionaryCli, CsvHeaderMatchesJsonKeysAndUnreachableRowsAreEmpty) {
  const std::string grid = "sweep --dictionary --d-model 4096 --compute 1e8,1e20 --count 0,4";
  Result csv = RunScaleplan(grid);
  Result jsonl = RunScaleplan(grid + " --format jsonl");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  const std::vector<std::string> csv_lines = Lines(csv.out), json_lines = Lines(jsonl.out);
  ASSERT_EQ(csv_lines.size(), 5u);
  ASSERT_EQ(json_lines.size(), 4u);
  const std::vector<std::string> header = Split(csv_lines[0]);
  for (size_t i = 0; i < json_lines.size(); ++i) {
    const Json row = Json::parse(json_lines[i]);
    std::vector<std::string> keys;
    for (const auto& [key, value] : row.items()) keys.push_back(key);
    EXPECT_EQ(keys, header);
    const std::vector<std::string> cells = Split(csv_lines[i + 1]);
    ASSERT_EQ(cells.size(), header.size());
    // 1e8 FLOPs do not pay for the smallest dictionary: the plan's columns are empty (null), its inputs are not.
    const bool reachable = row["budget"].get<double>() > 1e10;
    EXPECT_EQ(row["reachable"].get<bool>(), reachable);
    EXPECT_EQ(row["num_latents"].is_null(), !reachable);
    EXPECT_EQ(row["dense_days"].is_null(), !reachable);
    EXPECT_EQ(row["feasible"].is_null(), !reachable);
    EXPECT_EQ(cells[7] == "", !reachable) << csv_lines[i + 1];
    EXPECT_EQ(cells[0], "4096");
    EXPECT_TRUE(row["prior"].get<bool>());
  }
  EXPECT_NE(csv.err.find("prior (Gao et al. 2024 coefficients, not fitted to your runs)"), std::string::npos);
  EXPECT_EQ(header.front(), "d_model");
  EXPECT_EQ(header.back(), "dense_feasible");
}

TEST(SweepDictionaryCli, ShardsConcatenateToTheFullSweep) {
  const std::string grid = "sweep --dictionary --d-model 4096,8192 --compute 1e18:1e22:5 --k 0,64 "
                           "--accelerator H100-SXM,B200 --count 0,8 --mfu 0.3,0.5";
  Result full = RunScaleplan(grid);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const std::vector<std::string> all = Lines(full.out);
  ASSERT_EQ(all.size(), 161u);  // header + 2 x 5 x 2 x 2 x 2 x 2
  std::vector<std::string> joined = {all[0]};
  for (int i = 0; i < 6; ++i) {
    Result part = RunScaleplan(grid + " --shard " + std::to_string(i) + "/6");
    ASSERT_EQ(part.exit_code, 0) << part.err;
    const std::vector<std::string> lines = Lines(part.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], all[0]);
    EXPECT_TRUE(lines.size() - 1 == 160 / 6 || lines.size() - 1 == 160 / 6 + 1) << lines.size();
    joined.insert(joined.end(), lines.begin() + 1, lines.end());
  }
  EXPECT_EQ(joined, all);
  // JSON lines shard the same way, and --out reports the shard.
  const std::string path = testing::WriteTempFile("dictionary_part.jsonl", "");
  Result part = RunScaleplan(grid + " --format jsonl --shard 5/6 --out '" + path + "'");
  ASSERT_EQ(part.exit_code, 0) << part.err;
  EXPECT_NE(part.err.find("wrote 26 rows (shard 5/6 of 160)"), std::string::npos) << part.err;
  const std::vector<std::string> last = Lines(testing::ReadWholeFile(path));
  ASSERT_EQ(last.size(), 26u);
  const Json row = Json::parse(last.back());
  EXPECT_EQ(row["d_model"].get<double>(), 8192.0);
  EXPECT_EQ(row["budget"].get<double>(), 1e22);
  EXPECT_EQ(row["accelerator"], "B200");
  EXPECT_EQ(row["mfu"].get<double>(), 0.5);
}

TEST(SweepDictionaryCli, FittedRunsReplaceThePrior) {
  const std::string runs = testing::SourcePath("data/dictionary_runs_generated.csv");
  Result sweep = RunScaleplan("sweep --dictionary --runs '" + runs + "' --d-model 4096 --compute 1e20 --format jsonl");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const Json row = Json::parse(sweep.out);
  EXPECT_FALSE(row["prior"].get<bool>());
  EXPECT_EQ(sweep.err.find("prior (Gao"), std::string::npos) << sweep.err;
  Result single = RunScaleplan("dictionary --runs '" + runs + "' --d-model 4096 --compute 1e20 --format json");
  ASSERT_TRUE(single.exit_code == 0 || single.exit_code == 1) << single.err;
  const Json plan = Json::parse(single.out);
  EXPECT_FALSE(plan["prior"].get<bool>());
  for (const char* key : {"num_latents", "k", "num_tokens", "compute_flops", "loss", "memory_bytes", "days"}) {
    EXPECT_EQ(row[key].get<double>(), plan[key].get<double>()) << key;
  }
  EXPECT_EQ(row["dense_days"].get<double>(), plan["dense"]["days"].get<double>());
}

TEST(SweepDictionaryCli, BadCombinationsExit2) {
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"sweep --dictionary --compute 1e20", "--dictionary needs --d-model"},
      {"sweep --dictionary --d-model 4096", "--dictionary needs --compute"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --inference-tokens 1T", "--inference-tokens is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --unique-tokens 1B", "--unique-tokens is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --law epoch", "--law is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --fit fit.json", "--fit is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --bootstrap", "--bootstrap is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --max-days 30", "--max-days is for model"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --recompute full", "--recompute is for model"},
      {"sweep --d-model 4096 --compute 1e20", "--d-model is for dictionary sweeps: add --dictionary"},
      {"sweep --law epoch --subject-params 70B", "--subject-params is for dictionary sweeps"},
      {"sweep --law epoch --runs runs.csv", "--runs is for dictionary sweeps"},
      {"sweep --dictionary --d-model 4096,0.5 --compute 1e20", "--d-model 0.5: d_model must be at least 1"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --k 0.5", "--k 0.5: k must be at least 1"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --mfu 1.5", "--mfu"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --shard 2/2", "--shard must be I/N"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --accelerator H100", "unknown --accelerator 'H100'"},
      {"sweep --dictionary --d-model 4096 --compute 1e20 --accelerator H100-SXM,V100-SXM2-32GB",
       "--accelerator V100-SXM2-32GB: the device 'V100-SXM2-32GB' has no dense bf16 peak"},
  };
  for (const auto& c : cases) {
    Result r = RunScaleplan(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
  }
}

}  // namespace
}  // namespace scaleplan
