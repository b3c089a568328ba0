#pragma once
// How a request reaches its target (Go's connectMethod): directly, or through a proxy — in
// absolute form for http targets, through a CONNECT tunnel for https ones — and the pool key
// connections for it are kept under.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "httptrace/request.hpp"
#include "httptrace/trace.hpp"
#include "httptrace/transport.hpp"
#include "net/stream.hpp"
#include "tls/client_config.hpp"

namespace httptrace {

struct ConnectMethod {
  std::optional<Url> proxy;
  bool tunnel = false;         // https target through a proxy: CONNECT, then TLS to the target
  bool absolute_form = false;  // http target through a proxy: "GET http://host/path HTTP/1.1"
  std::string first_hop;       // "host:port" dialed — get_conn's argument (the proxy's when proxied)
  std::string target;          // the target's "host:port" (the CONNECT authority)
  std::string proxy_auth;      // "Basic ..." from the proxy URL's userinfo, or ""
  std::shared_ptr<tls::ClientConfig> tls;        // for an https target
  std::shared_ptr<tls::ClientConfig> proxy_tls;  // for an https proxy (never offers h2)
  // The pool key: scheme, target (omitted for plain http through a proxy, which Go shares
  // across targets: §5 j1), the proxy URL with its credentials (bad-inputs H52: two sets of
  // proxy credentials never share a connection), the TLS identity (I56).
  std::string key;
};



[[nodiscard]] Result<ConnectMethod> connect_method_for(Transport::Impl& transport, const Request& request);

// Dials the first hop and builds the stream stack: TCP, TLS to an https proxy, the CONNECT
// tunnel, TLS to an https target — firing the DNS, connect and TLS hooks (none for CONNECT).
[[nodiscard]] Result<std::unique_ptr<net::Stream>> establish(Transport::Impl& transport, const Request& request,
                                                             const ConnectMethod& method, const ClientTrace* trace);

}  // namespace httptrace
