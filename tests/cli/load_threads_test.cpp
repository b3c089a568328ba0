// The default number of event-loop threads of `load`.
#include "load_threads.hpp"

#include <gtest/gtest.h>

namespace httptrace::cli {
namespace {

Url url(std::string_view text) {
  return Url::parse(text).value();
}

TEST(LoadThreads, LoopbackTargetsAreThisMachine) {
  for (const char* text :
       {"http://127.0.0.1:8080/", "http://127.3.2.1/", "http://[::1]:8080/", "https://localhost/",
        "http://LocalHost:80/", "http://api.localhost/", "http://localhost./"}) {
    EXPECT_TRUE(loopback_target(url(text))) << text;
  }
  for (const char* text : {"http://10.0.0.1/", "http://example.com/", "http://[::2]/",
                           "http://localhost.example.com/", "http://0.0.0.0/"}) {
    EXPECT_FALSE(loopback_target(url(text))) << text;
  }
}

TEST(LoadThreads, DefaultIsOnePerCpuOrHalfNextToALocalServer) {
  EXPECT_EQ(loop_threads(0, 64, url("http://example.com/"), 8), 8);
  EXPECT_EQ(loop_threads(0, 64, url("http://127.0.0.1:8080/"), 8), 4);
  EXPECT_EQ(loop_threads(0, 64, url("http://127.0.0.1:8080/"), 2), 1);
  EXPECT_EQ(loop_threads(0, 64, url("http://127.0.0.1:8080/"), 1), 1);
  EXPECT_EQ(loop_threads(0, 64, url("http://example.com/"), 0), 1);  // unknown: one
}

TEST(LoadThreads, AnExplicitCountWinsButNeverExceedsTheConnections) {
  EXPECT_EQ(loop_threads(2, 64, url("http://127.0.0.1:8080/"), 2), 2);
  EXPECT_EQ(loop_threads(16, 4, url("http://example.com/"), 2), 4);
  EXPECT_EQ(loop_threads(0, 3, url("http://example.com/"), 8), 3);
}

}  // namespace
}  // namespace httptrace::cli
