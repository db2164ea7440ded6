#include "flight/trainer/parallel.hpp"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

namespace flight::trainer {

ThreadLimit::ThreadLimit(int threads) {
  const int n = threads > 0 ? threads : oneapi::tbb::info::default_concurrency();
  control_ = std::make_unique<oneapi::tbb::global_control>(oneapi::tbb::global_control::max_allowed_parallelism, n);
}

int ThreadLimit::current() {
  // Inside a task_arena (the sweep runner gives each experiment one) its size is the limit.
  const auto global = static_cast<int>(
      oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism));
  return std::max(1, std::min(global, oneapi::tbb::this_task_arena::max_concurrency()));
}

}  // namespace flight::trainer
