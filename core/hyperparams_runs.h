// The runs of a batch-size and learning-rate sweep (compute, batch, learning rate, final loss; model size when known),
// loaded from CSV, for fitting/hyperparams_fit.h. Columns are found by name as every reader finds them (core/csv.h).
#ifndef SCALEPLAN_CORE_HYPERPARAMS_RUNS_H_
#define SCALEPLAN_CORE_HYPERPARAMS_RUNS_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/runs_table.h"

namespace scaleplan {

// One run of a sweep. num_params is 0 when the file has no parameter column.
struct HyperparamsRun {
  double compute_flops = 0.0;
  double num_params = 0.0;
  double batch_tokens = 0.0;
  double learning_rate = 0.0;
  double loss_nats = 0.0;
  int line = 0;
  int group = 0;  // index into HyperparamsRuns::group_values (0 when the runs are not grouped)
};

// Column names; empty = detect by alias (case-insensitive):
//   C:     c, flops, compute, c_flops, training flop              (or N and D, C = 6 N D)
//   N:     n, params, num_params, n_params, model_size, model size, parameters   (optional unless C is absent)
//   D:     d, tokens, num_tokens, n_tokens, d_tokens, train_tokens                (only when C is absent)
//   batch: batch_tokens, tokens_per_batch (tokens); batch_size, batch_sequences, train_batch_size (sequences,
//          needs seq_len); a named batch column is in sequences when seq_len is given, else in tokens
//   lr:    learning_rate, lr, peak_lr, max_lr
//   loss:  loss, val_loss, final_loss, validation_loss, eval_loss
struct HyperparamsColumns {
  RunsColumns runs;           // --n-col, --d-col, --c-col, --loss-col
  std::string batch;          // --batch-col
  std::string learning_rate;  // --lr-col
  double seq_len = 0.0;       // --seq-len: tokens per sequence; 0 = not given
};

struct HyperparamsRuns {
  std::string source;
  std::vector<HyperparamsRun> runs;
  std::string batch_column, lr_column, compute_column, params_column, loss_column;
  bool batch_in_sequences = false;
  std::vector<std::string> notes;
  // --group-by: the columns and each group's values, in order of first appearance (core/runs_table.h CsvSelection).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;

  // The runs as a RunsTable (compute, loss and N where known; D = 0), for GroupByBudget (core/budgets.h).
  RunsTable AsRunsTable() const;
};

// Parses a sweep. Throws InputError (file, line, column, text) for a missing or ambiguous column, a cell that is not
// a positive number (a non-positive learning rate included), a batch in sequences without seq_len, and no runs.
HyperparamsRuns ParseHyperparamsRunsCsv(std::string_view text, const std::string& source,
                                        const HyperparamsColumns& columns = {});
HyperparamsRuns LoadHyperparamsRunsCsv(const std::string& path, const HyperparamsColumns& columns = {});

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_HYPERPARAMS_RUNS_H_
