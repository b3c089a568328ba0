// From a RequestTrace's Timeline to spans: one CLIENT span per hop with a child per phase,
// under an INTERNAL span when the request was redirected. Times come from the same
// whole-microsecond offsets as the Timeline's phases (timeline.md), so span durations equal
// them exactly.

#include <algorithm>

#include "httptrace/otel.hpp"
#include "otel/semconv.hpp"
#include "timeline/derive.hpp"
#include "timeline/facts.hpp"
#include "timeline/timeline_access.hpp"

namespace httptrace::otel {
namespace {

using time_point = std::chrono::steady_clock::time_point;
using httptrace::detail::Offsets;
using httptrace::detail::PhaseMicros;
using httptrace::detail::round_micros;

// Enough for a CLIENT span's attributes over TLS, so the vector is allocated once.
constexpr std::size_t kHopAttributes = 24;

// One hop's clock: unix nanoseconds at a whole-microsecond offset from the hop's start.
struct HopClock {
  int64_t base_unix_nano = 0;
  time_point start;

  int64_t at_micros(int64_t micros) const noexcept { return base_unix_nano + micros * 1000; }
  int64_t at(time_point t) const noexcept { return at_micros(round_micros(t - start)); }
};

// The wall clock is read once per timeline, with its first hop's steady start (spec: one
// system_clock reading per hop start); later hops are placed by steady time from it, so the
// gaps between hops are exact too.
struct TimelineClock {
  int64_t anchor_unix_nano = 0;
  time_point anchor;

  HopClock hop(time_point hop_start) const noexcept {
    return {anchor_unix_nano + round_micros(hop_start - anchor) * 1000, hop_start};
  }
};

// A phase span's id, derived from its hop's: to_spans() is then a pure function of the
// RequestTrace, so exporting the same request twice yields the same spans (SplitMix64 mixing;
// never zero).
SpanId phase_span_id(const SpanId& hop, uint64_t ordinal) {
  uint64_t x = 0;
  for (uint8_t b : hop.bytes) x = (x << 8) | b;
  x += 0x9e3779b97f4a7c15ULL * (ordinal + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  if (x == 0) x = 1;
  SpanId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i) {
    id.bytes[i] = static_cast<uint8_t>(x >> (8 * (id.bytes.size() - 1 - i)));
  }
  return id;
}

class Builder {
 public:
  Builder(const RequestTrace& trace, std::vector<SpanData>& out) : trace_(trace), out_(out) {}

  SpanData& span(const SpanId& id, const SpanId& parent, std::string name, SpanKind kind,
                 int64_t start, int64_t end) {
    SpanData& s = out_.emplace_back();
    s.trace_id = trace_.trace_id();
    s.span_id = id;
    s.parent_span_id = parent;
    s.parent_remote = parent == trace_.parent().span_id && trace_.parent().remote;
    s.trace_flags = trace_.trace_flags();
    s.trace_state = trace_.parent().trace_state;
    s.name = std::move(name);
    s.kind = kind;
    s.start_unix_nano = start;
    s.end_unix_nano = std::max(start, end);
    return s;
  }

  // The next child of hop span `hop`.
  SpanData& child(const SpanId& hop, std::string name, int64_t start, int64_t end) {
    return span(phase_span_id(hop, children_++), hop, std::move(name), SpanKind::internal, start,
                end);
  }

  // A phase span between two offsets of the hop.
  SpanData& phase(const HopClock& clock, const SpanId& hop, std::string name, int64_t from,
                  int64_t to) {
    return child(hop, std::move(name), clock.at_micros(from), clock.at_micros(to));
  }

