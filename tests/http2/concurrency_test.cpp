// One http2::ClientConnection shared by many threads: every stream answered, the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS respected, flow control per stream (a slow reader holds back
// only its own stream), 10 MiB each way, and no thread or descriptor left behind.
#include "http2/client_connection.hpp"

#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include "http2/h2_fixture.hpp"
#include "support/fd_count.hpp"

namespace httptrace::testing {
namespace {

int thread_count() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
  }
  return count;
}

std::string pattern(std::size_t size, std::size_t seed) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return text;
}

// Holds every request until `count` are open, then answers them all.
void answer_when(H2TestServer& server, std::size_t count) {
  auto held = std::make_shared<std::vector<H2Request>>();
  server.on_request = [held, count](H2ServerControl& control, const H2Request& request) {
    held->push_back(request);
    if (held->size() < count) return;
    for (const H2Request& r : *held)
      control.respond(r.stream_id, text_response("ok " + r.header(":path")));
    held->clear();
  };
}

TEST(Http2Concurrency, HundredStreamsFromHundredThreadsAreAllAnsweredOnOneConnection) {
  constexpr int kThreads = 100;
  H2TestServer server;
  answer_when(server, kThreads);
  auto conn = connect_to(server);
  const int threads_before = thread_count();
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(kThreads);
  std::vector<std::string> failures(kThreads);
  std::atomic<int> hooks_on_wrong_thread{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      HookRecorder hooks;
      auto response = send(*conn, traced(make_request("GET", "/r" + std::to_string(i)), hooks));
      if (!response) {
        failures[static_cast<std::size_t>(i)] = response.error().message();
        return;
      }
      auto body = response->body().read_all();
      bodies[static_cast<std::size_t>(i)] = body ? *body : body.error().message();
      for (std::thread::id id : hooks.threads()) {
        if (id != std::this_thread::get_id()) ++hooks_on_wrong_thread;
      }
      if (hooks.lines().back() != "got_first_response_byte") ++hooks_on_wrong_thread;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(failures[static_cast<std::size_t>(i)], "");
    EXPECT_EQ(bodies[static_cast<std::size_t>(i)], "ok /r" + std::to_string(i));
  }
  EXPECT_EQ(hooks_on_wrong_thread.load(), 0);
  EXPECT_EQ(server.requests().size(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(conn->active_streams(), 0u);
  // The connection made no thread of its own.
  EXPECT_EQ(thread_count(), threads_before);
}

// The peer's SETTINGS_MAX_CONCURRENT_STREAMS = 10: the 11th request waits for a slot.
TEST(Http2Concurrency, TheEleventhRequestWaitsWhileTenStreamsAreOpen) {
  H2TestServer::Options server_options;
  server_options.max_concurrent_streams = 10;
  H2TestServer server(server_options);
  server.on_request = [](H2ServerControl&, const H2Request&) {};  // hold everything
  auto conn = connect_to(server);
  // SETTINGS arrive with the first exchange: a PING round trip makes sure they are in.
  ASSERT_TRUE(conn->ping(background()));

  std::vector<std::future<Result<Response>>> calls;
  for (int i = 0; i < 11; ++i) {
    Request request = make_request("GET", "/w" + std::to_string(i));
    calls.push_back(
        std::async(std::launch::async, [&conn, request] { return send(*conn, request); }));
  }
  ASSERT_TRUE(
      server.wait_for([](auto& requests, auto&) { return requests.size() >= 10; }, scaled(5000ms)));
  EXPECT_FALSE(conn->has_capacity());
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->active_streams(), 10u);
  // No 11th stream reaches the server while ten are open (a bound, not a sleep: the eleventh
  // must not arrive within it).
  EXPECT_FALSE(server.wait_for([](auto& requests, auto&) { return requests.size() > 10; }, 200ms));
  EXPECT_EQ(server.open_streams(), 10u);

  server.run([](H2ServerControl& control) { control.respond(1, text_response("first")); });
  ASSERT_TRUE(
      server.wait_for([](auto& requests, auto&) { return requests.size() == 11; }, scaled(5000ms)));
  server.run([&server](H2ServerControl& control) {
    for (const H2Request& request : server.requests()) {
      if (request.stream_id != 1) control.respond(request.stream_id, text_response("later"));
    }
  });
  for (auto& call : calls) {
    auto response = call.get();
    ASSERT_TRUE(response) << response.error().what();
    EXPECT_TRUE(response->body().discard());
  }
  EXPECT_TRUE(conn->has_capacity());
}

// trace-semantics §5 i2: a concurrent stream on the same connection: reused, not idle.
TEST(Http2Concurrency, ASecondRequestWhileOneIsOpenIsReusedButNotIdle) {
  H2TestServer server;
  answer_when(server, 2);
  auto conn = connect_to(server);
  EXPECT_FALSE(conn->begin_use().reused);
  auto first =
      std::async(std::launch::async, [&conn] { return send(*conn, make_request("GET", "/a")); });
  ASSERT_TRUE(
      server.wait_for([](auto& requests, auto&) { return requests.size() == 1; }, scaled(5000ms)));
  const http2::GotConnFacts facts = conn->begin_use();
  EXPECT_TRUE(facts.reused);
  EXPECT_FALSE(facts.was_idle);
  EXPECT_EQ(facts.idle_time, 0ns);
  auto second = send(*conn, make_request("GET", "/b"));
  ASSERT_TRUE(second) << second.error().what();
  ASSERT_TRUE(first.get());
}

// Flow control: a reader that stops reading holds back only its own stream.
TEST(Http2Concurrency, ASlowReaderDoesNotStallAnotherStream) {
  const std::string big = pattern(10 << 20, 1);
  H2TestServer server;
  server.on_request = [&big](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.headers = {{"content-length", std::to_string(big.size())}};
    response.body = big;
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);
  auto slow = send(*conn, make_request("GET", "/slow"));
  ASSERT_TRUE(slow) << slow.error().what();
  std::byte one[1];
  ASSERT_TRUE(slow->body().read(one));  // then it stops reading

  auto fast = std::async(std::launch::async, [&conn] {
    auto response = send(*conn, make_request("GET", "/fast"));
    if (!response) return std::string("error: ") + response.error().message();
    auto body = response->body().read_all();
    return body ? *body : "error: " + body.error().message();
  });
  ASSERT_EQ(fast.wait_for(scaled(10s)), std::future_status::ready) << "the fast stream stalled";
  EXPECT_EQ(fast.get() == big, true);

  auto rest = slow->body().read_all();
  ASSERT_TRUE(rest) << rest.error().what();
  EXPECT_EQ(std::string(1, static_cast<char>(one[0])) + *rest == big, true);
}

TEST(Http2Concurrency, TenMebibytesEachWayUnderFlowControl) {
  const std::string upload = pattern(10 << 20, 2);
  H2TestServer::Options server_options;
  server_options.initial_window = 65535;  // the client's upload waits for WINDOW_UPDATEs
  H2TestServer server(server_options);
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    H2Response response;
    response.body = request.body;  // echo
    response.headers = {{"content-length", std::to_string(response.body.size())}};
    control.respond(request.stream_id, std::move(response));
  };
  auto conn = connect_to(server);

  // In memory, and through a reader of unknown length, at the same time.
  auto from_memory = std::async(std::launch::async, [&] {
    auto response = send(*conn, make_request("PUT", "/memory", RequestBody::from_string(upload)));
    if (!response) return "error: " + response.error().message();
    auto body = response->body().read_all();
    return body ? *body : "error: " + body.error().message();
  });
  std::size_t offset = 0;
  auto reader = RequestBody::from_reader(
      [&](std::span<std::byte> buf) -> Result<std::size_t> {
        const std::size_t n = std::min(buf.size(), upload.size() - offset);
        std::memcpy(buf.data(), upload.data() + offset, n);
        offset += n;
        return n;
      },
      std::nullopt);
  auto streamed = send(*conn, make_request("PUT", "/reader", reader));
  ASSERT_TRUE(streamed) << streamed.error().what();
  auto echoed = streamed->body().read_all();
  ASSERT_TRUE(echoed) << echoed.error().what();
  EXPECT_EQ(*echoed == upload, true);
  EXPECT_EQ(from_memory.get() == upload, true);
  // The upload really was paced by the server's windows.
  std::size_t data_frames = 0;
  for (const std::string& event : server.events()) data_frames += event.rfind("data ", 0) == 0;
  EXPECT_GE(data_frames, 2 * (upload.size() / 16384));
}

