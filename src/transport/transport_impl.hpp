#pragma once
// Transport::Impl: the state behind a Transport, shared with the response body streams it
// hands out (so a body being read keeps the pool alive).

#include <memory>
#include <mutex>
#include <optional>

#include "httptrace/transport.hpp"
#include "http1/limits.hpp"
#include "tls/client_config.hpp"
#include "transport/pool.hpp"
#include "transport/stream_wrapper.hpp"

namespace httptrace {

struct Transport::Impl {
  explicit Impl(TransportOptions options);

  [[nodiscard]] Result<Response> round_trip(const Request& request);
  // The retry loop of one round trip (round_trip adds the observer's notifications).
  [[nodiscard]] Result<Response> round_trip_attempts(const Request& request);

  // The TLS client configuration (one SSL_CTX), made on first use; a CA or key file that
  // cannot be read fails the https requests, not the construction.
  [[nodiscard]] Result<std::shared_ptr<tls::ClientConfig>> tls_config();

  TransportOptions options;
  std::shared_ptr<Resolver> resolver;
  std::shared_ptr<Pool> pool;
  http1::ParserLimits limits;
  std::mutex tls_mu;
  std::shared_ptr<tls::ClientConfig> tls;
  std::optional<Error> tls_error;
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
