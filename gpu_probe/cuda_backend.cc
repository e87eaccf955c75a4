#include "gpu_probe/cuda_backend.h"

#include <cstdlib>
#include <functional>

#include "gpu_probe/cuda_module_abi.h"
#include "gpu_probe/module_path.h"

#ifndef SCALEPLAN_HAS_CUDA
#define SCALEPLAN_HAS_CUDA 0
#endif
#ifndef SCALEPLAN_PROBE_CUDA_MODULE_DIR
#define SCALEPLAN_PROBE_CUDA_MODULE_DIR ""
#endif

namespace scaleplan::probe {
namespace {

constexpr int kErrorSize = 512;

// The module's entry points, resolved with dlsym. The types come from the declarations in cuda_module_abi.h, so a
// signature changed there cannot be called here with the old one.
struct CudaModule {
  decltype(&scaleplan_cuda_abi_version) abi_version;
  decltype(&scaleplan_cuda_open) open;
  decltype(&scaleplan_cuda_close) close;
  decltype(&scaleplan_cuda_encoder_gemm) encoder_gemm;
  decltype(&scaleplan_cuda_topk) topk;
  decltype(&scaleplan_cuda_decoder_gather) decoder_gather;
  decltype(&scaleplan_cuda_scatter_add) scatter_add;
  decltype(&scaleplan_cuda_triad) triad;
  decltype(&scaleplan_cuda_fma) fma;
  decltype(&scaleplan_cuda_time) time;
};

constexpr const char* kCudaModuleDescription = "CUDA probe module";

// Converts a failed call into a BackendError naming the entry point.
void Call(const char* what, const std::function<int(char*, int)>& call) {
  char error[kErrorSize] = {0};
  if (call(error, kErrorSize) != 0) throw BackendError(std::string("CUDA ") + what + ": " + error);
}

class CudaBackend : public Backend {
 public:
  CudaBackend(const CudaModule& module, const ScaleplanCudaDeviceInfo& info) : module_(module), info_(info) {}
  ~CudaBackend() override { module_.close(); }  // the library itself stays loaded for the life of the process

  std::string Name() const override { return "cuda"; }
  // TF32 and BF16 tensor-core GEMMs need compute capability 8.0 (Ampere) or later; before it cuBLAS would run tf32 as
  // plain fp32 and may refuse bf16, and the profile would carry a label for a rate that is not one.
  bool Supports(DType dtype) const override {
    return dtype == DType::FP32 || info_.compute_capability_major >= 8;
  }
  double MemoryBytes() const override { return info_.memory_bytes; }

  void Describe(HardwareProfile* profile) const override {
    profile->backend = Name();
    profile->device = info_.name;
    CudaDeviceInfo device;
    device.name = info_.name;
    device.sm_count = info_.sm_count;
    device.compute_capability_major = info_.compute_capability_major;
    device.compute_capability_minor = info_.compute_capability_minor;
    device.memory_bytes = info_.memory_bytes;
    device.l2_cache_bytes = info_.l2_cache_bytes;
    device.clock_khz = info_.clock_khz;
    device.memory_clock_khz = info_.memory_clock_khz;
    device.memory_bus_width_bits = info_.memory_bus_width_bits;
    profile->cuda_device = device;
  }

  void EncoderGemm(DType dtype, std::int64_t batch, std::int64_t d, std::int64_t n, const float* x,
                   const float* w_enc, float* scores) override {
    Call("encoder_gemm", [&](char* error, int size) {
      return module_.encoder_gemm(static_cast<int>(dtype), batch, d, n, x, w_enc, scores, error, size);
    });
  }
  void TopK(std::int64_t batch, std::int64_t n, std::int64_t k, const float* scores, float* values,
            std::int32_t* indices) override {
    Call("topk", [&](char* error, int size) {
      return module_.topk(batch, n, k, scores, values, reinterpret_cast<int*>(indices), error, size);
    });
  }
  void DecoderGather(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                     const std::int32_t* indices, const float* w_dec, float* out) override {
    Call("decoder_gather", [&](char* error, int size) {
      return module_.decoder_gather(batch, d, n, k, values, reinterpret_cast<const int*>(indices), w_dec, out, error,
                                    size);
    });
  }
  void ScatterAdd(std::int64_t batch, std::int64_t d, std::int64_t n, std::int64_t k, const float* values,
                  const std::int32_t* indices, const float* grad_out, float* grad_w_dec) override {
    Call("scatter_add", [&](char* error, int size) {
      return module_.scatter_add(batch, d, n, k, values, reinterpret_cast<const int*>(indices), grad_out, grad_w_dec,
                                 error, size);
    });
  }
  void Triad(std::int64_t elements, float scalar, const float* b, const float* c, float* a) override {
    Call("triad", [&](char* error, int size) { return module_.triad(elements, scalar, b, c, a, error, size); });
  }
  float FmaLoop(std::int64_t iterations, float start, float multiplier, float addend) override {
    float chain0 = 0.0f;
    Call("fma_peak", [&](char* error, int size) {
      return module_.fma(iterations, start, multiplier, addend, &chain0, error, size);
    });
    return chain0;
  }

