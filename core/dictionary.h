// Sparse dictionaries (TopK sparse autoencoders, Gao et al. 2024, "Scaling and evaluating sparse autoencoders")
// trained on a subject model's activations: what one costs to train (FLOPs, memory traffic, memory, devices, days,
// dollars), what producing its activations costs, the loss laws it follows, and the plan for a budget.
//
// Symbols: d = activation width (the subject model's d_model), n = latents (dictionary size), k = active latents
// per token, k_aux = latents of the auxiliary dead-latent loss, B = tokens per optimizer step, T = training tokens.
//   encoder   z = TopK(W_enc (x - b_pre)),   W_enc is n x d
//   decoder   x_hat = W_dec z + b_pre,       W_dec is d x n;    loss = normalised MSE |x - x_hat|^2 / |x - mean x|^2
//
// ---------------------------------------------------------------------------------------------------------------
// FLOPs per training token (one multiply-add = 2 FLOPs; the accounting of Gao et al. 2024):
//   dense kernels   10 d n + 8 d k_aux
//       forward: encoder 2 d n, decoder 2 d n (the mostly-zero z times all of W_dec);
//       backward: dL/dz = W_dec^T e 2 d n, dW_dec 2 d n, dW_enc 2 d n (no gradient for the input x).
//   sparse kernels  2 d n + 8 d k + 8 d k_aux
//       the encoder GEMM 2 d n is the only dense product; every other product touches the k active rows only:
//       decoder gather 2 d k, dL/dz of the active latents 2 d k, scatter-add into dW_dec 2 d k and into dW_enc 2 d k.
//   AuxK (Gao et al. 2024): latents that have not fired for a while (dead) reconstruct
//   the residual error with their top k_aux pre-activations (loss weight 1/32). It reuses the encoder's scores (no
//   second GEMM) and costs one more TopK and the four sparse products with k_aux rows, 8 d k_aux, with both kernel
//   kinds (a dense-kernel trainer also decodes the auxiliary latents sparsely), so the difference between the two
//   kinds is the main path alone. It is charged on every token, as if dead latents were there all through training
//   (an upper bound). k_aux follows Gao et al.: a power of two close to d/2 (AuxKRule::HALF_D_MODEL, the default);
//   2k and none are the alternatives. It never exceeds the dead pool, dead_fraction n (Gao et al. report 7% of
//   latents dead at 16M latents, the default), nor n - k.
//
// Memory-bound work per token, bytes (the probe's kernel formulas, gpu_probe/kernel_cost.h, at B = 1; fp32 values,
// int32 indices, dictionaries far larger than the caches so that each touched row comes from memory):
//   TopK                  4 n + 8 k          read the scores, write k (value, index) pairs
//   gather (x2: decoder forward, dL/dz of the active latents)      4 k d + 8 k + 4 d each
//   scatter-add (x2: dW_dec and dW_enc rows of the active latents) 8 k d + 4 d + 8 k each
//   AuxK: a TopK over the dead pool's scores (4 p + 8 k_aux, p = dead_fraction n) and the four row kernels with
//   k_aux rows; its rows all come from the pool, which every token of a step shares, so each kernel reads (and
//   writes) a pool row at most once per step: the row traffic per token is that of min(k_aux, p / B) rows.
//   Dense kernels keep the main TopK (the scores still have to be ranked) and the AuxK kernels.
// Adam (Kingma and Ba 2015) updates all 2 n d parameters every step, whatever the kernels: per parameter it reads
// and writes the weight (with a 16-bit param_type: reads and writes the fp32 master copy and writes the 16-bit
// copy), reads the gradient and clears it for the next step, and reads and writes both fp32 moments:
//   fp32 weights 4+4 + 4+4 + 16 = 32 bytes, bf16/fp16 weights 4+4+2 + 2+2 + 16 = 30 bytes per parameter per step,
// i.e. per token that figure times 2 n d / B. At B = 4096 on an H100 (catalogue peaks, MFU 0.4, half the
// bandwidth) this traffic takes about twice as long as the encoder GEMM: larger steps make sparse training cheaper.
//
// Memory (Adam, no sharded optimizer tricks):
//   state per parameter: weight + gradient (param_type) + fp32 master copy (16-bit param_type only) + two fp32
//   moments: 16 bytes with fp32 or bf16 weights (the usual mixed-precision 16 bytes per parameter), for 2 n d
//   parameters (b_pre's d parameters are left out: under 1e-4 of the total for n >= 4096).
//   step activations: the fp32 scores B x n (TopK and AuxK rank them), the (value, index) pairs of the k and k_aux
//   active latents, 8 B (k + k_aux); dense kernels also keep the dense z and its gradient, 8 B n more. The input x,
//   the reconstruction and its error, 3 x 4 B d, are needed whole on every device.
//   Sharding: the latents are split across P devices (each holds n/P rows of W_enc and W_dec, their gradients,
//   moments and scores, and ranks its own scores; the global TopK merges the per-device candidates, and the
//   partial reconstructions are summed across devices). Per device: (state + n-proportional activations) / P +
//   the 3 x 4 B d replicated buffers. The collectives (B x d per step, and the TopK merge) are not costed.
//
// Producing the activations ("harvesting"): forward passes of the subject model up to the hooked layer, a fraction
// f of its depth (Gao et al. 2024 hook 5/6 of the way through GPT-4-series models, the default):
//   2 N_subject f FLOPs per token (a forward pass costs 2 N per token, Kaplan et al. 2020), or, from a shape,
//   f (2 N_active_non_embedding + 4 L H Q T_ctx) (the forward third of PaLM's 12 L H Q T attention count).
// It needs the hooked layers' weights in 16-bit, 2 f N_subject bytes (plus the token embedding with a shape), on as
// many devices as hold them. Cached activations take T d bytes at 16 bits (harvest_storage_bytes): streaming them
// instead trades that disk for recomputing the subject's forward passes for every dictionary trained.
//
// Time: a device-equivalent processes a token in
//   catalogue: gemm_flops / (dense peak x mfu) + memory-bound bytes / (bandwidth x bandwidth_efficiency)
//   profile (measured by `scaleplan probe`): gemm_flops / encoder_gemm FLOP/s + TopK bytes / topk bytes/s +
//            gather bytes / decoder_gather bytes/s + scatter bytes / scatter_add bytes/s + Adam bytes / triad bytes/s
//            (achieved rates: no MFU or efficiency factor applies)
// and P devices are taken as P times faster (the work is split by latents). The harvest runs at mfu of the dense
// peak (catalogue) or of the profile's measured GEMM peak, on max(P, devices holding the subject's layers).
// Days = training days + harvesting days (one after the other); cost = all device-hours x price.
//
// ---------------------------------------------------------------------------------------------------------------
// Laws (normalised MSE):
//   converged   L(n, k) = exp(alpha + beta_k ln k + beta_n ln n + gamma ln k ln n) + exp(zeta + eta ln k)
//               (Gao et al. 2024, eq. 3: the loss of a dictionary trained to convergence)
//   tokens      fitted to runs: L(n, k, T) = L(n, k) + B / T^beta, the token term of the Chinchilla-form law
//               L(n, T) = E + A / n^alpha + B / T^beta fitted at one k (at fixed k, L(n, k) is itself E + A / n^alpha,
//               with E = exp(zeta + eta ln k), A = exp(alpha + beta_k ln k), alpha = -(beta_n + gamma ln k));
//               the token term is assumed not to depend on k.
//   prior       no runs: Gao et al.'s published coefficients, each dictionary trained to convergence, on
//               T_conv(n) = 40e9 (n / 2^24)^0.6 tokens: tokens to convergence grow about as n^0.6 (Gao et al.), and
//               their 16M-latent (2^24) dictionary was trained on 40B tokens, which we take as converged.
#ifndef SCALEPLAN_CORE_DICTIONARY_H_
#define SCALEPLAN_CORE_DICTIONARY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hardware.h"
#include "core/hardware_profile.h"
#include "core/transformer.h"

