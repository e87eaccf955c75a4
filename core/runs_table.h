// The runs table: one row per training run (parameters N, tokens D, compute C, final loss), loaded from CSV.
#ifndef SCALEPLAN_CORE_RUNS_TABLE_H_
#define SCALEPLAN_CORE_RUNS_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scaleplan {

struct TrainingRun {
  double num_params = 0.0;     // N: all parameters, embeddings included (what the Chinchilla law expects)
  double num_tokens = 0.0;     // D: training tokens
  double compute_flops = 0.0;  // C: training FLOPs (6 N D when the file has no compute column)
  double loss_nats = 0.0;      // final loss, nats per token
  int line = 0;                // line in the source file, for messages
};

// Explicit column names; an empty name means "detect from the aliases" (case-insensitive):
//   N:    N, params, num_params, n_params, N_params, model_size, Model Size, parameters
//   D:    D, tokens, num_tokens, n_tokens, D_tokens, train_tokens
//   C:    C, flops, compute, C_flops, Training FLOP
//   loss: loss, val_loss, final_loss, validation_loss, eval_loss
struct RunsColumns {
  std::string params;   // --n-col
  std::string tokens;   // --d-col
  std::string compute;  // --c-col
  std::string loss;     // --loss-col
};

struct RunsTable {
  std::string source;  // path or label
  std::vector<TrainingRun> runs;
  // Header names actually used, for display ("" when the column is absent).
  std::string params_column, tokens_column, compute_column, loss_column;
  bool tokens_from_compute = false;   // D was derived as C / (6 N)
  bool compute_from_tokens = false;   // C was derived as 6 N D
  std::vector<std::string> notes;     // what the loader inferred, for the user (e.g. "D = C/(6N)")
};

// Parses CSV text. Throws InputError naming source, line, column and text for: an empty file, a missing column
// (listing the header and the accepted aliases), a ragged row, a value that is not a number, NaN, Inf or <= 0,
// a derived D = C / (6 N) or C = 6 N D that is not a finite positive number, and a file with a header but no runs.
RunsTable ParseRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns = {});

// Reads and parses a file. Throws InputError when it cannot be read.
RunsTable LoadRunsCsv(const std::string& path, const RunsColumns& columns = {});

// Drops the `count` runs with the highest loss (ties broken by file order); keeps the rest in file order.
RunsTable DropHighestLoss(const RunsTable& table, int count);

// A stable FNV-1a 64-bit hash of the (N, D, loss) values in order, for recording which data a fit saw
// (core/hash.h), and its 16-hex-digit form, as saved fits and golden files record it.
std::uint64_t HashRuns(const RunsTable& table);
std::string FormatRunsHash(const RunsTable& table);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_RUNS_TABLE_H_
