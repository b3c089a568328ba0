#include "httptrace/ip_address.hpp"

#include <gtest/gtest.h>

namespace httptrace {
namespace {

TEST(IpAddress, ParsesAndPrintsLikeGo) {
  auto v4 = IpAddress::parse("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->to_string(), "127.0.0.1");
  EXPECT_EQ(v4->to_string(8080), "127.0.0.1:8080");
  EXPECT_TRUE(v4->is_loopback());

  auto v6 = IpAddress::parse("::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->to_string(), "::1");
  EXPECT_EQ(v6->to_string(443), "[::1]:443");
  EXPECT_TRUE(v6->is_loopback());
  EXPECT_EQ(v6->bytes().size(), 16u);

  auto scoped = IpAddress::parse("fe80::1%7");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->scope_id(), 7u);
}

TEST(IpAddress, RejectsNonAddresses) {
  for (const char* bad : {"", "localhost", "1.2.3", "256.0.0.1", "[::1]", "::1%", "1.2.3.4:80", "::g"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
}

TEST(IpAddress, ComparesByValue) {
  EXPECT_EQ(*IpAddress::parse("10.0.0.1"), IpAddress::v4({10, 0, 0, 1}));
  EXPECT_NE(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
  EXPECT_FALSE(IpAddress::parse("8.8.8.8")->is_loopback());
  EXPECT_TRUE(IpAddress().is_unspecified());
}

}  // namespace
}  // namespace httptrace