namespace scaleplan {

// ---------------------------------------------------------------------------------------------------------------
// Cost model.

enum class DictionaryKernels { SPARSE, DENSE };
const char* DictionaryKernelsName(DictionaryKernels kernels);  // "sparse", "dense"

enum class AuxKRule {
  HALF_D_MODEL,  // k_aux = the power of two nearest d / 2 (Gao et al. 2024)
  TWICE_K,       // k_aux = 2 k
  NONE,          // no auxiliary loss
};
const char* AuxKRuleName(AuxKRule rule);                        // "half-d", "2k", "none"
std::optional<AuxKRule> TryParseAuxKRule(std::string_view name);  // case-insensitive

struct DictionaryShape {
  double d_model = 0.0;      // d: activation width
  double num_latents = 0.0;  // n
  double k = 0.0;            // active latents per token

  // False, with the reason, unless d >= 1, k >= 1 and n > k, all finite.
  bool Check(std::string* why) const;
};

struct DictionaryOptions {
  double batch_tokens = 4096.0;                    // B, tokens per optimizer step (a common setting)
  AuxKRule aux_k = AuxKRule::HALF_D_MODEL;         // the auxiliary dead-latent loss (Gao et al. 2024)
  NumericType param_type = NumericType::FP32;      // weights and gradients; BF16/FP16 add an fp32 master copy
  NumericType compute_type = NumericType::BF16;    // whose catalogue dense peak the GEMMs run at
  double mfu = 0.40;                               // GEMM (and harvest) FLOPs utilisation of that peak
  double bandwidth_efficiency = 0.50;              // memory-bound kernels' fraction of the datasheet bandwidth
                                                   // (random-row gathers; the probe expects >= 50% of STREAM)
  double dead_fraction = 0.07;                     // dead latents, AuxK's pool (Gao et al. 2024: 7% at 16M)
  double usable_memory_fraction = 0.90;            // of each device's memory
  std::int64_t num_devices = 0;                    // 0 = the fewest that hold the dictionary
  double price_usd_per_hour = 0.0;                 // per device-hour; 0 = the accelerator's planning default

