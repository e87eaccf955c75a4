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

#include <cstdint>
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

// The largest value a shape option takes.
inline constexpr std::int64_t kMaxShapeOptionValue = std::int64_t{1} << 40;

// One shape option of `plan` (--layers, --d-model, ...), as the command line and the Python module bind it: the
// name without the dashes ("d-model"), the field of ShapeOverrides it sets and the least value it takes (0 for
// shared-experts and dense-layers, else 1; kMaxShapeOptionValue at most).
struct ShapeOption {
  const char* name;
  std::optional<std::int64_t> ShapeOverrides::*field;
  std::int64_t min_value;
};
// Every shape option, in the order `plan --help` lists them.
const std::vector<ShapeOption>& ShapeOptions();

// `--ffn-kind glu|mlp` as ShapeOverrides::glu (true for glu). UsageError for any other text.
bool ParseFfnKind(const std::string& text);

// The model a plan lays out, from `plan`'s architecture options: the catalogue entry `arch` (case-insensitive) with
// `overrides` applied; without a name, a model from scratch when the overrides give at least layers, d_model and
// heads (SwiGLU with d_ff = 8/3 d_model rounded to a multiple of 256 unless ffn or glu say otherwise, a 32,000-token
// vocabulary and a 4,096-token context, each replaced by its override); nullopt when the overrides only give sizes
// that define no model (such as seq_len: they apply to the shape proposed for N, PlanOptions::shape_overrides) or
// none. UsageError, with the command line's message, for an unknown name, a shape that cannot exist, or layers,
// d_model or heads without the other two.
std::optional<TransformerShape> ResolvePlanModel(const std::string& arch, const ShapeOverrides& overrides);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_ARCHITECTURES_H_
