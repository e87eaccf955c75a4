// Option groups that several subcommands bind the same way (one binding per options struct).
#ifndef SCALEPLAN_CLI_SHARED_OPTIONS_H_
#define SCALEPLAN_CLI_SHARED_OPTIONS_H_

#include <string>

#include <boost/program_options.hpp>

#include "core/runs_table.h"
#include "fitting/multistart.h"

namespace scaleplan {
struct ValidationOptions;  // fitting/validation.h
}  // namespace scaleplan

namespace scaleplan::cli {

enum class OutputFormat { TABLE, JSON };

// --format table|json
void AddFormatOption(boost::program_options::options_description* options, std::string* format);
OutputFormat ParseFormat(const std::string& format);  // throws UsageError

// --n-col, --d-col, --c-col, --loss-col
void AddColumnOptions(boost::program_options::options_description* options, RunsColumns* columns);

// --filter (repeatable), --exclude-lines, --skip-bad-rows, --delimiter and, with `group_by`, --group-by: which runs a
// command reads (bound into columns->selection, or `selection` for the readers of other runs (dictionary runs,
// hyper-parameter sweeps), which apply it through core/runs_table.h SelectCsvRows). Bad expressions are usage errors.
void AddRunSelectionOptions(boost::program_options::options_description* options, RunsColumns* columns,
                            bool group_by);
void AddRunSelectionOptions(boost::program_options::options_description* options, RunSelection* selection,
                            bool group_by);

// The runs in `path`, or the bundled Chinchilla runs (Besiroglu et al. selection) when `path` is empty; either way
// with columns.selection applied.
RunsTable LoadRunsOrBundled(const std::string& path, const RunsColumns& columns);

// --delta, --grid, --starts, --exhaustive, --threads. Defaults come from MultiStartOptions.
struct FitFlags {
  MultiStartOptions options;
  std::string grid_spec;  // overrides of the law's default grid, "" = the default grid
  bool show_diagnostics = false;  // fit --diagnostics (bound by fit alone): the table of fitting/diagnostics.h
};
void AddFitOptions(boost::program_options::options_description* options, FitFlags* flags);
// Validates the flags (UsageError) and returns the grid to use, starting from `default_grid`.
InitGrid ResolveGrid(const FitFlags& flags, const InitGrid& default_grid);

// A positive quantity given to `option` ("1M", "1e20"); a bad value is a UsageError naming the option.
double OptionQuantity(const std::string& text, const char* option);

// validate's two modes for laws fitted to runs (the built-in laws and --law-expr), --holdout-above C
// (`holdout_text`) and --leave-one-budget-out, then --budget-tolerance (validation->budget_tolerance).
void AddRunValidationOptions(boost::program_options::options_description* options, std::string* holdout_text,
                             bool* leave_one_budget_out, ValidationOptions* validation);

// validate's two modes, --holdout-above C and --leave-one-budget-out (each law's validate words their help): exactly
// one must be given (UsageError otherwise). Returns whether it is the hold-out.
bool ChooseHoldOut(const boost::program_options::variables_map& vm, bool leave_one_budget_out);
// The FLOPs of --holdout-above (`holdout_text`, read by OptionQuantity), 0 when it was not given.
double HoldOutAboveFlops(const boost::program_options::variables_map& vm, const std::string& holdout_text);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_SHARED_OPTIONS_H_
