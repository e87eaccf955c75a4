// A fixed set of threads for the CPU kernels. std::thread rather than OpenMP: the thread count is exactly the one
// asked for (--threads), work is split into fixed contiguous ranges (so the scatter-add can give each thread its own
// dictionary rows and stay deterministic), and no second threading runtime runs beside OpenBLAS's own pthreads.
#ifndef SCALEPLAN_GPU_PROBE_THREAD_POOL_H_
#define SCALEPLAN_GPU_PROBE_THREAD_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scaleplan::probe {

class ThreadPool {
 public:
  // `num_threads` counts the calling thread: ThreadPool(1) starts no thread and runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Runs body(thread_index) once on every thread (the caller is thread 0) and returns when all have finished.
  // The first exception thrown by any thread is rethrown here.
  void RunOnAll(const std::function<void(int)>& body);

  // Splits [0, count) into num_threads() contiguous ranges, thread t getting [Begin(t), Begin(t + 1)).
  void ParallelFor(std::int64_t count, const std::function<void(std::int64_t begin, std::int64_t end)>& body);

  // Start of thread `t`'s range when [0, count) is split into `parts` ranges of near-equal size.
  static std::int64_t RangeBegin(std::int64_t count, int parts, int t) { return count * t / parts; }

 private:
  void WorkerLoop(int thread_index);

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;  // valid while a RunOnAll call is in progress
  std::uint64_t generation_ = 0;                   // bumped once per RunOnAll
  int pending_ = 0;                                // workers still running the current job
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_THREAD_POOL_H_
