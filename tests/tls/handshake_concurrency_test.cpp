#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

class HandshakeConcurrency : public TlsTest {};

// One ClientConfig (one SSL_CTX, one session cache) shared by 8 threads, each handshaking and
// exchanging a request several times; its hooks run on the thread that handshakes.
TEST_F(HandshakeConcurrency, EightThreadsShareOneConfig) {
  auto nginx = start_nginx(pki().localhost_server());
  auto config = make_config(trusting_test_ca(), {"http/1.1"});
  constexpr int kThreads = 8;
  constexpr int kRounds = 4;
  std::atomic<int> succeeded{0};
  std::atomic<int> resumed{0};
  std::atomic<int> hooks_elsewhere{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int round = 0; round < kRounds; ++round) {
          TlsHookLog thread_log;
          const ClientTrace trace = thread_log.trace();
          auto stream = tls::handshake(connect_tcp(nginx->tls_port()), *config,
                                       tls::HandshakeParams{"localhost", nginx->tls_port()},
                                       background(), &trace);
          if (!stream) throw std::runtime_error(stream.error().message());
          for (const auto& done : thread_log.dones()) {
            if (done.thread != std::this_thread::get_id()) hooks_elsewhere.fetch_add(1);
          }
          if ((*stream)->tls()->did_resume) resumed.fetch_add(1);
          if (http_get(**stream, "/hello").body != "hello world\n")
            throw std::runtime_error("body");
          succeeded.fetch_add(1);
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  EXPECT_EQ(succeeded.load(), kThreads * kRounds);
  EXPECT_EQ(hooks_elsewhere.load(), 0);
  // Every completed exchange leaves tickets and a handshake takes at most one, so once any
  // exchange has completed a later handshake finds a session.
  EXPECT_GT(resumed.load(), 0);
}

}  // namespace
}  // namespace httptrace::testing
