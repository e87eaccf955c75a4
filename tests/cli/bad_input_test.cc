// The bad-input corpus (tests/bad_input/cases.tsv, described in tests/bad_input/README.md): every case runs the real
// binary on one input file and asserts its exit code and what it printed. On top of each case's own checks, every
// case must end normally (no signal, no internal error, exit code 70) with a bounded stderr, and every refused input
// must print nothing on stdout (no number that could be mistaken for a result) and exactly one line on stderr,
// "scaleplan COMMAND: error: ...", naming the file.
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"
#include "tests/testing.h"

namespace scaleplan::testing {
namespace {

using Json = nlohmann::json;

// One line of the manifest.
struct BadInputCase {
  std::string name;
  std::string file;     // under tests/bad_input/; "@NAME" generated at test time; "repo:PATH"; "-" none
  std::string command;  // scaleplan arguments; {file} is the case file (quoted), {repo} the source tree
  int exit_code = 0;
  std::vector<std::string> expect;  // err:TEXT, out:TEXT, err-empty, json:PATH=VALUE@RTOL, same:CASE:PATH,...
};

// gtest prints a failing case by its name.
void PrintTo(const BadInputCase& c, std::ostream* out) { *out << c.name; }

std::vector<std::string> SplitOn(const std::string& text, const std::string& separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + separator.size();
  }
}

std::vector<BadInputCase> LoadManifest() {
  std::vector<BadInputCase> cases;
  std::ifstream in(SourcePath("tests/bad_input/cases.tsv"));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {  // case, file, command, exit, expect
      header = false;
      continue;
    }
    const std::vector<std::string> fields = SplitOn(line, "\t");
    BadInputCase c;
    c.name = fields[0];
    if (fields.size() != 5) {
      c.command = "<malformed manifest line: " + std::to_string(fields.size()) + " fields>";
      cases.push_back(c);
      continue;
    }
    c.file = fields[1];
    c.command = fields[2];
    c.exit_code = std::stoi(fields[3]);
    if (!fields[4].empty()) c.expect = SplitOn(fields[4], " && ");
    cases.push_back(c);
  }
  if (cases.empty()) cases.push_back({"manifest_missing", "-", "<tests/bad_input/cases.tsv not found>", 0, {}});
  return cases;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

constexpr size_t kTenMiB = size_t{10} << 20;

// The bundled golden (or a probe profile) with the value at `key` replaced by arrays nested 5 Mi deep: 10 MiB on
// one line, deep enough to overflow the stack of anything that recurses once per level.
std::string WithDeepValue(Json doc, const std::vector<std::string>& path) {
  Json* target = &doc;
  for (const std::string& key : path) target = &(*target)[key];
  *target = "@DEEP@";
  return Replace(doc.dump(), "\"@DEEP@\"", std::string(kTenMiB / 2, '[') + std::string(kTenMiB / 2, ']'));
}

// The files generated at test time ("@NAME" in the manifest): too large to commit, or derived from files the
// project regenerates (the bundled golden), so that they never go stale.
std::string GeneratedContents(const std::string& name) {
  if (name == "big_header.csv") return std::string(kTenMiB, 'N');  // one 10 MiB line, no line end
  if (name == "big_cell.csv") return "N,D,loss\n" + std::string(kTenMiB, '1') + ",2e10,2.5\n";
  if (name == "big_row.csv") {
    std::string row;
    while (row.size() < kTenMiB) row += "4e7,8e8,4.0657,";
    return "N,D,loss\n" + row;
  }
  if (name == "big_string.json") {
    return "{\"E\": \"" + std::string(kTenMiB, 'x') + "\", \"A\": 482.01, \"B\": 2085.43, \"alpha\": 0.3478, "
           "\"beta\": 0.3658}";
  }
  if (name == "deep.json") {
    return "{\"E\": " + std::string(kTenMiB / 2, '[') + std::string(kTenMiB / 2, ']') +
           ", \"A\": 482.01, \"B\": 2085.43, \"alpha\": 0.3478, \"beta\": 0.3658}";
  }
  const std::string golden = ReadWholeFile(SourcePath("data/golden/chinchilla.json"));
  if (name == "deep_golden.json") return WithDeepValue(Json::parse(golden), {"parameters", "alpha"});
  if (name == "golden_bom_crlf.json") return "\xEF\xBB\xBF" + Replace(golden, "\n", "\r\n");
  if (name == "golden_unknown_keys.json") {
    Json doc = Json::parse(golden);
    doc["generated_by"] = {{"tool", "a later scaleplan"}, {"host", "ci-7"}};
    doc["parameters"]["gamma"] = 0.5;
    doc["options"]["optimizer"] = "lbfgs";
    doc["data"]["labels"] = {"a", "b"};
    return doc.dump(2) + "\n";
  }
  if (name == "deep_profile.json") {
    return WithDeepValue(Json::parse(ReadWholeFile(SourcePath("tests/bad_input/profile_valid.json"))),
                         {"peak_flops"});
  }
  if (name == "dict_bom_crlf.csv") {
    return "\xEF\xBB\xBF" + Replace(ReadWholeFile(SourcePath("data/dictionary_runs_generated.csv")), "\n", "\r\n");
  }
  ADD_FAILURE() << "no generator for @" << name;
  return "";
}

// The case's input file: its path, and whether it was generated (and is to be removed afterwards).
std::string CasePath(const BadInputCase& c, bool* generated) {
  *generated = false;
  if (c.file == "-") return "";
  if (c.file.rfind("repo:", 0) == 0) return SourcePath(c.file.substr(5));
  if (c.file.rfind('@', 0) == 0) {
    *generated = true;
    return WriteTempFile(c.file.substr(1), GeneratedContents(c.file.substr(1)));
  }
  return SourcePath("tests/bad_input/" + c.file);
}

CommandResult RunCase(const BadInputCase& c, std::string* path) {
  bool generated = false;
  *path = CasePath(c, &generated);
  std::string args = Replace(c.command, "{file}", "'" + *path + "'");
  args = Replace(args, "{repo}", SourcePath(""));
  CommandResult result = RunScaleplan(args);
  if (generated) std::filesystem::remove(*path);
  return result;
}

// stdout as JSON: one document, or the first of several JSON lines.
Json StdoutJson(const std::string& out) {
  Json doc = Json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) doc = Json::parse(out.substr(0, out.find('\n')), nullptr, false);
  return doc;
}

