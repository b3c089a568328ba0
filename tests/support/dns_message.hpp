#pragma once
// Just enough of the DNS wire format (RFC 1035 §4) for the test fixtures: the scripted
// responder's parsing and answers, and the readiness probe sent to dnsmasq.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/ip_address.hpp"

namespace httptrace::testing {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeAAAA = 28;

// RFC 1035 §4.1.1 RCODE values the fixtures use.
enum class Rcode : uint8_t { no_error = 0, server_failure = 2, name_error = 3, refused = 5 };

struct DnsQuestion {
  uint16_t id = 0;
  bool recursion_desired = false;
  std::string name;  // lower case, no trailing dot
  uint16_t type = 0;
  uint16_t klass = 1;
};

// A one-question query.
std::string encode_query(uint16_t id, std::string_view name, uint16_t type);
// The question of a query; nullopt for anything malformed or not one question.
std::optional<DnsQuestion> parse_query(std::string_view packet);
// An authoritative answer to `question`: `rcode`, and one record (TTL 60) per address of the
// question's type (A: IPv4, AAAA: IPv6); others are left out.
std::string encode_response(const DnsQuestion& question, Rcode rcode,
                            const std::vector<IpAddress>& addresses);

struct DnsAnswer {
  uint16_t id = 0;
  Rcode rcode = Rcode::no_error;
  std::vector<IpAddress> addresses;  // A and AAAA records, in wire order
};
// A response's code and addresses; nullopt when malformed.
std::optional<DnsAnswer> parse_response(std::string_view packet);

}  // namespace httptrace::testing
