#pragma once
// Assertions shared by the span tests: finding spans, reading attributes, and checking spans
// against the Timeline they came from through its public views only.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "httptrace/otel.hpp"
#include "httptrace/timeline.hpp"

namespace httptrace::testing {

inline const otel::SpanData* find_span(const std::vector<otel::SpanData>& spans,
                                       std::string_view name) {
  for (const auto& span : spans) {
    if (span.name == name) return &span;
  }
  return nullptr;
}

inline std::vector<const otel::SpanData*> find_spans(const std::vector<otel::SpanData>& spans,
                                                     std::string_view name, otel::SpanKind kind) {
  std::vector<const otel::SpanData*> out;
  for (const auto& span : spans) {
    if (span.name == name && span.kind == kind) out.push_back(&span);
  }
  return out;
}

inline std::string string_attr(const otel::SpanData& span, std::string_view key) {
  const auto* value = span.attribute(key);
  if (value == nullptr || !std::holds_alternative<std::string>(*value)) return "<absent>";
  return std::get<std::string>(*value);
}

inline std::optional<int64_t> int_attr(const otel::SpanData& span, std::string_view key) {
  const auto* value = span.attribute(key);
  if (value == nullptr || !std::holds_alternative<int64_t>(*value)) return std::nullopt;
  return std::get<int64_t>(*value);
}

inline std::optional<bool> bool_attr(const otel::SpanData& span, std::string_view key) {
  const auto* value = span.attribute(key);
  if (value == nullptr || !std::holds_alternative<bool>(*value)) return std::nullopt;
  return std::get<bool>(*value);
}

inline int64_t micros_of(double ms) {
  return std::llround(ms * 1000.0);
}

// Unix nanoseconds at which hop `hop` starts: the first hop's wall clock reading, then whole
// microseconds of steady time (timeline.md's resolution).
inline int64_t hop_start_unix_nano(const Timeline& timeline, std::size_t hop) {
  const Stamps first = timeline.stamps(0);
  const Stamps stamps = timeline.stamps(hop);
  const int64_t delta =
      std::chrono::duration_cast<std::chrono::nanoseconds>(stamps.start - first.start).count();
  int64_t n = delta + 500;
  int64_t micros = n / 1000 - (n % 1000 < 0 ? 1 : 0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(first.started_at.time_since_epoch())
             .count() +
         micros * 1000;
}

// The spans of hop `hop` agree with the Timeline's phases and marks to the nanosecond: the
// CLIENT span covers [start, start + total], and dns, tls, send, wait and receive last exactly
// their phase and sit where the marks put them.
inline void expect_phases_match(const std::vector<otel::SpanData>& spans, const Timeline& timeline,
                                std::size_t hop) {
  std::vector<const otel::SpanData*> clients;
  for (const auto& span : spans) {
    if (span.kind == otel::SpanKind::client) clients.push_back(&span);
  }
  ASSERT_GT(clients.size(), hop);
  const otel::SpanData& client = *clients[hop];
  const Phases phases = timeline.phases(hop);
  const Marks marks = timeline.marks(hop);
  const int64_t start = hop_start_unix_nano(timeline, hop);
  auto at = [&](double ms) { return start + micros_of(ms) * 1000; };
  EXPECT_EQ(client.start_unix_nano, start) << "hop " << hop;
  EXPECT_EQ(client.end_unix_nano, at(phases.total)) << "hop " << hop;

  auto child = [&](std::string_view name) -> const otel::SpanData* {
    for (const auto& span : spans) {
      if (span.name == name && span.parent_span_id == client.span_id) return &span;
    }
    return nullptr;
  };
  auto expect_phase = [&](std::string_view name, const std::optional<double>& phase) {
    const otel::SpanData* span = child(name);
    if (!phase) {
      EXPECT_EQ(span, nullptr) << name << " of hop " << hop << " did not happen";
      return;
    }
    ASSERT_NE(span, nullptr) << name << " of hop " << hop;
    EXPECT_EQ(span->end_unix_nano - span->start_unix_nano, micros_of(*phase) * 1000)
        << name << " of hop " << hop;
  };
  expect_phase("dns", phases.dns);
  expect_phase("tls", phases.tls);
  expect_phase("send", phases.send);
  expect_phase("wait", phases.wait);
  expect_phase("receive", phases.receive);
  if (phases.pool_wait) {
    ASSERT_NE(child("pool_wait"), nullptr);
    EXPECT_EQ(child("pool_wait")->start_unix_nano, start);
    EXPECT_LE(child("pool_wait")->end_unix_nano - start,
              micros_of(*phases.pool_wait) * 1000 + micros_of(phases.dns.value_or(0)) * 1000 +
                  micros_of(phases.connect.value_or(0)) * 1000 +
                  micros_of(phases.tls.value_or(0)) * 1000);
  }
  if (phases.dns) {
    EXPECT_EQ(child("dns")->end_unix_nano, at(*marks.namelookup));
  }
  if (phases.tls) {
    EXPECT_EQ(child("tls")->end_unix_nano, at(*marks.appconnect));
  }
  if (phases.send) {
    EXPECT_EQ(child("send")->start_unix_nano, at(*marks.pretransfer));
  }
  if (phases.receive) {
    EXPECT_EQ(child("receive")->start_unix_nano, at(*marks.starttransfer));
    EXPECT_EQ(child("receive")->end_unix_nano, at(marks.total));
  }
}

}  // namespace httptrace::testing
