// The NCCL side of the interconnect probe, as seen from the always-built C++ side: it dlopen()s
// libscaleplan_probe_nccl.so (built only when nvcc, nccl.h and libnccl were found) and calls its C interface
// (nccl_module_abi.h). Nothing here links CUDA or NCCL, so scaleplan starts without them; the module is looked for
// only when 'probe --collectives' may use NCCL. The MPI runner (mpi_collectives.cc) exchanges the unique ids.
#ifndef SCALEPLAN_GPU_PROBE_NCCL_BACKEND_H_
#define SCALEPLAN_GPU_PROBE_NCCL_BACKEND_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/collective_cost.h"
#include "gpu_probe/nccl_module_abi.h"

namespace scaleplan::probe {

// File name of the module.
inline constexpr const char* kNcclModuleFileName = "libscaleplan_probe_nccl.so";

using NcclUniqueId = std::array<unsigned char, SCALEPLAN_NCCL_UNIQUE_ID_BYTES>;

// Whether this build compiled the NCCL module (CMake found nvcc, nccl.h and libnccl).
bool NcclBackendCompiledIn();

// Where the module is looked for, in order: $SCALEPLAN_PROBE_NCCL_MODULE (a full path), the folder of the running
// executable, <that folder>/../lib/scaleplan, and the build tree's module folder.
std::vector<std::string> NcclModuleCandidates();

struct NcclModuleFunctions;  // the resolved entry points (nccl_backend.cc)

// One communicator of the module: its calls throw BackendError with the module's one-line reason.
class NcclCommunicator {
 public:
  NcclCommunicator(const NcclModuleFunctions* module, ScaleplanNcclComm* comm) : module_(module), comm_(comm) {}
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  // Runs `collective` once at `bytes` on the known pattern; "" when every element is right, else the first
  // difference. `corrupt`: the test hook (nccl_module_abi.h).
  std::string Check(Collective collective, std::int64_t bytes, bool corrupt);
  // Seconds per call of each of `repeats` samples, on the buffers of the last Check.
  std::vector<double> Time(Collective collective, std::int64_t bytes, int warmup, int repeats, int calls_per_sample);

 private:
  const NcclModuleFunctions* module_;
  ScaleplanNcclComm* comm_;
};

// The loaded module (it stays loaded for the life of the process).
class NcclModule {
 public:
  explicit NcclModule(std::unique_ptr<NcclModuleFunctions> functions);
  ~NcclModule();
  NcclModule(const NcclModule&) = delete;
  NcclModule& operator=(const NcclModule&) = delete;

  // The devices this process sees, device `device`'s name and the NCCL version. Throws BackendError with the
  // reason (no driver, no device).
  ScaleplanNcclDeviceInfo Query(int device) const;
  NcclUniqueId UniqueId() const;
  // Joins communicator `id` as `rank` of `ranks` on `device` (blocks until every rank has joined).
  std::unique_ptr<NcclCommunicator> Open(int rank, int ranks, int device, const NcclUniqueId& id) const;

 private:
  std::unique_ptr<NcclModuleFunctions> functions_;
};

// Loads the first of `candidates` that exists and checks its interface version. Returns nullptr and sets *why to a
// one-line reason: compiled out, module not found (naming where it looked), dlopen error (a missing libnccl named
// as such), wrong interface version, missing entry point.
std::unique_ptr<NcclModule> LoadNcclModule(const std::vector<std::string>& candidates, std::string* why);

// The reason LoadNcclModule gives when dlopen() refuses `path` with `dlopen_error`; a missing libnccl is named as such.
std::string NcclModuleLoadFailure(const std::string& path, const std::string& dlopen_error);

// LoadNcclModule(NcclModuleCandidates()), then a query of the devices: nullptr and *why when the module is missing or
// there is no driver or no device. *info receives the query of device 0 on success.
std::unique_ptr<NcclModule> OpenNcclModule(ScaleplanNcclDeviceInfo* info, std::string* why);

// The device of a rank, one rank per GPU: local rank `local_rank` of `local_ranks` on its host, which shows
// `device_count` devices to each process. The local rank when every rank of the host has its own device; device 0
// when each process sees a single device (a launcher that binds one GPU per rank, such as srun --gpus-per-task=1);
// otherwise -1 and *why (more ranks than devices on the host).
int NcclDeviceForRank(int local_rank, int local_ranks, int device_count, std::string* why);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_NCCL_BACKEND_H_
