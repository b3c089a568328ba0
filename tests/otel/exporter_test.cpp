// Export to a real OTLP/HTTP receiver that decodes with the OpenTelemetry protocol definitions:
// what arrives is exactly what the timelines say, for fresh, reused, TLS, redirected and failed
// requests; retries with backoff; configuration from the environment.
#include "httptrace/otel.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <set>
#include <thread>

#include "httptrace/client.hpp"
#include "otel/otlp_receiver.hpp"
#include "otel/span_checks.hpp"
#include "support/loopback.hpp"
#include "support/nginx.hpp"
#include "support/pki.hpp"
#include "support/time_bounds.hpp"

namespace httptrace::testing {
namespace {

using namespace std::chrono_literals;
using otel::Exporter;
using otel::ExporterOptions;
using otel::RequestTrace;
using otel::SpanData;

nlohmann::json any_value(const otel::AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return {{"stringValue", *s}};
  if (const auto* i = std::get_if<int64_t>(&value)) return {{"intValue", std::to_string(*i)}};
  if (const auto* b = std::get_if<bool>(&value)) return {{"boolValue", *b}};
  nlohmann::json values = nlohmann::json::array();
  for (const auto& item : std::get<std::vector<std::string>>(value)) {
    values.push_back({{"stringValue", item}});
  }
  return {{"arrayValue", {{"values", values}}}};
}

// Every local span arrived, decoded to the same ids, links, name, kind, times, attributes and
// status.
void expect_received(const nlohmann::json& received, const std::vector<SpanData>& local) {
  // Copies, not const references: a missing key then reads as null instead of asserting.
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& span : received) by_id[span["spanId"].get<std::string>()] = span;
  for (const SpanData& span : local) {
    SCOPED_TRACE(span.name + " " + span.span_id.hex());
    auto it = by_id.find(span.span_id.hex());
    ASSERT_NE(it, by_id.end());
    nlohmann::json got = it->second;
    EXPECT_EQ(got["traceId"], span.trace_id.hex());
    EXPECT_EQ(got["parentSpanId"], span.parent_span_id.valid() ? span.parent_span_id.hex() : "");
    EXPECT_EQ(got["name"], span.name);
    EXPECT_EQ(got["kind"], static_cast<int>(span.kind));
    EXPECT_EQ(got["startTimeUnixNano"], std::to_string(span.start_unix_nano));
    EXPECT_EQ(got["endTimeUnixNano"], std::to_string(span.end_unix_nano));
    EXPECT_EQ(got["status"]["code"], static_cast<int>(span.status));
    EXPECT_EQ(got["attributes"].size(), span.attributes.size());
    for (const auto& attribute : span.attributes) {
      ASSERT_TRUE(got["attributes"].contains(attribute.key)) << attribute.key;
      EXPECT_EQ(got["attributes"][attribute.key], any_value(attribute.value)) << attribute.key;
    }
  }
}

std::vector<nlohmann::json> received_named(const nlohmann::json& spans, std::string_view name) {
  std::vector<nlohmann::json> out;
  for (auto span : spans) {
    if (span["name"] == name) out.push_back(span);
  }
  return out;
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = OtlpReceiver::start();
    if (!started) GTEST_SKIP() << "no OTLP receiver here: " << started.error();
    receiver = std::move(*started);
  }

  // Only flush() sends: deterministic batches.
  ExporterOptions options() const {
    ExporterOptions o;
    o.traces_url = receiver->traces_url();
    o.schedule_delay = 1h;
    o.initial_backoff = 100ms;
    o.max_backoff = 1s;
    o.export_timeout = scaled(5s);
    return o;
  }

  // A traced request through `client`, body read, timeline ended.
  static std::shared_ptr<RequestTrace> traced_get(Client& client, const std::string& url,
                                                  bool expect_success = true) {
    auto request = Request::make("GET", url).value();
    auto [ctx, trace] = RequestTrace::attach(request.context());
    auto response = client.send(request.with_context(ctx));
    if (!response) {
      EXPECT_FALSE(expect_success) << response.error().what();
      trace->timeline().mark_end();
      return trace;
    }
    auto body = response->body().discard();
    EXPECT_TRUE(body);
    trace->timeline().mark_end(body.value_or(0));
    return trace;
  }

