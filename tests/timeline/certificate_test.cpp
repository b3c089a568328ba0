#include "timeline/certificate.hpp"

#include <openssl/err.h>

#include <gtest/gtest.h>

#include "timeline/test_certificate.hpp"

namespace httptrace {
namespace {

std::string_view view(const std::vector<std::byte>& der) {
  return {reinterpret_cast<const char*>(der.data()), der.size()};
}

TEST(Certificate, SummaryHasSubjectIssuerValidityAndDnsNames) {
  auto der = testing::make_certificate_der({});
  auto summary = detail::summarize_certificate(view(der));
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->subject, "CN=example.test,O=Example");
  EXPECT_EQ(summary->issuer, "CN=httptrace test CA");
  using namespace std::chrono;
  EXPECT_EQ(summary->not_before, sys_days(2024y / January / 1));
  EXPECT_EQ(summary->not_after, sys_days(2030y / January / 2) + 3h + 4min + 5s);
  EXPECT_EQ(summary->dns_names, (std::vector<std::string>{"example.test", "www.example.test"}));
}

TEST(Certificate, UtcTimeBefore2050AndNoSubjectAltName) {
  testing::TestCertificate spec;
  spec.not_after = "491231235959Z";  // UTCTime: 2049
  spec.dns_names.clear();
  auto summary = detail::summarize_certificate(view(testing::make_certificate_der(spec)));
  ASSERT_TRUE(summary);
  using namespace std::chrono;
  EXPECT_EQ(summary->not_after, sys_days(2049y / December / 31) + 23h + 59min + 59s);
  EXPECT_TRUE(summary->dns_names.empty());
}

TEST(Certificate, GarbageIsNoCertificateAndLeavesNoOpenSslError) {
  ERR_clear_error();
  EXPECT_FALSE(detail::summarize_certificate("not a certificate"));
  EXPECT_FALSE(detail::summarize_certificate(""));
  auto der = testing::make_certificate_der({});
  EXPECT_FALSE(detail::summarize_certificate(view(der).substr(0, der.size() / 2)));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace httptrace