  bool Check(std::string* why) const;
};

// k_aux for `shape` under `rule` (0 for NONE), capped at the dead pool (dead_fraction n, rounded down) and n - k.
double AuxLatents(const DictionaryShape& shape, AuxKRule rule, double dead_fraction);

// Per-token work of one training step, split by what bounds it (see the top of this file).
struct DictionaryTokenCost {
  double gemm_flops = 0.0;       // compute-bound GEMMs: 2 d n (sparse) or 10 d n (dense)
  double sparse_flops = 0.0;     // the row kernels' arithmetic, 8 d k (sparse only) + 8 d k_aux: memory-bound
  double topk_bytes = 0.0;       // TopK (and the AuxK TopK)
  double gather_bytes = 0.0;     // decoder gathers and dL/dz of the active rows
  double scatter_bytes = 0.0;    // scatter-adds into dW_dec and dW_enc
  double optimizer_bytes = 0.0;  // Adam's per-step traffic divided by B

  double Flops() const { return gemm_flops + sparse_flops; }
  double MemoryBoundBytes() const { return topk_bytes + gather_bytes + scatter_bytes + optimizer_bytes; }
};

DictionaryTokenCost DictionaryCostPerToken(const DictionaryShape& shape, DictionaryKernels kernels,
                                           const DictionaryOptions& options = {});

// 2 d n + 8 d k + 8 d k_aux (sparse) or 10 d n + 8 d k_aux (dense); k_aux from options.aux_k and dead_fraction.
double DictionaryFlopsPerToken(const DictionaryShape& shape, DictionaryKernels kernels,
                               const DictionaryOptions& options = {});

// Adam's bytes per parameter per step: 32 with fp32 weights, 30 with 16-bit weights and an fp32 master copy.
double OptimizerBytesPerParamStep(NumericType param_type);

// Bytes per parameter of training state: weight + gradient + fp32 master (16-bit only) + two fp32 moments.
double StateBytesPerParam(NumericType param_type);

struct DictionaryMemory {
  double num_params = 0.0;                   // 2 n d
  double weight_bytes = 0.0;
  double gradient_bytes = 0.0;
  double optimizer_bytes = 0.0;              // fp32 master copy + moments
  double sharded_activation_bytes = 0.0;     // scores (and dense z, dz), active pairs: split with the latents
  double replicated_activation_bytes = 0.0;  // x, x_hat and the error: whole on every device

