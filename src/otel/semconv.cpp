// The HTTP client semantic conventions' attributes from a Timeline's facts.

#include "otel/semconv.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include "httptrace/url.hpp"

namespace httptrace::otel::detail {
namespace {

// semconv http.request.method: the RFC 9110 methods and PATCH (RFC 5789) are known; any other
// becomes _OTHER with the original kept, so a client cannot explode the name's cardinality.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"};

bool known_method(std::string_view method) {
  return std::find(kKnownMethods.begin(), kKnownMethods.end(), method) != kKnownMethods.end();
}

// semconv url.full: "credentials … SHOULD be redacted … https://REDACTED:REDACTED@host/".
std::string redacted_url(const Url& url) {
  if (!url.has_userinfo()) return url.to_string();
  std::string plain = url.without_userinfo_and_fragment().to_string();
  std::string fragment = url.fragment().empty() ? "" : "#" + std::string(url.fragment());
  const auto scheme_end = plain.find("://");
  if (scheme_end == std::string::npos) return plain;
  plain.insert(scheme_end + 3, "REDACTED:REDACTED@");
  return plain + fragment;
}

}  // namespace

Attributes& Attributes::add(std::string_view key, std::string value) {
  out_.push_back(Attribute{std::string(key), std::move(value)});
  return *this;
}

Attributes& Attributes::add(std::string_view key, int64_t value) {
  out_.push_back(Attribute{std::string(key), value});
  return *this;
}

Attributes& Attributes::add(std::string_view key, bool value) {
  out_.push_back(Attribute{std::string(key), value});
  return *this;
}

Attributes& Attributes::add(std::string_view key, std::vector<std::string> value) {
  out_.push_back(Attribute{std::string(key), std::move(value)});
  return *this;
}

std::string span_name(std::string_view method) {
  return known_method(method) ? std::string(method) : std::string("HTTP");
}

void add_request_attributes(Attributes& attrs, const HopRequest& request) {
  if (known_method(request.method)) {
    attrs.add("http.request.method", request.method);
  } else {
    attrs.add("http.request.method", "_OTHER");
    attrs.add("http.request.method_original", request.method);
  }
  // Parsed once: this runs for every exported request.
  auto url = Url::parse(request.url);
  if (!url) {
    attrs.add("url.full", request.url);
    return;
  }
  attrs.add("url.full", redacted_url(*url));
  attrs.add("server.address", url->hostname());
  attrs.add("server.port", static_cast<int64_t>(url->port_or_default()));
}

std::string protocol_version(std::string_view proto) {
  constexpr std::string_view kPrefix = "HTTP/";
  if (proto.substr(0, kPrefix.size()) == kPrefix) proto.remove_prefix(kPrefix.size());
  if (proto.size() == 3 && proto[1] == '.' && proto[2] == '0' && proto[0] >= '2') {
    proto.remove_suffix(2);
  }
  return std::string(proto);
}

std::optional<std::pair<std::string, int64_t>> split_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int64_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || host.empty()) {
    return std::nullopt;
  }
  return std::pair{std::string(host), port};
}

void add_connection_attributes(Attributes& attrs, const ConnFacts& conn) {
  if (auto peer = split_address(conn.remote_addr)) {
    attrs.add("network.peer.address", std::move(peer->first));
    attrs.add("network.peer.port", peer->second);
  }
  if (auto local = split_address(conn.local_addr)) {
    attrs.add("network.local.address", std::move(local->first));
    attrs.add("network.local.port", local->second);
  }
  // No convention covers connection reuse; the names follow Go's GotConnInfo.
  attrs.add("httptrace.connection.id", static_cast<int64_t>(conn.id));
  attrs.add("httptrace.connection.reused", conn.reused);
  attrs.add("httptrace.connection.was_idle", conn.was_idle);
  if (conn.was_idle) {
    const auto idle = std::chrono::duration_cast<std::chrono::microseconds>(conn.idle_time);
    attrs.add("httptrace.connection.idle_time_us", static_cast<int64_t>(idle.count()));
  }
}

std::string tls_version(const TlsFacts& tls) {
  std::string_view name = tls.version_name;
  constexpr std::string_view kPrefix = "TLS ";
  if (name.substr(0, kPrefix.size()) == kPrefix) name.remove_prefix(kPrefix.size());
  return std::string(name);
}

void add_tls_attributes(Attributes& attrs, const TlsFacts& tls) {
  attrs.add("tls.protocol.name", "tls");
  attrs.add("tls.protocol.version", tls_version(tls));
  if (!tls.cipher_suite_name.empty()) attrs.add("tls.cipher", tls.cipher_suite_name);
  if (!tls.negotiated_protocol.empty()) attrs.add("tls.next_protocol", tls.negotiated_protocol);
  attrs.add("tls.resumed", tls.did_resume);
  if (!tls.server_name.empty()) attrs.add("tls.client.server_name", tls.server_name);
}

}  // namespace httptrace::otel::detail
