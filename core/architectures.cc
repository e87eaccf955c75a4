#include "core/architectures.h"

#include <algorithm>
#include <cctype>

#include "core/json_input.h"

namespace scaleplan {
namespace embedded {
extern const std::string_view kArchitecturesJson;
}  // namespace embedded

namespace {

using Json = nlohmann::json;

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

constexpr std::int64_t kMaxSize = std::int64_t{1} << 40;

ArchitectureEntry ReadEntry(const LocatedJsonReader& reader, const Json& entry, const std::string& pointer) {
  reader.RequireObject(entry, pointer);
  reader.RejectUnknownKeys(entry, pointer,
                           {"name",
                            "source",
                            "notes",
                            "layers",
                            "d_model",
                            "heads",
                            "kv_heads",
                            "head_dim",
                            "ffn",
                            "ffn_kind",
                            "vocab",
                            "seq_len",
                            "tied_embeddings",
                            "norm",
                            "positions",
                            "biases",
                            "experts",
                            "active_experts",
                            "shared_experts",
                            "expert_ffn",
                            "dense_layers",
                            "moe_interval",
                            "q_lora_rank",
                            "kv_lora_rank",
                            "qk_nope_head_dim",
                            "qk_rope_head_dim",
                            "v_head_dim"});
  ArchitectureEntry out;
  out.name = reader.RequireString(entry, "name", pointer);
  out.source = reader.RequireString(entry, "source", pointer);
  out.notes = reader.OptionalString(entry, "notes", pointer);
  auto required = [&](const char* key) {
    return reader.Integer(reader.Require(entry, key, pointer), pointer + "/" + key, 1, kMaxSize);
  };
  auto optional = [&](const char* key, std::int64_t fallback, std::int64_t min_value) {
    if (!entry.contains(key)) return fallback;
    return reader.Integer(entry[key], pointer + "/" + key, min_value, kMaxSize);
  };
  auto flag = [&](const char* key) {
    if (!entry.contains(key)) return false;
    if (!entry[key].is_boolean()) reader.Fail(pointer + "/" + key, "expected true or false", &entry[key]);
    return entry[key].get<bool>();
  };
  auto choice = [&](const char* key, std::initializer_list<const char*> allowed) -> std::string {
    if (!entry.contains(key)) return *allowed.begin();
    const std::string value = reader.RequireString(entry, key, pointer);
    for (const char* option : allowed) {
      if (value == option) return value;
    }
    std::string joined;
    for (const char* option : allowed) joined += (joined.empty() ? "" : ", ") + std::string(option);
    reader.Fail(pointer + "/" + key, "must be one of " + joined, &entry[key]);
  };
  TransformerShape& s = out.shape;
  s.num_layers = required("layers");
  s.d_model = required("d_model");
  s.num_heads = required("heads");
  s.d_ff = required("ffn");
  s.vocab_size = required("vocab");
  s.context_length = required("seq_len");
  s.num_kv_heads = optional("kv_heads", 0, 1);
  s.head_dim = optional("head_dim", 0, 1);
  s.num_experts = optional("experts", 1, 1);
  s.active_experts = optional("active_experts", 1, 1);
  s.num_shared_experts = optional("shared_experts", 0, 0);
  s.expert_d_ff = optional("expert_ffn", 0, 1);
  s.first_dense_layers = optional("dense_layers", 0, 0);
  s.moe_layer_interval = optional("moe_interval", 1, 1);
  s.q_lora_rank = optional("q_lora_rank", 0, 1);
  s.kv_lora_rank = optional("kv_lora_rank", 0, 1);
  s.qk_nope_head_dim = optional("qk_nope_head_dim", 0, 0);
  s.qk_rope_head_dim = optional("qk_rope_head_dim", 0, 0);
  s.v_head_dim = optional("v_head_dim", 0, 1);
  s.glu = choice("ffn_kind", {"glu", "mlp"}) == "glu";
  s.tied_embeddings = flag("tied_embeddings");
  s.linear_biases = flag("biases");
  s.norm = choice("norm", {"rms", "layer"}) == "rms" ? NormKind::RMS_NORM : NormKind::LAYER_NORM;
  const std::string positions = choice("positions", {"rotary", "learned", "relative-xl"});
  s.position_encoding = positions == "rotary"    ? PositionEncoding::ROTARY
                        : positions == "learned" ? PositionEncoding::LEARNED_ABSOLUTE
                                                 : PositionEncoding::RELATIVE_XL;
  std::string why;
  if (!s.Check(&why)) reader.Fail(pointer, "not a buildable architecture: " + why);
  return out;
}

}  // namespace

std::vector<ArchitectureEntry> ParseArchitectures(std::string_view json_text, const std::string& source_label) {
  const Json root = ParseJsonInput(json_text, source_label);
  const LocatedJsonReader reader(source_label);
  reader.RequireObject(root, "");
  reader.RejectUnknownKeys(root, "", {"schema_version", "description", "architectures"});
  const Json& version = reader.Require(root, "schema_version", "");
  if (reader.Integer(version, "/schema_version", 1, 1000) != 1) {
    reader.Fail("/schema_version", "unsupported schema version (this build reads 1)", &version);
  }
  reader.OptionalString(root, "description", "");
  const Json& entries = reader.Require(root, "architectures", "");
  if (!entries.is_array()) reader.Fail("/architectures", "expected an array", &entries);
  std::vector<ArchitectureEntry> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string pointer = "/architectures/" + std::to_string(i);
    ArchitectureEntry entry = ReadEntry(reader, entries[i], pointer);
    for (const ArchitectureEntry& earlier : out) {
      if (Lowercase(earlier.name) == Lowercase(entry.name)) reader.Fail(pointer + "/name", "duplicate name");
    }
    out.push_back(std::move(entry));
  }
  return out;
}

