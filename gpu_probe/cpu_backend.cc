#include "gpu_probe/cpu_backend.h"

#include <algorithm>

#include "core/error.h"
#include "gpu_probe/cpu_kernels.h"
#include "gpu_probe/host_info.h"

namespace scaleplan::probe {
namespace {

using cpu::AlignedBuffer;

constexpr std::uint64_t kSeed = 0x5CA1E9A7ull;

// Top-k style indices: for each token, k distinct rows drawn pseudo-randomly from [0, n).
AlignedBuffer<std::int32_t> RandomIndices(ThreadPool& pool, std::int64_t batch, std::int64_t n, std::int64_t k) {
  AlignedBuffer<std::int32_t> indices(static_cast<std::size_t>(batch * k));
  pool.ParallelFor(batch, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t b = begin; b < end; ++b) {
      std::uint64_t state = kSeed ^ (0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(b + 1));
      for (std::int64_t j = 0; j < k; ++j) {
        for (;;) {
          state ^= state << 13;
          state ^= state >> 7;
          state ^= state << 17;
          const auto row = static_cast<std::int32_t>(state % static_cast<std::uint64_t>(n));
          const std::int32_t* first = indices.data() + b * k;
          if (std::find(first, first + j, row) == first + j) {
            indices[static_cast<std::size_t>(b * k + j)] = row;
            break;
          }
        }
      }
    }
  });
  return indices;
}

}  // namespace

CpuBackend::CpuBackend(int threads) : pool_(threads) { cpu::SetBlasThreads(threads); }

double CpuBackend::MemoryBytes() const { return PhysicalMemoryBytes(); }

void CpuBackend::Describe(HardwareProfile* profile) const {
  profile->backend = Name();
  profile->device = profile->host.cpu_model;
  profile->cuda_device.reset();
}

void CpuBackend::EncoderGemm(DType dtype, std::int64_t batch, std::int64_t d, std::int64_t n, const float* x,
                             const float* w_enc, float* scores) {
  SCALEPLAN_CHECK(dtype == DType::FP32, "the CPU backend runs fp32 GEMMs only");
  cpu::EncoderGemm(batch, d, n, x, w_enc, scores);
}

void CpuBackend::TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
                      std::int32_t* indices) {
  cpu::TopK(pool_, batch, n, k, scores, values, indices);
}

void CpuBackend::DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t /*n*/, std::int64_t k,
                               const float* values, const std::int32_t* indices, const float* w_dec, float* out) {
  cpu::DecoderGather(pool_, batch, d, k, values, indices, w_dec, out);
}

void CpuBackend::ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                            const std::int32_t* indices, const float* grad_out, float* grad_w_dec) {
  cpu::ScatterAdd(pool_, batch, d, n, k, values, indices, grad_out, grad_w_dec);
}

void CpuBackend::Triad(std::int64_t elements, float scalar, const float* b, const float* c, float* a) {
  cpu::Triad(pool_, elements, scalar, b, c, a);
}

float CpuBackend::FmaLoop(std::int64_t iterations, float start, float multiplier, float addend) {
  // Every thread runs the loop, as in the timed run; thread 0's chain is the one reported.
  float first = 0.0f;
  pool_.RunOnAll([&](int t) {
    const float last = cpu::FmaLoop(iterations, start, multiplier, addend);
    if (t == 0) first = last;
  });
  return first;
}

TimedRun CpuBackend::Time(const KernelSpec& spec, const TimingOptions& timing) {
  const std::string problem = spec.Problem();
  SCALEPLAN_CHECK(problem.empty(), spec.Describe() + ": " + problem);
  SCALEPLAN_CHECK(Supports(spec.dtype), "the CPU backend runs fp32 GEMMs only");
  TimedRun run;
  run.executed = spec;
  const std::int64_t batch = spec.batch;
  const std::int64_t d = spec.d;
  const std::int64_t n = spec.n;
  const std::int64_t k = spec.k;
  const auto size = [](std::int64_t count) { return static_cast<std::size_t>(count); };
  switch (spec.kind) {
    case KernelKind::ENCODER_GEMM: {
      AlignedBuffer<float> x(size(batch * d)), w_enc(size(n * d)), scores(size(batch * n));
      cpu::FillUniform(pool_, x.data(), batch * d, kSeed);
      cpu::FillUniform(pool_, w_enc.data(), n * d, kSeed + 1);
      cpu::FillUniform(pool_, scores.data(), batch * n, kSeed + 2);
      run.seconds = TimeCalls(timing, [&] { cpu::EncoderGemm(batch, d, n, x.data(), w_enc.data(), scores.data()); });
      break;
    }
    case KernelKind::TOPK: {
      AlignedBuffer<float> scores(size(batch * n)), values(size(batch * k));
      AlignedBuffer<std::int32_t> indices(size(batch * k));
      cpu::FillUniform(pool_, scores.data(), batch * n, kSeed);
      run.seconds = TimeCalls(
          timing, [&] { cpu::TopK(pool_, batch, n, k, scores.data(), values.data(), indices.data()); });
      break;
    }
    case KernelKind::DECODER_GATHER:
    case KernelKind::SCATTER_ADD: {
      AlignedBuffer<float> dictionary(size(n * d)), dense(size(batch * d)), values(size(batch * k));
      cpu::FillUniform(pool_, dictionary.data(), n * d, kSeed);
      cpu::FillUniform(pool_, dense.data(), batch * d, kSeed + 1);
      cpu::FillUniform(pool_, values.data(), batch * k, kSeed + 2);
      const AlignedBuffer<std::int32_t> indices = RandomIndices(pool_, batch, n, k);
      if (spec.kind == KernelKind::DECODER_GATHER) {
        run.seconds = TimeCalls(timing, [&] {
          cpu::DecoderGather(pool_, batch, d, k, values.data(), indices.data(), dictionary.data(), dense.data());
        });
      } else {
        run.seconds = TimeCalls(timing, [&] {
          cpu::ScatterAdd(pool_, batch, d, n, k, values.data(), indices.data(), dense.data(), dictionary.data());
        });
      }
      break;
    }
    case KernelKind::TRIAD: {
      AlignedBuffer<float> a(size(n)), b(size(n)), c(size(n));
      cpu::FillUniform(pool_, a.data(), n, kSeed);
      cpu::FillUniform(pool_, b.data(), n, kSeed + 1);
      cpu::FillUniform(pool_, c.data(), n, kSeed + 2);
      // Repeated calls stay inside each thread (TriadRepeated), then the per-sample time is divided back out.
      TimingOptions samples = timing;
      samples.calls_per_sample = 1;
      run.seconds = TimeCalls(samples, [&] {
        cpu::TriadRepeated(pool_, n, 3.0f, b.data(), c.data(), a.data(), timing.calls_per_sample);
      });
      for (double& seconds : run.seconds) seconds /= timing.calls_per_sample;
      break;
    }
    case KernelKind::FMA_PEAK: {
      const std::int64_t per_step = cpu::FmaChains() * pool_.num_threads();
      const std::int64_t iterations = std::max<std::int64_t>(1, (n + per_step - 1) / per_step);
      run.executed.n = iterations * per_step;
      run.seconds = TimeCalls(timing, [&] {
        pool_.RunOnAll([&](int) { cpu::FmaLoop(iterations, 0.25f, 0.75f, 0.5f); });
      });
      break;
    }
  }
  return run;
}

}  // namespace scaleplan::probe