  double StateBytes() const { return weight_bytes + gradient_bytes + optimizer_bytes; }
  double ShardedBytes() const { return StateBytes() + sharded_activation_bytes; }
  // The whole job as if on one device.
  double TotalBytes() const { return ShardedBytes() + replicated_activation_bytes; }
};

DictionaryMemory EstimateDictionaryMemory(const DictionaryShape& shape, DictionaryKernels kernels,
                                          const DictionaryOptions& options = {});

// (sharded) / P + replicated.
double DictionaryMemoryPerDevice(const DictionaryMemory& memory, std::int64_t num_devices);

// The fewest devices of `usable_bytes` each that hold `memory`; 0 when none can (the replicated buffers alone do
// not fit, or more than 2^62 would be needed).
std::int64_t MinDevicesForDictionary(const DictionaryMemory& memory, double usable_bytes);

// Kernel rates measured by `scaleplan probe` (achieved, not peak).
struct DictionaryKernelRates {
  std::string source;                     // e.g. "measured profile prof.json (NVIDIA H100 80GB HBM3)"
  double gemm_flops_per_second = 0.0;     // encoder_gemm
  double topk_bytes_per_second = 0.0;
  double gather_bytes_per_second = 0.0;   // decoder_gather
  double scatter_bytes_per_second = 0.0;  // scatter_add
  double stream_bytes_per_second = 0.0;   // triad bandwidth beyond the caches: Adam's streaming update
  double peak_flops_per_second = 0.0;     // the best measured GEMM: the harvest runs at mfu of it
  std::vector<std::string> notes;         // measurements missing from the profile and what replaced them
};

// The rates for activations of width `d_model` and `k` active latents: for each kernel, among the measurements
// with a positive rate, the one nearest in log d (and, for the row kernels, log k), then the largest n (most like
// a large dictionary), then the fastest (the best dtype). A kernel missing from the profile falls back to the
// profile's peak_flops (GEMM) or bandwidth_bytes_per_s (the others), with a note.
DictionaryKernelRates DictionaryRatesFromProfile(const HardwareProfile& profile, double d_model, double k,
                                                 const std::string& label);

// Device-seconds per token, by part.
struct DictionaryTokenTime {
  double gemm_seconds = 0.0;
  double topk_seconds = 0.0;
  double gather_seconds = 0.0;
  double scatter_seconds = 0.0;
  double optimizer_seconds = 0.0;

