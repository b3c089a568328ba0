#include "httptrace/otel.hpp"

#include <gtest/gtest.h>

#include <set>

#include "otel/traceparent_format.hpp"

namespace httptrace::otel {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ParsesTheSpecificationsExample) {
  auto span = parse_traceparent(kValid);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span->span_id.hex(), "00f067aa0ba902b7");
  EXPECT_EQ(span->trace_flags, 0x01);
  EXPECT_TRUE(span->sampled());
  EXPECT_TRUE(span->remote);
  EXPECT_TRUE(span->valid());
}

TEST(TraceContext, FormatThenParseRoundTrips) {
  for (uint8_t flags : {0x00, 0x01, 0x03}) {
    SpanContext span;
    span.trace_id = TraceId::random();
    span.span_id = SpanId::random();
    span.trace_flags = flags;
    const std::string header = format_traceparent(span);
    EXPECT_TRUE(testing::is_traceparent_format(header)) << header;
    auto parsed = parse_traceparent(header);
    ASSERT_TRUE(parsed) << header;
    EXPECT_EQ(parsed->trace_id, span.trace_id);
    EXPECT_EQ(parsed->span_id, span.span_id);
    EXPECT_EQ(parsed->trace_flags, flags);
    EXPECT_EQ(format_traceparent(*parsed), header);
  }
}