const std::vector<ArchitectureEntry>& BundledArchitectures() {
  static const std::vector<ArchitectureEntry> architectures =
      ParseArchitectures(embedded::kArchitecturesJson, "<bundled architectures>");
  return architectures;
}

const ArchitectureEntry& FindArchitecture(std::string_view name, InputLocation where) {
  for (const ArchitectureEntry& entry : BundledArchitectures()) {
    if (Lowercase(entry.name) == Lowercase(name)) return entry;
  }
  std::string known;
  for (const ArchitectureEntry& entry : BundledArchitectures()) known += (known.empty() ? "" : ", ") + entry.name;
  where.text = std::string(name);
  throw InputError("unknown architecture (known: " + known + ")", std::move(where));
}

bool ShapeOverrides::Any() const {
  return layers || d_model || heads || kv_heads || head_dim || ffn || vocab || seq_len || experts || active_experts ||
         shared_experts || expert_ffn || dense_layers || q_lora_rank || kv_lora_rank || qk_nope_head_dim ||
         qk_rope_head_dim || v_head_dim || glu;
}

TransformerShape ApplyShapeOverrides(TransformerShape s, const ShapeOverrides& o, const InputLocation& where) {
  if (o.layers) s.num_layers = *o.layers;
  if (o.d_model) s.d_model = *o.d_model;
  if (o.heads) s.num_heads = *o.heads;
  if (o.kv_heads) s.num_kv_heads = *o.kv_heads;
  if (o.head_dim) s.head_dim = *o.head_dim;
  if (o.ffn) s.d_ff = *o.ffn;
  if (o.vocab) s.vocab_size = *o.vocab;
  if (o.seq_len) s.context_length = *o.seq_len;
  if (o.experts) s.num_experts = *o.experts;
  if (o.active_experts) s.active_experts = *o.active_experts;
  if (o.shared_experts) s.num_shared_experts = *o.shared_experts;
  if (o.expert_ffn) s.expert_d_ff = *o.expert_ffn;
  if (o.dense_layers) s.first_dense_layers = *o.dense_layers;
  if (o.q_lora_rank) s.q_lora_rank = *o.q_lora_rank;
  if (o.kv_lora_rank) s.kv_lora_rank = *o.kv_lora_rank;
  if (o.qk_nope_head_dim) s.qk_nope_head_dim = *o.qk_nope_head_dim;
  if (o.qk_rope_head_dim) s.qk_rope_head_dim = *o.qk_rope_head_dim;
  if (o.v_head_dim) s.v_head_dim = *o.v_head_dim;
  if (o.glu) s.glu = *o.glu;
  std::string why;
  if (!s.Check(&why)) throw InputError("this architecture cannot exist: " + why, where);
  return s;
}

const std::vector<ShapeOption>& ShapeOptions() {
  using O = ShapeOverrides;
  static const std::vector<ShapeOption> options = {
      {"layers", &O::layers, 1},
      {"d-model", &O::d_model, 1},
      {"heads", &O::heads, 1},
      {"kv-heads", &O::kv_heads, 1},
      {"head-dim", &O::head_dim, 1},
      {"ffn", &O::ffn, 1},
      {"vocab", &O::vocab, 1},
      {"seq-len", &O::seq_len, 1},
      {"experts", &O::experts, 1},
      {"active-experts", &O::active_experts, 1},
      {"shared-experts", &O::shared_experts, 0},
      {"expert-ffn", &O::expert_ffn, 1},
      {"dense-layers", &O::dense_layers, 0},
      {"q-lora-rank", &O::q_lora_rank, 1},
      {"kv-lora-rank", &O::kv_lora_rank, 1},
      {"qk-nope-head-dim", &O::qk_nope_head_dim, 1},
      {"qk-rope-head-dim", &O::qk_rope_head_dim, 1},
      {"v-head-dim", &O::v_head_dim, 1},
  };
  return options;
}

bool ParseFfnKind(const std::string& text) {
  if (text != "glu" && text != "mlp") throw UsageError("--ffn-kind: must be glu or mlp: '" + text + "'");
  return text == "glu";
}

std::optional<TransformerShape> ResolvePlanModel(const std::string& arch, const ShapeOverrides& overrides) {
  const ShapeOverrides& o = overrides;
  try {
    if (!arch.empty()) return ApplyShapeOverrides(FindArchitecture(arch, {"--arch"}).shape, o, {"--arch"});
    if (o.layers && o.d_model && o.heads) {
      // A model from scratch: SwiGLU with d_ff = 8/3 d (multiple of 256) unless given, 32k vocabulary, 4,096 tokens.
      TransformerShape base;
      base.glu = o.glu.value_or(true);
      const std::int64_t d = *o.d_model;
      base.d_ff = base.glu ? std::max<std::int64_t>(256, (8 * d / 3 + 128) / 256 * 256) : 4 * d;
      base.vocab_size = 32000;
      base.context_length = 4096;
      return ApplyShapeOverrides(base, o, {"shape options"});
    }
  } catch (const InputError& error) {
    throw UsageError(error.what());
  }
  // Only sizes that do not define a model (e.g. seq_len) apply to the proposed shape for N.
  if (o.layers || o.d_model || o.heads) {
    throw UsageError("a model from the shape options needs at least --layers, --d-model and --heads (or --arch)");
  }
  return std::nullopt;
}

}  // namespace scaleplan
