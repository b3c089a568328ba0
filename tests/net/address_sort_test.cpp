#include "net/address_sort.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "support/loopback.hpp"

namespace httptrace::net {
namespace {

std::vector<IpAddress> ips(std::initializer_list<const char*> texts) {
  std::vector<IpAddress> out;
  for (const char* text : texts) out.push_back(*IpAddress::parse(text));
  return out;
}

std::vector<std::optional<IpAddress>> sources(std::initializer_list<const char*> texts) {
  std::vector<std::optional<IpAddress>> out;
  for (const char* text : texts) {
    out.push_back(text == nullptr ? std::nullopt : IpAddress::parse(text));
  }
  return out;
}

std::vector<std::string> strings(const std::vector<IpAddress>& addrs) {
  std::vector<std::string> out;
  for (const IpAddress& ip : addrs) out.push_back(ip.to_string());
  return out;
}

// Sorts `in` and its reverse (when `reverse`), as Go's TestSortByRFC6724 does.
void expect_sorted(std::vector<IpAddress> in, std::vector<std::optional<IpAddress>> srcs,
                   const std::vector<std::string>& want, bool reverse) {
  std::vector<IpAddress> sorted = in;
  sort_by_rfc6724(sorted, srcs);
  EXPECT_EQ(strings(sorted), want);
  if (!reverse) return;
  std::reverse(in.begin(), in.end());
  std::reverse(srcs.begin(), srcs.end());
  sort_by_rfc6724(in, srcs);
  EXPECT_EQ(strings(in), want);
}

// The cases of Go 1.19's net/addrselect_test.go (RFC 6724 §10.2 examples and issue 13283).
TEST(AddressSort, PrefersMatchingScope) {
  expect_sorted(ips({"2001:db8:1::1", "198.51.100.121"}),
                sources({"2001:db8:1::2", "169.254.13.78"}), {"2001:db8:1::1", "198.51.100.121"},
                true);
  expect_sorted(ips({"2001:db8:1::1", "198.51.100.121"}), sources({"fe80::1", "198.51.100.117"}),
                {"198.51.100.121", "2001:db8:1::1"}, true);
}

TEST(AddressSort, PrefersHigherPrecedence) {
  expect_sorted(ips({"2001:db8:1::1", "10.1.2.3"}), sources({"2001:db8:1::2", "10.1.2.4"}),
                {"2001:db8:1::1", "10.1.2.3"}, true);
}

TEST(AddressSort, PrefersSmallerScope) {
  expect_sorted(ips({"2001:db8:1::1", "fe80::1"}), sources({"2001:db8:1::2", "fe80::2"}),
                {"fe80::1", "2001:db8:1::1"}, true);
}

TEST(AddressSort, LongestPrefixIsNotAppliedToIpv4) {
  // golang.org/issue/13283: a 10/8 source says nothing about which public IPv4 is nearer.
  const auto in = ips({"54.83.193.112", "184.72.238.214", "23.23.172.185", "75.101.148.21",
                       "23.23.134.56", "23.21.50.150"});
  expect_sorted(in,
                sources({"10.2.3.4", "10.2.3.4", "10.2.3.4", "10.2.3.4", "10.2.3.4", "10.2.3.4"}),
                strings(in), false);
}

TEST(AddressSort, LongestPrefixOrdersIpv6) {
  expect_sorted(ips({"2001:db8:2::1", "2001:db8:1::1"}),
                sources({"2001:db8:1::2", "2001:db8:1::2"}), {"2001:db8:1::1", "2001:db8:2::1"},
                true);
}

TEST(AddressSort, LoopbackIpv6BeforeIpv4WhenBothAreReachable) {
  expect_sorted(ips({"127.0.0.1", "::1", "127.0.0.2"}), sources({"127.0.0.1", "::1", "127.0.0.1"}),
                {"::1", "127.0.0.1", "127.0.0.2"}, false);
}

TEST(AddressSort, UnreachableDestinationsGoLast) {
  expect_sorted(ips({"::1", "127.0.0.1"}), sources({nullptr, "127.0.0.1"}), {"127.0.0.1", "::1"},
                true);
}

TEST(AddressSort, KernelSourcesPutLoopbackIpv6First) {
  if (!testing::ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback";
  std::vector<IpAddress> addrs = ips({"127.0.0.1", "::1"});
  sort_by_rfc6724(addrs);
  EXPECT_EQ(strings(addrs), (std::vector<std::string>{"::1", "127.0.0.1"}));
  EXPECT_EQ(source_address_for(*IpAddress::parse("::1"))->to_string(), "::1");
}

}  // namespace
}  // namespace httptrace::net
