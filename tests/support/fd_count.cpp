#include "support/fd_count.hpp"

#include <dirent.h>

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace httptrace::testing {

int open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr)
    throw std::runtime_error("cannot list /proc/self/fd: " + std::string(std::strerror(errno)));
  const int own_fd = ::dirfd(dir);
  int count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    int fd = -1;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec != std::errc{} || end != name.data() + name.size()) continue;  // "." and ".."
    if (fd == own_fd) continue;
    ++count;
  }
  ::closedir(dir);
  return count;
}

int wait_for_fd_count(int expected, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    const int count = open_fd_count();
    if (count <= expected || std::chrono::steady_clock::now() >= deadline) return count;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

}  // namespace httptrace::testing
