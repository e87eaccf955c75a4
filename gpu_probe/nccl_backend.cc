#include "gpu_probe/nccl_backend.h"

#include <cstdlib>

#include "gpu_probe/backend.h"
#include "gpu_probe/module_path.h"

#ifndef SCALEPLAN_HAS_NCCL
#define SCALEPLAN_HAS_NCCL 0
#endif
#ifndef SCALEPLAN_PROBE_NCCL_MODULE_DIR
#define SCALEPLAN_PROBE_NCCL_MODULE_DIR ""
#endif

namespace scaleplan::probe {

// The module's entry points, resolved with dlsym; their types come from nccl_module_abi.h's declarations.
struct NcclModuleFunctions {
  decltype(&scaleplan_nccl_abi_version) abi_version = nullptr;
  decltype(&scaleplan_nccl_query) query = nullptr;
  decltype(&scaleplan_nccl_unique_id) unique_id = nullptr;
  decltype(&scaleplan_nccl_open) open = nullptr;
  decltype(&scaleplan_nccl_check) check = nullptr;
  decltype(&scaleplan_nccl_time) time = nullptr;
  decltype(&scaleplan_nccl_close) close = nullptr;
};

namespace {

constexpr int kErrorSize = 512;

static_assert(static_cast<int>(Collective::ALL_REDUCE) == SCALEPLAN_NCCL_ALL_REDUCE &&
                  static_cast<int>(Collective::ALL_GATHER) == SCALEPLAN_NCCL_ALL_GATHER &&
                  static_cast<int>(Collective::REDUCE_SCATTER) == SCALEPLAN_NCCL_REDUCE_SCATTER &&
                  static_cast<int>(Collective::ALL_TO_ALL) == SCALEPLAN_NCCL_ALL_TO_ALL &&
                  static_cast<int>(Collective::SEND_RECV) == SCALEPLAN_NCCL_SEND_RECV,
              "Collective and the NCCL module's collective codes must agree");

constexpr const char* kNcclModuleDescription = "NCCL probe module";

[[noreturn]] void Fail(const char* what, const char* error) {
  throw BackendError(std::string("NCCL ") + what + ": " + error);
}

}  // namespace

NcclCommunicator::~NcclCommunicator() { module_->close(comm_); }

std::string NcclCommunicator::Check(Collective collective, std::int64_t bytes, bool corrupt) {
  char wrong[kErrorSize] = {0};
  char error[kErrorSize] = {0};
  if (module_->check(comm_, static_cast<int>(collective), bytes, corrupt ? 1 : 0, wrong, kErrorSize, error,
                     kErrorSize) != 0) {
    Fail(CollectiveName(collective), error);
  }
  return wrong;
}

std::vector<double> NcclCommunicator::Time(Collective collective, std::int64_t bytes, int warmup, int repeats,
                                           int calls_per_sample) {
  std::vector<double> seconds(static_cast<std::size_t>(repeats), 0.0);
  char error[kErrorSize] = {0};
  if (module_->time(comm_, static_cast<int>(collective), bytes, warmup, repeats, calls_per_sample, seconds.data(),
                    error, kErrorSize) != 0) {
    Fail(CollectiveName(collective), error);
  }
  return seconds;
}

NcclModule::NcclModule(std::unique_ptr<NcclModuleFunctions> functions) : functions_(std::move(functions)) {}
NcclModule::~NcclModule() = default;

ScaleplanNcclDeviceInfo NcclModule::Query(int device) const {
  ScaleplanNcclDeviceInfo info{};
  char error[kErrorSize] = {0};
  if (functions_->query(device, &info, error, kErrorSize) != 0) throw BackendError(error);
  return info;
}

NcclUniqueId NcclModule::UniqueId() const {
  NcclUniqueId id{};
  char error[kErrorSize] = {0};
  if (functions_->unique_id(id.data(), error, kErrorSize) != 0) Fail("unique id", error);
  return id;
}

std::unique_ptr<NcclCommunicator> NcclModule::Open(int rank, int ranks, int device, const NcclUniqueId& id) const {
  ScaleplanNcclComm* comm = nullptr;
  char error[kErrorSize] = {0};
  if (functions_->open(rank, ranks, device, id.data(), &comm, error, kErrorSize) != 0) Fail("communicator", error);
  return std::make_unique<NcclCommunicator>(functions_.get(), comm);
}

bool NcclBackendCompiledIn() { return SCALEPLAN_HAS_NCCL != 0; }

std::vector<std::string> NcclModuleCandidates() {
  return ModuleCandidates("SCALEPLAN_PROBE_NCCL_MODULE", kNcclModuleFileName, SCALEPLAN_PROBE_NCCL_MODULE_DIR);
}

std::string NcclModuleLoadFailure(const std::string& path, const std::string& dlopen_error) {
  std::string why = "cannot load " + path + ": " + dlopen_error;
  if (dlopen_error.find("libnccl") != std::string::npos) {
    why += " (NCCL is not installed here, or its folder is not on LD_LIBRARY_PATH)";
  }
  return why;
}

std::unique_ptr<NcclModule> LoadNcclModule(const std::vector<std::string>& candidates, std::string* why) {
  std::string reason;
  if (why == nullptr) why = &reason;
  if (!NcclBackendCompiledIn()) {
    *why =
        "this scaleplan was built without the NCCL backend (nvcc, nccl.h or libnccl was not found when it was "
        "configured)";
    return nullptr;
  }
  void* library = OpenModule(candidates, kNcclModuleDescription, kNcclModuleFileName, NcclModuleLoadFailure, why);
  if (library == nullptr) return nullptr;
  auto functions = std::make_unique<NcclModuleFunctions>();
  if (!ResolveModuleSymbol(library, "scaleplan_nccl_abi_version", kNcclModuleDescription, &functions->abi_version, why))
    return nullptr;
  if (functions->abi_version() != SCALEPLAN_NCCL_ABI_VERSION) {
    *why = "the NCCL probe module has interface version " + std::to_string(functions->abi_version()) + ", expected " +
           std::to_string(SCALEPLAN_NCCL_ABI_VERSION);
    return nullptr;
  }
  if (!ResolveModuleSymbol(library, "scaleplan_nccl_query", kNcclModuleDescription, &functions->query, why) ||
      !ResolveModuleSymbol(library, "scaleplan_nccl_unique_id", kNcclModuleDescription, &functions->unique_id, why) ||
      !ResolveModuleSymbol(library, "scaleplan_nccl_open", kNcclModuleDescription, &functions->open, why) ||
      !ResolveModuleSymbol(library, "scaleplan_nccl_check", kNcclModuleDescription, &functions->check, why) ||
      !ResolveModuleSymbol(library, "scaleplan_nccl_time", kNcclModuleDescription, &functions->time, why) ||
      !ResolveModuleSymbol(library, "scaleplan_nccl_close", kNcclModuleDescription, &functions->close, why)) {
    return nullptr;
  }
  return std::make_unique<NcclModule>(std::move(functions));
}

std::unique_ptr<NcclModule> OpenNcclModule(ScaleplanNcclDeviceInfo* info, std::string* why) {
  std::string reason;
  if (why == nullptr) why = &reason;
  std::unique_ptr<NcclModule> module = LoadNcclModule(NcclModuleCandidates(), why);
  if (!module) return nullptr;
  try {
    const ScaleplanNcclDeviceInfo query = module->Query(0);
    if (info != nullptr) *info = query;
  } catch (const BackendError& error) {
    *why = error.what();
    return nullptr;
  }
  return module;
}

int NcclDeviceForRank(int local_rank, int local_ranks, int device_count, std::string* why) {
  if (device_count >= local_ranks && local_rank < device_count) return local_rank;
  if (device_count == 1) return 0;
  *why = std::to_string(local_ranks) + " ranks on this host but " + std::to_string(device_count) +
         " CUDA devices: start one rank per GPU";
  return -1;
}

}  // namespace scaleplan::probe