const Json* At(const Json& doc, const std::string& dotted) {
  const Json* node = &doc;
  for (const std::string& key : SplitOn(dotted, ".")) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

const std::vector<BadInputCase>& AllCases() {
  static const std::vector<BadInputCase> cases = LoadManifest();
  return cases;
}

// The stdout of another case (for "same:"), run once.
const std::string& OutputOf(const std::string& name) {
  static std::map<std::string, std::string> outputs;
  const auto found = outputs.find(name);
  if (found != outputs.end()) return found->second;
  for (const BadInputCase& c : AllCases()) {
    if (c.name != name) continue;
    std::string path;
    const CommandResult result = RunCase(c, &path);
    EXPECT_EQ(result.exit_code, 0) << "reference case " << name << ": " << result.err;
    return outputs[name] = result.out;
  }
  ADD_FAILURE() << "no case named " << name;
  return outputs[name];
}

class BadInputTest : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(BadInputTest, ExitCodeAndMessage) {
  const BadInputCase& c = GetParam();
  ASSERT_EQ(c.command.find('<'), std::string::npos) << c.command;
  std::string path;
  const CommandResult r = RunCase(c, &path);
  const std::string command = c.command.substr(0, c.command.find(' '));
  SCOPED_TRACE("scaleplan " + c.command + "\n  file: " + path + "\n  stderr: " + r.err.substr(0, 2000));

  // Every case: ends normally, with a bounded message.
  ASSERT_NE(r.exit_code, -1) << "killed by a signal";
  EXPECT_NE(r.exit_code, 70) << "internal error";
  EXPECT_EQ(r.exit_code, c.exit_code);
  EXPECT_LT(r.err.size(), 2000u);
  if (c.exit_code != 0) {
    // Refused: nothing on stdout, one line naming the file on stderr.
    EXPECT_TRUE(r.out.empty()) << r.out.substr(0, 2000);
    EXPECT_EQ(r.err.rfind("scaleplan " + command + ": error: ", 0), 0u);
    // A usage error (a refused option value) adds the one hint every usage error gets.
    const std::string hint = "Try 'scaleplan " + command + " --help'.\n";
    const bool hinted = c.exit_code == 2 && r.err.size() > hint.size() &&
                        r.err.compare(r.err.size() - hint.size(), hint.size(), hint) == 0;
    const std::string message = hinted ? r.err.substr(0, r.err.size() - hint.size()) : r.err;
    EXPECT_EQ(c.exit_code == 2, hinted) << "a usage error, and only a usage error, ends with the --help hint";
    EXPECT_EQ(message.find('\n'), message.size() - 1) << "not exactly one line";
    if (!path.empty()) {
      EXPECT_NE(r.err.find(path), std::string::npos) << "the message does not name the file";
    }
  } else {
    EXPECT_EQ(r.err.find("error"), std::string::npos);
  }

  for (const std::string& raw : c.expect) {
    const std::string check = Replace(raw, "{file}", path);
    if (check == "err-empty") {
      EXPECT_EQ(r.err, "");
    } else if (check.rfind("err:", 0) == 0) {
      EXPECT_NE(r.err.find(check.substr(4)), std::string::npos) << "stderr lacks: " << check.substr(4);
    } else if (check.rfind("out:", 0) == 0) {
      EXPECT_NE(r.out.find(check.substr(4)), std::string::npos)
          << "stdout lacks: " << check.substr(4) << "\n  stdout: " << r.out.substr(0, 4000);
    } else if (check.rfind("json:", 0) == 0) {
      // json:PATH=VALUE@RTOL: numbers within RTOL relative (0: equal), anything else equal.
      const size_t eq = check.find('=');
      const size_t at = check.rfind('@');
      ASSERT_TRUE(eq != std::string::npos && at != std::string::npos && at > eq) << check;
      const std::string key = check.substr(5, eq - 5);
      const Json expected = Json::parse(check.substr(eq + 1, at - eq - 1));
      const double rtol = std::stod(check.substr(at + 1));
      const Json doc = StdoutJson(r.out);
      const Json* actual = At(doc, key);
      ASSERT_NE(actual, nullptr) << "no key " << key << " in stdout: " << r.out.substr(0, 2000);
      if (expected.is_number() && actual->is_number()) {
        EXPECT_LE(std::fabs(actual->get<double>() - expected.get<double>()),
                  rtol * std::fabs(expected.get<double>()))
            << key << " = " << actual->dump() << ", expected " << expected.dump() << " within " << rtol;
      } else {
        EXPECT_EQ(*actual, expected) << key;
      }
    } else if (check.rfind("same:", 0) == 0) {
      // same:CASE:PATH,PATH: these values equal those the reference case printed.
      const std::vector<std::string> parts = SplitOn(check, ":");
      ASSERT_EQ(parts.size(), 3u) << check;
      const Json mine = StdoutJson(r.out);
      const Json theirs = StdoutJson(OutputOf(parts[1]));
      for (const std::string& key : SplitOn(parts[2], ",")) {
        const Json* a = At(mine, key);
        const Json* b = At(theirs, key);
        ASSERT_TRUE(a != nullptr && b != nullptr) << "no key " << key;
        EXPECT_EQ(*a, *b) << key << " differs from case " << parts[1];
      }
    } else {
      ADD_FAILURE() << "unknown check in the manifest: " << check;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<BadInputCase>& case_info) { return case_info.param.name; });

}  // namespace
}  // namespace scaleplan::testing
