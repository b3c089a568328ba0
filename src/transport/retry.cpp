#include "transport/retry.hpp"

namespace httptrace {

bool is_idempotent(const Request& request) {
  std::string_view method = request.method();
  if (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE") return true;
  return request.header().has("Idempotency-Key") || request.header().has("X-Idempotency-Key");
}

bool should_retry(Error& error, bool reused, const AttemptState& state, const Request& request) {
  const bool connection_lost = error.code() == ErrorCode::connection_reset || error.code() == ErrorCode::network;
  if (state.bytes_written > 0 && connection_lost) error.with_maybe_sent(true);
  if (!reused || !connection_lost || state.first_byte_fired) return false;
  const RequestBody& body = request.body();
  if (!body.is_empty() && !body.rewindable()) return false;
  if (state.bytes_written == 0) return true;
  return is_idempotent(request);
}

}  // namespace httptrace
