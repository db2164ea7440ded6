#pragma once
// The one threading layer of FLight DSE: oneTBB, capped by --threads.  Every parallel region — the trainer's
// kernels and layers, the sweep runner's jobs, the FPGA calibration's Yosys runs, the bit-accurate inference — goes
// through these helpers, and no other file includes oneTBB, so a cap set here holds everywhere and no library starts a
// pool of its own (oneDNN and OpenBLAS are pinned to one thread inside our tasks; trainer/src/conv_engine.cpp).
//
// Contract: the helpers block until every piece has run.  fn may run on any thread of the current arena, in any
// order, except that parallel_chunks' chunk boundaries depend only on (n, chunks), so a reduction per chunk is
// deterministic for a given chunk count.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cstddef>
#include <memory>

namespace flight {

// Caps every parallel region of the process at `threads` while alive (0: all cores).
class ThreadLimit {
 public:
  explicit ThreadLimit(int threads);
  // The active cap: the process-wide one, or the size of the Arena the caller runs in if smaller.
  static int current();

 private:
  std::unique_ptr<oneapi::tbb::global_control> control_;
};

// The machine's cores as oneTBB sees them (affinity masks and cgroup limits included).
int default_threads();

// A group of `threads` threads of its own: fn runs inside it, and every parallel region fn starts is capped by it.
// The sweep runner gives each experiment one.
class Arena {
 public:
  explicit Arena(int threads) : arena_(threads < 1 ? 1 : threads) {}
  template <typename Fn>
  void run(Fn&& fn) {
    arena_.execute(std::forward<Fn>(fn));
  }

 private:
  oneapi::tbb::task_arena arena_;
};

// fn(i) for every i in [0, n).
template <typename Fn>
void parallel_for_each(int n, Fn&& fn) {
  if (n <= 0) return;
  oneapi::tbb::parallel_for(0, n, [&](int i) { fn(i); });
}

// fn(begin, end) over [0, n) in pieces of at most `grain` items.
template <typename Fn>
void parallel_blocks(std::size_t n, std::size_t grain, Fn&& fn) {
  if (n == 0) return;
  oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<std::size_t>(0, n, grain < 1 ? 1 : grain),
                            [&](const oneapi::tbb::blocked_range<std::size_t>& r) { fn(r.begin(), r.end()); });
}

// fn(begin, end, chunk) over [0, n) in `chunks` fixed pieces (the boundaries do not depend on scheduling).
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

}  // namespace flight
