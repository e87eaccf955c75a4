// Runs independent work items on a few threads. Results must be written by index, so that the outcome does not
// depend on the thread count or on scheduling. Threads start per call, which suits fits and resamples of
// milliseconds or more; the probe's timed kernels use gpu_probe/thread_pool.h instead (threads that persist across
// timed calls, fixed contiguous ranges per thread).
#ifndef SCALEPLAN_CORE_PARALLEL_H_
#define SCALEPLAN_CORE_PARALLEL_H_

#include <functional>

namespace scaleplan {

// Number of threads to use for `requested` (0 = all hardware threads), never more than `num_items`, at least 1.
int ResolveThreadCount(int requested, int num_items);

// Calls body(i) for i in [0, num_items) on `num_threads` threads (0 = all cores). Items are handed out
// dynamically. If a body throws, the first exception is rethrown after all threads stop taking new items.
// `on_item_done` (optional) is called by the worker that finished an item, under a lock, with the number of items
// done so far (for progress reporting).
void ParallelFor(int num_items, int num_threads, const std::function<void(int)>& body,
                 const std::function<void(int)>& on_item_done = nullptr);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_PARALLEL_H_
