// The fact views of Timeline: decoding what the hooks carried, when a view asks.

#include "timeline/facts.hpp"

#include <algorithm>
#include <array>

#include "timeline/certificate.hpp"
#include "timeline/timeline_access.hpp"

namespace httptrace {

namespace detail {

namespace {

bool failed(const RawEvent& e) noexcept {
  return (e.flags & kFailed) != 0;
}

TlsFacts tls_facts(const TlsNames& n, bool did_resume) {
  TlsFacts f;
  f.version = n.version;
  f.version_name = n.version_name;
  f.cipher_suite = n.cipher_suite;
  f.cipher_suite_name = n.cipher_suite_name;
  f.server_name = n.server_name;
  f.negotiated_protocol = n.negotiated_protocol;
  f.did_resume = did_resume;
  return f;
}

ConnFacts read_conn(ArgReader& r, const RawEvent& e) {
  const GotConnArgs args = GotConnArgs::read(r);
  ConnFacts c;
  c.id = args.id;
  c.idle_time = args.idle_time;
  c.local_addr = args.local_addr;
  c.remote_addr = args.remote_addr;
  c.reused = (e.flags & kReused) != 0;
  c.was_idle = (e.flags & kWasIdle) != 0;
  return c;
}

std::vector<IpAddress> read_addrs(ArgReader& r) {
  std::vector<IpAddress> addrs;
  const auto count = r.get<uint32_t>();
  addrs.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const auto family = r.get<uint8_t>();
    std::array<uint8_t, 16> bytes{};
    for (uint8_t& b : bytes) b = r.get<uint8_t>();
    const auto scope = r.get<uint32_t>();
    if (family == 6) {
      addrs.push_back(IpAddress::v6(bytes, scope));
    } else {
      addrs.push_back(IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]}));
    }
  }
  return addrs;
}

// The leaf DER of a successful handshake recorded by `hop` in `attempt`.
std::optional<std::string_view> handshake_leaf(const HopRecord& hop, uint16_t attempt) {
  for (const RawEvent& e : hop.events) {
    if (e.kind != EventKind::tls_handshake_done || e.attempt != attempt || failed(e)) continue;
    ArgReader r(hop.args, e.args);
    TlsNames::read(r);
    r.str();  // err
    std::string_view der = r.str();
    if (!der.empty()) return der;
  }
  return std::nullopt;
}

// A reused connection's certificate: from the hop (of this timeline, up to `upto`) whose
// attempt dialed that connection.
std::optional<std::string_view> earlier_leaf(const std::vector<HopRecord>& hops, std::size_t upto,
                                             uint64_t conn_id) {
  if (conn_id == 0) return std::nullopt;
  for (std::size_t j = upto + 1; j-- > 0;) {
    const HopRecord& hop = hops[j];
    for (const RawEvent& e : hop.events) {
      if (e.kind != EventKind::got_conn || (e.flags & kReused) != 0) continue;
      ArgReader r(hop.args, e.args);
      if (r.get<uint64_t>() != conn_id) continue;
      if (auto der = handshake_leaf(hop, e.attempt)) return der;
    }
  }
  return std::nullopt;
}

void note_connect_done(std::vector<ConnectAttempt>& attempts, const RawEvent& e, ArgReader& r) {
  std::string_view network = r.str();
  std::string_view addr = r.str();
  std::string_view err = r.str();
  for (auto it = attempts.rbegin(); it != attempts.rend(); ++it) {
    if (it->done || it->attempt != e.attempt || it->network != network || it->addr != addr)
      continue;
    it->done = e.at;
    if (failed(e)) it->err = std::string(err);
    return;
  }
}

}  // namespace

// Every connect_start opens an attempt in hop_facts(), whichever retry it belongs to.
std::size_t connect_attempt_count(const Timeline& t, std::size_t index) {
  const HopRecord& hop = TimelineAccess::hop(t, index);
  return static_cast<std::size_t>(
      std::count_if(hop.events.begin(), hop.events.end(),
                    [](const RawEvent& e) { return e.kind == EventKind::connect_start; }));
}

