#pragma once
// Transport::Impl: the state behind a Transport, shared with the response body streams it
// hands out (so a body being read keeps the pool alive).

#include <memory>

#include "httptrace/transport.hpp"
#include "http1/limits.hpp"
#include "transport/pool.hpp"

namespace httptrace {

struct Transport::Impl {
  explicit Impl(TransportOptions options);

  [[nodiscard]] Result<Response> round_trip(const Request& request);
  // The retry loop of one round trip (round_trip adds the observer's notifications).
  [[nodiscard]] Result<Response> round_trip_attempts(const Request& request);

  TransportOptions options;
  std::shared_ptr<Resolver> resolver;
  std::shared_ptr<Pool> pool;
  http1::ParserLimits limits;
};

}  // namespace httptrace
