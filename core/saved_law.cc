#include "core/saved_law.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan {

bool SavedLaw::Allocates() const {
  return HasChinchillaForm() || law_name == "kaplan" || law_name == "isoflop" ||
         (law_name == "expression" && expression.Plans());
}

namespace {

// An expression law's search result, or its refusal naming the law.
Allocation RequireFound(const ExpressionSearch& search, const std::string& description) {
  if (!search.allocation) throw InputError(description + " gives no plan: " + search.why);
  return *search.allocation;
}

}  // namespace

Allocation SavedLaw::ComputeOptimal(double compute_flops) const {
  SCALEPLAN_CHECK(Allocates(), "law '" + law_name + "' gives no allocation at a budget");
  if (law_name == "kaplan") return kaplan.ComputeOptimal(compute_flops);
  if (law_name == "isoflop") return isoflop.ComputeOptimal(compute_flops);
  if (law_name == "expression") return RequireFound(ExpressionComputeOptimal(expression, compute_flops), description);
  return law.ComputeOptimal(compute_flops);
}

Allocation SavedLaw::ComputeOptimalForParams(double num_params) const {
  SCALEPLAN_CHECK(Allocates() && num_params > 0, "a law that allocates and a positive size");
  if (law_name == "kaplan") {
    // N_opt(C) = (p N_c^p C / (6 D_c))^(1/(p+1)) inverted: C = 6 D_c N^(p+1) / (p N_c^p).
    const double p = kaplan.alpha_n / kaplan.alpha_d;
    return kaplan.ComputeOptimal(6.0 * kaplan.d_c * std::pow(num_params, p + 1.0) / (p * std::pow(kaplan.n_c, p)));
  }
  if (law_name == "isoflop") {
    // N_opt = k_N C^a inverted: C = (N / k_N)^(1/a).
    return isoflop.ComputeOptimal(std::pow(num_params / isoflop.coeff_params, 1.0 / isoflop.exponent_params));
  }
  if (law_name == "expression") {
    const ExpressionSearch search = ExpressionComputeOptimalForParams(expression, num_params);
    if (!search.allocation) {
      throw InputError(description + " gives no budget at which " + FormatScientific(num_params) +
                       " parameters are compute-optimal: " + search.why);
    }
    return *search.allocation;
  }
  return law.ComputeOptimalForParams(num_params);
}

std::optional<Allocation> SavedLaw::LeastComputeForLoss(double loss_nats) const {
  SCALEPLAN_CHECK(Allocates() && loss_nats > 0, "a law that allocates and a positive loss");
  if (law_name == "isoflop") {
    // L_opt(C) = E + K C^-gamma inverted: C = (K / (L - E))^(1/gamma).
    if (!isoflop.has_frontier || !(loss_nats > isoflop.frontier.E)) return std::nullopt;
    return isoflop.ComputeOptimal(
        std::pow(isoflop.frontier.K / (loss_nats - isoflop.frontier.E), 1.0 / isoflop.frontier.gamma));
  }
  if (law_name == "kaplan") {
    // Kaplan's compute-optimal loss falls towards 0 as C grows: bisection in log C (the loss is monotone in C).
    double lo = 0.0, hi = std::log(1e60);
    const auto loss_at = [this](double log_c) { return kaplan.ComputeOptimal(std::exp(log_c)).loss_nats; };
    if (loss_at(hi) > loss_nats || loss_at(lo) < loss_nats) return std::nullopt;
    for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
      const double mid = 0.5 * (lo + hi);
      (loss_at(mid) > loss_nats ? lo : hi) = mid;
    }
    return kaplan.ComputeOptimal(std::exp(hi));
  }
  if (law_name == "expression") return ExpressionLeastComputeForLoss(expression, loss_nats).allocation;
  return law.LeastComputeForLoss(loss_nats);
}

FitRanges SavedLaw::Ranges() const {
  return {compute_min, compute_max, num_params_min, num_params_max, num_tokens_min, num_tokens_max};
}

