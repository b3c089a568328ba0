#pragma once
// Transport::Impl: the state behind a Transport, shared with the response body streams it
// hands out (so a body being read keeps the pool alive).

#include <memory>
#include <mutex>
#include <optional>

#include "httptrace/transport.hpp"
#include "http1/limits.hpp"
#include "transport/h2_conns.hpp"
#include "transport/pool.hpp"
#include "transport/stream_wrapper.hpp"
#include "transport/transport_setup.hpp"

namespace httptrace {

struct Transport::Impl {
  explicit Impl(TransportOptions options);

  [[nodiscard]] Result<Response> round_trip(const Request& request);
  // The retry loop of one round trip (round_trip adds the observer's notifications).
  [[nodiscard]] Result<Response> round_trip_attempts(const Request& request);

  TransportOptions options;
  std::shared_ptr<Resolver> resolver;
  std::shared_ptr<Pool> pool;
  std::shared_ptr<H2Conns> h2;  // the shared HTTP/2 connections (h2_conns.hpp)
  http1::ParserLimits limits;
  TlsConfigSlot tls;  // TLS to an https origin (ALPN may offer h2)
  // TLS to an https proxy: HTTP/1.1 only, as the CONNECT or absolute-form request needs.
  TlsConfigSlot proxy_tls;
  // Test seams (stream_wrapper.hpp); empty in production.
  detail::StreamWrapper wrap_stream;
  detail::FakeDialer fake_dialer;
};

namespace detail {
struct TransportAccess {
  static Transport::Impl& impl(Transport& transport) noexcept { return *transport.impl_; }
};
}  // namespace detail

}  // namespace httptrace