  std::unique_ptr<OtlpReceiver> receiver;
};

TEST_F(Export, FreshReusedAndTlsRequestsArriveAsTheirTimelinesSay) {
  TestPki pki;
  CertFiles leaf = pki.localhost_server();
  NginxOptions nginx_options;
  nginx_options.tls = NginxTlsOptions{};
  nginx_options.tls->certificate = leaf.chain;
  nginx_options.tls->private_key = leaf.key;
  NginxServer nginx(nginx_options);
  TransportOptions transport;
  transport.tls.ca_file = pki.ca_cert().string();
  ClientOptions client_options;
  client_options.transport = std::make_shared<Transport>(transport);
  Client client(client_options);

  Exporter exporter(options());
  std::vector<std::shared_ptr<RequestTrace>> traces = {
      traced_get(client, nginx.base_url() + "/hello"),
      traced_get(client, nginx.base_url() + "/hello"),
      traced_get(client, nginx.tls_base_url() + "/hello")};
  for (const auto& trace : traces) EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.queued, 3u);
  EXPECT_EQ(stats.batches, 1u);
  EXPECT_EQ(stats.spans_failed, 0u) << stats.last_error;

  nlohmann::json received = receiver->spans();
  std::size_t expected = 0;
  for (const auto& trace : traces) {
    const auto local = otel::to_spans(*trace);
    expected += local.size();
    expect_received(received, local);
    expect_phases_match(local, trace->timeline(), 0);
  }
  EXPECT_EQ(received.size(), expected);
  EXPECT_EQ(stats.spans_exported, expected);

  const auto fresh = otel::to_spans(*traces[0]);
  const auto reused = otel::to_spans(*traces[1]);
  const auto tls = otel::to_spans(*traces[2]);
  EXPECT_NE(find_span(fresh, "connect"), nullptr);
  EXPECT_EQ(bool_attr(fresh[0], "httptrace.connection.reused"), false);
  EXPECT_EQ(find_span(reused, "connect"), nullptr);
  EXPECT_EQ(find_span(reused, "dns"), nullptr);
  EXPECT_EQ(bool_attr(reused[0], "httptrace.connection.reused"), true);
  EXPECT_EQ(bool_attr(reused[0], "httptrace.connection.was_idle"), true);
  EXPECT_TRUE(int_attr(reused[0], "httptrace.connection.idle_time_us"));
  ASSERT_NE(find_span(tls, "tls"), nullptr);
  EXPECT_EQ(string_attr(*find_span(tls, "tls"), "tls.next_protocol"), "http/1.1");
  EXPECT_NE(string_attr(tls[0], "tls.protocol.version"), "<absent>");
  for (const auto& hop : {fresh[0], reused[0], tls[0]}) {
    EXPECT_EQ(hop.kind, otel::SpanKind::client);
    EXPECT_EQ(string_attr(hop, "http.request.method"), "GET");
    EXPECT_EQ(string_attr(hop, "server.address"), "127.0.0.1");
    EXPECT_EQ(int_attr(hop, "http.response.status_code"), 200);
    EXPECT_EQ(string_attr(hop, "network.protocol.version"), "1.1");
    EXPECT_EQ(string_attr(hop, "network.peer.address"), "127.0.0.1");
  }
  EXPECT_EQ(int_attr(tls[0], "server.port"), nginx.tls_port());
  // The resource and scope every span carries.
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received[0]["resource"]["service.name"]["stringValue"], "unknown_service:httptrace");
  EXPECT_EQ(received[0]["resource"]["telemetry.sdk.name"]["stringValue"], "httptrace");
  EXPECT_EQ(received[0]["scope"]["name"], "httptrace");
}

