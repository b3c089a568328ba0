#include "httptrace/error.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <utility>

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

TEST(Error, CopiesAreIndependentAndMovesLeaveEmptyText) {
  Error original(ErrorCode::dns, "lookup example.invalid: no such host");
  original.with_op("dns").with_addr("example.invalid").with_dns_kind("not_found").with_maybe_sent(true);
  Error copy = original;
  copy.with_message("changed").with_op("dial");
  EXPECT_STREQ(original.what(), "lookup example.invalid: no such host");
  EXPECT_EQ(original.op(), "dns");
  EXPECT_EQ(copy.message(), "changed");
  EXPECT_EQ(copy.addr(), "example.invalid");
  EXPECT_EQ(copy.dns_kind(), "not_found");
  EXPECT_TRUE(copy.maybe_sent());

  Error moved = std::move(original);
  EXPECT_EQ(moved.op(), "dns");
  // NOLINTBEGIN(bugprone-use-after-move): a moved-from Error must stay safe to read.
  EXPECT_EQ(original.code(), ErrorCode::dns);
  EXPECT_STREQ(original.what(), "");
  EXPECT_EQ(original.op(), "");
  EXPECT_EQ(original.tls_kind(), "");
  original.with_op("reused");  // a builder on a moved-from Error gives it text again
  EXPECT_EQ(original.op(), "reused");
  EXPECT_EQ(original.message(), "");
  // NOLINTEND(bugprone-use-after-move)

  copy = moved;
  EXPECT_EQ(copy.message(), "lookup example.invalid: no such host");
  copy = std::move(moved);
  EXPECT_EQ(copy.op(), "dns");
  Error& same = copy;
  copy = same;
  EXPECT_EQ(copy.addr(), "example.invalid");
}

// A Result on the fast path carries its error as two words, not as the error's strings (except
// with libc++ before 18: see error.hpp).
TEST(Error, ResultOfVoidIsSmall) {
#if !HTTPTRACE_EXPECTED_FLAG_IN_VALUE_PADDING
  static_assert(sizeof(Error) <= 2 * sizeof(void*));
  static_assert(sizeof(Result<void>) <= 3 * sizeof(void*));
#endif
  static_assert(std::is_nothrow_move_constructible_v<Error> && std::is_nothrow_move_assignable_v<Error>);
}

}  // namespace
}  // namespace httptrace
