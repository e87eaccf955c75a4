// Dictionary (sparse autoencoder) training runs: one row per run with its latents n, active latents k, training
// tokens T, activation width d and final loss (normalised MSE), loaded from CSV; and the generator of the synthetic
// runs in data/dictionary_runs_generated.csv (provenance: data/README.md, "Generated dictionary runs").
#ifndef SCALEPLAN_CORE_DICTIONARY_RUNS_H_
#define SCALEPLAN_CORE_DICTIONARY_RUNS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dictionary.h"
#include "core/runs_table.h"

namespace scaleplan {

struct DictionaryRun {
  double num_latents = 0.0;  // n
  double k = 0.0;            // active latents per token (or the mean L0)
  double num_tokens = 0.0;   // T; 0 when the file has no tokens column
  double d_model = 0.0;      // d; 0 when the file has no width column
  double loss = 0.0;         // normalised MSE (or the file's loss)
  int line = 0;              // line in the source file, for messages
  int group = 0;             // index into DictionaryRunsTable::group_values (0 when the runs are not grouped)
};

// Explicit column names; an empty name means "detect from the aliases" (case-insensitive):
//   n:      n, latents, num_latents, n_latents, dict_size, width
//   k:      k, l0, topk
//   T:      tokens, T, num_tokens, train_tokens                      (optional)
//   d:      d, d_model, width_in, subject_width                      (optional)
//   loss:   loss, nmse, normalized_mse, fvu, mse
struct DictionaryColumns {
  std::string latents;  // --latents-col
  std::string k;        // --k-col
  std::string tokens;   // --tokens-col
  std::string d_model;  // --width-col
  std::string loss;     // --loss-col
  RunSelection selection;  // --filter, --exclude-lines, --skip-bad-rows, --delimiter, --group-by (core/runs_table.h)
};

struct DictionaryRunsTable {
  std::string source;  // path or label
  std::vector<DictionaryRun> runs;
  // Header names actually used ("" when the optional column is absent).
  std::string latents_column, k_column, tokens_column, d_model_column, loss_column;
  std::vector<std::string> notes;
  // --group-by: the columns and each group's values, in order of first appearance (core/runs_table.h CsvSelection).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;

  bool HasTokens() const { return !tokens_column.empty(); }
  bool HasWidth() const { return !d_model_column.empty(); }
};

// Parses CSV text (core/csv.h). Throws InputError naming source, line, column and text for: an empty file, a missing
// required column (listing the header and the accepted aliases), two columns that match one quantity, a ragged row,
// a value that is not a number, NaN, Inf or <= 0, a k that is not below the row's n, and a header with no runs.
DictionaryRunsTable ParseDictionaryRunsCsv(std::string_view text, const std::string& source,
                                           const DictionaryColumns& columns = {});

// Reads and parses a file. Throws InputError when it cannot be read.
DictionaryRunsTable LoadDictionaryRunsCsv(const std::string& path, const DictionaryColumns& columns = {});

// A stable FNV-1a 64-bit hash of the (n, k, T, d, loss) values in order, for recording which data a fit saw.
std::uint64_t HashDictionaryRuns(const DictionaryRunsTable& table);

// ---------------------------------------------------------------------------------------------------------------
// The synthetic runs. Every run's loss is
//   loss = ( exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n) + exp(zeta + eta ln k) + B / T^beta ) exp(s z)
// with z standard normal (Box-Muller on a 64-bit Mersenne Twister seeded with the seed, so the file is the same on
// every platform) and s = noise_sigma. Two families:
//   grid    every (n, k) of grid_latents x grid_k, trained on T_conv(n) = 40e9 (n / 2^24)^0.6 tokens (the prior's
//           tokens to convergence), for the L(n, k) law;
//   sweep   at k = sweep_k, every n of sweep_latents on T_conv(n) times each of sweep_token_fractions, for the
//           Chinchilla-form L(n, T) law (the grid's k = sweep_k runs add the fraction 1).
// The coefficients differ from Gao et al.'s on purpose, so that a fit which returns them was not seeded with them.
struct DictionaryRunsDesign {
  LatentsSparsityLaw converged{-0.45, 0.24, -0.02, -0.04, -1.25, -0.09};
  // The token term. At k = 32 the first term is A / n^a with A = exp(alpha + beta_k ln 32) = 1.465 and
  // a = -(beta_n + gamma ln 32) = 0.1586; with a cost per token proportional to n, the compute-optimal tokens grow as
  // n^(a / beta) = n^0.59 (Gao et al.'s n^0.6), and B = 42 puts that frontier through Gao et al.'s largest run,
  // 2^24 latents on 40B tokens (a A n^-a = beta B T^-beta there).
  double token_coefficient = 42.0;  // B
  double token_exponent = 0.27;     // beta
  double noise_sigma = 0.005;      // 0.5% log-normal noise on the loss
  double d_model = 4096.0;
  std::vector<double> grid_latents = {4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
  std::vector<double> grid_k = {8, 16, 32, 64, 128, 256};
  double sweep_k = 32.0;
  std::vector<double> sweep_latents = {4096, 16384, 65536, 262144, 1048576};
  std::vector<double> sweep_token_fractions = {1.0 / 16, 1.0 / 4, 4.0, 16.0};

  // The generating law as the planner sees it (L(n, k) plus the token term).
  DictionaryLaws Truth() const;
  // The tokens a run of n latents is trained on in the grid family, whole tokens.
  double GridTokens(double num_latents) const;
};

// The seed data/dictionary_runs_generated.csv was made with.
inline constexpr std::uint64_t kGeneratedDictionaryRunsSeed = 20240606;

// The runs of `design` with noise from `seed`, labelled `source`.
DictionaryRunsTable GenerateDictionaryRuns(const DictionaryRunsDesign& design, std::uint64_t seed,
                                           const std::string& source = "<generated dictionary runs>");

// CSV text with a '#' comment block (`comments`, one line each) and columns n, k, tokens, d_model, loss. Reading it
// back with ParseDictionaryRunsCsv gives the same runs to 9 significant digits.
std::string DictionaryRunsToCsv(const DictionaryRunsTable& table, const std::vector<std::string>& comments);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_DICTIONARY_RUNS_H_
