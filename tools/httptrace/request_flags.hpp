#pragma once
// The request and connection flags `events`, `stat` and `load` share (curl's spellings,
// spec/events-format.md), and turning them into a Request, a Transport and a Client.

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httptrace/http.hpp>

namespace httptrace::cli {

struct RequestFlags {
  std::string url;
  std::string method;                  // -X (default GET, or POST with -d)
  std::vector<std::string> headers;    // -H 'Key: value'
  std::optional<std::string> data;     // -d DATA or -d @FILE
  bool follow_redirects = false;       // -L
  bool disable_keepalive = false;      // --disable-keepalive
  double max_time_s = 0;               // -m/--max-time: the whole exchange
  double connect_timeout_s = 0;        // --connect-timeout: the dial
  std::string dns_servers;             // --dns-servers IP[:PORT][,...]
  std::vector<std::string> resolve;    // --resolve HOST:PORT:ADDR[,ADDR...]
  bool ipv4_only = false;              // -4
  bool ipv6_only = false;              // -6
  bool http1_1 = false;                // --http1.1: HTTP/1.1 only (no "h2" in TLS ALPN)
  bool http2 = false;                  // --http2: offer "h2" in TLS ALPN (the default)
  bool http2_prior_knowledge = false;  // --http2-prior-knowledge: h2c for http:// URLs
  std::string cacert;                  // --cacert FILE: trust these CAs instead of the system's
  bool insecure = false;               // -k/--insecure: skip certificate verification
  std::string cert;                    // --cert FILE: client certificate (PEM)
  std::string key;                     // --key FILE: its private key (PEM; default: in --cert)
  bool tlsv1_2 = false;                // --tlsv1.2: at least TLS 1.2 (curl's meaning)
  bool tlsv1_3 = false;                // --tlsv1.3: at least TLS 1.3
  std::string proxy;                   // --proxy URL (default: the environment, as Go)
  std::string noproxy;                 // --noproxy LIST: exceptions to --proxy
};

// What a run needs, built once: requests are copies of `request`.
struct Prepared {
  Request request;
  std::shared_ptr<Transport> transport;
  ClientOptions client_options;
};

// A usage problem (exit 2): one line naming it.
using UsageError = std::string;

// Checks the flags and builds the objects; nothing is sent.
std::expected<Prepared, UsageError> prepare(const RequestFlags& flags);

// Whether the request may go over HTTP/2: an https URL without --http1.1 (ALPN decides), or
// --http2-prior-knowledge (h2c for http:// URLs).
bool may_use_http2(const RequestFlags& flags);

}  // namespace httptrace::cli
