#pragma once
// How a request reaches its target (Go's connectMethod): directly, or through a proxy — in
// absolute form for http targets, through a CONNECT tunnel for https ones — and the pool key
// connections for it are kept under.

#include <array>
#include <cstring>
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

// The text behind a ConnectMethod's key, target and first hop: inline up to kInline bytes, so
// that a request on a pooled connection allocates nothing for it (spec/performance.md P7),
// on the heap past that (a long host, a proxy URL, a TLS identity).
class MethodText {
 public:
  MethodText& operator+=(std::string_view s) {
    if (spilled_ || s.size() > kInline - size_) return spill(s);
    if (s.empty()) return *this;  // its data() may be null, which memcpy may not be given
    std::memcpy(inline_.data() + size_, s.data(), s.size());
    size_ += s.size();
    return *this;
  }
  MethodText& operator+=(char c) {
    if (spilled_ || size_ == kInline) return spill(std::string_view(&c, 1));
    inline_[size_++] = c;
    return *this;
  }
  std::string_view view() const noexcept { return spilled_ ? std::string_view(heap_) : std::string_view(inline_.data(), size_); }
  std::size_t size() const noexcept { return spilled_ ? heap_.size() : size_; }

 private:
  MethodText& spill(std::string_view s);

  static constexpr std::size_t kInline = 64;
  std::array<char, kInline> inline_;
  std::size_t size_ = 0;  // of inline_, until spilled_
  std::string heap_;
  bool spilled_ = false;
};

struct ConnectMethod {
  std::optional<Url> proxy;
  bool tunnel = false;         // https target through a proxy: CONNECT, then TLS to the target
  bool absolute_form = false;  // http target through a proxy: "GET http://host/path HTTP/1.1"
  std::string proxy_auth;      // "Basic ..." from the proxy URL's userinfo, or ""
  std::shared_ptr<tls::ClientConfig> tls;        // for an https target
  std::shared_ptr<tls::ClientConfig> proxy_tls;  // for an https proxy (never offers h2)

  // The pool key: scheme, target (omitted for plain http through a proxy, which Go shares
  // across targets: §5 j1), the proxy URL with its credentials (bad-inputs H52: two sets of
  // proxy credentials never share a connection), the TLS identity (I56).
  std::string_view key() const noexcept { return slice(key_); }
  // The target's "host:port" (the CONNECT authority).
  std::string_view target() const noexcept { return slice(target_); }
  // "host:port" dialed: get_conn's argument (the proxy's when proxied).
  std::string_view first_hop() const noexcept { return slice(first_hop_); }

 private:
  friend Result<ConnectMethod> connect_method_for(Transport::Impl& transport, const Request& request);
  struct Slice {
    std::size_t pos = 0;
    std::size_t size = 0;
  };
  std::string_view slice(Slice s) const noexcept { return text_.view().substr(s.pos, s.size); }

  // The key, then whichever of target and first hop it does not contain. Slices, not views, so
  // that moving a ConnectMethod keeps them valid.
  MethodText text_;
  Slice key_;
  Slice target_;
  Slice first_hop_;
};

// How `request` travels with `transport`'s options: the proxy (if any), TLS configurations and
// the pool key. Fails with ErrorCode::proxy for an unusable proxy URL, or the TLS
// configuration's error.
[[nodiscard]] Result<ConnectMethod> connect_method_for(Transport::Impl& transport, const Request& request);

// Dials the first hop and builds the stream stack: TCP, TLS to an https proxy, the CONNECT
// tunnel, TLS to an https target — firing the DNS, connect and TLS hooks (none for CONNECT).
[[nodiscard]] Result<std::unique_ptr<net::Stream>> establish(Transport::Impl& transport, const Request& request,
                                                             const ConnectMethod& method, const ClientTrace* trace);

}  // namespace httptrace
