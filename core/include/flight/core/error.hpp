#pragma once
// Error types shared by every folder.
//
// Contract: code below sweeps/ never prints and never exits.  It throws
//   - InputError   for bad input a user can fix (a malformed file, an unknown key, an impossible design request);
//                  the CLI prints its message as one line and exits 2;
//   - RunError     for a failure while running valid input (I/O failure, a diverged training); the CLI exits 1;
//   - InternalError from FLIGHT_CHECK when an invariant of the code itself is broken (a bug); the CLI exits 1.
// Expected outcomes (a design that does not fit, a skipped experiment) are values, not exceptions.
#include <stdexcept>
#include <string>

namespace flight {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Builds "file: what (expected E, found F)" — the one-line shape every input error takes.
std::string describe_input_problem(const std::string& where, const std::string& what, const std::string& expected,
                                   const std::string& found);

[[noreturn]] void throw_check_failure(const char* file, int line, const char* condition, const std::string& message);

}  // namespace flight

// Invariant check that stays on in Release builds; names file:line and the condition.
#define FLIGHT_CHECK(cond, msg)                                                  \
  do {                                                                           \
    if (!(cond)) ::flight::throw_check_failure(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
