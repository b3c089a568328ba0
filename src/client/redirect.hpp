#pragma once
// The redirect policy of Client::send (trace-semantics §8.4 with the credential rules of "Our
// decisions" and bad-inputs G45–G49): which statuses are followed, how the next request is
// built from the initial one, and what is dropped on the way.

#include <optional>
#include <string>
#include <string_view>

#include "httptrace/request.hpp"
#include "httptrace/response.hpp"

namespace httptrace {

bool is_followed_redirect(int status) noexcept;

// Where a redirect points, or why it cannot be followed: nullopt = no Location (or an empty
// one): the 3xx is the final response. ErrorCode::protocol for two different Location fields
// or an unparsable one; unsupported_scheme for anything but http/https.
[[nodiscard]] Result<std::optional<Url>> redirect_location(const Response& response, const Url& base);

struct RedirectState {
  // The initial request: headers are copied from it for every hop (as Go does).
  const Request* initial = nullptr;
  // Credentials were dropped once: they never come back (CVE-2024-45336).
  bool credentials_dropped = false;
};

// The request for the next hop, or nullopt when a 307/308 needs a body that cannot be sent
// again (the 3xx is then returned as final).
[[nodiscard]] Result<std::optional<Request>> next_hop(const Request& previous, const Response& response,
                                                      const Url& location, RedirectState& state);

}  // namespace httptrace
