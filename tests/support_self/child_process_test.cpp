#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

class ChildProcessTest : public ::testing::Test {
 protected:
  ChildProcess shell(const std::string& script) {
    return ChildProcess::spawn({"/bin/sh", "-c", script}, dir_ / "output.log");
  }
  TempDir dir_{"child-process-test"};
};

TEST_F(ChildProcessTest, ReportsTheExitStatus) {
  ChildProcess child = shell("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(child.wait_for_exit(scaled(5000ms)));
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.describe_exit(), "exited with status 3");
  EXPECT_EQ(read_file(dir_ / "output.log"), "out\nerr\n");
}

TEST_F(ChildProcessTest, StopSendsTheSignalAndReaps) {
  ChildProcess child = shell("exec sleep 60");
  EXPECT_TRUE(child.running());
  child.stop(SIGTERM, scaled(5000ms));
  EXPECT_EQ(child.describe_exit(), "killed by signal 15");
  child.stop();  // idempotent
}

TEST_F(ChildProcessTest, StopEscalatesToSigkillAfterTheGrace) {
  // The shell ignores TERM (and so does the sleep it starts); it says so through a FIFO, whose
  // open blocks until the writer is there — no guessing how long the shell takes to get going.
  const std::filesystem::path fifo = dir_ / "ready";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ChildProcess child = shell("trap '' TERM; echo ready > '" + fifo.string() + "'; exec sleep 60");
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  // Linux reports no POLLHUP on a FIFO whose writer never came, so this waits for the shell.
  pollfd pfd{reader, POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, static_cast<int>(scaled(5000ms).count())), 1);
  char ready[6] = {};
  EXPECT_EQ(::read(reader, ready, 6), 6);
  ::close(reader);
  ASSERT_TRUE(child.running());
  const auto start = std::chrono::steady_clock::now();
  child.stop(SIGTERM, 100ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  EXPECT_EQ(child.describe_exit(), "killed by signal 9");
}

TEST_F(ChildProcessTest, StopLeavesNoGrandchildBehind) {
  // A background grandchild holds the FIFO's write end and says "up" through it; the reader
  // then sees POLLHUP only once the grandchild is gone too.
  const std::filesystem::path fifo = dir_ / "held";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ChildProcess child = shell("(echo up; exec sleep 60) > '" + fifo.string() + "' & wait");
  pollfd pfd{reader, POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, static_cast<int>(scaled(5000ms).count())), 1);
  char up[3] = {};
  ASSERT_EQ(::read(reader, up, 3), 3);
  child.stop(SIGTERM, scaled(5000ms));
  ASSERT_EQ(::poll(&pfd, 1, static_cast<int>(scaled(5000ms).count())), 1);
  EXPECT_NE(pfd.revents & POLLHUP, 0);
  ::close(reader);
}

TEST_F(ChildProcessTest, InheritsNoDescriptorBeyondStderr) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);  // deliberately without O_CLOEXEC
  ChildProcess child = shell("exec sleep 60");
  ::close(pipe_fds[1]);
  // Had the child inherited the write end, the read end would not see EOF.
  pollfd pfd{pipe_fds[0], POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, static_cast<int>(scaled(5000ms).count())), 1);
  char byte;
  EXPECT_EQ(::read(pipe_fds[0], &byte, 1), 0);
  ::close(pipe_fds[0]);
}

TEST_F(ChildProcessTest, AMissingProgramThrows) {
  EXPECT_THROW(ChildProcess::spawn({"/nonexistent/program"}, dir_ / "log"), std::runtime_error);
}

TEST(FindProgram, FindsShAndNotNonsense) {
  EXPECT_TRUE(find_program("sh").has_value());
  EXPECT_FALSE(find_program("no-such-program-for-httptrace").has_value());
}

}  // namespace
}  // namespace httptrace::testing
