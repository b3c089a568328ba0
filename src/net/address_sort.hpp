#pragma once
// Destination address ordering of RFC 6724 §6, exactly as Go 1.19 applies it to DNS answers
// (net/addrselect.go): the dialer's Happy Eyeballs split takes its "primary" family from the
// first address, so this order decides which family races first.

#include <optional>
#include <span>
#include <vector>

#include "httptrace/ip_address.hpp"

namespace httptrace::net {

// The source address the kernel would pick to reach `destination` (a UDP socket is connected,
// no packet sent), or nullopt when it is unreachable — Go's srcAddrs.
std::optional<IpAddress> source_address_for(const IpAddress& destination);

// Stable-sorts `addrs` by RFC 6724 rules 1, 2, 5, 6, 8 and 9 (rule 9 for IPv6 pairs only, as
// Go since golang.org/issue/18518), using the source addresses the kernel would pick.
void sort_by_rfc6724(std::vector<IpAddress>& addrs);

// The same with the sources given (sources[i] for addrs[i]; nullopt = unreachable): the
// deterministic core, for tests.
void sort_by_rfc6724(std::vector<IpAddress>& addrs,
                     std::span<const std::optional<IpAddress>> sources);

}  // namespace httptrace::net
