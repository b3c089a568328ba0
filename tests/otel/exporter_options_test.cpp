// ExporterOptions from the standard OpenTelemetry environment variables.
#include "httptrace/otel.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

namespace httptrace::otel {
namespace {

Result<ExporterOptions> from(std::map<std::string, std::string> env) {
  return ExporterOptions::from_environment(
      [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
}

TEST(ExporterOptions, NothingSetGivesTheDefaults) {
  auto options = from({});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->traces_url, "http://localhost:4318/v1/traces");
  EXPECT_TRUE(options->headers.empty());
  EXPECT_EQ(options->service_name, "");
  EXPECT_EQ(options->max_queue_size, 2048u);
  EXPECT_EQ(options->max_batch_size, 512u);
}

TEST(ExporterOptions, EndpointIsABaseUrlForTraces) {
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}})->traces_url,
            "http://collector:4318/v1/traces");
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector/otlp/"}})->traces_url,
            "https://collector/otlp/v1/traces");
}

TEST(ExporterOptions, TracesEndpointIsUsedAsIsAndWins) {
  auto options = from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"},
                       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"}});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->traces_url, "http://traces:9999/custom");
}

TEST(ExporterOptions, HeadersArePercentDecodedAndTracesHeadersWinPerKey) {
  auto options = from({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b , x-team=core,,"},
                       {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-team=traces"}});
  ASSERT_TRUE(options) << options.error().what();
  EXPECT_EQ(options->headers.get("Api-Key"), "a b");
  EXPECT_EQ(options->headers.values("X-Team"), std::vector<std::string_view>{"traces"});
}

TEST(ExporterOptions, ServiceNameComesFromOtelServiceNameOverResourceAttributes) {
  auto options =
      from({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=fromattrs,deployment.environment=ci"}});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->service_name, "fromattrs");
  ASSERT_EQ(options->resource_attributes.size(), 1u);
  EXPECT_EQ(options->resource_attributes[0].first, "deployment.environment");
  EXPECT_EQ(options->resource_attributes[0].second, "ci");
  options = from(
      {{"OTEL_RESOURCE_ATTRIBUTES", "service.name=fromattrs"}, {"OTEL_SERVICE_NAME", "checkout"}});
  EXPECT_EQ(options->service_name, "checkout");
}

TEST(ExporterOptions, NumbersAndTheBatchProcessorLimits) {
  auto options = from({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                       {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                       {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "500"},
                       {"OTEL_BSP_SCHEDULE_DELAY", "250"}});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->export_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(options->max_queue_size, 100u);
  EXPECT_EQ(options->max_batch_size, 100u);  // never more than the queue
  EXPECT_EQ(options->schedule_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(from({{"OTEL_EXPORTER_OTLP_TIMEOUT", "5"}, {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "7"}})
                ->export_timeout,
            std::chrono::milliseconds(7));
}

TEST(ExporterOptions, EmptyValuesCountAsUnset) {
  auto options = from({{"OTEL_EXPORTER_OTLP_ENDPOINT", ""}, {"OTEL_SERVICE_NAME", ""}});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->traces_url, "http://localhost:4318/v1/traces");
  EXPECT_EQ(options->service_name, "");
}

TEST(ExporterOptions, MalformedValuesFailNamingTheVariable) {
  struct Case {
    const char* name;
    const char* value;
  };
  for (Case c :
       {Case{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"},
        Case{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector/"},
        Case{"OTEL_EXPORTER_OTLP_HEADERS", "novalue"},
        Case{"OTEL_EXPORTER_OTLP_HEADERS", "bad key=1"},
        Case{"OTEL_EXPORTER_OTLP_HEADERS", "k=%zz"}, Case{"OTEL_EXPORTER_OTLP_TIMEOUT", "ten"},
        Case{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}, Case{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}) {
    auto options = from({{c.name, c.value}});
    ASSERT_FALSE(options) << c.name << "=" << c.value;
    EXPECT_EQ(options.error().code(), ErrorCode::invalid_request);
    EXPECT_NE(std::string(options.error().what()).find(c.name), std::string::npos)
        << options.error().what();
  }
  EXPECT_TRUE(from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  EXPECT_TRUE(from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}));
}

TEST(ExporterOptions, ReadsTheProcessEnvironment) {
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/env-traces", 1);
  ::setenv("OTEL_SERVICE_NAME", "from-env", 1);
  auto options = ExporterOptions::from_environment();
  ::unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  ::unsetenv("OTEL_SERVICE_NAME");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->traces_url, "http://127.0.0.1:1/env-traces");
  EXPECT_EQ(options->service_name, "from-env");
}

TEST(ExporterOptions, ExporterRefusesOptionsOutOfRange) {
  ExporterOptions bad_url;
  bad_url.traces_url = "collector:4318";
  EXPECT_THROW(Exporter{bad_url}, std::invalid_argument);
  ExporterOptions no_queue;
  no_queue.max_queue_size = 0;
  EXPECT_THROW(Exporter{no_queue}, std::invalid_argument);
  ExporterOptions no_attempts;
  no_attempts.max_attempts = 0;
  EXPECT_THROW(Exporter{no_attempts}, std::invalid_argument);
}

}  // namespace
}  // namespace httptrace::otel
