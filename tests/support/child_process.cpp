#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "support/loopback.hpp"

extern char** environ;

namespace httptrace::testing {

namespace {

// pidfd_open(2) lets us wait for the exit with poll instead of polling waitpid; glibc 2.36 has
// no portable wrapper, and kernels before 5.3 lack it (then -1 and we fall back).
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

class SpawnAttributes {
 public:
  SpawnAttributes() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttributes() {
    ::posix_spawnattr_destroy(&attr_);
    ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv,
                                 const std::filesystem::path& output_path) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess::spawn: empty argv");
  SpawnAttributes spawn;
  // The test process may block or ignore signals (SIGPIPE, a sanitizer's own); the peer must
  // see the defaults so that stop() can reach it.
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  ::posix_spawnattr_setsigmask(&spawn.attr_, &empty_mask);
  ::posix_spawnattr_setsigdefault(&spawn.attr_, &defaults);
  // A process group of its own, so that stop() reaches whatever the peer started too.
  ::posix_spawnattr_setpgroup(&spawn.attr_, 0);
  ::posix_spawnattr_setflags(
      &spawn.attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  ::posix_spawn_file_actions_addopen(&spawn.actions_, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&spawn.actions_, 1, output_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::posix_spawn_file_actions_adddup2(&spawn.actions_, 1, 2);
  ::posix_spawn_file_actions_addclosefrom_np(&spawn.actions_, 3);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  const int err = ::posix_spawn(&pid, args[0], &spawn.actions_, &spawn.attr_, args.data(), environ);
  if (err != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + errno_text(err));
  return ChildProcess(pid, open_pidfd(pid));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), pidfd_(other.pidfd_), wait_status_(other.wait_status_) {
  other.pid_ = -1;
  other.pidfd_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this == &other) return *this;
  stop();
  release_pidfd();
  pid_ = other.pid_;
  pidfd_ = other.pidfd_;
  wait_status_ = other.wait_status_;
  other.pid_ = -1;
  other.pidfd_ = -1;
  return *this;
}

ChildProcess::~ChildProcess() {
  stop();
  release_pidfd();
}

void ChildProcess::release_pidfd() noexcept {
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
}

bool ChildProcess::try_reap() {
  if (pid_ < 0 || wait_status_) return true;
  siginfo_t info{};
  int waited = 0;
  do {
    waited = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (waited < 0 && errno == EINTR);
  if (waited == 0 && info.si_pid == 0) return false;
  if (waited == 0) {
    // Exited but not reaped yet: while it is a zombie its pid (= its group id) cannot be
    // reused, so sweeping the group hits only what it left behind.
    ::kill(-pid_, SIGKILL);
  }
  int status = 0;
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  // ECHILD: someone else reaped it (a test's waitpid(-1)); it is gone either way.
  wait_status_ = reaped == pid_ ? status : -1;
  release_pidfd();
  return true;
}

bool ChildProcess::running() {
  return !try_reap();
}

bool ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(500);
  while (!try_reap()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (pidfd_ >= 0) {
      pollfd pfd{pidfd_, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()) + 1);
    } else {
      std::this_thread::sleep_for(pause);
      pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
    }
  }
  return true;
}

void ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (pid_ < 0 || try_reap()) return;
  ::kill(-pid_, signal);
  if (wait_for_exit(grace)) return;
  ::kill(-pid_, SIGKILL);
  // SIGKILL cannot be caught; the bound only guards against a stuck kernel.
  wait_for_exit(std::chrono::seconds(30));
}

std::string ChildProcess::describe_exit() const {
  if (!wait_status_) return "running";
  const int status = *wait_status_;
  if (status == -1) return "reaped elsewhere";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

std::optional<std::filesystem::path> find_program(std::string_view name) {
  std::vector<std::filesystem::path> directories;
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view entry = rest.substr(0, colon);
      if (!entry.empty()) directories.emplace_back(entry);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  directories.emplace_back("/usr/sbin");
  directories.emplace_back("/sbin");
  for (const auto& directory : directories) {
    const std::filesystem::path candidate = directory / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace httptrace::testing
