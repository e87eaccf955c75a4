// The NCCL probe module: one communicator per scope, the five probed collectives on device buffers filled with the
// known pattern (collective_pattern.h), checked, then timed with CUDA events, behind the C interface of
// nccl_module_abi.h. Host code only (no kernels): the patterns are filled and compared on the host and copied.
// Built as a shared module (cudart linked statically, libnccl dynamically) and loaded with dlopen() by
// nccl_backend.cc, so neither scaleplan nor its MPI runner needs CUDA or NCCL to start.
//
// Every CUDA and NCCL call is checked; a failure becomes a ModuleFailure exception, which the exported functions
// turn into a non-zero return and a one-line message.
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <nccl.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpu_probe/collective_pattern.h"
#include "gpu_probe/nccl_module_abi.h"

static_assert(SCALEPLAN_NCCL_UNIQUE_ID_BYTES == NCCL_UNIQUE_ID_BYTES, "the ABI's unique id size must be NCCL's");
static_assert(sizeof(ncclUniqueId) == NCCL_UNIQUE_ID_BYTES, "ncclUniqueId is its bytes");

namespace {

class ModuleFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void ThrowIfFailed(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // a failed runtime call also stays the last error; clear it for the next check
    throw ModuleFailure(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) +
                        ")");
  }
}

void ThrowIfFailed(ncclResult_t status, const char* call) {
  if (status != ncclSuccess) {
    throw ModuleFailure(std::string(call) + " failed: " + ncclGetErrorString(status) +
                        " (NCCL_DEBUG=WARN in the environment prints NCCL's own explanation)");
  }
}

#define SCALEPLAN_NCCL_TRY(call) ThrowIfFailed((call), #call)

void Require(bool condition, const std::string& message) {
  if (!condition) throw ModuleFailure(message);
}

// Copies `text` into `buffer` (capacity `size`), truncated and NUL-terminated.
void CopyOut(const std::string& text, char* buffer, int size) {
  if (buffer != nullptr && size > 0) std::snprintf(buffer, static_cast<std::size_t>(size), "%s", text.c_str());
}

// Runs `body`; returns 0, or 1 with the exception's message copied to `error`.
template <typename Body>
int Guarded(char* error, int error_size, Body body) {
  try {
    body();
    return 0;
  } catch (const std::exception& failure) {
    CopyOut(failure.what(), error, error_size);
  } catch (...) {
    CopyOut("unknown error in the NCCL probe module", error, error_size);
  }
  return 1;
}

// Device memory for `count` floats, freed on destruction.
class DeviceFloats {
 public:
  DeviceFloats() = default;
  explicit DeviceFloats(long long count) : count_(count) {
    Require(count >= 0, "negative buffer size");
    if (count_ > 0) SCALEPLAN_NCCL_TRY(cudaMalloc(&data_, Bytes()));
  }
  ~DeviceFloats() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  DeviceFloats(DeviceFloats&& other) noexcept : data_(other.data_), count_(other.count_) {
    other.data_ = nullptr;
    other.count_ = 0;
  }
  DeviceFloats& operator=(DeviceFloats&& other) noexcept {
    if (this != &other) {
      if (data_ != nullptr) cudaFree(data_);
      data_ = other.data_;
      count_ = other.count_;
      other.data_ = nullptr;
      other.count_ = 0;
    }
    return *this;
  }

  float* get() const { return data_; }
  std::size_t Bytes() const { return static_cast<std::size_t>(count_) * sizeof(float); }

 private:
  float* data_ = nullptr;
  long long count_ = 0;
};

