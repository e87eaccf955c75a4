// The sparse-dictionary laws (core/dictionary.h) fitted to users' runs by the shared multi-start machinery
// (fitting/multistart.h) and bootstrapped by fitting/bootstrap.h; no solver code of their own.
//
// (b) Tokens: the Chinchilla-form law in latents and tokens at one k, L(n, T) = E + A / n^alpha + B / T^beta, is
//     ChinchillaModel itself fed a runs table whose N is the latents n and whose D is the tokens T (Approach 3's
//     objective: the summed Huber_1e-3 of log residuals, L-BFGS from a grid of starts). Its runs are those at
//     token_law_k, by default the k with the most distinct token counts (ties: the most runs, then the smaller k).
//     It needs runs at that k that identify it (fitting/identifiability.h: at least 6 runs at 6 distinct points,
//     3 or more distinct n and T, log n and log T not collinear); without them (or without a tokens column) the
//     runs are taken as trained to convergence and the planner uses the prior's tokens-to-convergence rule.
// (a) Converged: Gao et al. 2024's L(n, k) = exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n)
//     + exp(zeta + eta ln k), parameters (alpha, beta_k, beta_n, gamma, zeta, eta) used as they are, with the
//     log-space prediction LSE(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n, zeta + eta ln k) and the same
//     Huber objective. Every run contributes the converged loss it points to: its loss minus the token term
//     B / T^beta of (b) when (b) was fitted (a run whose difference is not positive is left out, with a note),
//     its loss as it is otherwise. It needs at least 7 runs with 2 or more distinct n and k.
// The bootstrap resamples each law's runs (the token law's intervals come from BootstrapChinchilla); the converged
// law's resamples keep the token term of the full fit, so their intervals leave out its uncertainty.
#ifndef SCALEPLAN_FITTING_DICTIONARY_FIT_H_
#define SCALEPLAN_FITTING_DICTIONARY_FIT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "core/dictionary.h"
#include "core/dictionary_runs.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/multistart.h"
#include "fitting/residuals.h"

namespace scaleplan {

// The L(n, k) model for FitMultiStart and Bootstrap, which work on RunsTable: its view (LatentsSparsityView) puts
// n in num_params, k in num_tokens and the converged loss in loss_nats. Parameters: alpha, beta_k, beta_n, gamma,
// zeta, eta.
class LatentsSparsityModel {
 public:
  static constexpr int kNumParams = 6;

  explicit LatentsSparsityModel(const RunsTable& view);
  // The runs with multiplicities (a bootstrap resample); runs with count 0 are left out.
  LatentsSparsityModel(const RunsTable& view, const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[i]; }
  double Weight(int i) const { return weight_[i]; }

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    const T first = p[0] + p[1] * log_k_[i] + p[2] * log_latents_[i] + p[3] * log_k_log_latents_[i];
    const T second = p[4] + p[5] * log_k_[i];
    return LogSumExp2(first, second);
  }

  // 2,160 starts around and beyond the published coefficients: alpha in {-1.5, -1, -0.5, 0}, beta_k in
  // {0, 0.25, 0.5}, beta_n in {-0.1, -0.05, 0, 0.05}, gamma in {-0.1, -0.05, 0}, zeta in {-2.5, -2, ..., -0.5},
  // eta in {-0.2, -0.1, 0}.
  static InitGrid DefaultGrid();
  static LatentsSparsityLaw ToLaw(const std::vector<double>& params);

 private:
  Eigen::ArrayXd log_latents_, log_k_, log_k_log_latents_, log_loss_, weight_;
};

// Starts for the token law at dictionary scale (ChinchillaModel's parameter order a, b, e, alpha, beta; 2,500
// points): a in {-2, 0, 2, 4}, b in {-2, 0, 2, 4, 6}, e in {-4, -3, -2, -1, 0}, alpha and beta in
// {0.05, 0.1, 0.2, 0.4, 0.8}. Hoffmann's grid (a, b >= 0 in steps of 5, e >= -1) is built for losses in nats of
// models with billions of parameters; a normalised MSE sits near 0.1 (e ~ -2).
InitGrid DictionaryTokensGrid();

