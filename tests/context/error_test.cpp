#include "httptrace/error.hpp"

#include <gtest/gtest.h>

namespace httptrace {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return fail(ErrorCode::invalid_request, "need a positive number");
  return x;
}

TEST(Error, CarriesCodeMessageAndDetails) {
  Error e(ErrorCode::connection_refused, "dial tcp 127.0.0.1:9: connect: connection refused");
  e.with_op("dial").with_addr("127.0.0.1:9").with_maybe_sent(false);
  EXPECT_EQ(e.code(), ErrorCode::connection_refused);
  EXPECT_STREQ(e.what(), "dial tcp 127.0.0.1:9: connect: connection refused");
  EXPECT_EQ(e.op(), "dial");
  EXPECT_EQ(e.addr(), "127.0.0.1:9");
  EXPECT_FALSE(e.is_timeout());
  EXPECT_EQ(e.proxy_status(), 0);
  EXPECT_EQ(to_string(e.code()), "connection_refused");
}

TEST(Error, TimeoutCodesAreTimeouts) {
  EXPECT_TRUE(Error(ErrorCode::timeout, "x").is_timeout());
  EXPECT_TRUE(Error(ErrorCode::deadline_exceeded, "x").is_timeout());
  EXPECT_FALSE(Error(ErrorCode::canceled, "x").is_timeout());
}

TEST(Error, ResultHoldsValueOrError) {
  auto ok = parse_positive(3);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::invalid_request);
  Error tls(ErrorCode::tls, "x509: certificate signed by unknown authority");
  tls.with_tls_kind("unknown_authority");
  EXPECT_EQ(tls.tls_kind(), "unknown_authority");
  Error proxy(ErrorCode::proxy, "proxy answered 407 Proxy Authentication Required");
  proxy.with_proxy_status(407);
  EXPECT_EQ(proxy.proxy_status(), 407);
}

}  // namespace
}  // namespace httptrace
