// The OTLP/JSON encoding: the protobuf JSON mapping with OTLP's exceptions (hex ids, integer
// enums, 64-bit integers as strings), one resourceSpans / scopeSpans per request body.
#include "otel/otlp_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace httptrace::otel {
namespace {

using detail::export_request_json;
using detail::library_version;

SpanData sample_span() {
  SpanData span;
  span.trace_id = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  span.span_id = *SpanId::from_hex("00f067aa0ba902b7");
  span.parent_span_id = *SpanId::from_hex("0102030405060708");
  span.parent_remote = true;
  span.trace_flags = 0x01;
  span.trace_state = "rojo=1";
  span.name = "GET";
  span.kind = SpanKind::client;
  span.start_unix_nano = 1714979289000000000;
  span.end_unix_nano = 1714979289005000000;
  span.attributes = {{"http.request.method", std::string("GET")},
                     {"http.response.status_code", int64_t{200}},
                     {"httptrace.connection.reused", false},
                     {"dns.answers", std::vector<std::string>{"127.0.0.1", "::1"}},
                     {"quote", std::string("a\"b<c")}};
  span.status = StatusCode::error;
  span.status_message = "boom";
  return span;
}

TEST(OtlpJson, SpansSitUnderOneResourceAndOneScope) {
  const auto json = nlohmann::json::parse(export_request_json(
      {sample_span(), sample_span()}, {{"service.name", std::string("checkout")}}));
  ASSERT_EQ(json["resourceSpans"].size(), 1u);
  const auto& rs = json["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0]["key"], "service.name");
  EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "checkout");
  ASSERT_EQ(rs["scopeSpans"].size(), 1u);
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "httptrace");
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["version"], std::string(library_version()));
  EXPECT_EQ(rs["scopeSpans"][0]["spans"].size(), 2u);
}

TEST(OtlpJson, SpanFieldsFollowTheOtlpJsonMapping) {
  const auto json = nlohmann::json::parse(export_request_json({sample_span()}, {}));
  const auto& span = json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");  // hex, not base64
  EXPECT_EQ(span["spanId"], "00f067aa0ba902b7");
  EXPECT_EQ(span["parentSpanId"], "0102030405060708");
  EXPECT_EQ(span["traceState"], "rojo=1");
  EXPECT_EQ(span["flags"], 0x301);  // sampled, parent's remoteness known, parent remote
  EXPECT_EQ(span["kind"], 3);       // enums as integers
  EXPECT_EQ(span["startTimeUnixNano"], "1714979289000000000");  // fixed64 as a string
  EXPECT_EQ(span["endTimeUnixNano"], "1714979289005000000");
  EXPECT_EQ(span["status"]["code"], 2);
  EXPECT_EQ(span["status"]["message"], "boom");
  const auto& attrs = span["attributes"];
  EXPECT_EQ(attrs[0]["value"]["stringValue"], "GET");
  EXPECT_EQ(attrs[1]["value"]["intValue"], "200");
  EXPECT_EQ(attrs[2]["value"]["boolValue"], false);
  EXPECT_EQ(attrs[3]["value"]["arrayValue"]["values"][1]["stringValue"], "::1");
  EXPECT_EQ(attrs[4]["value"]["stringValue"], "a\"b<c");
}

TEST(OtlpJson, RootSpansAndUnsetStatusLeaveTheirFieldsOut) {
  SpanData span = sample_span();
  span.parent_span_id = SpanId{};
  span.parent_remote = false;
  span.trace_state.clear();
  span.status = StatusCode::unset;
  const auto json = nlohmann::json::parse(export_request_json({span}, {}));
  const auto& out = json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_FALSE(out.contains("parentSpanId"));
  EXPECT_FALSE(out.contains("traceState"));
  EXPECT_FALSE(out.contains("status"));
  EXPECT_EQ(out["flags"], 0x101);
}

}  // namespace
}  // namespace httptrace::otel
