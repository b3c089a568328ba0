// `httptrace load --otlp`: the built binary against our scripted server, exporting to the OTLP
// receiver, on the EventLoop and (with -L) on blocking workers. Every request's traceparent, as
// the server read it, names a CLIENT span the receiver decoded; the report counts the spans.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "cli/cli_runner.hpp"
#include "otel/otlp_receiver.hpp"
#include "otel/traceparent_format.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

// 200 "ok" to every request; /hop0 is first redirected to /hop1.
void answer(ServerConn& conn) {
  while (auto request = conn.read_request()) {
    const bool redirect = request->target == "/hop0";
    const std::string_view reply =
        redirect ? "HTTP/1.1 302 Found\r\nLocation: /hop1\r\nContent-Length: 0\r\n\r\n"
                 : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    if (!conn.write(reply)) return;
  }
}

class LoadOtlp : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = OtlpReceiver::start();
    if (!started) GTEST_SKIP() << "no OTLP receiver here: " << started.error();
    receiver = std::move(*started);
  }

  // The spans received, by span id.
  std::map<std::string, nlohmann::json> spans_by_id() const {
    std::map<std::string, nlohmann::json> out;
    for (auto span : receiver->spans()) out[span["spanId"].get<std::string>()] = span;
    return out;
  }

  std::unique_ptr<OtlpReceiver> receiver;
  ScriptServer server{answer};
};

TEST_F(LoadOtlp, EveryRequestOnTheEventLoopArrivesAsAClientSpanNamedByItsTraceparent) {
  constexpr int kRequests = 20;
  const auto result = run_command({cli_path(), "load", "--json", "-n", std::to_string(kRequests),
                                   "-c", "2", "--otlp", receiver->url(""), server.url("/x")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  ASSERT_TRUE(report.contains("otlp")) << result.out;
  const auto& otlp = report["otlp"];
  EXPECT_EQ(otlp["traces_url"], receiver->traces_url());
  EXPECT_EQ(otlp["requests_sampled"], kRequests);
  EXPECT_EQ(otlp["requests_dropped"], 0);
  EXPECT_EQ(otlp["spans_dropped"], 0);
  EXPECT_EQ(otlp["spans_failed"], 0);

  const auto spans = spans_by_id();
  EXPECT_EQ(otlp["spans_exported"], spans.size());
  // Every request the server read names, in its traceparent, a CLIENT span of its own trace,
  // which has the phases of a request as children.
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), static_cast<std::size_t>(kRequests));
  std::set<std::string> traces;
  for (const auto& logged : requests) {
    const auto traceparent = logged.request.header("traceparent");
    ASSERT_TRUE(traceparent);
    ASSERT_TRUE(is_traceparent_format(*traceparent)) << *traceparent;
    EXPECT_EQ(traceparent->substr(53), "01");
    const std::string trace_id = traceparent->substr(3, 32);
    const auto it = spans.find(traceparent->substr(36, 16));
    ASSERT_NE(it, spans.end()) << *traceparent;
    const auto& client = it->second;
    EXPECT_EQ(client["traceId"], trace_id);
    EXPECT_EQ(client["kind"], 3);
    EXPECT_EQ(client["name"], "GET");
    EXPECT_EQ(client["parentSpanId"], "");
    EXPECT_EQ(client["attributes"]["http.request.method"]["stringValue"], "GET");
    EXPECT_EQ(client["attributes"]["url.full"]["stringValue"], server.url("/x"));
    EXPECT_EQ(client["attributes"]["server.address"]["stringValue"], "127.0.0.1");
    EXPECT_EQ(client["attributes"]["server.port"]["intValue"], std::to_string(server.port()));
    EXPECT_EQ(client["attributes"]["http.response.status_code"]["intValue"], "200");
    EXPECT_EQ(client["attributes"]["network.protocol.version"]["stringValue"], "1.1");
    std::set<std::string> children;
    for (const auto& [id, span] : spans) {
      if (span["parentSpanId"] != client["spanId"]) continue;
      children.insert(span["name"].get<std::string>());
      EXPECT_EQ(span["traceId"], trace_id);
      // Children lie within their CLIENT span.
      EXPECT_GE(std::stoll(span["startTimeUnixNano"].get<std::string>()),
                std::stoll(client["startTimeUnixNano"].get<std::string>()));
      EXPECT_LE(std::stoll(span["endTimeUnixNano"].get<std::string>()),
                std::stoll(client["endTimeUnixNano"].get<std::string>()));
    }
    for (const char* phase : {"send", "wait", "receive"}) EXPECT_TRUE(children.count(phase));
    traces.insert(trace_id);
  }
  EXPECT_EQ(traces.size(), static_cast<std::size_t>(kRequests));  // a trace per request
}

