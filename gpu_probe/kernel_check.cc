#include "gpu_probe/kernel_check.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>

namespace scaleplan::probe {
namespace {

constexpr std::uint32_t kCheckSeed = 12345;

std::vector<float> Uniform(std::mt19937& random, std::size_t count) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = uniform(random);
  return values;
}

std::vector<std::int32_t> Indices(std::mt19937& random, std::size_t count, std::int64_t n) {
  std::uniform_int_distribution<std::int32_t> pick(0, static_cast<std::int32_t>(n - 1));
  std::vector<std::int32_t> indices(count);
  for (std::int32_t& index : indices) index = pick(random);
  return indices;
}

[[noreturn]] void Fail(const Backend& backend, const KernelSpec& spec, const std::string& detail) {
  throw KernelCheckError("kernel check failed: " + backend.Name() + " " + spec.Describe() +
                         " does not match the reference implementation: " + detail);
}

void CheckTopK(Backend& backend) {
  // Scores on a grid of 1/16 in [-1, 1): many ties, which must go to the smaller index. The last row is constant.
  KernelSpec spec{KernelKind::TOPK, DType::FP32, /*batch=*/7, /*d=*/0, /*n=*/1003, /*k=*/67};
  std::mt19937 random(kCheckSeed);
  std::vector<float> scores = Uniform(random, static_cast<std::size_t>(spec.batch * spec.n));
  for (float& score : scores) score = std::floor(score * 16.0f) / 16.0f;
  for (std::int64_t i = 0; i < spec.n; ++i) scores[(spec.batch - 1) * spec.n + i] = 0.5f;
  std::vector<float> values(static_cast<std::size_t>(spec.batch * spec.k));
  std::vector<std::int32_t> indices(values.size());
  backend.TopK(spec.batch, spec.n, spec.k, scores.data(), values.data(), indices.data());
  std::vector<float> want_values;
  std::vector<std::int32_t> want_indices;
  reference::TopK(spec.batch, spec.n, spec.k, scores.data(), &want_values, &want_indices);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] != want_values[i] || indices[i] != want_indices[i]) {
      std::ostringstream detail;
      detail << "row " << i / spec.k << ", rank " << i % spec.k << ": got index " << indices[i] << " value "
             << values[i] << ", want index " << want_indices[i] << " value " << want_values[i];
      Fail(backend, spec, detail.str());
    }
  }
}

}  // namespace

double GemmTolerance(DType dtype) {
  switch (dtype) {
    case DType::FP32: return 2e-5;
    case DType::TF32: return 4e-3;
    case DType::BF16: return 2e-2;
  }
  return 0.0;
}

std::string CompareWithReference(const std::vector<float>& got, const reference::Accumulated& want,
                                 double rel_tolerance, double abs_tolerance) {
  if (got.size() != want.value.size()) {
    return "size " + std::to_string(got.size()) + " != reference size " + std::to_string(want.value.size());
  }
  std::size_t bad = 0;
  std::size_t first_bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double bound = abs_tolerance + rel_tolerance * want.magnitude[i];
    const double error = std::abs(static_cast<double>(got[i]) - want.value[i]);
    if (!(error <= bound)) {  // NaN fails too
      if (bad == 0) first_bad = i;
      ++bad;
    }
  }
  if (bad == 0) return "";
  std::ostringstream out;
  out.precision(9);
  out << bad << " of " << got.size() << " elements off; first at element " << first_bad << ": got "
      << got[first_bad] << ", want " << want.value[first_bad] << " (allowed error "
      << abs_tolerance + rel_tolerance * want.magnitude[first_bad] << ")";
  return out.str();
}

