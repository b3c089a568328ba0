#pragma once
// A child process started for a test (nginx, and any other real peer): spawned with a clean
// signal state and no inherited descriptors, stopped and reaped by its owner.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace httptrace::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with argv. stdin is /dev/null; stdout and stderr go to
  // `output_path` (created or appended to). The child gets no descriptor of ours but 0-2 — a
  // socket a test closes must not stay open in a server — an empty signal mask and default
  // dispositions, and a process group of its own (see stop()). Throws std::runtime_error if
  // the program cannot be started.
  static ChildProcess spawn(const std::vector<std::string>& argv,
                            const std::filesystem::path& output_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops the child as stop() does with its defaults.
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }

  // False once the child has exited (and has then been reaped). Never blocks.
  bool running();

  // Waits up to `timeout` for the child to exit on its own; true if it did (and was reaped).
  bool wait_for_exit(std::chrono::milliseconds timeout);

  // Sends `signal` to the child's process group, waits up to `grace` for the child to exit,
  // then SIGKILLs the group; always reaps. Whatever the child left running in its group is
  // killed when the child is reaped (here or in running()/wait_for_exit()), so no peer
  // outlives its fixture. Does nothing if the child has already been reaped. Idempotent.
  void stop(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(2));

  // "exited with status 1", "killed by signal 9" or "running".
  std::string describe_exit() const;

 private:
  ChildProcess(pid_t pid, int pidfd) noexcept : pid_(pid), pidfd_(pidfd) {}
  bool try_reap();
  void release_pidfd() noexcept;

  pid_t pid_ = -1;
  int pidfd_ = -1;  // -1 where pidfd_open is unavailable: waits then poll waitpid
  std::optional<int> wait_status_;
};

// The first executable called `name` in $PATH, /usr/sbin or /sbin; nullopt if there is none.
std::optional<std::filesystem::path> find_program(std::string_view name);

}  // namespace httptrace::testing