  TimedRun Time(const KernelSpec& spec, const TimingOptions& timing) override {
    std::string why;
    if (!timing.Check(&why)) throw BackendError(why);
    const ScaleplanCudaKernelSpec abi_spec{static_cast<int>(spec.kind), static_cast<int>(spec.dtype), spec.batch,
                                           spec.d, spec.n, spec.k};
    TimedRun run;
    run.executed = spec;
    run.seconds.assign(static_cast<std::size_t>(timing.repeats), 0.0);
    long long executed_n = spec.n;
    Call("timing", [&](char* error, int size) {
      return module_.time(&abi_spec, timing.warmup, timing.repeats, timing.calls_per_sample, run.seconds.data(),
                          &executed_n, error, size);
    });
    run.executed.n = executed_n;
    return run;
  }

 private:
  CudaModule module_;
  ScaleplanCudaDeviceInfo info_;
};

static_assert(sizeof(int) == sizeof(std::int32_t), "the module's int indices must be 32-bit");
static_assert(static_cast<int>(KernelKind::FMA_PEAK) == SCALEPLAN_CUDA_KERNEL_FMA_PEAK &&
                  static_cast<int>(KernelKind::ENCODER_GEMM) == SCALEPLAN_CUDA_KERNEL_ENCODER_GEMM &&
                  static_cast<int>(KernelKind::TOPK) == SCALEPLAN_CUDA_KERNEL_TOPK &&
                  static_cast<int>(KernelKind::DECODER_GATHER) == SCALEPLAN_CUDA_KERNEL_DECODER_GATHER &&
                  static_cast<int>(KernelKind::SCATTER_ADD) == SCALEPLAN_CUDA_KERNEL_SCATTER_ADD &&
                  static_cast<int>(KernelKind::TRIAD) == SCALEPLAN_CUDA_KERNEL_TRIAD,
              "KernelKind and the module's kernel codes must agree");
static_assert(static_cast<int>(DType::FP32) == SCALEPLAN_CUDA_DTYPE_FP32 &&
                  static_cast<int>(DType::TF32) == SCALEPLAN_CUDA_DTYPE_TF32 &&
                  static_cast<int>(DType::BF16) == SCALEPLAN_CUDA_DTYPE_BF16,
              "DType and the module's dtype codes must agree");

}  // namespace

bool CudaBackendCompiledIn() { return SCALEPLAN_HAS_CUDA != 0; }

std::vector<std::string> CudaModuleCandidates() {
  return ModuleCandidates("SCALEPLAN_PROBE_CUDA_MODULE", kCudaModuleFileName, SCALEPLAN_PROBE_CUDA_MODULE_DIR);
}

std::unique_ptr<Backend> OpenCudaBackend(std::string* why) {
  std::string reason;
  if (why == nullptr) why = &reason;
  if (!CudaBackendCompiledIn()) {
    *why = "this scaleplan was built without the CUDA backend (nvcc was not found when it was configured)";
    return nullptr;
  }
  void* library = OpenModule(CudaModuleCandidates(), kCudaModuleDescription, kCudaModuleFileName, nullptr, why);
  if (library == nullptr) return nullptr;
  CudaModule module{};
  if (!ResolveModuleSymbol(library, "scaleplan_cuda_abi_version", kCudaModuleDescription, &module.abi_version, why))
    return nullptr;
  if (module.abi_version() != SCALEPLAN_CUDA_ABI_VERSION) {
    *why = "the CUDA probe module has interface version " + std::to_string(module.abi_version()) + ", expected " +
           std::to_string(SCALEPLAN_CUDA_ABI_VERSION);
    return nullptr;
  }
  if (!ResolveModuleSymbol(library, "scaleplan_cuda_open", kCudaModuleDescription, &module.open, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_close", kCudaModuleDescription, &module.close, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_encoder_gemm", kCudaModuleDescription, &module.encoder_gemm, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_topk", kCudaModuleDescription, &module.topk, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_decoder_gather", kCudaModuleDescription, &module.decoder_gather,
                           why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_scatter_add", kCudaModuleDescription, &module.scatter_add, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_triad", kCudaModuleDescription, &module.triad, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_fma", kCudaModuleDescription, &module.fma, why) ||
      !ResolveModuleSymbol(library, "scaleplan_cuda_time", kCudaModuleDescription, &module.time, why)) {
    return nullptr;
  }
  ScaleplanCudaDeviceInfo info{};
  char error[kErrorSize] = {0};
  if (module.open(&info, error, kErrorSize) != 0) {
    *why = error;
    return nullptr;
  }
  return std::make_unique<CudaBackend>(module, info);
}

}  // namespace scaleplan::probe
