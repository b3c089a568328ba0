#pragma once
// Runs a command line (the httptrace CLI, or the Go reference program) and captures its
// stdout, stderr and exit status.

#include <string>
#include <vector>

namespace httptrace::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// argv[0] is the program path; no shell is involved. `cwd` empty = ours.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& cwd = {});

// The httptrace CLI built with this tree.
std::string cli_path();

}  // namespace httptrace::testing
