#include "httptrace/header.hpp"

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace httptrace {
namespace {

TEST(Header, CanonicalKeysLikeGo) {
  EXPECT_EQ(canonical_key("content-type"), "Content-Type");
  EXPECT_EQ(canonical_key("X-FOO-bar"), "X-Foo-Bar");
  EXPECT_EQ(canonical_key("www-authenticate"), "Www-Authenticate");
  EXPECT_EQ(canonical_key("x"), "X");
  EXPECT_EQ(canonical_key("X-Foo "), "X-Foo ");  // not a token: kept as is
  EXPECT_EQ(canonical_key("foo bar"), "foo bar");
  EXPECT_EQ(canonical_key("Bad\x80Key"), "Bad\x80Key");
  EXPECT_EQ(canonical_key("-a--b-"), "-A--B-");
  EXPECT_EQ(canonical_key(""), "");
}

TEST(Header, CommonNamesComeOutCanonicalWhateverTheirCase) {
  // These are copied as they are when already canonical, converted otherwise.
  for (const char* name : {"Date", "Vary", "Server", "Connection", "Keep-Alive", "Set-Cookie", "Content-Type",
                           "Last-Modified", "Accept-Ranges", "Cache-Control", "Content-Length",
                           "Content-Encoding", "Transfer-Encoding"}) {
    std::string lower(name), upper(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(canonical_key(name), name);
    EXPECT_EQ(canonical_key(lower), name);
    EXPECT_EQ(canonical_key(upper), name);
    Header h;
    h.add(lower, "v");
    EXPECT_EQ(h.field(0).key, name);
  }
  EXPECT_EQ(canonical_key("ETag"), "Etag");
  EXPECT_EQ(canonical_key("Content-Lengt"), "Content-Lengt");
  EXPECT_EQ(canonical_key("Content Length"), "Content Length");  // not a token: kept as is
}

TEST(Header, CaseInsensitiveMultiValuedInOrder) {
  Header h;
  h.add("accept", "text/html");
  h.add("X-Multi", "a");
  h.add("ACCEPT", "application/json");
  h.add("x-multi", "b");
  EXPECT_EQ(h.get("Accept"), "text/html");
  EXPECT_EQ(h.get("aCcEpT"), "text/html");
  EXPECT_EQ(h.values("accept"), (std::vector<std::string_view>{"text/html", "application/json"}));
  EXPECT_EQ(h.keys(), (std::vector<std::string_view>{"Accept", "X-Multi"}));
  EXPECT_EQ(h.size(), 4u);
  EXPECT_FALSE(h.get("missing"));
  EXPECT_TRUE(h.values("missing").empty());
}

TEST(Header, IterationGroupsValuesByKeyInFirstSeenOrder) {
  Header h;
  h.add("b", "1");
  h.add("a", "2");
  h.add("B", "3");
  std::vector<std::pair<std::string, std::vector<std::string>>> seen;
  for (const auto& [key, values] : h) seen.emplace_back(std::string(key), values.to_strings());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, "B");
  EXPECT_EQ(seen[0].second, (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(seen[1].first, "A");
  EXPECT_EQ(seen[1].second, (std::vector<std::string>{"2"}));
}

TEST(Header, SetReplacesAndDelRemoves) {
  Header h;
  h.add("X", "1");
  h.add("Y", "2");
  h.add("X", "3");
  h.set("x", "4");
  EXPECT_EQ(h.values("X"), (std::vector<std::string_view>{"4"}));
  EXPECT_EQ(h.get("Y"), "2");
  h.del("y");
  EXPECT_FALSE(h.has("Y"));
  EXPECT_EQ(h.size(), 1u);
  // set with a view into the header itself
  h.set("Z", *h.get("X"));
  EXPECT_EQ(h.get("Z"), "4");
  h.clear();
  EXPECT_TRUE(h.empty());
}

TEST(Header, EmptyValuesAreKept) {
  Header h;
  h.add("X-Blank", "");
  EXPECT_TRUE(h.has("X-Blank"));
  EXPECT_EQ(h.get("X-Blank"), "");
}

TEST(Header, ValidateRejectsControlCharactersAndBadNames) {
  for (std::string_view bad : {std::string_view("a\r\nb"), std::string_view("a\nb"),
                               std::string_view("a\0b", 3), std::string_view("a\x7f")}) {
    Header h;
    h.add("X-Test", bad);
    auto result = h.validate();
    ASSERT_FALSE(result) << bad.size();
    EXPECT_EQ(result.error().code(), ErrorCode::invalid_request);
  }
  for (std::string_view bad_name : {"", "a b", "a:b", "caf\xc3\xa9", "x\r\n"}) {
    Header h;
    h.add(bad_name, "v");
    auto result = h.validate();
    ASSERT_FALSE(result) << bad_name;
    EXPECT_EQ(result.error().code(), ErrorCode::invalid_request);
  }
  Header good;
  good.add("X-Tab", "a\tb");
  good.add("X-Utf8", "caf\xc3\xa9");
  EXPECT_TRUE(good.validate());
}

TEST(Header, EqualityComparesFieldsInOrder) {
  Header a, b;
  a.add("X", "1");
  b.add("x", "1");
  EXPECT_EQ(a, b);
  b.add("Y", "2");
  EXPECT_NE(a, b);
}

TEST(Header, AddCanonicalisesTheKeyAndAddRawKeepsIt) {
  Header h;
  h.add("x-forwarded-FOR", "a");
  h.add("bad key", "b");
  h.add_raw("x-raw-KEY", "c");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.field(0).key, "X-Forwarded-For");
  EXPECT_EQ(h.field(1).key, "bad key");
  EXPECT_EQ(h.field(2).key, "x-raw-KEY");
  EXPECT_EQ(h.field(2).value, "c");
}

TEST(Header, AFieldCopiedFromTheSameHeaderSurvivesItsGrowth) {
  // The key and value point into the header's own buffer, which the add reallocates.
  Header h;
  h.add("X-Long-Enough-Key", std::string(40, 'v'));
  for (int i = 0; i < 20; ++i) h.add(h.field(0).key, h.field(0).value);
  for (int i = 0; i < 20; ++i) h.add_raw(h.field(1).key, h.field(1).value);
  ASSERT_EQ(h.size(), 41u);
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h.field(i).key, "X-Long-Enough-Key");
    EXPECT_EQ(h.field(i).value, std::string(40, 'v'));
  }
}

}  // namespace
}  // namespace httptrace
