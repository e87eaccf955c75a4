// scaleplan: the command-line front end. This file only dispatches to one Run* function per subcommand.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"fit", scaleplan::cli::RunFit, "fit a scaling law to training runs (default: the bundled Chinchilla runs)"},
    {"plan", scaleplan::cli::RunPlan, "compute-optimal parameters, tokens and loss for a budget, size or target loss"},
    {"sweep", scaleplan::cli::RunSweep, "plans over a grid of budgets, devices, counts, MFUs, demands (CSV/JSONL)"},
    {"probe", scaleplan::cli::RunProbe, "measure FLOP/s and bandwidth with sparse dictionary kernels; write a profile"},
    {"plot", scaleplan::cli::RunPlot, "render a chart (fit, isoflop, frontier, residuals, roofline, collectives) to PNG or SVG"},
    {"validate", scaleplan::cli::RunValidate, "how well a law fitted on smaller runs predicts the larger ones"},
    {"check", scaleplan::cli::RunCheck, "refit and compare with a golden file, for CI (JUnit XML with --junit)"},
    {"dictionary", scaleplan::cli::RunDictionary, "sparse-dictionary (SAE) latents, k, tokens and cost for a budget"},
};

void PrintUsage(std::ostream& out) {
  out << "scaleplan: scaling-law fitting and compute-optimal planning\n\n"
         "Usage: scaleplan <command> [options]\n\nCommands:\n";
  for (const Subcommand& sub : kSubcommands) {
    out << "  " << sub.name << std::string(12 - std::strlen(sub.name), ' ') << sub.summary << '\n';
  }
  out << "\nRun 'scaleplan <command> --help' for a command's options and examples.\n"
         "Quick start:\n  scaleplan fit\n  scaleplan plan --compute 5.76e23\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return scaleplan::cli::kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    PrintUsage(std::cout);
    return scaleplan::cli::FinishStdout("scaleplan", scaleplan::cli::kExitOk);
  }
  if (command == "--version") {
    std::cout << "scaleplan " << SCALEPLAN_VERSION << '\n';
    return scaleplan::cli::FinishStdout("scaleplan", scaleplan::cli::kExitOk);
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const Subcommand& sub : kSubcommands) {
    if (command == sub.name) return sub.run(args);
  }
  // One line: the commands' names and where their help is, not the whole usage (which buries the error).
  std::string names;
  for (const Subcommand& sub : kSubcommands) names += (names.empty() ? "" : ", ") + std::string(sub.name);
  std::cerr << "scaleplan: error: unknown command '" << command << "' (the commands are " << names
            << "); try 'scaleplan --help'\n";
  return scaleplan::cli::kExitUsage;
}
