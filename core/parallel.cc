#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace scaleplan {

int ResolveThreadCount(int requested, int num_items) {
  int threads = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(threads, std::max(num_items, 1)));
}

void ParallelFor(int num_items, int num_threads, const std::function<void(int)>& body,
                 const std::function<void(int)>& on_item_done) {
  if (num_items <= 0) return;
  const int threads = ResolveThreadCount(num_threads, num_items);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr first_error;
  int done = 0;
  auto worker = [&] {
    for (int i = next.fetch_add(1); i < num_items && !failed.load(); i = next.fetch_add(1)) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
        return;
      }
      if (on_item_done) {
        std::lock_guard<std::mutex> lock(mutex);
        on_item_done(++done);
      }
    }
  };
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (std::thread& thread : pool) thread.join();
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace scaleplan