class Event {
 public:
  Event() { SCALEPLAN_NCCL_TRY(cudaEventCreate(&event_)); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

const char* CollectiveName(int collective) {
  switch (collective) {
    case SCALEPLAN_NCCL_ALL_REDUCE:
      return "all_reduce";
    case SCALEPLAN_NCCL_ALL_GATHER:
      return "all_gather";
    case SCALEPLAN_NCCL_REDUCE_SCATTER:
      return "reduce_scatter";
    case SCALEPLAN_NCCL_ALL_TO_ALL:
      return "all_to_all";
    case SCALEPLAN_NCCL_SEND_RECV:
      return "send_recv";
    default:
      return nullptr;
  }
}

}  // namespace

// One communicator, its stream and the buffers of the last checked collective and size.
struct ScaleplanNcclComm {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  int device = 0;
  int rank = 0;
  int ranks = 0;
  int collective = -1;  // of the buffers below
  long long bytes = 0;
  scaleplan::probe::pattern::BufferSizes sizes;
  DeviceFloats send;
  DeviceFloats recv;
};

namespace {

// Enqueues one call of the buffers' collective on the communicator's stream.
void Enqueue(ScaleplanNcclComm* c) {
  const std::size_t count = static_cast<std::size_t>(c->sizes.count);
  float* send = c->send.get();
  float* recv = c->recv.get();
  switch (c->collective) {
    case SCALEPLAN_NCCL_ALL_REDUCE:
      SCALEPLAN_NCCL_TRY(ncclAllReduce(send, recv, count, ncclFloat, ncclSum, c->comm, c->stream));
      return;
    case SCALEPLAN_NCCL_ALL_GATHER:
      SCALEPLAN_NCCL_TRY(ncclAllGather(send, recv, count, ncclFloat, c->comm, c->stream));
      return;
    case SCALEPLAN_NCCL_REDUCE_SCATTER:
      SCALEPLAN_NCCL_TRY(ncclReduceScatter(send, recv, count, ncclFloat, ncclSum, c->comm, c->stream));
      return;
    case SCALEPLAN_NCCL_ALL_TO_ALL:
      // Block j of the send buffer goes to rank j, block j of the receive buffer comes from rank j.
      SCALEPLAN_NCCL_TRY(ncclGroupStart());
      for (int peer = 0; peer < c->ranks; ++peer) {
        const std::size_t offset = static_cast<std::size_t>(peer) * count;
        SCALEPLAN_NCCL_TRY(ncclSend(send + offset, count, ncclFloat, peer, c->comm, c->stream));
        SCALEPLAN_NCCL_TRY(ncclRecv(recv + offset, count, ncclFloat, peer, c->comm, c->stream));
      }
      SCALEPLAN_NCCL_TRY(ncclGroupEnd());
      return;
    case SCALEPLAN_NCCL_SEND_RECV:
      SCALEPLAN_NCCL_TRY(ncclGroupStart());
      SCALEPLAN_NCCL_TRY(ncclSend(send, count, ncclFloat, (c->rank + 1) % c->ranks, c->comm, c->stream));
      SCALEPLAN_NCCL_TRY(ncclRecv(recv, count, ncclFloat, (c->rank + c->ranks - 1) % c->ranks, c->comm, c->stream));
      SCALEPLAN_NCCL_TRY(ncclGroupEnd());
      return;
    default:
      throw ModuleFailure("unknown collective code " + std::to_string(c->collective));
  }
}

void RequireComm(const ScaleplanNcclComm* c) { Require(c != nullptr && c->comm != nullptr, "no open communicator"); }

}  // namespace

extern "C" {

int scaleplan_nccl_abi_version(void) { return SCALEPLAN_NCCL_ABI_VERSION; }

int scaleplan_nccl_query(int device, ScaleplanNcclDeviceInfo* info, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    Require(info != nullptr, "scaleplan_nccl_query: null info");
    *info = ScaleplanNcclDeviceInfo{};
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver) {
      // The runtime reports a missing driver the same way as an old one; tell them apart.
      void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
      if (driver == nullptr) throw ModuleFailure("no CUDA driver installed (libcuda.so.1 not found)");
      dlclose(driver);
      throw ModuleFailure("the CUDA driver is older than the CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
                          std::to_string(CUDART_VERSION % 1000 / 10) + " runtime this module was built with");
    }
    if (status == cudaErrorNoDevice || (status == cudaSuccess && count == 0))
      throw ModuleFailure("no CUDA device found");
    if (status != cudaSuccess) {
      cudaGetLastError();
      throw ModuleFailure(std::string("no usable CUDA device: ") + cudaGetErrorName(status) + " (" +
                          cudaGetErrorString(status) + ")");
    }
    Require(device >= 0 && device < count,
            "device " + std::to_string(device) + " does not exist (" + std::to_string(count) + " visible)");
    info->device_count = count;
    cudaDeviceProp properties;
    SCALEPLAN_NCCL_TRY(cudaGetDeviceProperties(&properties, device));
    std::snprintf(info->name, sizeof(info->name), "%s", properties.name);
    static_assert(sizeof(properties.uuid.bytes) == sizeof(info->uuid), "a CUDA UUID is 16 bytes");
    std::memcpy(info->uuid, properties.uuid.bytes, sizeof(info->uuid));
    SCALEPLAN_NCCL_TRY(ncclGetVersion(&info->nccl_version));
    SCALEPLAN_NCCL_TRY(cudaDriverGetVersion(&info->driver_version));
    SCALEPLAN_NCCL_TRY(cudaRuntimeGetVersion(&info->runtime_version));
  });
}

int scaleplan_nccl_unique_id(unsigned char* id, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    Require(id != nullptr, "scaleplan_nccl_unique_id: null id");
    ncclUniqueId unique;
    SCALEPLAN_NCCL_TRY(ncclGetUniqueId(&unique));
    std::memcpy(id, unique.internal, NCCL_UNIQUE_ID_BYTES);
  });
}

int scaleplan_nccl_open(int rank, int ranks, int device, const unsigned char* id, ScaleplanNcclComm** comm, char* error,
                        int error_size) {
  return Guarded(error, error_size, [&] {
    Require(comm != nullptr && id != nullptr, "scaleplan_nccl_open: null argument");
    Require(ranks >= 1 && rank >= 0 && rank < ranks, "rank " + std::to_string(rank) + " of " + std::to_string(ranks));
    *comm = nullptr;
    auto opened = std::make_unique<ScaleplanNcclComm>();
    opened->device = device;
    opened->rank = rank;
    opened->ranks = ranks;
    SCALEPLAN_NCCL_TRY(cudaSetDevice(device));
    SCALEPLAN_NCCL_TRY(cudaStreamCreateWithFlags(&opened->stream, cudaStreamNonBlocking));
    ncclUniqueId unique;
    std::memcpy(unique.internal, id, NCCL_UNIQUE_ID_BYTES);
    const ncclResult_t status = ncclCommInitRank(&opened->comm, ranks, unique, rank);
    if (status != ncclSuccess) {
      cudaStreamDestroy(opened->stream);
      ThrowIfFailed(status, "ncclCommInitRank");
    }
    *comm = opened.release();
  });
}

