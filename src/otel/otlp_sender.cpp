// POSTing a batch with retries (OTLP specification, "OTLP/HTTP Throttling" and "Retryable
// Response Codes").

#include "otel/otlp_sender.hpp"

#include <algorithm>
#include <charconv>
#include <random>

#include "message/ascii.hpp"
#include "otel/otlp_json.hpp"

namespace httptrace::otel::detail {
namespace {

constexpr std::size_t kErrorBodyExcerpt = 200;

bool retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

ClientOptions exporter_client(const ExporterOptions& options) {
  ClientOptions client;
  client.transport = options.transport ? options.transport : std::make_shared<Transport>();
  return client;
}

std::string status_error(Response& response) {
  std::string error = "the collector answered " + std::string(response.status());
  auto body = response.body().read_all();
  if (body && !body->empty()) {
    error += ": " + ascii::printable(std::string_view(*body).substr(0, kErrorBodyExcerpt));
  }
  return error;
}

}  // namespace

std::optional<std::chrono::seconds> retry_after_seconds(const Header& header) {
  auto value = header.get("Retry-After");
  if (!value) return std::nullopt;
  std::string_view text = ascii::trim_ows(*value);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

OtlpSender::OtlpSender(const ExporterOptions& options)
    : options_(options), client_(exporter_client(options)) {}

std::chrono::nanoseconds OtlpSender::next_delay(std::optional<std::chrono::seconds> retry_after,
                                                std::chrono::nanoseconds backoff) const {
  if (retry_after) {
    return std::min<std::chrono::nanoseconds>(*retry_after, options_.max_backoff);
  }
  thread_local std::minstd_rand jitter{std::random_device{}()};
  std::uniform_int_distribution<int64_t> half_to_all(backoff.count() / 2, backoff.count());
  return std::chrono::nanoseconds(half_to_all(jitter));
}

SendOutcome OtlpSender::send(const std::string& body, const Context& stop) {
  SendOutcome outcome;
  std::chrono::nanoseconds backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    auto request = Request::make("POST", options_.traces_url, RequestBody::from_string(body));
    if (!request) {
      outcome.last_error = request.error().what();
      return outcome;
    }
    for (std::size_t i = 0; i < options_.headers.size(); ++i) {
      const Header::Field field = options_.headers.field(i);
      request->header().add(field.key, field.value);
    }
    request->header().set("Content-Type", "application/json");
    request->header().set("User-Agent",
                          "httptrace-otlp-exporter/" + std::string(library_version()));
    // The exporter's own requests are never traced: the context holds only the stop signal
    // and a deadline.
    auto [ctx, cancel] = with_timeout(stop, options_.export_timeout);
    auto response = client_.send(request->with_context(ctx));
    std::optional<std::chrono::seconds> retry_after;
    bool retry = true;
    if (response) {
      const int status = response->status_code();
      if (status >= 200 && status < 300) {
        (void)response->body().discard();
        outcome.delivered = true;
        return outcome;
      }
      retry = retryable_status(status);
      retry_after = retry_after_seconds(response->header());
      outcome.last_error = status_error(*response);
    } else {
      outcome.last_error = response.error().what();
    }
    cancel();
    if (!retry || attempt >= options_.max_attempts || stop.is_done()) return outcome;
    // Context::wait returns early (true) once `stop` ends: shutdown cuts the backoff short.
    if (stop.wait(next_delay(retry_after, backoff))) return outcome;
    backoff = std::min(backoff * 2, options_.max_backoff);
    ++outcome.retries;
  }
}

}  // namespace httptrace::otel::detail
