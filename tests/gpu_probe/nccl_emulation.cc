// A CPU emulation of the CUDA runtime and NCCL calls that gpu_probe/nccl_module.cc makes, linked with that source
// into libscaleplan_probe_nccl_emulated.so so that the module's own code (buffer layouts, peers and offsets of the
// grouped sends and receives, the check, the timing loop, the C interface) runs without a GPU. "Device" memory is host
// memory, streams are synchronous, and the ranks are threads of one process that share a world per unique id; each
// collective is computed from its definition once every rank has posted its buffers. Test use only.
#include <cuda_runtime.h>
#include <nccl.h>

#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace {

enum class Kind { ALL_REDUCE, ALL_GATHER, REDUCE_SCATTER, GROUP };

// What one rank posted for one call.
struct Post {
  Kind kind = Kind::GROUP;
  const float* send = nullptr;
  float* recv = nullptr;
  std::size_t count = 0;
  std::vector<std::tuple<int, const float*, std::size_t>> sends;  // peer, buffer, count
  std::vector<std::tuple<int, float*, std::size_t>> recvs;
};

struct World {
  explicit World(int ranks) : size(ranks), sync(ranks), posts(static_cast<std::size_t>(ranks)) {}
  int size;
  std::barrier<> sync;
  std::vector<Post> posts;
};

std::mutex g_worlds_mutex;
std::map<std::string, std::shared_ptr<World>> g_worlds;
int g_next_id = 0;

}  // namespace

struct ncclComm {
  std::shared_ptr<World> world;
  int rank = 0;
};

