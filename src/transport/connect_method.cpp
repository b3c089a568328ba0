#include "transport/connect_method.hpp"

#include "message/ascii.hpp"
#include "net/dialer.hpp"
#include "tls/tls_stream.hpp"
#include "transport/proxy_tunnel.hpp"
#include "transport/transport_impl.hpp"

namespace httptrace {
namespace {

uint16_t proxy_port(const Url& proxy) {
  if (!proxy.port().empty()) return proxy.port_or_default();
  return proxy.scheme() == "https" ? 443 : 80;
}

// Go: a proxy dial failure reads "proxyconnect tcp: <the dial error>".
Error proxy_connect_error(Error error) {
  if (error.code() == ErrorCode::canceled || error.code() == ErrorCode::deadline_exceeded) return error;
  error.with_message("proxyconnect tcp: " + error.message());
  return Error(std::move(error));
}

Result<std::unique_ptr<net::Stream>> dial(Transport::Impl& t, const Request& request, std::string_view host,
                                          uint16_t port, std::string_view host_port, const ClientTrace* trace) {
  if (t.fake_dialer) return t.fake_dialer(host, port);
  net::DialOptions options;
  options.timeout = t.options.dial_timeout;
  options.keep_alive = t.options.keep_alive;
  options.fallback_delay = t.options.fallback_delay;
  options.family = t.options.ip_family;
  if (auto it = t.options.resolve_overrides.find(std::string(host_port)); it != t.options.resolve_overrides.end()) {
    options.override_addrs = &it->second;
  }
  auto tcp = net::dial(request.context(), host, port, *t.resolver, options, trace);
  if (!tcp) return fail(std::move(tcp.error()));
  return std::unique_ptr<net::Stream>(std::move(*tcp));
}

Result<std::unique_ptr<net::Stream>> secure(Transport::Impl& t, std::unique_ptr<net::Stream> stream,
                                            const tls::ClientConfig& config, std::string_view host, uint16_t port,
                                            const Request& request, const ClientTrace* trace) {
  tls::HandshakeParams params;
  params.host = std::string(host);
  params.port = port;
  params.timeout = t.options.tls_handshake_timeout;
  return tls::handshake(std::move(stream), config, params, request.context(), trace);
}

}  // namespace

MethodText& MethodText::spill(std::string_view s) {
  if (!spilled_) {
    heap_.assign(inline_.data(), size_);
    spilled_ = true;
  }
  heap_ += s;
  return *this;
}

[[gnu::hot]] Result<ConnectMethod> connect_method_for(Transport::Impl& t, const Request& request) {
  const Url& url = request.url();
  ConnectMethod method;
  if (t.options.proxy) {
    auto proxy = t.options.proxy(request);
    if (!proxy) return fail(std::move(proxy.error()));
    method.proxy = std::move(*proxy);
  }
  std::string proxy_url;
  if (method.proxy) {
    const Url& proxy = *method.proxy;
    if (proxy.scheme() != "http" && proxy.scheme() != "https") {
      return fail(ErrorCode::proxy, "proxy scheme \"" + ascii::printable(proxy.scheme()) + "\" of " +
                                        proxy.redacted() + " is not supported (use http:// or https://)");
    }
    if (proxy.hostname().empty()) return fail(ErrorCode::proxy, "proxy URL " + proxy.redacted() + " has no host");
    proxy_url = proxy.to_string();
    method.proxy_auth = proxy_authorization(proxy);
    method.tunnel = url.scheme() == "https";
    method.absolute_form = url.scheme() == "http";
  }
  if (url.scheme() == "https") {
    auto config = t.tls.get();
    if (!config) return fail(std::move(config.error()));
    method.tls = std::move(*config);
  }
  if (method.proxy && method.proxy->scheme() == "https") {
    auto config = t.proxy_tls.get();
    if (!config) return fail(std::move(config.error()));
    method.proxy_tls = std::move(*config);
  }
  // Both configurations come from the same TlsOptions: one identity stands for both.
  const auto& config = method.tls ? method.tls : method.proxy_tls;
  const std::string_view identity = config ? std::string_view(config->identity()) : std::string_view();

  MethodText& text = method.text_;
  auto append_target = [&] {
    const std::size_t pos = text.size();
    url.append_host_port(text);
    method.target_ = {pos, text.size() - pos};
  };
  text += url.scheme();
  text += '|';
  if (!method.absolute_form) append_target();
  if (method.proxy) {
    text += '|';
    text += proxy_url;
  }
  if (config) {
    text += '|';
    text += identity;
  }
  method.key_ = {0, text.size()};
  if (method.absolute_form) append_target();
  if (method.proxy) {
    // Go's canonicalAddr of the proxy URL, as for the target.
    const std::size_t pos = text.size();
    method.proxy->append_host_port(text);
    method.first_hop_ = {pos, text.size() - pos};
  } else {
    method.first_hop_ = method.target_;
  }
  return method;
}

Result<std::unique_ptr<net::Stream>> establish(Transport::Impl& t, const Request& request, const ConnectMethod& method,
                                               const ClientTrace* trace) {
  const Url& url = request.url();
  if (!method.proxy) {
    auto stream = dial(t, request, url.hostname(), url.port_or_default(), method.target(), trace);
    if (!stream) return stream;
    if (url.scheme() != "https") return stream;
    return secure(t, std::move(*stream), *method.tls, url.hostname(), url.port_or_default(), request, trace);
  }
  const Url& proxy = *method.proxy;
  auto stream = dial(t, request, proxy.hostname(), proxy_port(proxy), method.first_hop(), trace);
  if (!stream) return fail(proxy_connect_error(std::move(stream.error())));
  if (proxy.scheme() == "https") {
    // TLS to the proxy itself: its own pair of TLS hooks (trace-semantics §2 TLSHandshakeStart).
    stream = secure(t, std::move(*stream), *method.proxy_tls, proxy.hostname(), proxy_port(proxy), request, trace);
    if (!stream) return fail(proxy_connect_error(std::move(stream.error())));
  }
  if (!method.tunnel) return stream;
  stream = open_tunnel(std::move(*stream), method.target(), method.proxy_auth, t.options.user_agent, request.context(),
                       t.limits);
  if (!stream) return stream;
  return secure(t, std::move(*stream), *method.tls, url.hostname(), url.port_or_default(), request, trace);
}

}  // namespace httptrace