TEST_F(Export, RedirectArrivesAsOneClientSpanPerHopUnderTheRequestSpan) {
  NginxServer nginx;
  Client client;
  Exporter exporter(options());
  auto trace = traced_get(client, nginx.base_url() + "/redirect");
  ASSERT_EQ(trace->timeline().hops(), 2u);
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));

  nlohmann::json received = receiver->spans();
  const auto local = otel::to_spans(*trace);
  expect_received(received, local);
  EXPECT_EQ(received.size(), local.size());
  const std::string request_id = trace->request_span_id().hex();
  std::vector<nlohmann::json> hops;
  for (auto span : received) {
    if (span["kind"] == 3) hops.push_back(span);
  }
  ASSERT_EQ(hops.size(), 2u);
  for (const auto& hop : hops) EXPECT_EQ(hop["parentSpanId"], request_id);
  EXPECT_EQ(hops[0]["attributes"]["http.response.status_code"]["intValue"], "302");
  EXPECT_EQ(hops[1]["attributes"]["http.response.status_code"]["intValue"], "200");
  EXPECT_EQ(hops[1]["attributes"]["http.request.resend_count"]["intValue"], "1");
  for (auto span : received) {
    if (span["spanId"] == request_id) {
      EXPECT_EQ(span["kind"], 1);
      EXPECT_EQ(span["parentSpanId"], "");
      EXPECT_EQ(span["startTimeUnixNano"], hops[0]["startTimeUnixNano"]);
      EXPECT_EQ(span["endTimeUnixNano"], hops[1]["endTimeUnixNano"]);
    } else if (span["kind"] == 1) {
      EXPECT_TRUE(span["parentSpanId"] == hops[0]["spanId"] ||
                  span["parentSpanId"] == hops[1]["spanId"]);
    }
  }
  expect_phases_match(local, trace->timeline(), 0);
  expect_phases_match(local, trace->timeline(), 1);
}

TEST_F(Export, FailedRequestArrivesWithItsErrorType) {
  // A port nothing listens on: bound, never listened to, so connecting is refused.
  UniqueFd closed(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(closed.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t size = sizeof addr;
  ASSERT_EQ(::getsockname(closed.get(), reinterpret_cast<sockaddr*>(&addr), &size), 0);
  Client client;
  auto trace =
      traced_get(client, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", false);
  Exporter exporter(options());
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));

  nlohmann::json received = receiver->spans();
  expect_received(received, otel::to_spans(*trace));
  const auto hops = received_named(received, "GET");
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0]["attributes"]["error.type"]["stringValue"], "connection_refused");
  EXPECT_EQ(hops[0]["status"]["code"], 2);
  EXPECT_NE(hops[0]["status"]["message"], "");
  EXPECT_FALSE(hops[0]["attributes"].contains("http.response.status_code"));
  const auto connects = received_named(received, "connect");
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0]["status"]["code"], 2);
  EXPECT_EQ(connects[0]["parentSpanId"], hops[0]["spanId"]);
}

TEST_F(Export, RetriesWithBackoffOn503And429) {
  NginxServer nginx;
  Client client;
  Exporter exporter(options());
  auto trace = traced_get(client, nginx.base_url() + "/hello");
  receiver->respond_next({503, 429});
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));

  const auto stats = exporter.stats();
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.batches, 1u);
  EXPECT_EQ(stats.spans_failed, 0u);
  EXPECT_EQ(stats.spans_exported, otel::to_spans(*trace).size());
  auto posts = receiver->posts();
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0]["status"], 503);
  EXPECT_EQ(posts[1]["status"], 429);
  EXPECT_EQ(posts[2]["status"], 200);
  // Jittered exponential backoff: half to all of 100 ms, then of 200 ms.
  EXPECT_GE(posts[1]["atMs"].get<double>() - posts[0]["atMs"].get<double>(), 50.0);
  EXPECT_GE(posts[2]["atMs"].get<double>() - posts[1]["atMs"].get<double>(), 100.0);
  EXPECT_EQ(receiver->spans().size(), otel::to_spans(*trace).size());
}