TEST(TraceContext, RejectsVersionFf) {
  EXPECT_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, RejectsAllZeroIds) {
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(TraceContext, RejectsWrongLengths) {
  for (std::string_view bad :
       {"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",      // trace id 31
        "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",    // trace id 33
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",      // span id 15
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b77-01",    // span id 17
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",      // flags 1
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",    // flags 3
        "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version 1
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",    // v00 + '-'
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-ab",  // v00 + field
        "", "00"}) {
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
  }
}

TEST(TraceContext, RejectsUppercaseHex) {
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
  EXPECT_FALSE(parse_traceparent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, RejectsOtherCharactersAndSeparators) {
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01"));
  EXPECT_FALSE(parse_traceparent(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, AcceptsAHigherVersionWithMoreFields) {
  // §4.3: a vendor that knows only version 00 parses the first fields of a later version.
  auto later = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->span_id.hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
}

TEST(TraceContext, KeepsAValidTracestateNormalised) {
  auto span = parse_traceparent(kValid, " rojo=00f067aa0ba902b7 ,, congo=t61rcWkgMzE,a@b-c=x y");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,a@b-c=x y");
}

TEST(TraceContext, DropsAnInvalidTracestateButKeepsTheTraceparent) {
  for (std::string_view bad :
       {"Rojo=1", "rojo", "rojo=1,rojo=2", "rojo=a=b", "1abc=x", "rojo=caf\xc3\xa9"}) {
    auto span = parse_traceparent(kValid, bad);
    ASSERT_TRUE(span) << bad;
    EXPECT_EQ(span->trace_state, "") << bad;
  }
  std::string members;
  for (int i = 0; i < 33; ++i) members += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(parse_traceparent(kValid, members)->trace_state, "");
}

TEST(TraceContext, ExtractJoinsTracestateFieldsAndRefusesTwoTraceparents) {
  Header header;
  header.add("traceparent", kValid);
  header.add("tracestate", "a=1");
  header.add("tracestate", "b=2");
  auto span = extract(header);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->trace_state, "a=1,b=2");
  header.add("traceparent", kValid);
  EXPECT_FALSE(extract(header));
  EXPECT_FALSE(extract(Header()));
}

TEST(TraceContext, InjectSetsBothFieldsAndRemovesAStaleTracestate) {
  Header header;
  header.set("tracestate", "stale=1");
  SpanContext span = *parse_traceparent(kValid);
  inject(span, header);
  EXPECT_EQ(header.get("traceparent"), kValid);
  EXPECT_FALSE(header.has("tracestate"));
  span.trace_state = "rojo=1";
  inject(span, header);
  EXPECT_EQ(header.get("tracestate"), "rojo=1");
  EXPECT_EQ(header.values("traceparent").size(), 1u);
}

TEST(TraceContext, RandomIdsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    TraceId trace = TraceId::random();
    SpanId span = SpanId::random();
    EXPECT_TRUE(trace.valid());
    EXPECT_TRUE(span.valid());
    seen.insert(trace.hex());
    seen.insert(span.hex());
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(TraceContext, IdsFromHexAcceptOnlyLowercaseOfTheExactLength) {
  EXPECT_TRUE(SpanId::from_hex("00f067aa0ba902b7"));
  EXPECT_FALSE(SpanId::from_hex("00F067AA0BA902B7"));
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b"));
  EXPECT_FALSE(SpanId::from_hex("0000000000000000"));
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736ff"));
}

TEST(TraceContext, ContextCarriesTheCurrentSpan) {
  EXPECT_EQ(span_context(Context()), nullptr);
  SpanContext span = *parse_traceparent(kValid);
  Context ctx = with_span_context(Context(), span);
  ASSERT_NE(span_context(ctx), nullptr);
  EXPECT_EQ(span_context(ctx)->span_id, span.span_id);
  auto [child, cancel] = with_cancel(ctx);
  EXPECT_EQ(span_context(child)->trace_id, span.trace_id);
}

TEST(TraceContext, RatioSamplingComparesTheTraceIdsLowHalfWithTheRatio) {
  const TraceId low = *TraceId::from_hex("4bf92f3577b34da60000000000000001");
  const TraceId high = *TraceId::from_hex("4bf92f3577b34da6ffffffffffffffff");
  const TraceId middle = *TraceId::from_hex("4bf92f3577b34da67fffffffffffffff");
  EXPECT_TRUE(trace_id_ratio_sampled(low, 0.001));
  EXPECT_FALSE(trace_id_ratio_sampled(low, 0.0));
  EXPECT_FALSE(trace_id_ratio_sampled(high, 0.999));
  EXPECT_TRUE(trace_id_ratio_sampled(high, 1.0));
  // (0x7fff… >> 1) is just under half of 2^63.
  EXPECT_TRUE(trace_id_ratio_sampled(middle, 0.5));
  EXPECT_FALSE(trace_id_ratio_sampled(middle, 0.49));
}

TEST(TraceContext, RatioSamplingKeepsAboutThatShareOfNewTraces) {
  int sampled = 0;
  constexpr int kTraces = 20000;
  for (int i = 0; i < kTraces; ++i) {
    sampled += trace_id_ratio_sampled(TraceId::random(), 0.25) ? 1 : 0;
  }
  // Binomial(20000, 0.25): the standard deviation is about 61, so ±1000 is never reached by
  // chance.
  EXPECT_GT(sampled, kTraces / 4 - 1000);
  EXPECT_LT(sampled, kTraces / 4 + 1000);
}

TEST(TraceContext, NewTracesAreSampledByRatioAndChildrenFollowTheirParent) {
  auto attach = [](const Context& ctx, double ratio) {
    auto [timeline_ctx, timeline] = Timeline::attach(ctx);
    return RequestTrace::attach(timeline_ctx, timeline, ratio).second;
  };
  const auto never = attach(Context(), 0.0);
  EXPECT_FALSE(never->sampled());
  EXPECT_EQ(format_traceparent(never->hop_span_context(0)).substr(53), "00");
  EXPECT_TRUE(attach(Context(), 1.0)->sampled());
  EXPECT_TRUE(RequestTrace::attach(Context()).second->sampled());

  // ParentBased: the parent's decision wins over the ratio, both ways.
  const SpanContext sampled_parent = *parse_traceparent(kValid);
  ASSERT_TRUE(sampled_parent.sampled());
  EXPECT_TRUE(attach(with_span_context(Context(), sampled_parent), 0.0)->sampled());
  SpanContext unsampled_parent = sampled_parent;
  unsampled_parent.trace_flags = 0;
  EXPECT_FALSE(attach(with_span_context(Context(), unsampled_parent), 1.0)->sampled());

  EXPECT_THROW(attach(Context(), 1.5), std::invalid_argument);
  EXPECT_THROW(attach(Context(), -0.1), std::invalid_argument);
}

}  // namespace
}  // namespace httptrace::otel
