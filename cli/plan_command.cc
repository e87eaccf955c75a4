// scaleplan plan: compute-optimal parameters and tokens for a budget, a model size or a target loss.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/shared_options.h"
#include "core/bundled_data.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

// Gopher's training budget, the budget Hoffmann et al. 2022 plan Chinchilla for.
constexpr double kDefaultComputeFlops = 5.76e23;

// How far beyond the fitted runs a plan may go before it is flagged.
constexpr double kExtrapolationWarningFactor = 10.0;

struct PlanRow {
  std::string mode;  // compute-optimal, params, params-and-compute, target-loss
  Allocation allocation;
  std::vector<std::string> warnings;
};

// Splits "1e22,1e23" (or a single value) into positive quantities, naming the option on error.
std::vector<double> ParseList(const std::string& text, const std::string& option) {
  std::vector<double> values;
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    try {
      values.push_back(ParsePositiveQuantity(part, InputLocation{option}));
    } catch (const InputError& error) {
      throw UsageError(error.what());
    }
  }
  if (values.empty()) throw UsageError(option + " needs a value");
  return values;
}

SavedLaw ResolveLaw(const std::string& fit_path, const std::string& law_name) {
  if (!fit_path.empty() && !law_name.empty()) throw UsageError("give either --fit or --law, not both");
  const RunsTable bundled = BundledChinchillaRuns();
  const auto [lo, hi] = std::minmax_element(
      bundled.runs.begin(), bundled.runs.end(),
      [](const TrainingRun& x, const TrainingRun& y) { return x.compute_flops < y.compute_flops; });
  if (!fit_path.empty()) return ParseSavedFit(ReadFile(fit_path), fit_path);
  SavedLaw saved;
  saved.compute_min = lo->compute_flops;  // the published laws were fitted on these experiments too
  saved.compute_max = hi->compute_flops;
  if (!law_name.empty()) {
    auto named = FindPublishedLaw(law_name);
    if (!named) {
      std::string known;
      for (const NamedLaw& law : PublishedLaws()) known += (known.empty() ? "" : ", ") + law.name;
      throw UsageError("unknown --law '" + law_name + "' (known: " + known + ")");
    }
    saved.law = named->law;
    saved.description = named->name + ": " + named->description;
    return saved;
  }
  const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
  if (!fit.search.usable) throw std::runtime_error("the default fit did not converge: " + fit.search.status);
  saved.law = fit.law;
  saved.description = "Approach-3 fit of the bundled Chinchilla runs (240 runs, Besiroglu et al. 2024)";
  return saved;
}

void AddExtrapolationWarning(const SavedLaw& law, PlanRow* row) {
  if (law.compute_max <= 0) return;
  const double factor = row->allocation.compute_flops / law.compute_max;
  if (factor > kExtrapolationWarningFactor) {
    char text[200];
    std::snprintf(text, sizeof text, "extrapolates %.3gx beyond the largest fitted run (%.3g FLOPs)", factor,
                  law.compute_max);
    row->warnings.push_back(text);
  }
}

nlohmann::ordered_json RowToJson(const PlanRow& row, const SavedLaw& law) {
  nlohmann::ordered_json out;
  out["mode"] = row.mode;
  out["num_params"] = row.allocation.num_params;
  out["num_tokens"] = row.allocation.num_tokens;
  out["compute_flops"] = row.allocation.compute_flops;
  out["tokens_per_param"] = row.allocation.tokens_per_param;
  out["loss"] = row.allocation.loss_nats;
  out["law"] = {{"source", law.description}, {"E", law.law.E},         {"A", law.law.A},
                {"B", law.law.B},            {"alpha", law.law.alpha}, {"beta", law.law.beta}};
  out["warnings"] = row.warnings;
  return out;
}

