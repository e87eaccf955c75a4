// `scaleplan plan` for sparse models: a weight-sparse plan at a sparsity or at the compute-optimal sparsity
// (Frantar et al. 2023's law, Evci et al. 2020's training FLOPs), and the compute-optimal fine-grained MoE
// (Krajewski et al. 2024). plan_command.cc hands these requests here; the planning is core/sparse_laws.h's.
#ifndef SCALEPLAN_CLI_SPARSE_PLAN_H_
#define SCALEPLAN_CLI_SPARSE_PLAN_H_

#include <string>
#include <vector>

namespace scaleplan::cli {

// True when `args` ask for a sparse plan: --sparsity, --optimal-sparsity, --sparse-method, or
// --law frantar2023-t5 / krajewski2024.
bool IsSparsePlanRequest(const std::vector<std::string>& args);

// Runs such a request (the arguments after `plan`); errors propagate to plan's RunGuarded.
int PlanSparseModels(const std::vector<std::string>& args);

// True when `args` ask `sweep` for sparse plans (--sparsity); sweep_command.cc hands them here.
bool IsSparseSweepRequest(const std::vector<std::string>& args);

// `sweep --sparsity 0,0.5,0.75,0.9 [--compute C1,C2] [--sparse-method M] [--format csv|jsonl] [--out FILE]`: one
// row per budget and sparsity with the plan's keys and the dense loss at the same budget.
int SweepSparseModels(const std::vector<std::string>& args);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_SPARSE_PLAN_H_
