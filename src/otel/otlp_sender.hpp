#pragma once
// One batch to the collector: POST the OTLP/JSON body, retrying with exponential backoff when
// the answer says to (OTLP/HTTP "Retryable response codes": 429, 502, 503, 504, or no answer at
// all), honouring Retry-After. Runs on the exporter's thread with a Client of its own whose
// requests carry no trace.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "httptrace/client.hpp"
#include "httptrace/context.hpp"
#include "httptrace/otel.hpp"

namespace httptrace::otel::detail {

struct SendOutcome {
  bool delivered = false;
  int retries = 0;         // POSTs repeated
  std::string last_error;  // why the last failed POST failed; "" when none did
};

class OtlpSender {
 public:
  explicit OtlpSender(const ExporterOptions& options);

  // Delivers `body`, or gives up after options.max_attempts, or when `stop` ends (which also
  // cuts a POST or a backoff short).
  SendOutcome send(const std::string& body, const Context& stop);

 private:
  // The pause before the next attempt: the answer's Retry-After when it gave one, else the
  // current backoff with jitter (half to all of it, so that exporters started together do not
  // retry in step).
  std::chrono::nanoseconds next_delay(std::optional<std::chrono::seconds> retry_after,
                                      std::chrono::nanoseconds backoff) const;

  const ExporterOptions& options_;
  Client client_;
};

// "Retry-After: <seconds>" (RFC 9110 §10.2.3, the delay-seconds form); nullopt otherwise.
std::optional<std::chrono::seconds> retry_after_seconds(const Header& header);

}  // namespace httptrace::otel::detail
