#include "timeline/derive.hpp"

#include <algorithm>

namespace httptrace::detail {
namespace {

using time_point = std::chrono::steady_clock::time_point;

void first_wins(std::optional<time_point>& stamp, time_point at) {
  if (!stamp) stamp = at;
}

std::optional<int64_t> offset(const std::optional<time_point>& t, time_point start) {
  if (!t) return std::nullopt;
  return round_micros(*t - start);
}

std::optional<double> ms_of(const std::optional<int64_t>& micros) {
  if (!micros) return std::nullopt;
  return ms(*micros);
}

}  // namespace

int64_t round_micros(std::chrono::nanoseconds d) noexcept {
  int64_t n = d.count() + 500;
  int64_t q = n / 1000;
  if (n % 1000 < 0) --q;
  return q;
}

Stamps select_stamps(const HopRecord& hop, time_point end) {
  Stamps s;
  s.started_at = hop.started_at;
  s.start = hop.start;
  s.end = end;
  // Every stamp comes from the last attempt: a retry's phases are its own, the failed attempts
  // before it fall into pool_wait (timeline.md "Stamps").
  const uint16_t last = hop.current_attempt();
  bool reused = false;
  for (const RawEvent& e : hop.events) {
    if (e.attempt != last) continue;
    const bool failed = (e.flags & kFailed) != 0;
    switch (e.kind) {
      case EventKind::get_conn:
        first_wins(s.get_conn, e.at);
        break;
      case EventKind::dns_start:
        first_wins(s.dns_start, e.at);
        break;
      case EventKind::dns_done:
        if (s.dns_start) first_wins(s.dns_done, e.at);
        break;
      // cs is the dial's first connect_start, so connect spans the failed attempts before the
      // success (Happy Eyeballs); cd is the first success — a losing racer ends nothing.
      case EventKind::connect_start:
        first_wins(s.connect_start, e.at);
        break;
      case EventKind::connect_done:
        if (!failed && s.connect_start) first_wins(s.connect_done, e.at);
        break;
      case EventKind::tls_handshake_start:
        first_wins(s.tls_handshake_start, e.at);
        break;
      case EventKind::tls_handshake_done:
        if (!failed && s.tls_handshake_start) first_wins(s.tls_handshake_done, e.at);
        break;
      case EventKind::got_conn:
        if (!s.got_conn) reused = (e.flags & kReused) != 0;
        first_wins(s.got_conn, e.at);
        break;
      case EventKind::wrote_headers:
        first_wins(s.wrote_headers, e.at);
        break;
      // Last-wins: k6's lesson (tool-anchors §4.2).
      case EventKind::wrote_request:
        s.wrote_request = e.at;
        break;
      case EventKind::got_first_response_byte:
        first_wins(s.first_byte, e.at);
        break;
      default:
        break;
    }
  }
  if (reused) {
    // A reused connection was not made for this request: whatever dial stamps the attempt has
    // belong to no phase (timeline.md: absent "reused").
    s.dns_start = s.dns_done = s.connect_start = s.connect_done = std::nullopt;
    s.tls_handshake_start = s.tls_handshake_done = std::nullopt;
  }
  return s;
}

Offsets offsets_of(const Stamps& s) {
  Offsets o;
  o.get_conn = offset(s.get_conn, s.start);
  o.dns_start = offset(s.dns_start, s.start);
  o.dns_done = offset(s.dns_done, s.start);
  o.connect_start = offset(s.connect_start, s.start);
  o.connect_done = offset(s.connect_done, s.start);
  o.tls_start = offset(s.tls_handshake_start, s.start);
  o.tls_done = offset(s.tls_handshake_done, s.start);
  o.got_conn = offset(s.got_conn, s.start);
  o.wrote_request = offset(s.wrote_request, s.start);
  o.first_byte = offset(s.first_byte, s.start);
  o.end = round_micros(s.end - s.start);
  return o;
}

PhaseMicros phase_micros(const Offsets& o) {
  PhaseMicros p;
  p.total = o.end;
  if (o.dns_start && o.dns_done) p.dns = *o.dns_done - *o.dns_start;
  if (o.connect_start && o.connect_done) p.connect = *o.connect_done - *o.connect_start;
  if (o.tls_start && o.tls_done) p.tls = *o.tls_done - *o.tls_start;
  if (o.got_conn) {
    p.pool_wait = *o.got_conn - p.dns.value_or(0) - p.connect.value_or(0) - p.tls.value_or(0);
    if (o.wrote_request && o.first_byte) {
      p.send = std::min(*o.wrote_request, *o.first_byte) - *o.got_conn;
    } else if (o.wrote_request) {
      p.send = *o.wrote_request - *o.got_conn;
    } else if (o.first_byte) {
      p.send = *o.first_byte - *o.got_conn;
    }
  }
  if (o.first_byte) {
    // The server answering before the request was fully written (an early reply, a 100
    // Continue) waits 0, never a negative time.
    p.wait =
        o.wrote_request && *o.first_byte > *o.wrote_request ? *o.first_byte - *o.wrote_request : 0;
    p.receive = o.end - *o.first_byte;
  }
  return p;
}

Phases to_phases(const PhaseMicros& p) {
  Phases out;
  out.pool_wait = ms_of(p.pool_wait);
  out.dns = ms_of(p.dns);
  out.connect = ms_of(p.connect);
  out.tls = ms_of(p.tls);
  out.send = ms_of(p.send);
  out.wait = ms_of(p.wait);
  out.receive = ms_of(p.receive);
  out.total = ms(p.total);
  return out;
}

Marks to_marks(const Offsets& o) {
  Marks m;
  if (o.dns_start) m.namelookup = ms_of(o.dns_done);
  if (o.connect_start) m.connect = ms_of(o.connect_done);
  if (o.tls_start) m.appconnect = ms_of(o.tls_done);
  m.pretransfer = ms_of(o.got_conn);
  m.posttransfer = ms_of(o.wrote_request);
  m.starttransfer = ms_of(o.first_byte);
  m.total = ms(o.end);
  return m;
}

K6Timings to_k6(const Offsets& o, const PhaseMicros& p) {
  K6Timings k;
  if (o.get_conn && o.got_conn) k.blocked = ms(*o.got_conn - *o.get_conn);
  k.connecting = ms_of(p.connect);
  k.tls_handshaking = ms_of(p.tls);
  k.sending = ms_of(p.send);
  k.waiting = ms_of(p.wait);
  k.receiving = ms_of(p.receive);
  if (p.send) k.duration = ms(*p.send + p.wait.value_or(0) + p.receive.value_or(0));
  return k;
}

HarMicros to_har_micros(const PhaseMicros& p) {
  HarMicros h;
  h.blocked = p.pool_wait.value_or(-1);
  h.dns = p.dns.value_or(-1);
  // HAR's connect includes ssl (HAR 1.2 §timings, for HAR 1.1 readers).
  if (p.connect || p.tls) h.connect = p.connect.value_or(0) + p.tls.value_or(0);
  h.ssl = p.tls.value_or(-1);
  h.send = p.send.value_or(-1);
  h.wait = p.wait.value_or(-1);
  h.receive = p.receive.value_or(-1);
  for (int64_t v : {h.blocked, h.dns, h.connect, h.send, h.wait, h.receive}) {
    if (v > 0) h.time += v;
  }
  return h;
}

HarTimings to_har(const HarMicros& h) {
  auto value = [](int64_t v) { return v < 0 ? -1.0 : ms(v); };
  HarTimings out;
  out.blocked = value(h.blocked);
  out.dns = value(h.dns);
  out.connect = value(h.connect);
  out.ssl = value(h.ssl);
  out.send = value(h.send);
  out.wait = value(h.wait);
  out.receive = value(h.receive);
  out.time = ms(h.time);
  return out;
}

}  // namespace httptrace::detail
