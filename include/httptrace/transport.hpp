#pragma once
// Transport: the RoundTripper that owns connections — Go's http.Transport. It resolves and
// dials (Happy Eyeballs), speaks TLS, keeps idle keep-alive connections in a pool, writes the
// request, reads the response head, and fires every ClientTrace hook on the way.
//
// Thread-safe: any number of threads may call round_trip() on one Transport at once; each
// call blocks its thread, honouring the request context's deadline and cancellation in every
// wait. The Transport must outlive the Responses it returned while their bodies are read.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/resolver.hpp"
#include "httptrace/response.hpp"
#include "httptrace/url.hpp"

namespace httptrace {

using namespace std::chrono_literals;

namespace detail {
struct TransportAccess;  // the library's own layers reach Transport::Impl through it
}

// Go's RoundTripper: one request in, one response (or an error) out.
class RoundTripper {
 public:
  virtual ~RoundTripper() = default;
  [[nodiscard]] virtual Result<Response> round_trip(const Request& request) = 0;
};

// TLS client settings (Go's tls.Config, the parts a client needs).
struct TlsOptions {
  std::string ca_file;            // PEM bundle to trust instead of the system store
  std::string ca_dir;             // hashed directory to trust instead of the system store
  std::string cert_file;          // client certificate (PEM) for mutual TLS
  std::string key_file;           // its key (PEM); empty = in cert_file
  std::string server_name;        // SNI and verification name override
  bool insecure_skip_verify = false;
  uint16_t min_version = 0x0303;  // TLS 1.2
  uint16_t max_version = 0;       // 0 = the highest supported
  bool session_cache = true;      // resume sessions (did_resume)
  std::vector<std::string> alpn;  // empty = the transport's choice ("h2", "http/1.1")
};

// Picks the proxy for a request: nullopt = connect directly; an Error fails the request.
using ProxyFunc = std::function<Result<std::optional<Url>>(const Request&)>;
// Go's ProxyFromEnvironment: HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case), read once per
// process; localhost and loopback addresses are never proxied.
ProxyFunc proxy_from_environment();
// Always this proxy.
ProxyFunc proxy_url(Url proxy);
// This proxy, except for the hosts a NO_PROXY-style list names (curl's --proxy with --noproxy:
// IPs, CIDRs, host[:port], .domain, domain, or "*"). Loopback targets are proxied unless listed.
ProxyFunc proxy_url(Url proxy, std::string_view no_proxy);

// Which address families the dialer may use (curl's -4 / -6).
enum class IpFamily : uint8_t { any, v4, v6 };

// Default-constructed = Go's DefaultTransport values.
struct TransportOptions {
  ProxyFunc proxy = proxy_from_environment();
  std::chrono::nanoseconds dial_timeout = 30s;      // per dial, across every address tried
  std::chrono::nanoseconds keep_alive = 30s;        // TCP keep-alive probe period; < 0 disables
  std::chrono::nanoseconds fallback_delay = 300ms;  // Happy Eyeballs; < 0 disables the race
  int max_idle_conns = 100;                         // across hosts; 0 = no limit
  int max_idle_conns_per_host = 2;                  // < 0 = no pooling at all (0 means 2)
  int max_conns_per_host = 0;                       // dialing + active + idle; 0 = no limit
  std::chrono::nanoseconds idle_conn_timeout = 90s; // 0 = forever
  std::chrono::nanoseconds tls_handshake_timeout = 10s;
  std::chrono::nanoseconds expect_continue_timeout = 1s;
  std::chrono::nanoseconds response_header_timeout = 0ns;  // after the request is written; 0 = none
  bool disable_keep_alives = false;
  bool disable_compression = false;
  bool force_attempt_http2 = true;                  // offer "h2" in TLS ALPN; false = HTTP/1.1 only
  bool http2_prior_knowledge = false;               // http:// URLs speak h2c directly (no Upgrade)
  std::size_t max_response_header_bytes = 10 << 20;
  std::vector<std::string> dns_servers;   // "ip[:port]"; empty = the system's
  std::shared_ptr<Resolver> resolver;     // optional injected resolver (wins over dns_servers)
  // curl's --resolve: "host:port" → addresses used instead of a lookup (no DNS hooks fire).
  std::map<std::string, std::vector<IpAddress>> resolve_overrides;
  IpFamily ip_family = IpFamily::any;
  TlsOptions tls;
  // User-Agent sent when the request has none; empty = send none.
  std::string user_agent = "httptrace/0.1";
};

// Counters for tests and monitoring (a snapshot).
struct PoolStats {
  std::size_t open_conns = 0;        // dialing, in use, or idle
  std::size_t idle_conns = 0;
  std::size_t waiting_requests = 0;  // blocked on max_conns_per_host
};

class Transport : public RoundTripper {
 public:
  // Throws std::invalid_argument for an invalid option (e.g. a malformed dns_servers entry).
  explicit Transport(TransportOptions options = {});
  ~Transport() override;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends `request` and reads the response head; the body streams from the returned Response.
  // Hooks fire as trace-semantics.md describes. A dead reused connection is retried on another
  // one by the rules of "Our decisions" (a non-replayable request is never sent twice).
  [[nodiscard]] Result<Response> round_trip(const Request& request) override;
  // Closes every idle connection; connections in use are closed instead of pooled when freed.
  void close_idle_connections();
  PoolStats pool_stats() const;
  const TransportOptions& options() const noexcept;

  struct Impl;

 private:
  friend struct detail::TransportAccess;
  std::shared_ptr<Impl> impl_;
};

// The process-wide Transport with DefaultTransport's values.
std::shared_ptr<Transport> default_transport();

}  // namespace httptrace
