#pragma once
// Whether a failed attempt is retried on another connection: trace-semantics "Our decisions",
// retry rules, after Go's shouldRetryRequest.

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "transport/attempt.hpp"

namespace httptrace {

// GET, HEAD, OPTIONS, TRACE, or a request carrying Idempotency-Key / X-Idempotency-Key.
bool is_idempotent(const Request& request);

// Only a *reused* connection that failed before any response byte, by a write failure or an
// EOF/reset while awaiting the response, is retried — and then only when nothing was written
// (and the body is empty or rewindable), or when the request is idempotent with an empty or
// rewindable body. Otherwise the error is final: connection errors then carry maybe_sent().
// Marks `error` (maybe_sent) when it is not retried.
bool should_retry(Error& error, bool reused, const AttemptState& state, const Request& request);

}  // namespace httptrace