void CheckKernel(Backend& backend, KernelKind kind, DType dtype) {
  std::mt19937 random(kCheckSeed + static_cast<std::uint32_t>(kind));
  const auto count = [](std::int64_t value) { return static_cast<std::size_t>(value); };
  switch (kind) {
    case KernelKind::ENCODER_GEMM: {
      const KernelSpec spec{kind, dtype, /*batch=*/33, /*d=*/70, /*n=*/131, /*k=*/0};
      const std::vector<float> x = Uniform(random, count(spec.batch * spec.d));
      const std::vector<float> w_enc = Uniform(random, count(spec.n * spec.d));
      std::vector<float> scores(count(spec.batch * spec.n));
      backend.EncoderGemm(dtype, spec.batch, spec.d, spec.n, x.data(), w_enc.data(), scores.data());
      const std::string problem = CompareWithReference(
          scores, reference::EncoderGemm(spec.batch, spec.d, spec.n, x.data(), w_enc.data()), GemmTolerance(dtype),
          1e-6);
      if (!problem.empty()) Fail(backend, spec, problem);
      return;
    }
    case KernelKind::TOPK: CheckTopK(backend); return;
    case KernelKind::DECODER_GATHER: {
      const KernelSpec spec{kind, DType::FP32, /*batch=*/19, /*d=*/101, /*n=*/53, /*k=*/9};
      const std::vector<float> values = Uniform(random, count(spec.batch * spec.k));
      const std::vector<std::int32_t> indices = Indices(random, count(spec.batch * spec.k), spec.n);
      const std::vector<float> w_dec = Uniform(random, count(spec.n * spec.d));
      std::vector<float> out(count(spec.batch * spec.d));
      backend.DecoderGather(spec.batch, spec.d, spec.n, spec.k, values.data(), indices.data(), w_dec.data(),
                            out.data());
      const std::string problem = CompareWithReference(
          out, reference::DecoderGather(spec.batch, spec.d, spec.k, values.data(), indices.data(), w_dec.data()),
          1e-5, 1e-6);
      if (!problem.empty()) Fail(backend, spec, problem);
      return;
    }
    case KernelKind::SCATTER_ADD: {
      // n small against batch * k, so many tokens update the same rows (and threads' row blocks are uneven).
      const KernelSpec spec{kind, DType::FP32, /*batch=*/23, /*d=*/97, /*n=*/41, /*k=*/11};
      const std::vector<float> values = Uniform(random, count(spec.batch * spec.k));
      const std::vector<std::int32_t> indices = Indices(random, count(spec.batch * spec.k), spec.n);
      const std::vector<float> grad_out = Uniform(random, count(spec.batch * spec.d));
      const std::vector<float> initial = Uniform(random, count(spec.n * spec.d));
      std::vector<float> grad_w_dec = initial;
      backend.ScatterAdd(spec.batch, spec.d, spec.n, spec.k, values.data(), indices.data(), grad_out.data(),
                         grad_w_dec.data());
      const std::string problem = CompareWithReference(
          grad_w_dec,
          reference::ScatterAdd(spec.batch, spec.d, spec.n, spec.k, values.data(), indices.data(), grad_out.data(),
                                initial.data()),
          1e-5, 1e-6);
      if (!problem.empty()) Fail(backend, spec, problem);
      return;
    }
    case KernelKind::TRIAD: {
      const KernelSpec spec{kind, DType::FP32, 0, 0, /*n=*/10007, 0};
      const std::vector<float> b = Uniform(random, count(spec.n));
      const std::vector<float> c = Uniform(random, count(spec.n));
      std::vector<float> a(count(spec.n), -7.0f);
      backend.Triad(spec.n, 3.0f, b.data(), c.data(), a.data());
      const std::string problem =
          CompareWithReference(a, reference::Triad(spec.n, 3.0f, b.data(), c.data()), 1e-6, 0.0);
      if (!problem.empty()) Fail(backend, spec, problem);
      return;
    }
    case KernelKind::FMA_PEAK: {
      // x <- 0.75 x + 0.5 from -3 approaches 2; after 37 steps it is still visibly short of it.
      const KernelSpec spec{kind, DType::FP32, 0, 0, /*n=*/37, 0};
      const float got = backend.FmaLoop(spec.n, -3.0f, 0.75f, 0.5f);
      const float want = reference::FmaRecurrence(spec.n, -3.0f, 0.75f, 0.5f);
      if (!(std::abs(got - want) <= 1e-5f * std::abs(want))) {
        std::ostringstream detail;
        detail.precision(9);
        detail << "chain 0 ends at " << got << ", want " << want;
        Fail(backend, spec, detail.str());
      }
      return;
    }
  }
}

}  // namespace scaleplan::probe