void PrintTable(const std::vector<PlanRow>& rows, const SavedLaw& law, std::ostream& out) {
  char line[256];
  out << "Law: " << law.description << '\n';
  std::snprintf(line, sizeof line, "  L(N, D) = %.4g + %.4g / N^%.4g + %.4g / D^%.4g\n\n", law.law.E, law.law.A,
                law.law.alpha, law.law.B, law.law.beta);
  out << line;
  std::snprintf(line, sizeof line, "  %-20s %12s %12s %12s %12s %10s\n", "plan", "compute", "parameters", "tokens",
                "tokens/param", "loss");
  out << line;
  for (const PlanRow& row : rows) {
    const Allocation& a = row.allocation;
    std::snprintf(line, sizeof line, "  %-20s %12s %12s %12s %12.1f %10.4f\n", row.mode.c_str(),
                  FormatScientific(a.compute_flops).c_str(), FormatQuantity(a.num_params).c_str(),
                  FormatQuantity(a.num_tokens).c_str(), a.tokens_per_param, a.loss_nats);
    out << line;
  }
  for (const PlanRow& row : rows) {
    for (const std::string& warning : row.warnings) {
      out << "  warning: " << FormatScientific(row.allocation.compute_flops) << " FLOPs " << warning << '\n';
    }
  }
}

int Plan(const std::vector<std::string>& args) {
  std::string compute_text, params_text, target_loss_text, fit_path, law_name, format;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("compute", po::value(&compute_text),
       "training budget(s) in FLOPs, comma-separated: 1e24, 5.76e23,1e25 (default 5.76e23)")
      ("params", po::value(&params_text), "model size(s): the compute-optimal tokens for 70B; with --compute, "
                                          "that size trained on that budget")
      ("target-loss", po::value(&target_loss_text), "the least compute that reaches this loss (nats/token)")
      ("fit", po::value(&fit_path), "law from a saved fit ('scaleplan fit --out FIT.json')")
      ("law", po::value(&law_name), "a published law: hoffmann, hoffmann-unrounded, epoch "
                                    "(default: fit the bundled runs)");
  AddFormatOption(&options, &format);
  po::variables_map vm;
  ParseOptions(args, options, po::positional_options_description(), &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan plan [--compute C | --params N | --target-loss L] [--fit FIT.json | --law NAME]", options,
              {"scaleplan plan --compute 5.76e23                 # Gopher's budget: N_opt, D_opt, loss",
               "scaleplan plan --compute 1e22,1e23,1e24 --format json",
               "scaleplan plan --params 70B --law hoffmann        # compute-optimal tokens for a 70B model",
               "scaleplan plan --params 70B --compute 5.76e23     # a fixed size on a fixed budget",
               "scaleplan plan --target-loss 2.0 --fit fit.json   # least compute that reaches loss 2.0"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (!target_loss_text.empty() && (!compute_text.empty() || !params_text.empty())) {
    throw UsageError("--target-loss cannot be combined with --compute or --params");
  }
  const SavedLaw law = ResolveLaw(fit_path, law_name);

  std::vector<PlanRow> rows;
  if (!target_loss_text.empty()) {
    for (double target : ParseList(target_loss_text, "--target-loss")) {
      auto allocation = law.law.LeastComputeForLoss(target);
      if (!allocation) {
        char text[200];
        std::snprintf(text, sizeof text, "target loss %g is not above the irreducible loss E = %.4g of this law",
                      target, law.law.E);
        throw UsageError(text);
      }
      rows.push_back({"target-loss", *allocation, {}});
    }
  } else if (!params_text.empty()) {
    const std::vector<double> sizes = ParseList(params_text, "--params");
    if (!compute_text.empty()) {
      const std::vector<double> budgets = ParseList(compute_text, "--compute");
      for (double n : sizes) {
        for (double c : budgets) rows.push_back({"params-and-compute", law.law.ForParamsAndCompute(n, c), {}});
      }
    } else {
      for (double n : sizes) rows.push_back({"params", law.law.ComputeOptimalForParams(n), {}});
    }
  } else {
    const std::vector<double> budgets =
        compute_text.empty() ? std::vector<double>{kDefaultComputeFlops} : ParseList(compute_text, "--compute");
    if (compute_text.empty()) std::cerr << "scaleplan plan: no budget given: using 5.76e23 FLOPs (Gopher's)\n";
    for (double c : budgets) rows.push_back({"compute-optimal", law.law.ComputeOptimal(c), {}});
  }
  for (PlanRow& row : rows) AddExtrapolationWarning(law, &row);

  if (output == OutputFormat::JSON) {
    for (const PlanRow& row : rows) std::cout << RowToJson(row, law).dump() << '\n';
  } else {
    PrintTable(rows, law, std::cout);
  }
  return kExitOk;
}

}  // namespace

int RunPlan(const std::vector<std::string>& args) { return RunGuarded("plan", [&] { return Plan(args); }); }

}  // namespace scaleplan::cli