  double Total() const { return gemm_seconds + topk_seconds + gather_seconds + scatter_seconds + optimizer_seconds; }
};

// The time model above. `measured` (may be null) replaces the catalogue figures. Needs a positive peak for
// options.compute_type and a positive bandwidth (SCALEPLAN_CHECK) unless measured.
DictionaryTokenTime DictionaryTimePerToken(const DictionaryTokenCost& cost, const Accelerator& accelerator,
                                           const DictionaryOptions& options, const DictionaryKernelRates* measured);

// The device and the speeds a plan uses, in one line, as `scaleplan dictionary` and the desktop planner show it: with
// `measured` (may be null) the measured kernel rates and the device's memory ("H100-SXM: speeds from the measured
// profile ...: encoder GEMM 612T FLOP/s, TopK 2.1 TB/s, ..."), else the catalogue's dense peak for
// options.compute_type with the MFU, and its bandwidth with the efficiency for memory-bound kernels.
std::string DescribeDictionaryDevice(const Accelerator& accelerator, const DictionaryOptions& options,
                                     const DictionaryKernelRates* measured);

// The device a dictionary plan uses when none is named (`dictionary`, the Python module's dictionary()).
inline constexpr const char* kDefaultDictionaryAccelerator = "H100-SXM";

// The subject model whose activations the dictionary learns.
struct SubjectModel {
  double num_params = 0.0;                // N_subject, all parameters; 0 = unknown (no harvest cost)
  double layers_fraction = 5.0 / 6.0;     // depth of the hooked layer (Gao et al. 2024: 5/6 for GPT-4 series)
  std::optional<TransformerShape> shape;  // when set, FLOPs and memory from the shape instead of num_params

  bool Known() const { return num_params > 0.0 || shape.has_value(); }
  bool Check(std::string* why) const;
};

// 2 N f, or f (2 N_active_non_embedding + 4 L H Q T_ctx) with a shape; 0 when the subject is unknown.
double HarvestFlopsPerToken(const SubjectModel& subject);

// 16-bit weights of the layers up to the hook: 2 f N, or 2 (f N_non_embedding + V d) with a shape.
double HarvestWeightBytes(const SubjectModel& subject);

// ---------------------------------------------------------------------------------------------------------------
// Laws.

// Gao et al. 2024, eq. 3: the loss of a dictionary of n latents with k active, trained to convergence.
struct LatentsSparsityLaw {
  double alpha = 0.0;
  double beta_k = 0.0;
  double beta_n = 0.0;
  double gamma = 0.0;
  double zeta = 0.0;
  double eta = 0.0;

  double Loss(double num_latents, double k) const;
  double Irreducible(double k) const;  // exp(zeta + eta ln k): the limit n -> infinity when n's exponent is < 0
  // -(beta_n + gamma ln k): the power of 1/n in the first term at fixed k.
  double LatentsExponent(double k) const;
  bool Check(std::string* why) const;  // every coefficient finite
};

// The published coefficients (Gao et al. 2024, GPT-4 activations).
inline constexpr LatentsSparsityLaw kGaoLatentsSparsityLaw{-0.50, 0.26, -0.017, -0.042, -1.32, -0.085};

// The prior's tokens to convergence: T_conv(n) = kPriorConvergenceTokens (n / kPriorConvergenceLatents)^0.6.
inline constexpr double kPriorConvergenceTokens = 40e9;           // Gao et al.'s 16M-latent run: 40B tokens
inline constexpr double kPriorConvergenceLatents = 16777216.0;    // 2^24, that run's latents
inline constexpr double kPriorConvergenceExponent = 0.6;          // Gao et al.: about n^0.6 to n^0.65

inline const std::string kDictionaryPriorLabel = "prior (Gao et al. 2024 coefficients, not fitted to your runs)";

// The laws a plan uses (see the top of this file).
struct DictionaryLaws {
  LatentsSparsityLaw converged = kGaoLatentsSparsityLaw;
  // The token term B / T^beta; without it every dictionary is trained to convergence, on T_conv(n) tokens.
  bool has_token_term = false;
  double token_coefficient = 0.0;  // B
  double token_exponent = 0.0;     // beta
  double convergence_tokens = kPriorConvergenceTokens;
  double convergence_latents = kPriorConvergenceLatents;
  double convergence_exponent = kPriorConvergenceExponent;
  bool prior = true;
  std::string label = kDictionaryPriorLabel;
  // The range of the data behind the law, for extrapolation warnings (0 = not known, not checked).
  double latents_min = 0.0;
  double latents_max = kPriorConvergenceLatents;  // Gao et al.'s largest dictionary
  double k_min = 0.0;
  double k_max = 0.0;
  double tokens_max = 0.0;
  double tokens_per_latent_min = 0.0;  // T / n over the runs (with a token term)
  double tokens_per_latent_max = 0.0;

