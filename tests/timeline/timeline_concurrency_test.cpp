// put_idle_conn (the body reader's thread) and mark_end (the caller's) racing with readers of
// every view on other threads: no data race (TSan), and every snapshot is consistent.
#include "httptrace/timeline.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "timeline/timeline_script.hpp"

namespace httptrace {
namespace {

using testing::us;

TEST(TimelineConcurrency, PutIdleConnAndMarkEndFromOtherThreadsWhileViewsAreRead) {
  const testing::FakeConn conn(1, "127.0.0.1:50000", "127.0.0.1:8080");
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    auto [ctx, timeline] = Timeline::attach(background());
    const ClientTrace* trace = context_client_trace(ctx);
    const auto* observer = detail::context_round_trip_observer(ctx);
    Request request = testing::make_request("GET", "http://127.0.0.1:8080/");
    observer->started(request);
    trace->get_conn("127.0.0.1:8080");
    GotConnInfo info;
    info.conn = &conn;
    trace->got_conn(info);
    trace->wrote_request(WroteRequestInfo{});
    trace->got_first_response_byte();
    Response response = testing::make_response(200, "OK", {}, 1);
    observer->finished(request, &response, nullptr);

    std::atomic<bool> done{false};
    std::thread reader([&, t = timeline] {
      while (!done.load()) {
        Phases p = t->phases(0);
        int64_t sum = 0;
        for (const auto& phase :
             {p.pool_wait, p.dns, p.connect, p.tls, p.send, p.wait, p.receive}) {
          sum += us(phase).value_or(0);
        }
        EXPECT_EQ(sum, us(p.total));
        EXPECT_TRUE(t->har_entry(0).has_value());
        (void)t->events(0);
        (void)t->facts(0);
      }
    });
    std::thread body_reader([trace] { trace->put_idle_conn(nullptr); });
    std::thread caller([t = timeline] { t->mark_end(1); });
    body_reader.join();
    caller.join();
    done = true;
    reader.join();

    EXPECT_TRUE(timeline->facts(0).pooled);
    EXPECT_EQ(timeline->response(0)->body_bytes_read, 1u);
    EXPECT_EQ(timeline->events(0).size(), 8u);
  }
}

TEST(TimelineConcurrency, ManyTimelinesRecordedInParallelStayApart) {
  const testing::FakeConn conn(2, "127.0.0.1:50001", "127.0.0.1:8080");
  std::vector<std::thread> threads;
  std::atomic<int> consistent{0};
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto [ctx, timeline] = Timeline::attach(background());
        const ClientTrace* trace = context_client_trace(ctx);
        const auto* observer = detail::context_round_trip_observer(ctx);
        Request request = testing::make_request("GET", "http://127.0.0.1:8080/");
        observer->started(request);
        trace->get_conn("127.0.0.1:8080");
        GotConnInfo info;
        info.conn = &conn;
        info.reused = true;
        trace->got_conn(info);
        trace->wrote_request(WroteRequestInfo{});
        trace->got_first_response_byte();
        Response response = testing::make_response(200, "OK");
        observer->finished(request, &response, nullptr);
        timeline->mark_end();
        if (timeline->hops() == 1 && timeline->facts(0).attempts == 1 &&
            timeline->phases(0).receive)
          ++consistent;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(consistent.load(), 400);
}

}  // namespace
}  // namespace httptrace