 private:
  const RequestTrace& trace_;
  std::vector<SpanData>& out_;
  uint64_t children_ = 0;
};

void set_error(SpanData& span, std::string type, std::string message) {
  detail::Attributes(span.attributes).add("error.type", std::move(type));
  span.status = StatusCode::error;
  span.status_message = std::move(message);
}

// The outcome of a hop: error.type is the ErrorCode's name for a failure, the status code for
// a 4xx/5xx answer (semconv "Status": client spans are errors from 400 up).
void set_outcome(SpanData& span, const std::optional<Error>& error,
                 const std::optional<HopResponse>& response) {
  detail::Attributes attrs(span.attributes);
  if (response) {
    attrs.add("http.response.status_code", static_cast<int64_t>(response->status_code));
    attrs.add("network.protocol.name", "http");
    attrs.add("network.protocol.version", detail::protocol_version(response->proto));
  }
  if (error) {
    set_error(span, std::string(to_string(error->code())), error->what());
  } else if (response && response->status_code >= 400) {
    set_error(span, std::to_string(response->status_code), response->status);
  }
}

void add_dns_span(Builder& b, const HopClock& clock, const SpanId& hop_id, const Offsets& o,
                  const HopFacts& facts) {
  if (!o.dns_start) return;
  SpanData& s = b.phase(clock, hop_id, "dns", *o.dns_start, o.dns_done.value_or(o.end));
  detail::Attributes attrs(s.attributes);
  if (!facts.dns) return;
  attrs.add("dns.question.name", facts.dns->host);
  std::vector<std::string> answers;
  for (const IpAddress& addr : facts.dns->addrs) answers.push_back(addr.to_string());
  attrs.add("dns.answers", std::move(answers));
  if (facts.dns->coalesced) attrs.add("httptrace.dns.coalesced", true);
  if (facts.dns->err) set_error(s, "dns", *facts.dns->err);
}

void add_connect_spans(Builder& b, const HopClock& clock, const SpanId& hop_id,
                       const HopFacts& facts, const Stamps& stamps) {
  for (const ConnectAttempt& attempt : facts.connect_attempts) {
    // A racer that never finished was abandoned when another won (or the hop ended).
    const time_point done = attempt.done.value_or(stamps.connect_done.value_or(stamps.end));
    SpanData& s = b.child(hop_id, "connect", clock.at(attempt.start), clock.at(done));
    detail::Attributes attrs(s.attributes);
    attrs.add("network.transport", attempt.network);
    if (auto peer = detail::split_address(attempt.addr)) {
      attrs.add("network.peer.address", std::move(peer->first));
      attrs.add("network.peer.port", peer->second);
    }
    if (attempt.err) {
      set_error(s, "connect", *attempt.err);
    } else if (!attempt.done) {
      attrs.add("httptrace.connect.abandoned", true);
    }
  }
}

void add_tls_span(Builder& b, const HopClock& clock, const SpanId& hop_id, const Offsets& o,
                  const HopFacts& facts) {
  if (!o.tls_start) return;
  SpanData& s = b.phase(clock, hop_id, "tls", *o.tls_start, o.tls_done.value_or(o.end));
  if (o.tls_done && facts.tls) {
    detail::Attributes attrs(s.attributes);
    detail::add_tls_attributes(attrs, *facts.tls);
    return;
  }
  if (!facts.tls_errors.empty()) set_error(s, "tls", facts.tls_errors.back());
}

void add_phase_spans(Builder& b, const HopClock& clock, const SpanId& hop_id, const Offsets& o,
                     const PhaseMicros& p, const HopFacts& facts, const Stamps& stamps) {
  if (p.pool_wait && o.got_conn) {
    // The wait for a connection as a real interval: from the hop's start to the first dial step
    // (or got_conn when none). Without a dial it is exactly the pool_wait phase; with one the
    // phase also counts the gaps between the dial steps, which no single interval can show.
    int64_t waited_until = *o.got_conn;
    for (const auto& step : {o.dns_start, o.connect_start, o.tls_start}) {
      if (step) waited_until = std::min(waited_until, *step);
    }
    b.phase(clock, hop_id, "pool_wait", 0, waited_until);
  }
  add_dns_span(b, clock, hop_id, o, facts);
  add_connect_spans(b, clock, hop_id, facts, stamps);
  add_tls_span(b, clock, hop_id, o, facts);
  if (p.send && o.got_conn) {
    const int64_t sent = *o.got_conn + *p.send;
    b.phase(clock, hop_id, "send", *o.got_conn, sent);
    if (p.wait) b.phase(clock, hop_id, "wait", sent, sent + *p.wait);
  }
  if (p.receive && o.first_byte) b.phase(clock, hop_id, "receive", *o.first_byte, o.end);
}

}  // namespace

const AttributeValue* SpanData::attribute(std::string_view key) const noexcept {
  for (const Attribute& a : attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

std::vector<SpanData> to_spans(const RequestTrace& trace) {
  std::vector<SpanData> out;
  const Timeline& timeline = trace.timeline();
  const std::size_t hops = timeline.hops();
  if (hops == 0) return out;

  const Stamps first = timeline.stamps(0);
  const TimelineClock clock{
      std::chrono::duration_cast<std::chrono::nanoseconds>(first.started_at.time_since_epoch())
          .count(),
      first.start};
  Builder b(trace, out);
  out.reserve(hops * 8 + 1);

  const bool redirected = hops > 1;
  const SpanId outer_parent = trace.parent().span_id;
  const SpanId hop_parent = redirected ? trace.request_span_id() : outer_parent;
  if (redirected) {
    const Stamps last = timeline.stamps(hops - 1);
    const HopClock last_clock = clock.hop(last.start);
    const auto request = timeline.request(0);
    SpanData& s = b.span(trace.request_span_id(), outer_parent,
                         detail::span_name(request ? request->method : "GET"), SpanKind::internal,
                         clock.anchor_unix_nano, last_clock.at(last.end));
    detail::Attributes attrs(s.attributes);
    if (request) detail::add_request_attributes(attrs, *request);
    set_outcome(s, timeline.facts(hops - 1).error, timeline.response(hops - 1));
  }

  for (std::size_t hop = 0; hop < hops; ++hop) {
    const Stamps stamps = timeline.stamps(hop);
    const Offsets o = httptrace::detail::offsets_of(stamps);
    const PhaseMicros p = httptrace::detail::phase_micros(o);
    const HopFacts facts = timeline.facts(hop);
    const auto request = timeline.request(hop);
    const HopClock hop_clock = clock.hop(stamps.start);
    const SpanId hop_id = trace.hop_span_id(hop);

    SpanData& s = b.span(hop_id, hop_parent, detail::span_name(request ? request->method : ""),
                         SpanKind::client, hop_clock.at_micros(0), hop_clock.at_micros(o.end));
    s.attributes.reserve(kHopAttributes);
    detail::Attributes attrs(s.attributes);
    if (request) detail::add_request_attributes(attrs, *request);
    const auto resends = static_cast<int64_t>(hop + (facts.attempts > 1 ? facts.attempts - 1 : 0));
    if (resends > 0) attrs.add("http.request.resend_count", resends);
    if (facts.conn) detail::add_connection_attributes(attrs, *facts.conn);
    if (facts.tls) detail::add_tls_attributes(attrs, *facts.tls);
    set_outcome(s, facts.error, timeline.response(hop));
    add_phase_spans(b, hop_clock, hop_id, o, p, facts, stamps);
  }
  return out;
}

// Mirrors to_spans() and add_phase_spans() decision for decision. Exporter::submit() calls it
// on the request path for every request the full queue drops, so it reads the Timeline's raw
// record under one lock and builds none of the facts (strings, vectors) to_spans() needs.
std::size_t span_count(const RequestTrace& trace) {
  using httptrace::detail::TimelineAccess;
  const Timeline& timeline = trace.timeline();
  std::lock_guard lock(TimelineAccess::mutex(timeline));
  const std::size_t hops = TimelineAccess::hops(timeline).size();
  if (hops == 0) return 0;
  std::size_t n = hops > 1 ? 1 : 0;
  for (std::size_t hop = 0; hop < hops; ++hop) {
    const Offsets o = TimelineAccess::offsets(timeline, hop);
    const PhaseMicros p = httptrace::detail::phase_micros(o);
    const bool sent = p.send && o.got_conn;
    n += 1;  // the hop's CLIENT span
    n += (p.pool_wait && o.got_conn) ? 1 : 0;
    n += o.dns_start ? 1 : 0;
    n += httptrace::detail::connect_attempt_count(timeline, hop);
    n += o.tls_start ? 1 : 0;
    n += sent ? 1 : 0;
    n += (sent && p.wait) ? 1 : 0;
    n += (p.receive && o.first_byte) ? 1 : 0;
  }
  return n;
}

}  // namespace httptrace::otel
