// W3C Trace Context on the wire: what our scripted server reads in the request head.
#include "httptrace/otel.hpp"

#include <gtest/gtest.h>

#include "httptrace/client.hpp"
#include "otel/traceparent_format.hpp"
#include "support/script_server.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using otel::PropagatingTransport;
using otel::RequestTrace;
using otel::SpanContext;

constexpr std::string_view kIncoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// Answers every request 200 "ok"; a request for /hop0 is redirected to /hop1 first.
void answer(ServerConn& conn) {
  while (auto request = conn.read_request()) {
    if (request->target == "/hop0") {
      (void)conn.write("HTTP/1.1 302 Found\r\nLocation: /hop1\r\nContent-Length: 0\r\n\r\n");
    } else {
      (void)conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }
  }
}

class Propagation : public ::testing::Test {
 protected:
  static Client propagating_client() {
    ClientOptions options;
    options.transport = std::make_shared<PropagatingTransport>(std::make_shared<Transport>());
    return Client(options);
  }

  // Sends `request`, reads the body, marks the end.
  static void send(Client& client, const Request& request, Timeline* timeline = nullptr) {
    auto response = client.send(request);
    ASSERT_TRUE(response) << response.error().what();
    auto body = response->body().discard();
    ASSERT_TRUE(body) << body.error().what();
    if (timeline != nullptr) timeline->mark_end(*body);
  }

  std::optional<std::string> received(std::size_t i, std::string_view name) {
    EXPECT_TRUE(server.wait_for_requests(i + 1, scaled(2000ms)));
    const auto requests = server.requests();
    if (requests.size() <= i) return std::nullopt;
    return requests[i].request.header(name);
  }

  ScriptServer server{answer};
};

TEST_F(Propagation, TraceparentOnTheWireNamesOurClientSpan) {
  Client client = propagating_client();
  auto request = Request::make("GET", server.url("/x")).value();
  auto [ctx, trace] = RequestTrace::attach(request.context());
  send(client, request.with_context(ctx), &trace->timeline());

  const auto traceparent = received(0, "traceparent");
  ASSERT_TRUE(traceparent);
  EXPECT_TRUE(is_traceparent_format(*traceparent)) << *traceparent;
  const auto spans = otel::to_spans(*trace);
  ASSERT_FALSE(spans.empty());
  ASSERT_EQ(spans[0].kind, otel::SpanKind::client);
  EXPECT_EQ(*traceparent, "00-" + trace->trace_id().hex() + "-" + spans[0].span_id.hex() + "-01");
  EXPECT_FALSE(received(0, "tracestate"));
  // The helper a server uses on what it received gives back our span.
  Header header;
  header.add("traceparent", *traceparent);
  auto parsed = otel::extract(header);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->span_id, trace->hop_span_id(0));
  EXPECT_TRUE(parsed->remote);
}

TEST_F(Propagation, ChildOfAnIncomingSpanKeepsItsTraceAndTracestate) {
  Client client = propagating_client();
  const SpanContext incoming = *otel::parse_traceparent(kIncoming, "rojo=00f067aa0ba902b7");
  auto request = Request::make("GET", server.url("/x")).value();
  auto [ctx, trace] = RequestTrace::attach(otel::with_span_context(request.context(), incoming));
  send(client, request.with_context(ctx), &trace->timeline());

  const auto traceparent = received(0, "traceparent");
  ASSERT_TRUE(traceparent);
  EXPECT_EQ(*traceparent,
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + trace->hop_span_id(0).hex() + "-01");
  EXPECT_NE(trace->hop_span_id(0), incoming.span_id);
  EXPECT_EQ(received(0, "tracestate"), "rojo=00f067aa0ba902b7");
  const auto spans = otel::to_spans(*trace);
  EXPECT_EQ(spans[0].parent_span_id, incoming.span_id);
}

TEST_F(Propagation, EachRedirectHopNamesItsOwnClientSpan) {
  Client client = propagating_client();
  auto request = Request::make("GET", server.url("/hop0")).value();
  auto [ctx, trace] = RequestTrace::attach(request.context());
  send(client, request.with_context(ctx), &trace->timeline());
  ASSERT_EQ(trace->timeline().hops(), 2u);

  const auto first = received(0, "traceparent");
  const auto second = received(1, "traceparent");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->substr(36, 16), trace->hop_span_id(0).hex());
  EXPECT_EQ(second->substr(36, 16), trace->hop_span_id(1).hex());
  EXPECT_NE(trace->hop_span_id(0), trace->hop_span_id(1));
  EXPECT_EQ(first->substr(0, 36), second->substr(0, 36));  // one trace
  EXPECT_EQ(server.requests()[1].request.target, "/hop1");
}

TEST_F(Propagation, WithTraceContextSetsTheHeaderWithoutTheTransport) {
  Client client;
  auto request = Request::make("GET", server.url("/x")).value();
  auto [ctx, trace] = RequestTrace::attach(request.context());
  const Request with_header = otel::with_trace_context(request.with_context(ctx));
  EXPECT_FALSE(request.header().has("traceparent"));  // the caller's request is untouched
  send(client, with_header, &trace->timeline());
  EXPECT_EQ(received(0, "traceparent"),
            "00-" + trace->trace_id().hex() + "-" + trace->hop_span_id(0).hex() + "-01");
}

TEST_F(Propagation, AContextSpanAloneIsPropagatedAsIs) {
  Client client = propagating_client();
  const SpanContext span = *otel::parse_traceparent(kIncoming);
  auto request = Request::make("GET", server.url("/x")).value();
  send(client, request.with_context(otel::with_span_context(request.context(), span)));
  EXPECT_EQ(received(0, "traceparent"), std::string(kIncoming));
}

TEST_F(Propagation, UntracedRequestsCarryNoTraceparent) {
  Client client = propagating_client();
  send(client, Request::make("GET", server.url("/x")).value());
  EXPECT_FALSE(received(0, "traceparent"));
  EXPECT_FALSE(received(0, "tracestate"));
}

TEST_F(Propagation, ACallersStaleTraceparentIsReplaced) {
  Client client = propagating_client();
  auto request = Request::make("GET", server.url("/x")).value();
  request.header().set("traceparent", kIncoming);
  auto [ctx, trace] = RequestTrace::attach(request.context());
  send(client, request.with_context(ctx), &trace->timeline());
  EXPECT_EQ(received(0, "traceparent")->substr(36, 16), trace->hop_span_id(0).hex());
  EXPECT_EQ(count_header(server.requests()[0].request.headers, "traceparent"), 1u);
}

}  // namespace
}  // namespace httptrace::testing