  double ConvergenceTokens(double num_latents) const;
  // L(n, k) + B / T^beta with a token term; L(n, k) otherwise (T is then taken as at least T_conv(n)).
  double Loss(double num_latents, double k, double num_tokens) const;
  bool Check(std::string* why) const;
};

DictionaryLaws PriorDictionaryLaws();

// ---------------------------------------------------------------------------------------------------------------
// Allocation: the (n, T) that minimises the loss at fixed k when a token costs `cost_per_token(n)` budget units
// (FLOPs or device-hours) and T cost(n) = budget.
//   with a token term: minimise f(x) = L(e^x, k) + B (cost(e^x) / budget)^beta over x = ln n. Every cost here is
//     a + b n (a, b >= 0), so ln cost is convex in x, the token term is exp(convex) and L(e^x, k) is exp(linear) +
//     const: f is convex. A 241-point scan of x, then golden-section search in the bracket around the best point.
//   prior (converged training): T = T_conv(n); T_conv(n) cost(n) grows with n and L(n, k) falls with n whenever
//     n's exponent is negative (k > e^(-beta_n / gamma), 0.67 for the published law): the largest n the budget
//     trains to convergence, found by bisection in ln n. When the exponent is not negative the smallest n is best.
// n is searched in [kMinLatentsFactor k, kMaxLatents].
inline constexpr double kMinLatentsFactor = 2.0;
inline constexpr double kMaxLatents = 1e12;

struct DictionaryAllocation {
  bool reachable = false;   // false: the budget does not pay for the smallest dictionary
  double num_latents = 0.0;
  double num_tokens = 0.0;
  double loss = 0.0;
  bool at_latents_limit = false;  // the optimum sits on kMaxLatents
};

DictionaryAllocation AllocateDictionaryBudget(const DictionaryLaws& laws, double k, double budget,
                                              const std::function<double(double)>& cost_per_token);

// ---------------------------------------------------------------------------------------------------------------
// Plans.

enum class DictionaryGoal {
  COMPUTE,       // a FLOP budget: compute_flops
  DEVICE_HOURS,  // a device-hour budget: device_hours
  TARGET_LOSS,   // the least FLOPs that reach target_loss
  LATENTS,       // a fixed num_latents, on compute_flops or device_hours when given, else on the tokens the law
                 // asks for (T_conv(n) for the prior; the compute-optimal T for n with a token term)
};
const char* DictionaryGoalName(DictionaryGoal goal);  // "compute", "device_hours", "target_loss", "latents"

struct DictionaryRequest {
  double d_model = 0.0;                   // required
  DictionaryGoal goal = DictionaryGoal::COMPUTE;
  double compute_flops = 0.0;             // COMPUTE; optional with LATENTS
  double device_hours = 0.0;              // DEVICE_HOURS; optional with LATENTS
  double target_loss = 0.0;               // TARGET_LOSS
  double num_latents = 0.0;               // LATENTS
  double k = 0.0;                         // a fixed k; 0 = choose in [k_min, k_max]
  double k_min = 32.0;                    // the range k is chosen in: the usual 32-128
  double k_max = 128.0;
  bool budget_includes_harvest = true;    // the budget pays for producing the activations too (subject known)
  SubjectModel subject;
  DictionaryLaws laws = PriorDictionaryLaws();
  std::vector<DictionaryLaws> bootstrap_laws;  // resampled laws: the loss interval (empty = none)
  double confidence = 0.95;
  DictionaryOptions options;
  Accelerator accelerator;                          // memory, price; peaks and bandwidth unless measured
  std::optional<DictionaryKernelRates> measured;    // a probe profile's rates

