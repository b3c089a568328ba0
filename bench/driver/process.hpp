#pragma once
// Child processes for the driver: run one to completion capturing its stdout, or start a
// long-running one (nginx) and stop it later.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace bench {

struct Finished {
  int exit_status = -1;  // -1 when it did not exit normally (a signal)
  std::string output;    // its stdout
};

// Runs `argv` (argv[0] looked up in PATH) to completion; its stderr goes to ours, or nowhere
// with `quiet`. Throws std::runtime_error when it cannot be started.
Finished run_to_completion(const std::vector<std::string>& argv, bool quiet = false);

// Starts `argv` with stdout and stderr appended to `log`; returns its pid.
pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& log);

// Sends `signal`, waits up to 2 s, then SIGKILL; reaps it.
void stop_process(pid_t pid, int signal);

// True while `pid` (our child) has not exited.
bool process_running(pid_t pid);

// `name` found in PATH or /usr/sbin (where Debian keeps nginx); empty when absent.
std::filesystem::path find_program(const std::string& name);

}  // namespace bench