TEST_F(Export, RetryAfterTakesPrecedenceOverTheBackoff) {
  NginxServer nginx;
  Client client;
  ExporterOptions o = options();
  o.initial_backoff = 1ms;
  o.max_backoff = 5s;
  Exporter exporter(o);
  receiver->respond_next({503}, "1");
  EXPECT_TRUE(exporter.submit(traced_get(client, nginx.base_url() + "/hello")));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  auto posts = receiver->posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_GE(posts[1]["atMs"].get<double>() - posts[0]["atMs"].get<double>(), 1000.0);
}

TEST_F(Export, GivesUpOnANonRetryableAnswerAndAfterMaxAttempts) {
  NginxServer nginx;
  Client client;
  ExporterOptions o = options();
  o.max_attempts = 2;
  o.initial_backoff = 1ms;
  Exporter exporter(o);
  auto trace = traced_get(client, nginx.base_url() + "/hello");
  const uint64_t n = otel::to_spans(*trace).size();

  receiver->respond_next({400});
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  auto stats = exporter.stats();
  EXPECT_EQ(stats.retries, 0u);
  EXPECT_EQ(stats.spans_failed, n);
  EXPECT_NE(stats.last_error.find("400"), std::string::npos) << stats.last_error;

  receiver->respond_next({503, 503, 503});
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  stats = exporter.stats();
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.spans_failed, 2 * n);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(receiver->posts().size(), 3u);  // one 400, then two 503s
  EXPECT_TRUE(receiver->spans().empty());
}

