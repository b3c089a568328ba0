#include "net/address_sort.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

#include "net/unique_fd.hpp"

namespace httptrace::net {
namespace {

// RFC 6724 §3.1 scope values (Go's scope constants).
enum Scope : uint8_t { kLinkLocal = 0x2, kSiteLocal = 0x5, kGlobal = 0xe };

struct Attributes {
  uint8_t scope = 0;
  uint8_t precedence = 0;
  uint8_t label = 0;
};

// An address as 16 bytes, IPv4 mapped into ::ffff:0:0/96, which is how RFC 6724 §2.1
// classifies IPv4 destinations.
std::array<uint8_t, 16> as_v6(const IpAddress& ip) {
  std::array<uint8_t, 16> bytes{};
  const auto raw = ip.bytes();
  if (ip.is_v4()) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    std::copy(raw.begin(), raw.end(), bytes.begin() + 12);
  } else {
    std::copy(raw.begin(), raw.end(), bytes.begin());
  }
  return bytes;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& b) {
  static constexpr std::array<uint8_t, 12> kPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::equal(kPrefix.begin(), kPrefix.end(), b.begin());
}

bool has_prefix(const std::array<uint8_t, 16>& address, const std::array<uint8_t, 16>& prefix,
                int bits) {
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8;
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (i % 8));
    if ((address[byte] & mask) != (prefix[byte] & mask)) return false;
  }
  return true;
}

// RFC 6724 §2.1 default policy table, longest prefix first (Go's rfc6724policyTable).
struct PolicyEntry {
  std::array<uint8_t, 16> prefix;
  int bits;
  uint8_t precedence;
  uint8_t label;
};
constexpr std::array<PolicyEntry, 9> kPolicy{{
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, 50, 0},       // ::1
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}, 96, 35, 4},  // IPv4-mapped
    {{}, 96, 1, 3},                                                       // IPv4-compatible
    {{0x20, 0x01, 0, 0}, 32, 5, 5},                                       // Teredo
    {{0x20, 0x02}, 16, 30, 2},                                            // 6to4
    {{0x3f, 0xfe}, 16, 1, 12},                                            // 6bone
    {{0xfe, 0xc0}, 10, 1, 11},                                            // site-local
    {{0xfc}, 7, 3, 13},                                                   // ULA
    {{}, 0, 40, 1},                                                       // ::/0
}};

uint8_t scope_of(const std::array<uint8_t, 16>& b) {
  if (is_v4_mapped(b)) {
    // Loopback and link-local IPv4 count as link-local (RFC 6724 §3.2).
    if (b[12] == 127 || (b[12] == 169 && b[13] == 254)) return kLinkLocal;
    return kGlobal;
  }
  static constexpr std::array<uint8_t, 16> kLoopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                     0, 0, 0, 0, 0, 0, 0, 1};
  if (b == kLoopback) return kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return kLinkLocal;
  if (b[0] == 0xff) return static_cast<uint8_t>(b[1] & 0x0f);  // multicast carries its scope
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return kSiteLocal;
  return kGlobal;
}

Attributes attributes_of(const std::optional<IpAddress>& ip) {
  if (!ip) return {};
  const auto bytes = as_v6(*ip);
  Attributes attributes;
  attributes.scope = scope_of(bytes);
  // IPv4 (mapped) matches only ::ffff:0:0/96, as Go's IPNet.Contains compares IPv4 with IPv4.
  const bool v4 = is_v4_mapped(bytes);
  for (const PolicyEntry& entry : kPolicy) {
    const bool entry_v4 = entry.bits == 96 && is_v4_mapped(entry.prefix);
    if (v4 != entry_v4) continue;
    if (has_prefix(bytes, entry.prefix, entry.bits)) {
      attributes.precedence = entry.precedence;
      attributes.label = entry.label;
      break;
    }
  }
  return attributes;
}

bool is_plain_v6(const IpAddress& ip) {
  return ip.is_v6() && !is_v4_mapped(as_v6(ip));
}

// Go's commonPrefixLen: IPv6 compares the first 64 bits only; mixed families share nothing.
int common_prefix_length(const std::optional<IpAddress>& source, const IpAddress& destination) {
  if (!source) return 0;
  const bool source_v4 = !is_plain_v6(*source);
  const bool destination_v4 = !is_plain_v6(destination);
  if (source_v4 != destination_v4) return 0;
  const auto a = as_v6(*source);
  const auto b = as_v6(destination);
  const std::size_t first = source_v4 ? 12 : 0;
  const std::size_t last = source_v4 ? 16 : 8;
  int bits = 0;
  for (std::size_t i = first; i < last; ++i) {
    const uint8_t differ = a[i] ^ b[i];
    if (differ != 0) return bits + std::countl_zero(differ);
    bits += 8;
  }
  return bits;
}

