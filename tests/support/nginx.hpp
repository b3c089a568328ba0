#pragma once
// NginxServer: a real nginx (the system's nginx-light) on 127.0.0.1 for integration tests.
//
// One process in the foreground (`daemon off; master_process off;`), so it runs as the invoking
// user and dies with the fixture. Everything it writes (config, pid, error log, temp paths,
// the served files) lives in a fresh temp dir removed by the destructor. The config has
// `access_log off`, `keepalive_requests 100000`, `keepalive_timeout 75s`,
// `client_max_body_size 100m` and these locations in every server block (plain and TLS):
//
//   = /hello         200 "hello world\n", text/plain, Content-Length. Any method (a POST body
//                    is read and discarded; the connection stays alive).
//   /static/16k.bin  16 KiB, /static/1m.bin 1 MiB: application/octet-stream, Content-Length,
//                    bytes from static_file_content() (nginx_content.hpp).
//   /static/text.txt 64 KiB text/plain; with `Accept-Encoding: gzip` the answer is gzipped and
//                    chunked (Content-Encoding: gzip, Transfer-Encoding: chunked), otherwise
//                    identity with Content-Length. Only text.txt is ever gzipped.
//   = /redirect      302, `Location: /hello` (relative).
//   = /redirect-abs  302, `Location: http://127.0.0.1:<port>/hello` (https and the TLS port in
//                    the TLS block) — absolute, the same server.
//   = /status/NNN    NNN for 200 201 204 301 302 303 304 307 308 400 401 403 404 417 500 502
//                    503. 3xx carry `Location: /hello`; 204 and 304 have no body; the others a
//                    text/plain body "status NNN\n" and keep the connection alive (a bare
//                    `return 400` would make nginx close it). 401 adds
//                    `WWW-Authenticate: Basic realm="httptrace"`.
//   = /close         200 "closing\n" with `Connection: close`; nginx then closes.
//   = /upload        200 "ok\n" for any method; the request body (Content-Length or chunked,
//                    up to 100 MiB, Expect: 100-continue honoured) is read and discarded, and
//                    the connection stays alive. (nginx's static module answers a POST to a
//                    file with 405, so upload tests use this.)
//   anything else    404 from the (empty) document root.
//
// Threads: construct and destroy on one thread; the accessors are const and may be called from
// any thread.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/nginx_content.hpp"

namespace httptrace::testing {

struct NginxTlsOptions {
  // PEM files given to ssl_certificate / ssl_certificate_key. The certificate file may hold
  // the leaf followed by intermediates (TestPki's chain_path()).
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  // ssl_protocols, verbatim.
  std::string protocols = "TLSv1.2 TLSv1.3";
  enum class ClientCerts { none, required, optional };
  // ssl_verify_client on (required) / optional; needs client_ca.
  ClientCerts client_certs = ClientCerts::none;
  // ssl_client_certificate: the CA(s) client certificates must chain to.
  std::filesystem::path client_ca;
  // `listen ... ssl http2`: ALPN offers h2 then http/1.1.
  bool http2 = false;
};

struct NginxOptions {
  // The plain-HTTP server block; false for a TLS-only server.
  bool plain = true;
  // A second server block speaking TLS on its own port.
  std::optional<NginxTlsOptions> tls;
  // Every listener also on [::1], at the same port number as on 127.0.0.1.
  bool ipv6 = false;
  // Appended verbatim inside each server block (locations, directives).
  std::string extra_server_config;
  // Appended verbatim inside the http block (upstreams, maps).
  std::string extra_http_config;
  // worker_connections; nginx warns (harmlessly) if it exceeds RLIMIT_NOFILE.
  int worker_connections = 4096;
};

class NginxServer {
 public:
  // Starts nginx and returns once every listener accepts TCP connections (≤ 5 s). Throws
  // std::runtime_error carrying nginx's error log if nginx is missing, rejects the config or
  // never comes up (a test that constructs one fails with that text); std::invalid_argument
  // for options that make no server (no plain and no TLS, TLS without files).
  explicit NginxServer(NginxOptions options = {});
  // As stop().
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  // SIGQUIT, then SIGKILL if nginx is still there after 2 s; reaps it. Idempotent. The temp dir
  // stays until destruction, so error_log() still works.
  void stop();

  // 0 when that listener is not configured.
  std::uint16_t port() const noexcept { return port_; }
  std::uint16_t tls_port() const noexcept { return tls_port_; }
  // "http://127.0.0.1:P" and "https://127.0.0.1:T" (no trailing slash).
  std::string base_url() const;
  std::string tls_base_url() const;
  // "http://[::1]:P" and "https://[::1]:T"; only meaningful with options.ipv6.
  std::string base_url_v6() const;
  std::string tls_base_url_v6() const;

  // The error log so far (level info: nginx logs client-side aborts there too).
  std::string error_log() const;
  std::filesystem::path error_log_path() const;
  // The generated nginx.conf, for failure messages.
  std::string config() const;
  // The directory /static/ is served from; a test may add files before requesting them.
  std::filesystem::path static_dir() const;
  pid_t pid() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
};

}  // namespace httptrace::testing
