#include "support/fd_count.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

TEST(FdCount, CountsDescriptorsAsTheyOpenAndClose) {
  const int baseline = open_fd_count();
  EXPECT_GE(baseline, 3);  // stdin, stdout, stderr
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  EXPECT_EQ(open_fd_count(), baseline + 2);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_EQ(open_fd_count(), baseline);
}

TEST(FdCount, WaitReturnsOnceTheCountIsBack) {
  const int baseline = open_fd_count();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::thread closer([fd] { ::close(fd); });
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(5000ms)), baseline);
  closer.join();
}

TEST(FdCount, WaitGivesUpAfterTheTimeoutWithTheLastCount) {
  const int baseline = open_fd_count();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for_fd_count(baseline, 30ms), baseline + 1);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  ::close(fd);
}

}  // namespace
}  // namespace httptrace::testing
