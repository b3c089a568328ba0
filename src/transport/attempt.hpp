#pragma once
// What one attempt of a round trip did on its connection — the facts the retry rules
// (trace-semantics "Our decisions") and the error's maybe_sent() are decided from.

#include <cstdint>

namespace httptrace {

struct AttemptState {
  uint64_t bytes_written = 0;        // request bytes that reached the socket
  bool first_byte_fired = false;     // got_first_response_byte fired for this attempt
  bool body_sent = false;            // the whole request body went out
  bool body_withheld = false;        // a final answer came before 100-continue or mid-upload
  bool wrote_request_fired = false;  // wrote_request fired for this attempt
};

}  // namespace httptrace