std::string SavedLawFormula(const SavedLaw& saved) {
  char line[320];
  if (saved.law_name == "kaplan") {
    const KaplanLaw& k = saved.kaplan;
    std::snprintf(line, sizeof line,
                  "L(N, D) = [ (%.4g / N)^(%.4g / %.4g) + %.4g / D ]^%.4g   (Kaplan et al. 2020; N: non-embedding)",
                  k.n_c, k.alpha_n, k.alpha_d, k.d_c, k.alpha_d);
  } else if (saved.law_name == "isoflop") {
    const IsoFlopLaw& i = saved.isoflop;
    int used = std::snprintf(line, sizeof line, "N_opt = %.4g C^%.4f, D_opt = %.4g C^%.4f", i.coeff_params,
                             i.exponent_params, i.coeff_tokens, i.exponent_tokens);
    if (i.has_frontier) {
      std::snprintf(line + used, sizeof line - static_cast<size_t>(used), ", L_opt = %.4g + %.4g C^-%.4f", i.frontier.E,
                    i.frontier.K, i.frontier.gamma);
    } else {
      std::snprintf(line + used, sizeof line - static_cast<size_t>(used), " (no loss frontier)");
    }
  } else if (saved.law_name == "expression") {
    std::string formula = "L(N, D) = " + saved.expression.text;
    for (size_t k = 0; k < saved.expression.param_names.size(); ++k) {
      formula += (k == 0 ? "   with " : ", ") + saved.expression.param_names[k] + " = " +
                 FormatSignificant(saved.expression.params[k], 6);
    }
    return formula + (saved.expression.Plans() ? " (C = 6 N D)" : "");
  } else if (saved.HasChinchillaForm()) {
    const ChinchillaLaw& l = saved.law;
    std::snprintf(line, sizeof line, "L(N, D) = %.4g + %.4g / N^%.4g + %.4g / D^%.4g   (N: all parameters)", l.E, l.A,
                  l.alpha, l.B, l.beta);
  } else {
    std::snprintf(line, sizeof line, "a %s law", saved.law_name.c_str());
  }
  return line;
}

nlohmann::ordered_json SavedLawCoefficients(const SavedLaw& saved) {
  nlohmann::ordered_json out;
  out["name"] = saved.law_name;
  if (saved.HasChinchillaForm()) {
    const ChinchillaLaw& l = saved.law;
    out["E"] = l.E;
    out["A"] = l.A;
    out["B"] = l.B;
    out["alpha"] = l.alpha;
    out["beta"] = l.beta;
    if (saved.law_name == "data-constrained") {
      out["R_D_star"] = saved.data_constrained.R_D_star;
      out["R_N_star"] = saved.data_constrained.R_N_star;
    }
  } else if (saved.law_name == "kaplan") {
    out["N_c"] = saved.kaplan.n_c;
    out["D_c"] = saved.kaplan.d_c;
    out["alpha_N"] = saved.kaplan.alpha_n;
    out["alpha_D"] = saved.kaplan.alpha_d;
  } else if (saved.law_name == "isoflop") {
    const IsoFlopLaw& i = saved.isoflop;
    out["coeff_params"] = i.coeff_params;
    out["exponent_params"] = i.exponent_params;
    out["coeff_tokens"] = i.coeff_tokens;
    out["exponent_tokens"] = i.exponent_tokens;
    out["frontier"] =
        i.has_frontier ? nlohmann::ordered_json{{"E", i.frontier.E}, {"K", i.frontier.K}, {"gamma", i.frontier.gamma}}
                       : nlohmann::ordered_json(nullptr);
  } else if (saved.law_name == "expression") {
    out["expression"] = saved.expression.text;
    out["parameters"] = nlohmann::ordered_json::object();
    for (size_t k = 0; k < saved.expression.param_names.size(); ++k) {
      out["parameters"][saved.expression.param_names[k]] = saved.expression.params[k];
    }
  }
  return out;
}

std::string CommandThatPlansWith(const std::string& law_name) {
  if (law_name == "dictionary") return "plan with it using 'scaleplan dictionary --fit FIT.json'";
  if (law_name == "sparse") {
    return "plan with it using 'scaleplan plan --compute C --sparsity S --fit FIT.json' (the sparse planner)";
  }
  if (law_name == "hyperparams") {
    return "plan with it using 'scaleplan plan --hyperparams FIT.json' (it sets the batch and learning rate)";
  }
  if (law_name == "moe") {
    return "plan with it using 'scaleplan plan --fit FIT.json --compute C' (the fine-grained MoE planner: N, active "
           "N, D and granularity)";
  }
  if (law_name == "routing") {
    return "a routing law has no training-token term; 'scaleplan plan --fit FIT.json --params N --experts E' gives "
           "each router's loss and effective parameter count";
  }
  if (law_name == "expression") {
    return "'plan --fit' plans with an expression of N, D and C only ('validate --fit FIT.json', 'check' and 'plot "
           "residuals --fit FIT.json' take any expression)";
  }
  return "no command plans with it";
}

}  // namespace scaleplan
