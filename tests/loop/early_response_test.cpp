// A server that answers while the request body is still going out (RFC 9112 §9.5,
// bad-inputs E36): the loop returns that answer, stops uploading, and closes the connection —
// as the blocking Transport does (tests/hostile/lifecycle_test.cpp).
#include "httptrace/event_loop.hpp"

#include <algorithm>
#include <atomic>

#include <gtest/gtest.h>

#include "loop/loop_fixture.hpp"
#include "support/fd_count.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;

// Larger than 4 KiB plus both sockets' buffers (Linux caps them at 4 MiB send, 32 MiB
// receive): the upload cannot have finished when the early answer arrives.
constexpr std::size_t kUpload = std::size_t{64} << 20;

// Answers 401 after 4 KiB of the body, then reads (and drops) the rest until the client closes.
void answer_early(ServerConn& conn) {
  if (!conn.read_request_head() || !conn.read_exactly(4096)) return;
  if (!conn.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")) return;
  for (;;) {
    auto bytes = conn.read_some();
    if (!bytes || bytes->empty()) return;
  }
}

TEST(LoopEarlyResponse, StopsTheUploadReturnsTheAnswerAndClosesTheConnection) {
  ScriptServer server(answer_early);
  const int baseline = open_fd_count();
  std::atomic<std::size_t> produced{0};
  auto reader = [&produced](std::span<std::byte> buf) -> Result<std::size_t> {
    const std::size_t n = std::min(buf.size(), kUpload - produced);
    std::fill_n(buf.begin(), n, std::byte{'x'});
    produced += n;
    return n;
  };
  {
    EventLoop loop(test_options());
    HookRecorder hooks;
    LoopOutcome out = send_on(loop, traced("POST", server.url("/upload"), hooks,
                                           RequestBody::from_reader(reader, kUpload)));
    ASSERT_TRUE(out.ok()) << out.error().what();  // the 401, not a broken pipe
    EXPECT_EQ(out->status_code(), 401);
    EXPECT_LT(produced.load(), kUpload);  // it stopped uploading
    EXPECT_EQ(hooks.lines_starting("wrote_request"), std::vector<std::string>{"wrote_request"});
    EXPECT_EQ(hooks.count("put_idle_conn"), 0u);  // never pooled
    EXPECT_TRUE(server.wait_for_handlers_finished(1, scaled(2s)));  // the client closed
  }
  EXPECT_EQ(wait_for_fd_count(baseline, scaled(1s)), baseline);
}

// An early 2xx (nginx's `return` answers before it has read the body, then discards it): the
// upload goes on to the end and the connection is pooled.
TEST(LoopEarlyResponse, EarlySuccessLetsTheUploadFinishAndKeepsTheConnection) {
  ScriptServer server([](ServerConn& conn) {
    if (!conn.read_request_head() || !conn.read_exactly(4096)) return;
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
    for (std::size_t left = kUpload - 4096; left > 0;) {
      auto bytes = conn.read_some(std::min<std::size_t>(left, 1 << 20));
      if (!bytes || bytes->empty()) return;
      left -= bytes->size();
    }
    (void)conn.wait_for_peer_close(scaled(5s));
  });
  std::atomic<std::size_t> produced{0};
  auto reader = [&produced](std::span<std::byte> buf) -> Result<std::size_t> {
    const std::size_t n = std::min(buf.size(), kUpload - produced);
    std::fill_n(buf.begin(), n, std::byte{'x'});
    produced += n;
    return n;
  };
  EventLoop loop(test_options());
  HookRecorder hooks;
  LoopOutcome out = send_on(loop, traced("PUT", server.url("/upload"), hooks,
                                         RequestBody::from_reader(reader, kUpload)));
  ASSERT_TRUE(out.ok()) << out.error().what();
  EXPECT_EQ(out->status_code(), 200);
  EXPECT_EQ(out.body, "ok");
  EXPECT_EQ(produced.load(), kUpload);  // every byte went out
  EXPECT_EQ(hooks.count("put_idle_conn"), 1u);
}

}  // namespace
}  // namespace httptrace::testing
