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

#include <signal.h>
#include <unistd.h>

namespace flight::test {

// Starts the real binary in the background (stdout and stderr to scratch/<tag>.out and .err); returns its pid.
inline pid_t spawn_flight(const std::string& args, const std::filesystem::path& scratch, const std::string& tag) {
  const std::string cmd = "exec " + std::string(FLIGHT_BINARY) + " " + args + " >" + (scratch / (tag + ".out")).string() +
                          " 2>" + (scratch / (tag + ".err")).string() + " </dev/null";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// Waits for a spawned process; its exit code, or 128 + signal when a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace flight::test
