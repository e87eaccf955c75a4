// Can these runs identify a law over N and D? Checked once, before any fit, by every law fitted to N and D (the
// Chinchilla law, Approach 3; Kaplan et al.'s law; the dictionary token law L(n, T), which is the Chinchilla form),
// so that data which cannot support a law get a verdict instead of a fit that looks fine. A least-squares (or Huber)
// optimiser returns numbers whatever the data: with every run at one D it still reports a beta, chosen by where
// L-BFGS happened to stop, with a residual of zero.
//
// Rules, for a law with p parameters ("distinct" values differ by more than 1e-6 relative):
//   not identifiable (the law is not fitted; FitChinchilla and FitKaplan throw InputError, exit code 3):
//     1. fewer than p + 1 runs, or fewer than p + 1 distinct (N, D) points: repeated runs at one point measure the
//        noise there, not the law's shape;
//     2. fewer than `min_distinct` distinct values of N (or of D). With one N, A / N^alpha is one number, which the
//        fit cannot tell from E; with two, E + A / N^alpha is two numbers for three parameters. A law with an
//        additive constant (E) needs 3 distinct values of each; Kaplan's, which has none, needs 2;
//     3. log N and log D collinear, |corr(log N, log D)| >= kCollinearCorrelation (0.9999): on a line
//        D = c N^s the D term is a function of N, and the data cannot say which term (alpha, A or beta, B) explains
//        what. 0.9999 means the spread of log D off the line is under 1.4% of its whole spread.
//   identifiable but weakly (the fit is made and reported, with a warning):
//     4. fewer than kRunsPerParameter (2) runs per parameter: the fit can follow the noise;
//     5. kStrongCorrelation (0.99) <= |corr(log N, log D)| < 0.9999, typical of runs near a compute-optimal
//        frontier: alpha and beta are told apart only by how far the runs leave the line;
//     6. runs that repeat another exactly (N, D and the loss equal): usually a run exported twice; each copy is
//        fitted, so that run weighs twice. Runs at one (N, D) with different losses (seeds) are replicates and fine.
// The bundled Chinchilla runs (240; 52 distinct N, correlation 0.34) raise none of these.
#ifndef SCALEPLAN_FITTING_IDENTIFIABILITY_H_
#define SCALEPLAN_FITTING_IDENTIFIABILITY_H_

#include <string>
#include <vector>

#include "core/runs_table.h"

namespace scaleplan {

inline constexpr double kCollinearCorrelation = 0.9999;  // |corr(log N, log D)| at or above: not identifiable
inline constexpr double kStrongCorrelation = 0.99;       // at or above (and below the former): a warning
inline constexpr int kRunsPerParameter = 2;              // fewer runs per parameter: a warning
inline constexpr double kDistinctRelativeTolerance = 1e-6;

// What the check needs to know about a law to word its verdicts.
struct LawTerms {
  std::string name;     // "Chinchilla law", as in "the Chinchilla law has 5 parameters"
  int num_params = 0;
  int min_distinct = 3;                // distinct values of N and of D needed
  std::string params_axis = "N";       // the runs' first axis, as messages call it ("n" for latents)
  std::string tokens_axis = "D";       // the second ("T" for a dictionary's tokens)
  std::string params_term;             // what a fixed N leaves of the law: "E + A / N^alpha"
  std::string params_term_params;      // the parameters in that term: "alpha, A and E"
  std::string tokens_term;             // "E + B / D^beta"
  std::string tokens_term_params;      // "beta, B and E"
  std::string params_pair;             // the N term's own parameters: "alpha and A"
  std::string tokens_pair;             // "beta and B"
};

struct Identifiability {
  bool identifiable = true;
  std::string verdict;                // not identifiable: which parameters, and why (one sentence)
  std::vector<std::string> warnings;  // identifiable: what weakens the fit (rules 4-6), one line each
  int num_runs = 0;
  int num_points = 0;                 // distinct (N, D) points
  int num_distinct_params = 0;        // distinct N
  int num_distinct_tokens = 0;        // distinct D
  double log_correlation = 0.0;       // corr(log N, log D); 0 when N or D takes one value
};

// Applies the rules above to the runs of `table` (every value positive and finite, as the readers guarantee).
Identifiability AssessIdentifiability(const RunsTable& table, const LawTerms& law);

// AssessIdentifiability, with a law that cannot be identified an InputError naming table.source and the verdict.
// Returns the warnings.
std::vector<std::string> RequireIdentifiable(const RunsTable& table, const LawTerms& law);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_IDENTIFIABILITY_H_
