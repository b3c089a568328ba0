// `httptrace demo` (what `make run` runs): it needs no network and no files, and shows stat and
// load at work — cold and warm, a redirect, HTTPS with a certificate made at start.
#include "cli/cli_json.hpp"

#include <gtest/gtest.h>

namespace httptrace::testing {
namespace {

TEST(Demo, ToursTheEmbeddedServerOnLoopbackAndSucceeds) {
  CommandResult result = run_cli({"demo"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const char* text :
       {"Request 1 of 2 — cold: new connection", "Request 2 of 2 — warm: reused connection",
        "Hop 1 of 2", "HTTP/1.1 302 Found", "Server processing", "TLS handshake", "TLS 1.3",
        "self-signed", "Status codes", "[200] 2,000 responses"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << " in\n" << result.out;
  }
  // Every address it mentions is the loopback.
  for (const std::string scheme : {"http://", "https://"}) {
    for (std::size_t at = result.out.find(scheme); at != std::string::npos;
         at = result.out.find(scheme, at + 1)) {
      EXPECT_EQ(result.out.compare(at + scheme.size(), 10, "127.0.0.1:"), 0)
          << result.out.substr(at, 40);
    }
  }
  EXPECT_EQ(result.out.find("Skipped"), std::string::npos);
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace httptrace::testing