TEST_F(Export, EnvironmentConfiguresEndpointHeadersAndServiceName) {
  NginxServer nginx;
  Client client;
  const std::map<std::string, std::string> env = {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", receiver->url("/otlp")},
      {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s%3Dcret,x-team=web"},
      {"OTEL_SERVICE_NAME", "checkout"},
      {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=ci"}};
  auto configured =
      ExporterOptions::from_environment([&](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        return it == env.end() ? std::nullopt : std::optional(it->second);
      });
  ASSERT_TRUE(configured) << configured.error().what();
  configured->schedule_delay = 1h;
  // The exporter's own requests go through a propagating transport here, and still carry no
  // traceparent: they are never traced.
  configured->transport =
      std::make_shared<otel::PropagatingTransport>(std::make_shared<Transport>());
  Exporter exporter(*configured);
  EXPECT_TRUE(exporter.submit(traced_get(client, nginx.base_url() + "/hello")));
  ASSERT_TRUE(exporter.flush(scaled(10s)));

  auto posts = receiver->posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["path"], "/otlp/v1/traces");
  EXPECT_EQ(posts[0]["headers"]["x-api-key"], "s=cret");
  EXPECT_EQ(posts[0]["headers"]["x-team"], "web");
  EXPECT_EQ(posts[0]["headers"]["content-type"], "application/json");
  EXPECT_EQ(
      posts[0]["headers"]["user-agent"].get<std::string>().rfind("httptrace-otlp-exporter/", 0),
      0u);
  EXPECT_FALSE(posts[0]["headers"].contains("traceparent"));
  auto spans = receiver->spans();
  ASSERT_FALSE(spans.empty());
  EXPECT_EQ(spans[0]["resource"]["service.name"]["stringValue"], "checkout");
  EXPECT_EQ(spans[0]["resource"]["deployment.environment"]["stringValue"], "ci");
}

TEST_F(Export, TracesEndpointFromTheEnvironmentIsUsedAsIs) {
  NginxServer nginx;
  Client client;
  auto configured =
      ExporterOptions::from_environment([&](std::string_view name) -> std::optional<std::string> {
        if (name == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") return receiver->url("/custom/traces");
        if (name == "OTEL_EXPORTER_OTLP_ENDPOINT") return "http://127.0.0.1:1";
        return std::nullopt;
      });
  ASSERT_TRUE(configured);
  configured->schedule_delay = 1h;
  Exporter exporter(*configured);
  EXPECT_TRUE(exporter.submit(traced_get(client, nginx.base_url() + "/hello")));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  auto posts = receiver->posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["path"], "/custom/traces");
}

TEST_F(Export, BatchesHoldAtMostMaxBatchSizeRequests) {
  NginxServer nginx;
  Client client;
  ExporterOptions o = options();
  o.max_batch_size = 2;
  Exporter exporter(o);
  std::size_t spans = 0;
  for (int i = 0; i < 5; ++i) {
    auto trace = traced_get(client, nginx.base_url() + "/hello");
    spans += otel::to_spans(*trace).size();
    EXPECT_TRUE(exporter.submit(trace));
  }
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  EXPECT_EQ(exporter.stats().batches, 3u);  // 2 + 2 + 1
  EXPECT_EQ(receiver->posts().size(), 3u);
  EXPECT_EQ(receiver->spans().size(), spans);
}

TEST_F(Export, ScheduleDelaySendsWithoutAFlush) {
  NginxServer nginx;
  Client client;
  ExporterOptions o = options();
  o.schedule_delay = 50ms;
  Exporter exporter(o);
  EXPECT_TRUE(exporter.submit(traced_get(client, nginx.base_url() + "/hello")));
  const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
  while (exporter.stats().batches == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polling the counter: the event has no waitable handle
  }
  EXPECT_EQ(exporter.stats().batches, 1u);
}

TEST_F(Export, UnsampledRequestsAreNotExported) {
  NginxServer nginx;
  ClientOptions client_options;
  Client client(client_options);
  const auto parent =
      *otel::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  auto request = Request::make("GET", nginx.base_url() + "/hello").value();
  auto [ctx, trace] = RequestTrace::attach(otel::with_span_context(request.context(), parent));
  auto response = client.send(request.with_context(ctx));
  ASSERT_TRUE(response);
  (void)response->body().discard();
  trace->timeline().mark_end();
  Exporter exporter(options());
  EXPECT_TRUE(exporter.submit(trace));
  ASSERT_TRUE(exporter.flush(scaled(10s)));
  EXPECT_EQ(exporter.stats().queued, 0u);
  EXPECT_TRUE(receiver->posts().empty());
}

// Many threads sending and submitting at once into one Exporter: every span arrives once. (A
// Client per thread: this is about the exporter's queue, not the connection pool.)
TEST_F(Export, ConcurrentSubmittersAllArrive) {
  NginxServer nginx;
  ExporterOptions o = options();
  o.max_batch_size = 16;
  o.schedule_delay = 20ms;
  Exporter exporter(o);
  constexpr int kThreads = 4;
  constexpr int kRequests = 25;
  std::vector<std::vector<std::shared_ptr<RequestTrace>>> traces(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ClientOptions client_options;
      client_options.transport =
          std::make_shared<otel::PropagatingTransport>(std::make_shared<Transport>());
      Client client(client_options);
      for (int i = 0; i < kRequests; ++i) {
        auto trace = traced_get(client, nginx.base_url() + "/hello");
        EXPECT_TRUE(exporter.submit(trace));
        traces[t].push_back(std::move(trace));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(exporter.flush(scaled(20s)));
  std::size_t expected = 0;
  for (const auto& list : traces) {
    for (const auto& trace : list) expected += otel::to_spans(*trace).size();
  }
  const auto stats = exporter.stats();
  EXPECT_EQ(stats.queued, static_cast<uint64_t>(kThreads * kRequests));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.spans_exported, expected);
  const auto received = receiver->spans();
  EXPECT_EQ(received.size(), expected);
  std::set<std::string> ids;
  for (const auto& span : received) ids.insert(span["spanId"].get<std::string>());
  EXPECT_EQ(ids.size(), expected);
}

}  // namespace
}  // namespace httptrace::testing