struct Candidate {
  IpAddress destination;
  std::optional<IpAddress> source;
  Attributes destination_attributes;
  Attributes source_attributes;
};

// Go's byRFC6724.Less: true when `a` is to be preferred over `b`.
bool prefer(const Candidate& a, const Candidate& b) {
  const Attributes& da = a.destination_attributes;
  const Attributes& db = b.destination_attributes;
  const Attributes& sa = a.source_attributes;
  const Attributes& sb = b.source_attributes;
  // Rule 1: avoid unusable destinations.
  if (a.source.has_value() != b.source.has_value()) return a.source.has_value();
  // Rule 2: prefer matching scope.
  const bool a_scope_matches = da.scope == sa.scope;
  const bool b_scope_matches = db.scope == sb.scope;
  if (a_scope_matches != b_scope_matches) return a_scope_matches;
  // Rules 3, 4 (deprecated, home addresses): the kernel does not tell us; Go skips them too.
  // Rule 5: prefer matching label.
  const bool a_label_matches = sa.label == da.label;
  const bool b_label_matches = sb.label == db.label;
  if (a_label_matches != b_label_matches) return a_label_matches;
  // Rule 6: prefer higher precedence.
  if (da.precedence != db.precedence) return da.precedence > db.precedence;
  // Rule 7 (native transport): skipped, as Go does.
  // Rule 8: prefer smaller scope.
  if (da.scope != db.scope) return da.scope < db.scope;
  // Rule 9: longest matching prefix, IPv6 only (golang.org/issue/18518).
  if (is_plain_v6(a.destination) && is_plain_v6(b.destination)) {
    const int la = common_prefix_length(a.source, a.destination);
    const int lb = common_prefix_length(b.source, b.destination);
    if (la != lb) return la > lb;
  }
  // Rule 10: keep the order (the sort is stable).
  return false;
}

}  // namespace

std::optional<IpAddress> source_address_for(const IpAddress& destination) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (destination.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(9);  // any port: connect() on UDP only picks a route
    std::memcpy(&in->sin_addr, destination.bytes().data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(9);
    std::memcpy(&in6->sin6_addr, destination.bytes().data(), 16);
    in6->sin6_scope_id = destination.scope_id();
    length = sizeof(sockaddr_in6);
  }
  UniqueFd fd(::socket(destination.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::nullopt;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    return std::nullopt;
  }
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &local_length) != 0) {
    return std::nullopt;
  }
  if (local.ss_family == AF_INET) {
    std::array<uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(&local)->sin_addr, 4);
    return IpAddress::v4(bytes);
  }
  if (local.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&local);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &in6->sin6_addr, 16);
    return IpAddress::v6(bytes, in6->sin6_scope_id);
  }
  return std::nullopt;
}

void sort_by_rfc6724(std::vector<IpAddress>& addrs) {
  if (addrs.size() < 2) return;
  std::vector<std::optional<IpAddress>> sources;
  sources.reserve(addrs.size());
  for (const IpAddress& addr : addrs) sources.push_back(source_address_for(addr));
  sort_by_rfc6724(addrs, sources);
}

void sort_by_rfc6724(std::vector<IpAddress>& addrs,
                     std::span<const std::optional<IpAddress>> sources) {
  if (addrs.size() < 2 || sources.size() != addrs.size()) return;
  std::vector<Candidate> candidates;
  candidates.reserve(addrs.size());
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    candidates.push_back(
        Candidate{addrs[i], sources[i], attributes_of(addrs[i]), attributes_of(sources[i])});
  }
  // Go's sort.Stable is an insertion sort for up to 20 elements; an insertion sort is also
  // well-defined for a preference that is not a strict weak order, which RFC 6724's is not
  // guaranteed to be.
  for (std::size_t i = 1; i < candidates.size(); ++i) {
    for (std::size_t j = i; j > 0 && prefer(candidates[j], candidates[j - 1]); --j) {
      std::swap(candidates[j], candidates[j - 1]);
    }
  }
  for (std::size_t i = 0; i < addrs.size(); ++i) addrs[i] = candidates[i].destination;
}

}  // namespace httptrace::net
