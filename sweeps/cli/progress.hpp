#pragma once
// Progress for long commands: a redrawn bar on a terminal, plain lines otherwise (CI logs, pipes).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace flight::cli {

class Progress {
 public:
  explicit Progress(std::string what) : what_(std::move(what)), tty_(::isatty(2) != 0), start_(clock::now()) {}

  // Thread-safe.  On a terminal redraws one line; otherwise prints at every 10 %.
  void update(long done, long total, const std::string& detail = "") {
    std::lock_guard lock(mu_);
    const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
    // done may pass total (a last batch counted twice, a total that was an estimate): the bar stays full.
    const double frac = total > 0 ? std::clamp(double(done) / double(total), 0.0, 1.0) : 1.0;
    const double eta = done > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    if (tty_) {
      const int width = 30, filled = static_cast<int>(frac * width);
      std::fprintf(stderr, "\r%s [%s%s] %ld/%ld  %.0fs elapsed, ETA %.0fs %s\033[K", what_.c_str(),
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total, elapsed,
                   eta, detail.c_str());
      if (done == total) std::fputc('\n', stderr);
    } else {
      if (done < last_done_) last_decile_ = -1;  // a new pass (the next epoch) starts its own tenths
      last_done_ = done;
      const int decile = static_cast<int>(frac * 10);
      if (decile > last_decile_ || done == total) {
        last_decile_ = decile;
        std::fprintf(stderr, "%s: %ld/%ld (%.0f s elapsed, ETA %.0f s) %s\n", what_.c_str(), done, total, elapsed,
                     eta, detail.c_str());
      }
    }
    std::fflush(stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string what_;
  bool tty_;
  clock::time_point start_;
  std::mutex mu_;
  int last_decile_ = -1;
  long last_done_ = 0;
};

}  // namespace flight::cli