// Many threads, some of them cancelling: nothing hangs, nothing leaks, the rest succeed.
TEST(Http2Concurrency, ManyThreadsWithCancellationsLeaveNothingBehind) {
  constexpr int kThreads = 40;
  H2TestServer server;
  server.on_request = [](H2ServerControl& control, const H2Request& request) {
    const std::string path = request.header(":path");
    if (path.rfind("/hold", 0) == 0) return;
    control.respond(request.stream_id, text_response(std::string(100000, 'y')));
  };
  auto conn = connect_to(server);
  ASSERT_TRUE(send(*conn, make_request("GET", "/warm")));
  const int threads_before = thread_count();
  const int fds_before = open_fd_count();
  std::atomic<int> ok{0};
  std::atomic<int> canceled{0};
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        if (i % 4 == 0) {
          auto [ctx, cancel] = with_timeout(background(), 20ms);
          auto response =
              send(*conn, make_request("GET", "/hold" + std::to_string(i)).with_context(ctx));
          if (!response && response.error().code() == ErrorCode::deadline_exceeded) ++canceled;
          return;
        }
        auto response = send(*conn, make_request("GET", "/go" + std::to_string(i)));
        if (response && response->body().discard().value_or(0) == 100000) ++ok;
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  EXPECT_EQ(ok.load(), kThreads - kThreads / 4);
  EXPECT_EQ(canceled.load(), kThreads / 4);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(thread_count(), threads_before);
  EXPECT_EQ(wait_for_fd_count(fds_before, scaled(1000ms)), fds_before);
  // Every cancelled stream the server saw was reset, so no slot stays taken. (A deadline may
  // pass before a stream's HEADERS leave — slow sanitizer builds — and then there is nothing to
  // reset.)
  ASSERT_TRUE(server.wait_for(
      [](auto& requests, auto& events) {
        return std::all_of(requests.begin(), requests.end(), [&events](const H2Request& request) {
          if (request.header(":path").rfind("/hold", 0) != 0) return true;
          const std::string rst = "rst " + std::to_string(request.stream_id) + " ";
          return std::any_of(events.begin(), events.end(),
                             [&rst](const std::string& e) { return e.rfind(rst, 0) == 0; });
        });
      },
      scaled(5000ms)))
      << ::testing::PrintToString(server.events());
  EXPECT_TRUE(conn->ping(background()));
  EXPECT_EQ(conn->active_streams(), 0u);
}

}  // namespace
}  // namespace httptrace::testing
