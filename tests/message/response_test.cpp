#include "httptrace/response.hpp"

#include <string>

#include <gtest/gtest.h>

namespace httptrace {
namespace {

TEST(Response, StatusIsTheCodeAndReasonAsGoSpellsThem) {
  Response response;
  response.set_status(200, "OK");
  EXPECT_EQ(response.status_code(), 200);
  EXPECT_EQ(response.status(), "200 OK");

  response.set_status(404, "");
  EXPECT_EQ(response.status(), "404");
}

TEST(Response, AStatusLongerThanTheLastOneIsWrittenWhole) {
  // Each step outgrows the string's storage by less than its size again, and by more.
  Response response;
  response.set_status(200, "OK");
  response.set_status(599, "Sixteen Letters!");
  EXPECT_EQ(response.status(), "599 Sixteen Letters!");
  response.set_status(599, std::string(40, 'r'));
  EXPECT_EQ(response.status(), "599 " + std::string(40, 'r'));
  response.set_status(999, std::string(300, 'x'));
  EXPECT_EQ(response.status(), "999 " + std::string(300, 'x'));
  response.set_status(100, "Continue");
  EXPECT_EQ(response.status(), "100 Continue");
}

TEST(Response, ProtoNamesTheVersion) {
  Response response;
  response.set_proto(1, 1);
  EXPECT_EQ(response.proto(), "HTTP/1.1");
  EXPECT_EQ(response.proto_major(), 1);
  EXPECT_EQ(response.proto_minor(), 1);
  response.set_proto(2, 0);
  EXPECT_EQ(response.proto(), "HTTP/2.0");
}

}  // namespace
}  // namespace httptrace