// The runs at k (within 1e-9 relative) as a RunsTable: N = n latents, D = T tokens, loss = the loss.
RunsTable LatentsTokensView(const DictionaryRunsTable& runs, double k);

// Every run as a RunsTable for LatentsSparsityModel: N = n, D = k, loss = the loss minus token_law's B / T^beta
// (when token_law is not null; runs left with a non-positive loss are dropped and counted in *dropped).
RunsTable LatentsSparsityView(const DictionaryRunsTable& runs, const ChinchillaLaw* token_law, int* dropped);

struct DictionaryFitOptions {
  MultiStartOptions search;    // Huber delta, starts, threads (shared with `scaleplan fit`)
  double token_law_k = 0.0;    // the k whose runs feed L(n, T); 0 = the k with the most distinct token counts

  bool Check(std::string* why) const;
};

struct DictionaryFit {
  std::string source;
  int num_runs = 0;
  // (a) L(n, k)
  LatentsSparsityLaw converged_law;
  MultiStartResult converged_search;
  ResidualStats converged_residuals;
  RunsTable converged_view;     // what it was fitted to
  int converged_dropped = 0;    // runs whose converged-loss estimate was not positive
  // (b) L(n, T) at token_law_k
  bool has_token_law = false;
  double token_law_k = 0.0;
  RunsTable token_view;
  ChinchillaFit token_fit;
  std::string token_law_note;   // why there is no token law
  MultiStartOptions options;
  // What the planner uses: converged_law, the token term, the runs' ranges, labelled with the source.
  DictionaryLaws laws;
  bool usable = false;
  std::string status;           // "converged", or why a law is not usable
  std::vector<std::string> notes;
};

// Fits (b) then (a). Throws InputError (naming the runs' source) when there are too few runs for (a), or when
// options.token_law_k names a k no run has. A fit that does not converge is returned with usable = false.
DictionaryFit FitDictionaryLaws(const DictionaryRunsTable& runs, const DictionaryFitOptions& options = {});

// The names of the converged law's parameters, in order: alpha, beta_k, beta_n, gamma, zeta, eta.
const std::vector<std::string>& LatentsSparsityNames();
std::vector<double> LatentsSparsityValues(const LatentsSparsityLaw& law);

struct DictionaryBootstrap {
  BootstrapOptions options;
  BootstrapSamples converged_samples;
  std::vector<LatentsSparsityLaw> converged_laws;
  std::vector<std::pair<std::string, Interval>> converged_intervals;  // LatentsSparsityNames order
  std::optional<ChinchillaBootstrap> token_bootstrap;                 // with a token law
  // Planner laws, one per resample: the i-th converged law with the i-th token law.
  std::vector<DictionaryLaws> laws;
};

// Resamples a usable fit (see fitting/bootstrap.h for the method).
DictionaryBootstrap BootstrapDictionaryLaws(const DictionaryFit& fit, const BootstrapOptions& options,
                                            const ProgressCallback& progress = nullptr);

// A saved dictionary fit (`dictionary --runs RUNS.csv --out FIT.json`), in the saved-fit schema (fitting/fit_json.h):
// schema_version, law "dictionary", usable, status, label, converged {alpha, beta_k, beta_n, gamma, zeta, eta},
// token_term {B, beta} or convergence_tokens {tokens, latents, exponent}, and data {source, num_runs, latents_min,
// latents_max, k_min, k_max, tokens_max, tokens_per_latent_min, tokens_per_latent_max} (the ranges behind the
// planner's extrapolation warnings). A precondition: fit.usable.
nlohmann::ordered_json DictionaryFitToSavedJson(const DictionaryFit& fit);

// Reads a saved dictionary fit back (`dictionary --fit FIT.json`). Throws InputError naming `source` and the key for
// a file that is not a usable dictionary fit, a missing or mistyped key, or laws that fail DictionaryLaws::Check.
DictionaryLaws ParseSavedDictionaryFit(std::string_view json_text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_DICTIONARY_FIT_H_
