// Request is a value with copy-on-write fields: a copy never sees a later change to another.
#include "httptrace/request.hpp"

#include <gtest/gtest.h>

namespace httptrace {
namespace {

Request make_get(std::string_view url = "http://example.test/a") {
  auto request = Request::make("GET", url);
  EXPECT_TRUE(request) << request.error().what();
  return std::move(*request);
}

TEST(Request, ACopyKeepsTheFieldsItWasMadeWith) {
  Request original = make_get();
  original.header().set("X-Step", "one");
  Request copy = original;
  original.header().set("X-Step", "two");
  original.set_host("other.test");
  original.set_close(true);
  EXPECT_EQ(copy.header().get("X-Step"), "one");
  EXPECT_EQ(copy.host(), "");
  EXPECT_FALSE(copy.close());
  EXPECT_EQ(original.header().get("X-Step"), "two");
  EXPECT_EQ(original.host(), "other.test");
  EXPECT_TRUE(original.close());
}

TEST(Request, ChangingACopyLeavesTheOriginalAlone) {
  Request original = make_get();
  Request copy = original.with_context(background());
  copy.header().add("Accept", "text/plain");
  copy.set_body(RequestBody::from_string("payload"));
  EXPECT_FALSE(original.header().has("Accept"));
  EXPECT_TRUE(original.body().is_empty());
  EXPECT_EQ(copy.header().get("Accept"), "text/plain");
  EXPECT_EQ(copy.body().length(), 7u);
}

TEST(Request, ASoleOwnerChangesItsFieldsInPlace) {
  Request request = make_get();
  const Header* before = &request.header();
  request.header().set("X-A", "1");
  EXPECT_EQ(&request.header(), before);
  {
    Request copy = request;
    request.header().set("X-B", "2");  // shared: this change needs fields of its own
    EXPECT_NE(&request.header(), &copy.header());
  }
  const Header* alone = &request.header();
  request.header().set("X-C", "3");  // the copy is gone: no further copy
  EXPECT_EQ(&request.header(), alone);
}

TEST(Request, AssignmentAndMovesShareAndReleaseFields) {
  Request a = make_get("http://a.test/");
  Request b = make_get("http://b.test/");
  b = a;
  EXPECT_EQ(b.url().host(), "a.test");
  a.header().set("X-Only", "a");
  EXPECT_FALSE(b.header().has("X-Only"));
  Request c = std::move(b);
  EXPECT_EQ(c.url().host(), "a.test");
  Request& self = c;
  c = self;  // self-assignment keeps the fields
  EXPECT_EQ(c.url().host(), "a.test");
  b = std::move(c);  // a moved-from request can be assigned again
  EXPECT_EQ(b.url().host(), "a.test");
}

}  // namespace
}  // namespace httptrace
