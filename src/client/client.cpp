#include "httptrace/client.hpp"

#include <optional>
#include <vector>

#include "client/redirect.hpp"
#include "message/ascii.hpp"

namespace httptrace {
namespace {

// Go's url.Error: `Get "http://host/path": <cause>` (method capitalised, URL redacted).
Error describe(Error error, const Request& first, const Url& url) {
  std::string method;
  for (std::size_t i = 0; i < first.method().size(); ++i) {
    char c = first.method()[i];
    method += i == 0 ? ascii::to_upper(c) : ascii::to_lower(c);
  }
  std::string message = method + " \"" + url.redacted() + "\": " + error.message();
  return std::move(error.with_message(std::move(message)));
}

constexpr std::size_t kRedirectDrainLimit = 2048;

// Go drains up to 2 KiB of a 3xx body so its connection can be pooled (put_idle_conn fires).
void drain_and_close(Response& response) {
  auto length = response.content_length();
  if (!length || *length <= kRedirectDrainLimit) {
    std::byte scratch[kRedirectDrainLimit];
    std::size_t total = 0;
    while (total < kRedirectDrainLimit) {
      auto n = response.body().read(std::span<std::byte>(scratch, kRedirectDrainLimit - total));
      if (!n || *n == 0) break;
      total += *n;
    }
  }
  response.body().close();
}

}  // namespace

Error use_last_response() { return Error(ErrorCode::use_last_response, "net/http: use last response"); }

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      transport_(options_.transport ? options_.transport : std::static_pointer_cast<RoundTripper>(default_transport())) {
  if (options_.timeout.count() < 0) throw std::invalid_argument("ClientOptions::timeout must be >= 0");
  if (options_.max_redirects < 0) throw std::invalid_argument("ClientOptions::max_redirects must be >= 0");
}

namespace {

// Go's url.Error around a failed hop, naming the Client's timeout when it was the one that expired.
[[gnu::cold]] Error describe_failure(Error error, bool timed, const Request& request, const Request& current) {
  if (timed && error.code() == ErrorCode::deadline_exceeded && !request.context().is_done()) {
    error.with_message(error.message() + " (Client.Timeout exceeded while awaiting headers)");
  }
  return describe(std::move(error), request, current.url());
}

// From a 3xx that Client follows (`response`, the answer to `current`) to the final answer.
// Out of Client::send, which every request runs: one that is not redirected does not bring
// this code into the instruction cache.
[[gnu::noinline]] Result<Response> follow_redirects(const ClientOptions& options, RoundTripper& transport,
                                                    const Request& request, Request current, Response response,
                                                    bool timed) {
  RedirectState redirects;
  redirects.initial = &request;
  std::vector<Request> via;
  for (;;) {
    auto location = redirect_location(response, current.url());
    if (!location) {
      response.body().close();
      return fail(describe(std::move(location.error()), request, current.url()));
    }
    if (!*location) return response;  // no Location: the 3xx is the answer
    if (options.refuse_downgrade && current.url().scheme() == "https" && (*location)->scheme() == "http") {
      response.body().close();
      return fail(describe(Error(ErrorCode::unsupported_scheme, "refusing a redirect from https to http"), request,
                           current.url()));
    }
    auto next = next_hop(current, response, **location, redirects);
    if (!next) {
      response.body().close();
      return fail(describe(std::move(next.error()), request, current.url()));
    }
    if (!*next) return response;  // 307/308 whose body cannot be sent again
    via.push_back(current);

    std::optional<Error> verdict;
    if (options.check_redirect) {
      verdict = options.check_redirect(**next, via);
    } else if (via.size() >= static_cast<std::size_t>(options.max_redirects)) {
      verdict = Error(ErrorCode::too_many_redirects,
                      "stopped after " + std::to_string(options.max_redirects) + " redirects");
    }
    if (verdict && verdict->code() == ErrorCode::use_last_response) return response;
    drain_and_close(response);
    if (verdict) return fail(describe(std::move(*verdict), request, (**next).url()));
    current = std::move(**next);

    auto hop = transport.round_trip(current);
    if (!hop) return fail(describe_failure(std::move(hop.error()), timed, request, current));
    response = std::move(*hop);
    if (!is_followed_redirect(response.status_code())) return response;
  }
}

}  // namespace

[[gnu::hot]] Result<Response> Client::send(const Request& request) {
  // One deadline over every hop and the body (trace-semantics §7.1, §8.4). Without a timeout
  // the request goes out as it is, neither it nor its context copied.
  const bool timed = options_.timeout.count() > 0;
  std::optional<Request> with_deadline;
  if (timed) with_deadline = request.with_context(with_timeout(request.context(), options_.timeout).first);
  const Request& current = with_deadline ? *with_deadline : request;
  // One object returned on every path, so that the usual answer is not moved on its way out.
  Result<Response> response = transport_->round_trip(current);
  if (!response) [[unlikely]] {
    response = fail(describe_failure(std::move(response.error()), timed, request, current));
  } else if (is_followed_redirect(response->status_code())) [[unlikely]] {
    response = follow_redirects(options_, *transport_, request, current, std::move(*response), timed);
  }
  return response;
}

Result<Response> Client::get(std::string_view url) {
  auto request = Request::make("GET", url);
  if (!request) return fail(std::move(request.error()));
  return send(*request);
}

Client& default_client() {
  static Client client;
  return client;
}

}  // namespace httptrace
