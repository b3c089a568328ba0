#include "net/dns_server.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "httptrace/resolver.hpp"

namespace httptrace::net {
namespace {

TEST(DnsServer, BareIpv4GetsPort53) {
  const DnsServer server = parse_dns_server("127.0.0.1");
  EXPECT_EQ(server.ip.to_string(), "127.0.0.1");
  EXPECT_EQ(server.port, 53);
  EXPECT_EQ(server.to_string(), "127.0.0.1:53");
}

TEST(DnsServer, Ipv4WithPort) {
  EXPECT_EQ(parse_dns_server("127.0.0.1:5353").to_string(), "127.0.0.1:5353");
}

TEST(DnsServer, BracketedIpv6WithAndWithoutPort) {
  EXPECT_EQ(parse_dns_server("[::1]:5353").to_string(), "[::1]:5353");
  EXPECT_EQ(parse_dns_server("[::1]").to_string(), "[::1]:53");
}

TEST(DnsServer, BareIpv6IsAnAddressWithoutPort) {
  const DnsServer server = parse_dns_server("::1");
  EXPECT_TRUE(server.ip.is_v6());
  EXPECT_EQ(server.port, 53);
}

TEST(DnsServer, MalformedEntriesThrowInvalidArgumentNamingTheEntry) {
  for (const char* text : {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                           "127.0.0.1:x", "127.0.0.1:53x", "127.0.0.1:+53", "[127.0.0.1]:53",
                           "[::1", "[::1]x", "[::1]:", "300.1.1.1", "[fe80::1%1]:53"}) {
    try {
      (void)parse_dns_server(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find('"' + std::string(text) + '"'), std::string::npos)
          << e.what();
    }
  }
}

TEST(DnsServer, DescribeListsEveryServer) {
  const std::vector<DnsServer> servers = {parse_dns_server("127.0.0.1:5353"),
                                          parse_dns_server("::1")};
  EXPECT_EQ(describe(servers), "127.0.0.1:5353,[::1]:53");
}

TEST(DnsServer, DefaultResolverRejectsAMalformedServer) {
  ResolverOptions options;
  options.servers = {"127.0.0.1:5353", "not-an-ip"};
  EXPECT_THROW((void)make_default_resolver(options), std::invalid_argument);
}

TEST(DnsServer, DefaultResolverAcceptsEveryValidForm) {
  ResolverOptions options;
  options.servers = {"127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1"};
  EXPECT_NE(make_default_resolver(options), nullptr);
}

}  // namespace
}  // namespace httptrace::net
