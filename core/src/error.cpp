#include "flight/core/error.hpp"

namespace flight {

std::string describe_input_problem(const std::string& where, const std::string& what, const std::string& expected,
                                   const std::string& found) {
  std::string line = where + ": " + what;
  if (!expected.empty() || !found.empty()) {
    line += " (expected " + (expected.empty() ? std::string("?") : expected) + ", found " +
            (found.empty() ? std::string("?") : found) + ")";
  }
  return line;
}

void throw_check_failure(const char* file, int line, const char* condition, const std::string& message) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": check failed: " + condition +
                      (message.empty() ? std::string() : " — " + message));
}

}  // namespace flight
