#pragma once
// OpenTelemetry semantic conventions for HTTP clients (semconv "HTTP spans", stable since
// v1.23; "TLS" and "Network" attributes): the attribute names and the value forms they ask for.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "httptrace/otel.hpp"
#include "httptrace/timeline.hpp"

namespace httptrace::otel::detail {

class Attributes {
 public:
  explicit Attributes(std::vector<Attribute>& out) : out_(out) {}
  Attributes& add(std::string_view key, std::string value);
  Attributes& add(std::string_view key, std::string_view value) {
    return add(key, std::string(value));
  }
  Attributes& add(std::string_view key, const char* value) { return add(key, std::string(value)); }
  Attributes& add(std::string_view key, int64_t value);
  Attributes& add(std::string_view key, bool value);
  Attributes& add(std::string_view key, std::vector<std::string> value);

 private:
  std::vector<Attribute>& out_;
};

// The span name for a method: the method itself when it is a known one, "HTTP" otherwise
// (semconv "Name": {method}, or HTTP for _OTHER).
std::string span_name(std::string_view method);

// http.request.method (and http.request.method_original for a non-standard one), url.full with
// credentials replaced by REDACTED:REDACTED, server.address, server.port.
void add_request_attributes(Attributes& attrs, const HopRequest& request);

// "HTTP/1.1" → "1.1", "HTTP/2.0" → "2" (network.protocol.version's form).
std::string protocol_version(std::string_view proto);

// "127.0.0.1:80" → {"127.0.0.1", 80}; "[::1]:443" → {"::1", 443}; nullopt when unparsable.
std::optional<std::pair<std::string, int64_t>> split_address(std::string_view address);

// network.peer.* and network.local.* of a connection, and our connection facts.
void add_connection_attributes(Attributes& attrs, const ConnFacts& conn);

// tls.protocol.version ("1.3"), tls.cipher, tls.next_protocol (ALPN), tls.resumed,
// tls.client.server_name.
void add_tls_attributes(Attributes& attrs, const TlsFacts& tls);

// "TLS 1.3" → "1.3".
std::string tls_version(const TlsFacts& tls);

}  // namespace httptrace::otel::detail
