/* The C interface of the NCCL probe module (libscaleplan_probe_nccl.so): the collectives of 'probe --collectives
 * --backend cuda', one rank per GPU, loaded at run time with dlopen() so that neither scaleplan nor its MPI runner
 * ever needs CUDA or NCCL to start. Plain C types only; no exception crosses it.
 *
 * Every function returning int returns 0 on success; otherwise non-zero, with a NUL-terminated one-line reason
 * written to `error` (capacity `error_size` bytes). The module allocates, fills, copies and frees the device buffers
 * itself; the caller passes sizes in bytes (whole floats per block, gpu_probe/collectives.h RoundedBytes). Buffer
 * layouts, fill patterns and expected values are those of gpu_probe/collective_pattern.h, shared with the MPI path.
 * The caller (gpu_probe/mpi_collectives.cc) exchanges the unique id between ranks; the module never calls MPI. Calls
 * on one communicator come from one host thread. */
#ifndef SCALEPLAN_GPU_PROBE_NCCL_MODULE_ABI_H_
#define SCALEPLAN_GPU_PROBE_NCCL_MODULE_ABI_H_

#ifdef __cplusplus
extern "C" {
#endif

/* The module is built with hidden visibility; only these entry points are exported. */
#if defined(__GNUC__)
#define SCALEPLAN_NCCL_API __attribute__((visibility("default")))
#else
#define SCALEPLAN_NCCL_API
#endif

/* Bumped whenever a signature, struct or code below changes; the loader refuses a module with another version. */
#define SCALEPLAN_NCCL_ABI_VERSION 2

/* Size of an NCCL unique id (NCCL_UNIQUE_ID_BYTES in nccl.h; the module checks that they agree). */
#define SCALEPLAN_NCCL_UNIQUE_ID_BYTES 128

/* Collective codes: the values of scaleplan::Collective (core/collective_cost.h), in order. */
enum {
  SCALEPLAN_NCCL_ALL_REDUCE = 0,     /* ncclAllReduce, sum */
  SCALEPLAN_NCCL_ALL_GATHER = 1,     /* ncclAllGather */
  SCALEPLAN_NCCL_REDUCE_SCATTER = 2, /* ncclReduceScatter, sum */
  SCALEPLAN_NCCL_ALL_TO_ALL = 3,     /* one ncclSend and one ncclRecv per peer in a group */
  SCALEPLAN_NCCL_SEND_RECV = 4       /* to rank + 1, from rank - 1 (a ring) in a group */
};

typedef struct ScaleplanNcclDeviceInfo {
  char name[256];
  unsigned char uuid[16]; /* the device's UUID (cudaDeviceProp::uuid): tells two ranks on one GPU apart */
  int device_count;       /* CUDA devices visible to this process */
  int nccl_version;       /* ncclGetVersion: e.g. 22809 for 2.28.9 */
  int driver_version;     /* e.g. 13000 */
  int runtime_version;
} ScaleplanNcclDeviceInfo;

#ifdef __cplusplus
/* Both sides compile this header; a change of this size (LP64) must come with a new SCALEPLAN_NCCL_ABI_VERSION. */
static_assert(sizeof(ScaleplanNcclDeviceInfo) == 288, "ScaleplanNcclDeviceInfo changed: bump the ABI version");
#endif

/* One communicator (one scope: intra_node or inter_node) and its buffers. Opaque. */
typedef struct ScaleplanNcclComm ScaleplanNcclComm;

SCALEPLAN_NCCL_API int scaleplan_nccl_abi_version(void);

/* The CUDA devices this process sees and the NCCL version, without touching any device: fails with the reason when
 * there is no driver, the driver is older than the runtime, or there is no device. `device` (< device_count) names
 * the device whose name goes into info->name. */
SCALEPLAN_NCCL_API int scaleplan_nccl_query(int device, ScaleplanNcclDeviceInfo* info, char* error, int error_size);

/* ncclGetUniqueId on the rank that hands it to the others: writes SCALEPLAN_NCCL_UNIQUE_ID_BYTES bytes to `id`. */
SCALEPLAN_NCCL_API int scaleplan_nccl_unique_id(unsigned char* id, char* error, int error_size);

/* Sets `device` current and joins communicator `id` as `rank` of `ranks` (ncclCommInitRank: blocks until every rank
 * has joined). *comm receives the handle, closed with scaleplan_nccl_close. */
SCALEPLAN_NCCL_API int scaleplan_nccl_open(int rank, int ranks, int device, const unsigned char* id,
                                           ScaleplanNcclComm** comm, char* error, int error_size);

/* Allocates the buffers of `collective` at `bytes` (replacing the previous ones), fills the send buffer with this
 * rank's pattern, runs the collective once and compares the received buffer with its expected values. Returns 0
 * when the call ran, whether or not the result is right: `wrong` (capacity `wrong_size`) receives "" when every
 * element is as expected, else the first difference. `corrupt` != 0 adds 1 to the first received element before the
 * comparison (the test hook that shows a wrong result refused). */
SCALEPLAN_NCCL_API int scaleplan_nccl_check(ScaleplanNcclComm* comm, int collective, long long bytes, int corrupt,
                                            char* wrong, int wrong_size, char* error, int error_size);

/* On the buffers of the last check (same collective and bytes): `warmup` untimed calls, then `repeats` samples of
 * `calls_per_sample` back-to-back calls on the communicator's stream between two CUDA events; seconds[i] receives
 * sample i's seconds per call. */
SCALEPLAN_NCCL_API int scaleplan_nccl_time(ScaleplanNcclComm* comm, int collective, long long bytes, int warmup,
                                           int repeats, int calls_per_sample, double* seconds, char* error,
                                           int error_size);

/* Destroys the communicator, its stream and buffers; null is allowed. */
SCALEPLAN_NCCL_API void scaleplan_nccl_close(ScaleplanNcclComm* comm);

#ifdef __cplusplus
}
#endif

#endif /* SCALEPLAN_GPU_PROBE_NCCL_MODULE_ABI_H_ */