HopFacts hop_facts(const Timeline& t, std::size_t index, bool with_certificate) {
  const HopRecord& hop = TimelineAccess::hop(t, index);
  const uint16_t last = hop.current_attempt();
  HopFacts f;
  f.attempts = hop.attempts;
  std::optional<TlsFacts> handshake_tls;
  for (const RawEvent& e : hop.events) {
    ArgReader r(hop.args, e.args);
    const bool in_last = e.attempt == last;
    switch (e.kind) {
      case EventKind::dns_start:
        if (!in_last) break;
        f.dns.emplace();
        f.dns->host = r.str();
        break;
      case EventKind::dns_done: {
        if (!in_last) break;
        if (!f.dns) f.dns.emplace();
        std::string_view err = r.str();
        f.dns->done = true;
        f.dns->coalesced = (e.flags & kCoalesced) != 0;
        if (failed(e)) f.dns->err = std::string(err);
        f.dns->addrs = read_addrs(r);
        break;
      }
      case EventKind::connect_start: {
        ConnectAttempt& a = f.connect_attempts.emplace_back();
        a.attempt = e.attempt;
        a.network = r.str();
        a.addr = r.str();
        a.start = e.at;
        break;
      }
      case EventKind::connect_done:
        note_connect_done(f.connect_attempts, e, r);
        break;
      case EventKind::tls_handshake_done: {
        TlsNames names = TlsNames::read(r);
        std::string_view err = r.str();
        if (failed(e)) {
          f.tls_errors.emplace_back(err);
        } else if (in_last && !handshake_tls) {
          handshake_tls = tls_facts(names, (e.flags & kDidResume) != 0);
        }
        break;
      }
      case EventKind::got_conn:
        if (!in_last || f.conn) break;
        f.conn = read_conn(r, e);
        if ((e.flags & kHasTls) != 0)
          f.tls = tls_facts(TlsNames::read(r), (e.flags & kDidResume) != 0);
        break;
      case EventKind::got_1xx_response:
        if (in_last) f.informational.push_back(r.get<int32_t>());
        break;
      case EventKind::got_100_continue:
        if (in_last) f.got_100_continue = true;
        break;
      case EventKind::wrote_request:
        if (!in_last) break;
        f.write_error.reset();
        if (failed(e)) f.write_error = std::string(r.str());
        break;
      case EventKind::put_idle_conn:
        f.pooled = !failed(e);
        f.pool_refusal.reset();
        if (failed(e)) f.pool_refusal = std::string(r.str());
        break;
      default:
        break;
    }
  }
  if (!f.tls) f.tls = std::move(handshake_tls);
  if (f.tls && with_certificate) {
    auto der = handshake_leaf(hop, last);
    if (!der && f.conn && f.conn->reused)
      der = earlier_leaf(TimelineAccess::hops(t), index, f.conn->id);
    if (der) f.tls->leaf = summarize_certificate(*der);
  }
  f.error = hop.error;
  return f;
}

std::optional<HopRequest> hop_request(const Timeline& t, std::size_t index) {
  const HopRecord& hop = TimelineAccess::hop(t, index);
  if (!hop.request) return std::nullopt;
  HopRequest out;
  out.method = hop.request->method();
  out.url = hop.request->url().redacted();
  out.body_size = hop.request->body().length();
  const uint16_t last = hop.current_attempt();
  for (const RawEvent& e : hop.events) {
    if (e.kind != EventKind::wrote_header_field || e.attempt != last) continue;
    ArgReader r(hop.args, e.args);
    WrittenField& field = out.fields.emplace_back();
    field.key = r.str();
    const auto count = r.get<uint32_t>();
    field.values.reserve(count);
    for (uint32_t i = 0; i < count; ++i) field.values.emplace_back(r.str());
  }
  return out;
}

std::optional<HopResponse> hop_response(const Timeline& t, std::size_t index) {
  const HopRecord& hop = TimelineAccess::hop(t, index);
  for (const RawEvent& e : hop.events) {
    if (e.kind != EventKind::response) continue;
    ArgReader r(hop.args, e.args);
    HopResponse out;
    out.status_code = r.get<int32_t>();
    out.status = r.str();
    out.proto = r.str();
    if (auto space = out.status.find(' '); space != std::string::npos)
      out.reason = out.status.substr(space + 1);
    const bool has_length = r.get<uint8_t>() != 0;
    const auto length = r.get<uint64_t>();
    if (has_length) out.content_length = length;
    out.uncompressed = r.get<uint8_t>() != 0;
    const auto count = r.get<uint32_t>();
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view key = r.str();
      out.header.add_raw(key, r.str());
    }
    if (index + 1 == TimelineAccess::hops(t).size())
      out.body_bytes_read = TimelineAccess::body_bytes_read(t);
    return out;
  }
  return std::nullopt;
}

std::vector<TimelineEvent> hop_events(const Timeline& t, std::size_t index) {
  const HopRecord& hop = TimelineAccess::hop(t, index);
  std::vector<TimelineEvent> out;
  out.reserve(hop.events.size());
  for (const RawEvent& e : hop.events) {
    TimelineEvent& event = out.emplace_back();
    event.name = event_name(e.kind);
    event.at = e.at;
    event.attempt = e.attempt;
    event.detail = event_detail(hop, e);
    event.failed = failed(e);
  }
  return out;
}

}  // namespace detail

HopFacts Timeline::facts(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::hop_facts(*this, hop);
}

std::optional<HopRequest> Timeline::request(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::hop_request(*this, hop);
}

std::optional<HopResponse> Timeline::response(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::hop_response(*this, hop);
}

std::vector<TimelineEvent> Timeline::events(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return detail::hop_events(*this, hop);
}

}  // namespace httptrace
