#include "cli/shared_options.h"

#include <iostream>

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "core/bundled_data.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/validation.h"

namespace scaleplan::cli {

namespace po = boost::program_options;

void AddFormatOption(po::options_description* options, std::string* format) {
  options->add_options()("format", po::value(format)->default_value("table"),
                         "output: 'table' for people, 'json' for scripts (stdout; logs go to stderr)");
}

OutputFormat ParseFormat(const std::string& format) {
  if (format == "table") return OutputFormat::TABLE;
  if (format == "json") return OutputFormat::JSON;
  throw UsageError("--format must be 'table' or 'json', not '" + format + "'");
}

void AddColumnOptions(po::options_description* options, RunsColumns* columns) {
  options->add_options()
      ("n-col", po::value(&columns->params), "column holding N (parameters); default: detected from aliases")
      ("d-col", po::value(&columns->tokens), "column holding D (training tokens)")
      ("c-col", po::value(&columns->compute), "column holding C (training FLOPs); D = C/(6N) when D is absent")
      ("loss-col", po::value(&columns->loss), "column holding the final loss (nats/token)");
}

void AddRunSelectionOptions(po::options_description* options, RunsColumns* columns, bool group_by) {
  AddRunSelectionOptions(options, &columns->selection, group_by);
}

void AddRunSelectionOptions(po::options_description* options, RunSelection* selection, bool group_by) {
  options->add_options()
      ("filter", po::value<std::vector<std::string>>()->composing()->notifier(
           [selection](const std::vector<std::string>& texts) {
             for (const std::string& text : texts) {
               try {
                 selection->filters.push_back(ParseRunFilter(text));
               } catch (const InputError& error) {
                 throw UsageError("--filter: " + error.message() + ": '" + text + "'");
               }
             }
           }),
       "read only the runs where COLUMN=VALUE holds (also !=, <, <=, >, >=; numbers with SI suffixes compare as "
       "numbers, other text as text; COLUMN is a header name or a 1-based number); repeat to combine")
      ("exclude-lines", po::value<std::string>()->notifier([selection](const std::string& text) {
         try {
           selection->excluded_lines = ParseLineRanges(text);
         } catch (const InputError& error) {
           throw UsageError("--exclude-lines: " + error.message() + ": '" + text + "'");
         }
       }),
       "leave out the rows on these file lines, as errors number them: 12,40-45")
      ("skip-bad-rows", po::bool_switch(&selection->skip_bad_rows),
       "leave out rows whose loss is missing or not finite (NaN, inf, empty), with one warning naming their lines, "
       "instead of refusing the file")
      ("delimiter", po::value<std::string>()->notifier([selection](const std::string& text) {
         if (text == "," || text == "comma") {
           selection->delimiter = ',';
         } else if (text == ";" || text == "semicolon") {
           selection->delimiter = ';';
         } else if (text == "tab" || text == "\\t" || text == "\t") {
           selection->delimiter = '\t';
         } else {
           throw UsageError("--delimiter must be comma, semicolon or tab (',', ';', '\\t'), not '" + text + "'");
         }
       }),
       "the runs file's field separator: comma, semicolon or tab (default: detected from the header line)");
  if (group_by) {
    options->add_options()("group-by", po::value<std::string>()->notifier([selection](const std::string& text) {
      selection->group_by = SplitListOption(text, "--group-by");
    }),
                           "one fit per value of COLUMN (or of COLUMN,COLUMN together), side by side");
  }
}

RunsTable LoadRunsOrBundled(const std::string& path, const RunsColumns& columns) {
  RunsTable table =
      path.empty() ? BundledChinchillaRuns(columns.selection) : LoadRunsCsv(InputPath(path), columns);
  for (const std::string& warning : table.warnings) {
    std::cerr << "scaleplan: warning: " << table.source << ": " << warning << '\n';
  }
  return table;
}

void AddFitOptions(po::options_description* options, FitFlags* flags) {
  MultiStartOptions& o = flags->options;
  options->add_options()
      ("delta", NumberValue<Range::POSITIVE>(&o.huber_delta), "Huber threshold on the log-residual")
      ("grid", po::value(&flags->grid_spec),
       "override start-grid axes, e.g. 'alpha=0:2:0.25,e=-1:1:0.5' (LO:HI:STEP or one value)")
      ("starts", CountValueFrom<1>(&o.num_starts),
       "L-BFGS runs from this many best-screened grid points")
      ("exhaustive", po::bool_switch(&o.exhaustive), "L-BFGS from every grid point (the slow reference search)")
      ("threads", CountValue(&o.num_threads),
       "threads (0 = all cores); results are identical for any count");
}

InitGrid ResolveGrid(const FitFlags& flags, const InitGrid& default_grid) {
  std::string why;
  if (!flags.options.Check(&why)) throw UsageError(why);
  if (flags.grid_spec.empty()) return default_grid;
  try {
    return ParseGridSpec(flags.grid_spec, default_grid, "--grid");
  } catch (const InputError& error) {
    throw UsageError(error.what());  // a bad option, not bad data
  }
}

double OptionQuantity(const std::string& text, const char* option) {
  try {
    return ParsePositiveQuantity(text, InputLocation{option});
  } catch (const InputError& error) {
    throw UsageError(error.what());
  }
}

void AddRunValidationOptions(po::options_description* options, std::string* holdout_text, bool* leave_one_budget_out,
                             ValidationOptions* validation) {
  options->add_options()
      ("holdout-above", po::value(holdout_text),
       "fit on the runs with C <= this many FLOPs (e.g. 1e21), predict the runs above (C = 6 N D; for --law moe "
       "with N the total parameters: nominal compute, not the MoE's training compute)")
      ("leave-one-budget-out", po::bool_switch(leave_one_budget_out),
       "hold out each compute budget in turn, fitting on all other runs")
      ("budget-tolerance", NumberValue<Range::OPEN_FRACTION>(&validation->budget_tolerance),
       "runs sorted by C start a new budget when C grows by more than this fraction");
}

bool ChooseHoldOut(const po::variables_map& vm, bool leave_one_budget_out) {
  const bool holdout = vm.count("holdout-above") > 0;
  if (holdout == leave_one_budget_out) throw UsageError("give one of --holdout-above C and --leave-one-budget-out");
  return holdout;
}

double HoldOutAboveFlops(const po::variables_map& vm, const std::string& holdout_text) {
  return vm.count("holdout-above") > 0 ? OptionQuantity(holdout_text, "--holdout-above") : 0.0;
}

}  // namespace scaleplan::cli