TEST_F(LoadOtlp, BlockingWorkersExportEachRedirectHopUnderItsRequestSpan) {
  const auto result = run_command({cli_path(), "load", "--json", "-L", "-n", "3", "-c", "1",
                                   "--otlp", receiver->traces_url(), server.url("/hop0")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  const auto spans = spans_by_id();
  EXPECT_EQ(report["otlp"]["spans_exported"], spans.size());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);  // /hop0 and /hop1, three times
  for (std::size_t i = 0; i < requests.size(); i += 2) {
    const auto first = requests[i].request.header("traceparent");
    const auto second = requests[i + 1].request.header("traceparent");
    ASSERT_TRUE(first && second);
    // Each hop names its own CLIENT span; both are children of one INTERNAL request span.
    EXPECT_EQ(first->substr(3, 32), second->substr(3, 32));
    EXPECT_NE(first->substr(36, 16), second->substr(36, 16));
    const auto hop0 = spans.find(first->substr(36, 16));
    const auto hop1 = spans.find(second->substr(36, 16));
    ASSERT_NE(hop0, spans.end());
    ASSERT_NE(hop1, spans.end());
    EXPECT_EQ(hop0->second["attributes"]["http.response.status_code"]["intValue"], "302");
    EXPECT_EQ(hop1->second["attributes"]["http.response.status_code"]["intValue"], "200");
    const std::string parent = hop0->second["parentSpanId"];
    EXPECT_EQ(hop1->second["parentSpanId"], parent);
    ASSERT_TRUE(spans.count(parent));
    EXPECT_EQ(spans.at(parent)["kind"], 1);
    EXPECT_EQ(spans.at(parent)["parentSpanId"], "");
  }
}

TEST_F(LoadOtlp, SampleZeroExportsNothingButStillPropagatesUnsampled) {
  const auto result = run_command({cli_path(), "load", "-n", "5", "-c", "1", "--otlp",
                                   receiver->url(""), "--otlp-sample", "0", server.url("/x")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("OpenTelemetry export"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("spans: 0 exported, 0 dropped, 0 failed"), std::string::npos)
      << result.out;
  EXPECT_TRUE(receiver->spans().empty());
  EXPECT_TRUE(receiver->posts().empty());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (const auto& logged : requests) {
    const auto traceparent = logged.request.header("traceparent");
    ASSERT_TRUE(traceparent);
    EXPECT_EQ(traceparent->substr(53), "00");  // not sampled: the server should not sample
  }
}

TEST_F(LoadOtlp, SampleRatioAppliesPerTraceAndRunsJoinTheEnvironmentsTrace) {
  ::setenv("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 1);
  const auto result = run_command({cli_path(), "load", "--json", "-n", "10", "-c", "2", "--otlp",
                                   receiver->url(""), "--otlp-sample", "0", server.url("/x")});
  ::unsetenv("TRACEPARENT");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // ParentBased: the sampled parent wins over the ratio; every request joins its trace.
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report["otlp"]["requests_sampled"], 10);
  const auto spans = receiver->spans();
  ASSERT_FALSE(spans.empty());
  int clients = 0;
  for (const auto& span : spans) {
    EXPECT_EQ(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    if (span["kind"] != 3) continue;
    ++clients;
    EXPECT_EQ(span["parentSpanId"], "00f067aa0ba902b7");
  }
  EXPECT_EQ(clients, 10);
}

TEST_F(LoadOtlp, AFullExportQueueDropsRequestsAndTheReportCountsTheirSpans) {
  // A queue of one request: at full speed most requests find it full.
  ::setenv("OTEL_BSP_MAX_QUEUE_SIZE", "1", 1);
  constexpr int kRequests = 200;
  const auto result = run_command({cli_path(), "load", "--json", "-n", std::to_string(kRequests),
                                   "-c", "2", "--otlp", receiver->url(""), server.url("/x")});
  ::unsetenv("OTEL_BSP_MAX_QUEUE_SIZE");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto otlp = nlohmann::json::parse(result.out)["otlp"];
  const auto spans = receiver->spans();
  int clients = 0;
  for (const auto& span : spans) clients += span["kind"] == 3 ? 1 : 0;
  EXPECT_EQ(otlp["spans_exported"], spans.size());
  EXPECT_EQ(otlp["spans_failed"], 0);
  // Every sampled request was either exported or dropped, and a dropped one counts its spans:
  // at least its CLIENT span and send, wait and receive.
  EXPECT_EQ(otlp["requests_sampled"], kRequests);
  EXPECT_EQ(otlp["requests_dropped"].get<int>() + clients, kRequests);
  EXPECT_GE(otlp["spans_dropped"].get<int>(), 4 * otlp["requests_dropped"].get<int>());
  EXPECT_EQ(otlp["spans_dropped"].get<int>() == 0, otlp["requests_dropped"].get<int>() == 0);
}

TEST_F(LoadOtlp, UsageErrorsAndAnUndeliverableExportExitAsDocumented) {
  auto result =
      run_command({cli_path(), "load", "-n", "1", "--otlp-sample", "0.5", server.url("/x")});
  EXPECT_EQ(result.exit_code, 2) << "--otlp-sample needs --otlp";
  result = run_command({cli_path(), "load", "-n", "1", "--otlp", receiver->url(""), "--otlp-sample",
                        "1.5", server.url("/x")});
  EXPECT_EQ(result.exit_code, 2);
  result = run_command({cli_path(), "load", "-n", "1", "--otlp", "ftp://c", server.url("/x")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--otlp"), std::string::npos) << result.err;

  receiver->respond_next({400});
  result = run_command({cli_path(), "load", "--json", "-n", "2", "-c", "1", "--otlp",
                        receiver->url(""), server.url("/x")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("spans not delivered"), std::string::npos) << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_GT(report["otlp"]["spans_failed"].get<int>(), 0);
  EXPECT_EQ(report["otlp"]["spans_exported"], 0);
  EXPECT_NE(report["otlp"]["last_error"].get<std::string>().find("400"), std::string::npos);
}

}  // namespace
}  // namespace httptrace::testing
