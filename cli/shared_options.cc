#include "cli/shared_options.h"

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "core/bundled_data.h"
#include "core/error.h"

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

RunsTable LoadRunsOrBundled(const std::string& path, const RunsColumns& columns) {
  if (path.empty()) return BundledChinchillaRuns();
  return LoadRunsCsv(InputPath(path), columns);
}

void AddFitOptions(po::options_description* options, FitFlags* flags) {
  MultiStartOptions& o = flags->options;
  options->add_options()
      ("delta", NumberValue<Range::POSITIVE>(&o.huber_delta), "Huber threshold on the log-residual")
      ("grid", po::value(&flags->grid_spec),
       "override start-grid axes, e.g. 'alpha=0:2:0.25,e=-1:1:0.5' (LO:HI:STEP or one value)")
      ("starts", CountValue(&o.num_starts),
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

}  // namespace scaleplan::cli
