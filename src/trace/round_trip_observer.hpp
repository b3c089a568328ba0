#pragma once
// A round-trip observer: what the sixteen Go hooks do not say — when a round trip (one hop of
// a redirect chain, with all its retry attempts) begins, and what it returned. The Transport
// notifies it; the timeline recorder uses it to cut hops and to keep each hop's response head
// (status, headers) for HAR. Carried in the Context like a ClientTrace, composed the same way
// (newest first). Callbacks run on the thread that called round_trip().

#include <functional>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"

namespace httptrace::detail {

struct RoundTripObserver {
  // round_trip() entered, before any hook of this hop fires.
  std::function<void(const Request&)> started;
  // round_trip() is about to return: the response head (its body unread), or the error.
  std::function<void(const Request&, const Response* response, const Error* error)> finished;
};

Context with_round_trip_observer(const Context& ctx, RoundTripObserver observer);
const RoundTripObserver* context_round_trip_observer(const Context& ctx) noexcept;

}  // namespace httptrace::detail
