// Published transformer architectures (data/architectures.json), for `plan --arch NAME`, and the one mechanism that
// builds a shape from a catalogue entry with a user's overrides (`--layers`, `--d-model`, ...).
//
// JSON schema, version 1: {"schema_version": 1, "description": "...", "architectures": [ENTRY, ...]}, each ENTRY
//   name, source (required strings), notes (optional),
//   layers, d_model, heads, ffn, vocab, seq_len (required whole numbers),
//   kv_heads, head_dim, experts, active_experts, shared_experts, expert_ffn, dense_layers, moe_interval,
//   q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim (optional whole numbers),
//   ffn_kind "glu" | "mlp" (default glu), tied_embeddings, biases (default false),
//   norm "rms" | "layer" (default rms), positions "rotary" | "learned" | "relative-xl" (default rotary).
// Unknown keys, wrong types and a shape that cannot exist (core/transformer.h's Check) are InputErrors naming the
// JSON pointer.
#ifndef SCALEPLAN_CORE_ARCHITECTURES_H_
#define SCALEPLAN_CORE_ARCHITECTURES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/transformer.h"

namespace scaleplan {

struct ArchitectureEntry {
  std::string name;
  std::string source;
  std::string notes;
  TransformerShape shape;
};

std::vector<ArchitectureEntry> ParseArchitectures(std::string_view json_text, const std::string& source_label);

// The bundled catalogue, parsed once.
const std::vector<ArchitectureEntry>& BundledArchitectures();

// Case-insensitive; an unknown name throws InputError at `where` listing the known ones.
const ArchitectureEntry& FindArchitecture(std::string_view name, InputLocation where = {});

// Fields a user sets on top of an entry (or from scratch): each present one replaces the shape's.
struct ShapeOverrides {
  std::optional<std::int64_t> layers, d_model, heads, kv_heads, head_dim, ffn, vocab, seq_len, experts, active_experts,
      shared_experts, expert_ffn, dense_layers, q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim,
      v_head_dim;
  std::optional<bool> glu;

  bool Any() const;
};

// `base` with `overrides` applied. The result is checked: a shape that cannot exist throws InputError at `where`
// with the reason (heads not dividing d_model, KV heads not dividing heads, top-k above the experts, ...).
TransformerShape ApplyShapeOverrides(TransformerShape base, const ShapeOverrides& overrides,
                                     const InputLocation& where);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_ARCHITECTURES_H_