  bool Check(std::string* why) const;
};

// One dictionary (n, k, T) with one kind of kernels: what it costs and where.
struct DictionaryCosts {
  DictionaryKernels kernels = DictionaryKernels::SPARSE;
  double num_latents = 0.0;
  double k = 0.0;
  double aux_latents = 0.0;
  double num_tokens = 0.0;
  double loss = 0.0;
  DictionaryTokenCost cost_per_token;
  DictionaryTokenTime time_per_token;     // device-seconds
  double flops_per_token = 0.0;
  double compute_flops = 0.0;             // the dictionary's training: flops_per_token x T
  double harvest_flops_per_token = 0.0;
  double harvest_flops = 0.0;             // producing the activations (0 when the subject is unknown)
  double harvest_storage_bytes = 0.0;     // T d bytes at 16 bits, if cached
  double optimizer_bytes_per_step = 0.0;  // Adam's traffic per step
  DictionaryMemory memory;
  double memory_bytes = 0.0;              // memory.TotalBytes()
  double memory_bytes_per_device = 0.0;
  std::int64_t devices = 0;               // training devices
  std::int64_t min_devices_for_memory = 0;
  std::int64_t harvest_devices = 0;       // max(devices, harvest_min_devices); 0 when the subject is unknown
  std::int64_t harvest_min_devices = 0;   // fewest devices that hold the hooked layers' 16-bit weights
  double training_days = 0.0;
  double harvest_days = 0.0;
  double days = 0.0;                      // training + harvesting
  double device_hours = 0.0;              // both
  double price_usd_per_hour = 0.0;
  double cost_usd = 0.0;
  bool feasible = false;
  std::vector<std::string> reasons;       // why not feasible
};

// The costs of (n, k, T) on the request's hardware.
DictionaryCosts CostDictionary(const DictionaryRequest& request, DictionaryKernels kernels, double num_latents,
                               double k, double num_tokens);

// What the law predicts at the best (n, T) for one candidate k.
struct DictionaryKCandidate {
  double k = 0.0;
  bool reachable = false;
  double num_latents = 0.0;
  double num_tokens = 0.0;
  double loss = 0.0;
  double budget = 0.0;  // FLOPs or device-hours spent (TARGET_LOSS: the least FLOPs that reach the target)
};

struct DictionaryPlan {
  bool reachable = false;       // false: no k in range meets the goal (status says why)
  std::string status;
  DictionaryGoal goal = DictionaryGoal::COMPUTE;
  std::string law_label;
  bool prior = true;
  double budget = 0.0;          // in the goal's unit (FLOPs or device-hours; TARGET_LOSS: FLOPs spent)
  bool budget_includes_harvest = false;
  bool converged = true;        // prior only: T >= T_conv(n)
  double convergence_tokens = 0.0;
  std::string k_choice;         // how k was chosen
  std::vector<DictionaryKCandidate> k_candidates;
  DictionaryCosts sparse;       // the plan
  DictionaryCosts dense;        // the same dictionary with dense kernels
  std::optional<std::pair<double, double>> loss_interval;  // from bootstrap_laws
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  // extrapolation beyond the law's data, under-training, search limits
};

// The plan for a request (options checked with SCALEPLAN_CHECK: front ends call DictionaryRequest::Check first).
// Deterministic. A sweep calls it once per row.
DictionaryPlan PlanDictionary(const DictionaryRequest& request);

// The laws' coefficients as plans and saved fits write them: "converged" {alpha, beta_k, beta_n, gamma, zeta, eta},
// then "token_term" {B, beta} or, without a token term, "convergence_tokens" {tokens, latents, exponent}.
void AddDictionaryLawsJson(const DictionaryLaws& laws, nlohmann::ordered_json* out);

// `dictionary --format json` (and the Python module's dictionary()): the plan's mode, law, budget, the sparse
// dictionary's costs at the top level and the dense one's under "dense", the savings, the device (request.accelerator
// and `device_description`, DescribeDictionaryDevice's text), the subject, the laws, notes and warnings.
nlohmann::ordered_json DictionaryPlanToJson(const DictionaryPlan& plan, const DictionaryRequest& request,
                                            const std::string& device_description);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_DICTIONARY_H_
