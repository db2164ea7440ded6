#pragma once
// The one threading layer of the trainer: oneTBB, capped by --threads.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>

#include <memory>

namespace flight::trainer {

// Caps every oneTBB parallel region of the process at `threads` while alive (0: all cores).
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  static int current();  // the active cap

 private:
  std::unique_ptr<oneapi::tbb::global_control> control_;
};

// fn(begin, end) over [0, n) in `chunks` fixed pieces (chunk boundaries do not depend on scheduling, so results
// that are reduced per chunk are deterministic for a given chunk count).
template <typename Fn>
void parallel_chunks(int n, int chunks, Fn&& fn) {
  if (chunks <= 1 || n <= 1) {
    fn(0, n, 0);
    return;
  }
  oneapi::tbb::parallel_for(0, chunks, [&](int c) {
    const int b = int((long(n) * c) / chunks), e = int((long(n) * (c + 1)) / chunks);
    if (b < e) fn(b, e, c);
  });
}

}  // namespace flight::trainer
