#include "flight/core/parallel.hpp"

#include <oneapi/tbb/info.h>

#include <algorithm>

namespace flight {

ThreadLimit::ThreadLimit(int threads) {
  const int n = threads > 0 ? threads : default_threads();
  control_ = std::make_unique<oneapi::tbb::global_control>(oneapi::tbb::global_control::max_allowed_parallelism, n);
}

int ThreadLimit::current() {
  // Inside an Arena (the sweep runner gives each experiment one) its size is the limit.
  const auto global = static_cast<int>(
      oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism));
  return std::max(1, std::min(global, oneapi::tbb::this_task_arena::max_concurrency()));
}

int default_threads() { return std::max(1, oneapi::tbb::info::default_concurrency()); }

}  // namespace flight
