#pragma once
// A test seam: wrap every connection's stream stack as it is made, to inject faults (fail the
// Nth read or write, stall, cut the connection) or to replace the network entirely (the
// transport fuzzer feeds scripted bytes through an in-memory stream). Not part of the public
// API; production code never sets it.

#include <functional>
#include <memory>

#include "httptrace/transport.hpp"
#include "net/stream.hpp"

namespace httptrace::detail {

// Receives the freshly connected stack (after TCP and, for https, TLS) and returns the
// stream the transport will use.
using StreamWrapper = std::function<std::unique_ptr<net::Stream>(std::unique_ptr<net::Stream>)>;

// Applies to connections `transport` makes from now on. Set before sending requests.
void set_stream_wrapper(Transport& transport, StreamWrapper wrapper);

// Replaces dialing altogether: `dialer` makes the stream for each new connection (host, port)
// without DNS or connect hooks. For fuzzing the transport over scripted bytes.
using FakeDialer = std::function<Result<std::unique_ptr<net::Stream>>(std::string_view host, uint16_t port)>;
void set_fake_dialer(Transport& transport, FakeDialer dialer);

}  // namespace httptrace::detail
