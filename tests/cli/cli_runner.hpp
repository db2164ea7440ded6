#pragma once
// Runs the real `flight` binary the way a user does and captures its exit code and output.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flight::test {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// args are passed through the shell: quote them yourself when they hold spaces.
inline CliResult run_flight(const std::string& args, const std::filesystem::path& scratch, const std::string& env = "") {
  const auto out = scratch / "cli.out", err = scratch / "cli.err";
  const std::string cmd = env + " " + std::string(FLIGHT_BINARY) + " " + args + " >" + out.string() + " 2>" +
                          err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// The last non-empty line of a command's output (`--json` commands end with one JSON object there).
inline std::string last_line(const std::string& out) {
  const auto trimmed = out.substr(0, out.find_last_not_of('\n') + 1);
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace flight::test
