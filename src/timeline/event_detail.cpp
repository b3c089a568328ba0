// TimelineEvent names and their one-line details, formatted only when a view asks.

#include <array>
#include <charconv>

#include "timeline/facts.hpp"

namespace httptrace::detail {
namespace {

void append_number(std::string& out, uint64_t n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

void append_ms(std::string& out, std::chrono::nanoseconds d) {
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof buf, static_cast<double>(d.count()) / 1e6,
                              std::chars_format::fixed, 3);
  out.append(buf, result.ptr);
  out += "ms";
}

void append_word(std::string& out, std::string_view word) {
  if (word.empty()) return;
  if (!out.empty()) out += ' ';
  out += word;
}

std::string tls_detail(ArgReader& r, bool did_resume) {
  TlsNames n = TlsNames::read(r);
  std::string out;
  append_word(out, n.version_name);
  append_word(out, n.cipher_suite_name);
  if (!n.negotiated_protocol.empty())
    append_word(out, "alpn=" + std::string(n.negotiated_protocol));
  if (!n.server_name.empty()) append_word(out, "sni=" + std::string(n.server_name));
  if (did_resume) append_word(out, "resumed");
  return out;
}

std::string got_conn_detail(ArgReader& r, uint8_t flags) {
  const GotConnArgs args = GotConnArgs::read(r);
  std::string out = (flags & kReused) != 0 ? "reused" : "new";
  if ((flags & kWasIdle) != 0) {
    out += " idle ";
    append_ms(out, args.idle_time);
  }
  out += " conn ";
  append_number(out, args.id);
  append_word(out, args.local_addr);
  if (!args.remote_addr.empty()) append_word(out, "-> " + std::string(args.remote_addr));
  if ((flags & kHasTls) != 0) append_word(out, tls_detail(r, (flags & kDidResume) != 0));
  return out;
}

std::string dns_done_detail(ArgReader& r, uint8_t flags) {
  std::string_view err = r.str();
  if ((flags & kFailed) != 0) return std::string(err);
  std::string out;
  const auto count = r.get<uint32_t>();
  for (uint32_t i = 0; i < count; ++i) {
    const auto family = r.get<uint8_t>();
    std::array<uint8_t, 16> bytes{};
    for (uint8_t& b : bytes) b = r.get<uint8_t>();
    const auto scope = r.get<uint32_t>();
    IpAddress addr = family == 6 ? IpAddress::v6(bytes, scope)
                                 : IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    if (!out.empty()) out += ", ";
    out += addr.to_string();
  }
  if ((flags & kCoalesced) != 0) append_word(out, "(coalesced)");
  return out;
}

std::string header_field_detail(ArgReader& r) {
  std::string out(r.str());
  out += ':';
  const auto count = r.get<uint32_t>();
  for (uint32_t i = 0; i < count; ++i) {
    out += i == 0 ? " " : ", ";
    out += r.str();
  }
  return out;
}

std::string response_detail(ArgReader& r) {
  r.get<int32_t>();
  std::string out(r.str());
  append_word(out, r.str());
  return out;
}

}  // namespace

std::string_view event_name(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::start:
      return "start";
    case EventKind::get_conn:
      return "get_conn";
    case EventKind::dns_start:
      return "dns_start";
    case EventKind::dns_done:
      return "dns_done";
    case EventKind::connect_start:
      return "connect_start";
    case EventKind::connect_done:
      return "connect_done";
    case EventKind::tls_handshake_start:
      return "tls_handshake_start";
    case EventKind::tls_handshake_done:
      return "tls_handshake_done";
    case EventKind::got_conn:
      return "got_conn";
    case EventKind::wrote_header_field:
      return "wrote_header_field";
    case EventKind::wrote_headers:
      return "wrote_headers";
    case EventKind::wait_100_continue:
      return "wait_100_continue";
    case EventKind::wrote_request:
      return "wrote_request";
    case EventKind::got_first_response_byte:
      return "got_first_response_byte";
    case EventKind::got_100_continue:
      return "got_100_continue";
    case EventKind::got_1xx_response:
      return "got_1xx_response";
    case EventKind::put_idle_conn:
      return "put_idle_conn";
    case EventKind::response:
      return "response";
    case EventKind::error:
      return "error";
    case EventKind::end:
      return "end";
  }
  return "unknown";
}

std::string event_detail(const HopRecord& hop, const RawEvent& e) {
  ArgReader r(hop.args, e.args);
  switch (e.kind) {
    case EventKind::start:
      if (!hop.request) return {};
      return std::string(hop.request->method()) + " " + hop.request->url().redacted();
    case EventKind::get_conn:
    case EventKind::dns_start:
    case EventKind::error:
      return std::string(r.str());
    case EventKind::dns_done:
      return dns_done_detail(r, e.flags);
    case EventKind::connect_start: {
      std::string out(r.str());
      append_word(out, r.str());
      return out;
    }
    case EventKind::connect_done: {
      std::string out(r.str());
      append_word(out, r.str());
      std::string_view err = r.str();
      if ((e.flags & kFailed) != 0) out += ": " + std::string(err);
      return out;
    }
    case EventKind::tls_handshake_done: {
      std::string out = tls_detail(r, (e.flags & kDidResume) != 0);
      std::string_view err = r.str();
      return (e.flags & kFailed) != 0 ? std::string(err) : out;
    }
    case EventKind::got_conn:
      return got_conn_detail(r, e.flags);
    case EventKind::wrote_header_field:
      return header_field_detail(r);
    case EventKind::got_1xx_response: {
      std::string out;
      append_number(out, static_cast<uint64_t>(r.get<int32_t>()));
      return out;
    }
    case EventKind::wrote_request:
    case EventKind::put_idle_conn:
      return std::string(r.str());
    case EventKind::response:
      return response_detail(r);
    case EventKind::end: {
      if (r.get<uint8_t>() == 0) return {};
      std::string out;
      append_number(out, r.get<uint64_t>());
      out += " body bytes";
      return out;
    }
    default:
      return {};
  }
}

}  // namespace httptrace::detail
