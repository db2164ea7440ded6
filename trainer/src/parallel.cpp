#include "flight/trainer/parallel.hpp"

#include <oneapi/tbb/info.h>

namespace flight::trainer {

ThreadLimit::ThreadLimit(int threads) {
  const int n = threads > 0 ? threads : oneapi::tbb::info::default_concurrency();
  control_ = std::make_unique<oneapi::tbb::global_control>(oneapi::tbb::global_control::max_allowed_parallelism, n);
}

int ThreadLimit::current() {
  return static_cast<int>(
      oneapi::tbb::global_control::active_value(oneapi::tbb::global_control::max_allowed_parallelism));
}

}  // namespace flight::trainer
