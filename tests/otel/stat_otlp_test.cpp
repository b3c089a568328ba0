// `httptrace stat --otlp`: the built binary against our scripted server, exporting to the OTLP
// receiver; the server sees the traceparent naming the span the receiver gets.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/cli_runner.hpp"
#include "otel/otlp_receiver.hpp"
#include "support/script_server.hpp"

namespace httptrace::testing {
namespace {

void answer_ok(ServerConn& conn) {
  while (conn.read_request()) {
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) return;
  }
}

class StatOtlp : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = OtlpReceiver::start();
    if (!started) GTEST_SKIP() << "no OTLP receiver here: " << started.error();
    receiver = std::move(*started);
  }
  std::unique_ptr<OtlpReceiver> receiver;
  ScriptServer server{answer_ok};
};

TEST_F(StatOtlp, ExportsTheRequestAndPropagatesItsSpan) {
  const auto result =
      run_command({cli_path(), "stat", "--otlp", receiver->url(""), server.url("/traced")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("spans sent to " + receiver->traces_url()), std::string::npos)
      << result.err;

  auto spans = receiver->spans();
  ASSERT_FALSE(spans.empty());
  nlohmann::json* client = nullptr;
  for (auto& span : spans) {
    if (span["kind"] == 3) client = &span;
  }
  ASSERT_NE(client, nullptr);
  EXPECT_EQ((*client)["name"], "GET");
  EXPECT_EQ((*client)["parentSpanId"], "");
  EXPECT_EQ((*client)["attributes"]["url.full"]["stringValue"], server.url("/traced"));
  EXPECT_EQ((*client)["attributes"]["http.response.status_code"]["intValue"], "200");
  EXPECT_NE(result.err.find((*client)["traceId"].get<std::string>()), std::string::npos);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].request.header("traceparent"),
            "00-" + (*client)["traceId"].get<std::string>() + "-" +
                (*client)["spanId"].get<std::string>() + "-01");
}

TEST_F(StatOtlp, JoinsTheTraceInTraceparentFromTheEnvironment) {
  ::setenv("TRACEPARENT", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 1);
  const auto result =
      run_command({cli_path(), "stat", "--otlp", receiver->traces_url(), server.url("/")});
  ::unsetenv("TRACEPARENT");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto spans = receiver->spans();
  ASSERT_FALSE(spans.empty());
  for (auto& span : spans) EXPECT_EQ(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(spans[0]["parentSpanId"], "00f067aa0ba902b7");
}

TEST_F(StatOtlp, UndeliverableSpansExitOneAndAMalformedEndpointIsAUsageError) {
  receiver->respond_next({400});
  auto result = run_command({cli_path(), "stat", "--otlp", receiver->url(""), server.url("/")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("spans not delivered"), std::string::npos) << result.err;
  result = run_command({cli_path(), "stat", "--otlp", "ftp://collector", server.url("/")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--otlp"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace httptrace::testing