namespace {

thread_local Post* t_group = nullptr;
thread_local ncclComm* t_group_comm = nullptr;
thread_local int t_group_depth = 0;

// Every rank posts, waits for the others, computes its own receive buffer from the posts, and waits again.
void Run(ncclComm* comm, Post post) {
  World& world = *comm->world;
  const std::size_t me = static_cast<std::size_t>(comm->rank);
  world.posts[me] = std::move(post);
  world.sync.arrive_and_wait();
  const Post& mine = world.posts[me];
  switch (mine.kind) {
    case Kind::ALL_REDUCE:
      for (std::size_t i = 0; i < mine.count; ++i) {
        float sum = 0.0f;
        for (const Post& other : world.posts) sum += other.send[i];
        mine.recv[i] = sum;
      }
      break;
    case Kind::ALL_GATHER:
      for (std::size_t r = 0; r < world.posts.size(); ++r) {
        std::memcpy(mine.recv + r * mine.count, world.posts[r].send, mine.count * sizeof(float));
      }
      break;
    case Kind::REDUCE_SCATTER:
      for (std::size_t i = 0; i < mine.count; ++i) {
        float sum = 0.0f;
        for (const Post& other : world.posts) sum += other.send[me * mine.count + i];
        mine.recv[i] = sum;
      }
      break;
    case Kind::GROUP:
      for (const auto& [peer, buffer, count] : mine.recvs) {
        bool matched = false;
        for (const auto& [to, source, sent] : world.posts[static_cast<std::size_t>(peer)].sends) {
          if (to == comm->rank && sent == count) {
            std::memcpy(buffer, source, count * sizeof(float));
            matched = true;
            break;
          }
        }
        if (!matched) {
          std::fprintf(stderr, "nccl emulation: rank %d receives from %d, which sends it nothing\n", comm->rank, peer);
          std::abort();
        }
      }
      break;
  }
  world.sync.arrive_and_wait();
}

ncclResult_t Collective(Kind kind, const void* send, void* recv, std::size_t count, ncclComm_t comm) {
  Post post;
  post.kind = kind;
  post.send = static_cast<const float*>(send);
  post.recv = static_cast<float*>(recv);
  post.count = count;
  Run(comm, std::move(post));
  return ncclSuccess;
}

double NowMilliseconds() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int) {
  std::memset(properties, 0, sizeof *properties);
  std::snprintf(properties->name, sizeof properties->name, "Emulated GPU");
  for (int i = 0; i < 16; ++i) properties->uuid.bytes[i] = static_cast<char>(i);
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
const char* cudaGetErrorName(cudaError_t) { return "cudaErrorEmulated"; }
const char* cudaGetErrorString(cudaError_t) { return "emulated error"; }
cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  *pointer = std::malloc(bytes);
  return *pointer != nullptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void* pointer) {
  std::free(pointer);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* to, const void* from, std::size_t bytes, cudaMemcpyKind) {
  std::memcpy(to, from, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* to, int value, std::size_t bytes) {
  std::memset(to, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  *stream = reinterpret_cast<cudaStream_t>(new int(0));
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete reinterpret_cast<int*>(stream);
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = reinterpret_cast<cudaEvent_t>(new double(0.0));
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete reinterpret_cast<double*>(event);
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  *reinterpret_cast<double*>(event) = NowMilliseconds();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end) {
  *milliseconds = static_cast<float>(*reinterpret_cast<double*>(end) - *reinterpret_cast<double*>(start));
  return cudaSuccess;
}

ncclResult_t ncclGetVersion(int* version) {
  *version = NCCL_VERSION_CODE;
  return ncclSuccess;
}
const char* ncclGetErrorString(ncclResult_t) { return "emulated NCCL error"; }
ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  std::lock_guard<std::mutex> lock(g_worlds_mutex);
  std::memset(id->internal, 0, sizeof id->internal);
  std::snprintf(id->internal, sizeof id->internal, "world %d", g_next_id++);
  return ncclSuccess;
}
ncclResult_t ncclCommInitRank(ncclComm_t* comm, int ranks, ncclUniqueId id, int rank) {
  std::shared_ptr<World> world;
  {
    std::lock_guard<std::mutex> lock(g_worlds_mutex);
    std::shared_ptr<World>& slot = g_worlds[std::string(id.internal)];
    if (!slot) slot = std::make_shared<World>(ranks);
    world = slot;
  }
  if (world->size != ranks) return ncclInvalidArgument;
  *comm = new ncclComm{world, rank};
  world->sync.arrive_and_wait();  // like NCCL: returns once every rank has joined
  return ncclSuccess;
}
ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  delete comm;
  return ncclSuccess;
}
ncclResult_t ncclAllReduce(const void* send, void* recv, std::size_t count, ncclDataType_t, ncclRedOp_t,
                           ncclComm_t comm, cudaStream_t) {
  return Collective(Kind::ALL_REDUCE, send, recv, count, comm);
}
ncclResult_t ncclAllGather(const void* send, void* recv, std::size_t count, ncclDataType_t, ncclComm_t comm,
                           cudaStream_t) {
  return Collective(Kind::ALL_GATHER, send, recv, count, comm);
}
ncclResult_t ncclReduceScatter(const void* send, void* recv, std::size_t count, ncclDataType_t, ncclRedOp_t,
                               ncclComm_t comm, cudaStream_t) {
  return Collective(Kind::REDUCE_SCATTER, send, recv, count, comm);
}
ncclResult_t ncclGroupStart() {
  if (t_group_depth++ == 0) t_group = new Post;
  return ncclSuccess;
}
ncclResult_t ncclGroupEnd() {
  if (t_group_depth == 0) return ncclInvalidUsage;
  if (--t_group_depth == 0) {
    Run(t_group_comm, std::move(*t_group));
    delete t_group;
    t_group = nullptr;
  }
  return ncclSuccess;
}
// Point-to-point calls only inside a group, as the module makes them.
ncclResult_t ncclSend(const void* send, std::size_t count, ncclDataType_t, int peer, ncclComm_t comm, cudaStream_t) {
  if (t_group == nullptr) return ncclInvalidUsage;
  t_group_comm = comm;
  t_group->sends.emplace_back(peer, static_cast<const float*>(send), count);
  return ncclSuccess;
}
ncclResult_t ncclRecv(void* recv, std::size_t count, ncclDataType_t, int peer, ncclComm_t comm, cudaStream_t) {
  if (t_group == nullptr) return ncclInvalidUsage;
  t_group_comm = comm;
  t_group->recvs.emplace_back(peer, static_cast<float*>(recv), count);
  return ncclSuccess;
}

}  // extern "C"