int scaleplan_nccl_check(ScaleplanNcclComm* comm, int collective, long long bytes, int corrupt, char* wrong,
                         int wrong_size, char* error, int error_size) {
  namespace pattern = scaleplan::probe::pattern;
  return Guarded(error, error_size, [&] {
    RequireComm(comm);
    Require(CollectiveName(collective) != nullptr, "unknown collective code " + std::to_string(collective));
    Require(bytes >= 4 && bytes % 4 == 0, "bytes must be a positive multiple of 4, not " + std::to_string(bytes));
    CopyOut("", wrong, wrong_size);
    SCALEPLAN_NCCL_TRY(cudaSetDevice(comm->device));
    const pattern::BufferSizes sizes = pattern::SizesOf(collective, bytes / 4, comm->ranks);
    Require(sizes.count >= 1, std::string(CollectiveName(collective)) + " of " + std::to_string(bytes) +
                                  " bytes leaves no whole float per rank");
    // Free the old buffers before allocating the new ones: at 1 GiB both sets would not always fit.
    comm->collective = -1;
    comm->send = DeviceFloats();
    comm->recv = DeviceFloats();
    comm->send = DeviceFloats(sizes.send);
    comm->recv = DeviceFloats(sizes.recv);
    comm->sizes = sizes;
    comm->bytes = bytes;
    comm->collective = collective;

    std::vector<float> host(static_cast<std::size_t>(sizes.send));
    pattern::FillSend(collective, comm->rank, comm->ranks, sizes, host.data());
    SCALEPLAN_NCCL_TRY(cudaMemcpy(comm->send.get(), host.data(), comm->send.Bytes(), cudaMemcpyHostToDevice));
    // A value no pattern holds, so that an element the collective did not write is caught.
    SCALEPLAN_NCCL_TRY(cudaMemset(comm->recv.get(), 0xff, comm->recv.Bytes()));
    Enqueue(comm);
    SCALEPLAN_NCCL_TRY(cudaStreamSynchronize(comm->stream));
    host.assign(static_cast<std::size_t>(sizes.recv), 0.0f);
    SCALEPLAN_NCCL_TRY(cudaMemcpy(host.data(), comm->recv.get(), comm->recv.Bytes(), cudaMemcpyDeviceToHost));
    if (corrupt != 0 && !host.empty()) host[0] += 1.0f;
    CopyOut(pattern::FirstDifference(collective, comm->rank, comm->ranks, sizes, host.data()), wrong, wrong_size);
  });
}

int scaleplan_nccl_time(ScaleplanNcclComm* comm, int collective, long long bytes, int warmup, int repeats,
                        int calls_per_sample, double* seconds, char* error, int error_size) {
  return Guarded(error, error_size, [&] {
    RequireComm(comm);
    Require(comm->collective == collective && comm->bytes == bytes,
            "scaleplan_nccl_time: check this collective at this size first");
    Require(warmup >= 0 && repeats >= 1 && calls_per_sample >= 1 && seconds != nullptr,
            "scaleplan_nccl_time: bad warm-up, repeats or calls per sample");
    SCALEPLAN_NCCL_TRY(cudaSetDevice(comm->device));
    for (int i = 0; i < warmup; ++i) Enqueue(comm);
    SCALEPLAN_NCCL_TRY(cudaStreamSynchronize(comm->stream));
    Event start, stop;
    for (int sample = 0; sample < repeats; ++sample) {
      SCALEPLAN_NCCL_TRY(cudaEventRecord(start.get(), comm->stream));
      for (int call = 0; call < calls_per_sample; ++call) Enqueue(comm);
      SCALEPLAN_NCCL_TRY(cudaEventRecord(stop.get(), comm->stream));
      SCALEPLAN_NCCL_TRY(cudaEventSynchronize(stop.get()));
      float milliseconds = 0.0f;
      SCALEPLAN_NCCL_TRY(cudaEventElapsedTime(&milliseconds, start.get(), stop.get()));
      seconds[sample] = static_cast<double>(milliseconds) * 1e-3 / calls_per_sample;
    }
  });
}

void scaleplan_nccl_close(ScaleplanNcclComm* comm) {
  if (comm == nullptr) return;
  cudaSetDevice(comm->device);
  if (comm->stream != nullptr) cudaStreamSynchronize(comm->stream);
  comm->send = DeviceFloats();
  comm->recv = DeviceFloats();
  if (comm->comm != nullptr) ncclCommDestroy(comm->comm);
  if (comm->stream != nullptr) cudaStreamDestroy(comm->stream);
  delete comm;
}

}  // extern "C"
