#include "httptrace/trace.hpp"

#include <string>

#include <gtest/gtest.h>

#include "httptrace/header.hpp"

namespace httptrace {
namespace {

// Go's TestWithClientTrace: two layered traces; the composed hook calls the new one, then the
// old one.
TEST(ClientTrace, WithClientTraceCallsNewThenOld) {
  std::string buf;
  ClientTrace old_trace;
  old_trace.connect_start = [&](std::string_view, std::string_view) { buf += 'O'; };
  ClientTrace new_trace;
  new_trace.connect_start = [&](std::string_view, std::string_view) { buf += 'N'; };

  Context ctx = with_client_trace(background(), old_trace);
  ctx = with_client_trace(ctx, new_trace);
  const ClientTrace* trace = context_client_trace(ctx);
  ASSERT_NE(trace, nullptr);
  ASSERT_TRUE(trace->connect_start);
  trace->connect_start("tcp", "127.0.0.1:80");
  EXPECT_EQ(buf, "NO");
}

// Go's TestCompose table: new only → T; new + old → TO; empty new + old → O; arguments pass
// through to both.
TEST(ClientTrace, ComposeTable) {
  struct Case {
    bool new_set, old_set;
    std::string want;
  };
  for (const Case& c : {Case{true, false, "T"}, Case{true, true, "TO"}, Case{false, true, "O"}}) {
    std::string got;
    ClientTrace older;
    if (c.old_set) older.got_conn = [&](const GotConnInfo& info) { got += info.reused ? "O" : "o"; };
    ClientTrace newer;
    if (c.new_set) newer.got_conn = [&](const GotConnInfo& info) { got += info.reused ? "T" : "t"; };
    Context ctx = with_client_trace(with_client_trace(background(), older), newer);
    GotConnInfo info;
    info.reused = true;
    call_hook(context_client_trace(ctx), &ClientTrace::got_conn, info);
    EXPECT_EQ(got, c.want);
  }
}

TEST(ClientTrace, ContextWithoutTraceHasNone) {
  EXPECT_EQ(context_client_trace(background()), nullptr);
  auto [ctx, cancel] = with_cancel(background());
  EXPECT_EQ(context_client_trace(ctx), nullptr);
  // call_hook on a null trace or an unset hook does nothing.
  call_hook(context_client_trace(ctx), &ClientTrace::wrote_headers);
  ClientTrace empty;
  call_hook(&empty, &ClientTrace::wrote_headers);
}

TEST(ClientTrace, CompositionLeavesCallerTracesUntouched) {
  int old_calls = 0, new_calls = 0;
  ClientTrace older;
  older.wrote_headers = [&] { ++old_calls; };
  ClientTrace newer;
  newer.wrote_headers = [&] { ++new_calls; };
  Context ctx = with_client_trace(with_client_trace(background(), older), newer);
  context_client_trace(ctx)->wrote_headers();
  EXPECT_EQ(old_calls, 1);
  EXPECT_EQ(new_calls, 1);
  newer.wrote_headers();  // the caller's object still calls only itself
  EXPECT_EQ(old_calls, 1);
  EXPECT_EQ(new_calls, 2);
}

TEST(ClientTrace, LayeringTheSameTraceTwiceRunsItTwice) {
  int calls = 0;
  ClientTrace trace;
  trace.got_first_response_byte = [&] { ++calls; };
  Context ctx = with_client_trace(with_client_trace(background(), trace), trace);
  context_client_trace(ctx)->got_first_response_byte();
  EXPECT_EQ(calls, 2);
}

TEST(ClientTrace, ThreeLayersRunNewestToOldest) {
  std::string order;
  Context ctx = background();
  for (char name : std::string("abc")) {
    ClientTrace t;
    t.dns_start = [&order, name](const DNSStartInfo& info) {
      order += name;
      order += info.host;
    };
    ctx = with_client_trace(ctx, t);
  }
  context_client_trace(ctx)->dns_start(DNSStartInfo{"!"});
  EXPECT_EQ(order, "c!b!a!");
}

TEST(ClientTrace, Got1xxErrorFromNewerLayerStopsTheChain) {
  int old_calls = 0;
  ClientTrace older;
  older.got_1xx_response = [&](int, const Header&) -> std::optional<Error> {
    ++old_calls;
    return std::nullopt;
  };
  ClientTrace newer;
  newer.got_1xx_response = [](int code, const Header&) -> std::optional<Error> {
    if (code == 103) return Error(ErrorCode::aborted_by_hook, "hook says no");
    return std::nullopt;
  };
  Context ctx = with_client_trace(with_client_trace(background(), older), newer);
  const ClientTrace* trace = context_client_trace(ctx);
  Header header;
  auto passed = trace->got_1xx_response(100, header);
  EXPECT_FALSE(passed.has_value());
  EXPECT_EQ(old_calls, 1);

  auto stopped = trace->got_1xx_response(103, header);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_STREQ(stopped->what(), "hook says no");
  EXPECT_EQ(old_calls, 1);
}

TEST(ClientTrace, Got1xxOlderLayerDecidesWhenNewerPasses) {
  ClientTrace older;
  older.got_1xx_response = [](int, const Header&) -> std::optional<Error> {
    return Error(ErrorCode::aborted_by_hook, "old says no");
  };
  ClientTrace newer;
  newer.got_1xx_response = [](int, const Header&) -> std::optional<Error> { return std::nullopt; };
  Context ctx = with_client_trace(with_client_trace(background(), older), newer);
  Header header;
  auto result = context_client_trace(ctx)->got_1xx_response(103, header);
  ASSERT_TRUE(result.has_value());
  EXPECT_STREQ(result->what(), "old says no");
}

TEST(ClientTrace, TraceSurvivesCancellationLayers) {
  int calls = 0;
  ClientTrace trace;
  trace.wrote_headers = [&] { ++calls; };
  Context traced = with_client_trace(background(), trace);
  auto [child, cancel] = with_timeout(traced, std::chrono::seconds(1));
  call_hook(context_client_trace(child), &ClientTrace::wrote_headers);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace httptrace
