#include "tls/session_cache.hpp"

#include <gtest/gtest.h>

#include "tls/tls_test_base.hpp"

namespace httptrace::testing {
namespace {

// trace-semantics "Our decisions": resumption is on by default and visible as did_resume.
class SessionResumption : public TlsTest {
 protected:
  // One handshake plus one request (reading the response processes TLS 1.3 tickets).
  TLSConnectionState round(std::uint16_t port, const tls::ClientConfig& config,
                           const std::string& host = "localhost") {
    log.clear();
    auto stream = connect(port, config, host);
    if (!stream) throw std::runtime_error(stream.error().message());
    EXPECT_EQ(http_get(**stream, "/hello", host).body, "hello world\n");
    return *(*stream)->tls();
  }
};

TEST_F(SessionResumption, SecondTls13ConnectionResumes) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.3");
  auto config = make_config(trusting_test_ca());
  const TLSConnectionState first = round(nginx->tls_port(), *config);
  EXPECT_FALSE(first.did_resume);
  const TLSConnectionState second = round(nginx->tls_port(), *config);
  EXPECT_TRUE(second.did_resume);
  // The hook sees it too.
  ASSERT_EQ(log.dones().size(), 1u);
  EXPECT_TRUE(log.dones()[0].state.did_resume);
  // A resumed handshake carries no certificates; the session's are reported, as Go does.
  EXPECT_EQ(second.peer_certificates, first.peer_certificates);
  EXPECT_EQ(second.verified_chains, first.verified_chains);
  EXPECT_EQ(second.server_name, "localhost");
}

TEST_F(SessionResumption, SecondTls12ConnectionResumes) {
  auto nginx = start_nginx(pki().localhost_server(), "TLSv1.2");
  auto config = make_config(trusting_test_ca());
  const TLSConnectionState first = round(nginx->tls_port(), *config);
  EXPECT_FALSE(first.did_resume);
  const TLSConnectionState second = round(nginx->tls_port(), *config);
  EXPECT_TRUE(second.did_resume);
  EXPECT_EQ(second.version, 0x0303);
  EXPECT_EQ(second.peer_certificates, first.peer_certificates);
  EXPECT_EQ(second.verified_chains, first.verified_chains);
  // A TLS 1.2 session may be resumed again.
  EXPECT_TRUE(round(nginx->tls_port(), *config).did_resume);
}

TEST_F(SessionResumption, SessionCacheOffNeverResumes) {
  auto nginx = start_nginx(pki().localhost_server());
  TlsOptions options = trusting_test_ca();
  options.session_cache = false;
  auto config = make_config(options);
  EXPECT_EQ(config->session_cache(), nullptr);
  (void)round(nginx->tls_port(), *config);
  EXPECT_FALSE(round(nginx->tls_port(), *config).did_resume);
}

TEST_F(SessionResumption, SessionsAreKeptPerHost) {
  auto nginx = start_nginx(pki().localhost_server());
  auto config = make_config(trusting_test_ca());
  (void)round(nginx->tls_port(), *config, "localhost");
  EXPECT_FALSE(round(nginx->tls_port(), *config, "127.0.0.1").did_resume);
  EXPECT_TRUE(round(nginx->tls_port(), *config, "localhost").did_resume);
}

TEST_F(SessionResumption, SessionsAreNotSharedBetweenConfigs) {
  auto nginx = start_nginx(pki().localhost_server());
  auto first_config = make_config(trusting_test_ca());
  auto second_config = make_config(trusting_test_ca(), {"http/1.1"});
  (void)round(nginx->tls_port(), *first_config);
  EXPECT_FALSE(round(nginx->tls_port(), *second_config).did_resume);
}

SSL_SESSION* resumable_session(int version) {
  SSL_SESSION* session = SSL_SESSION_new();
  SSL_SESSION_set_protocol_version(session, version);
  static unsigned char next_id = 0;
  const unsigned char id[4] = {1, 2, 3, ++next_id};
  SSL_SESSION_set1_id(session, id, sizeof id);
  return session;
}

TEST(SessionCache, Tls13SessionsAreSingleUse) {
  tls::SessionCache cache;
  cache.put("a:1", resumable_session(TLS1_3_VERSION), nullptr);
  EXPECT_TRUE(cache.take("a:1").has_value());
  EXPECT_FALSE(cache.take("a:1").has_value());
}

TEST(SessionCache, Tls12SessionsStayForTheNextHandshake) {
  tls::SessionCache cache;
  cache.put("a:1", resumable_session(TLS1_2_VERSION), nullptr);
  EXPECT_TRUE(cache.take("a:1").has_value());
  EXPECT_TRUE(cache.take("a:1").has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SessionCache, NewestSessionIsTakenFirst) {
  tls::SessionCache cache;
  SSL_SESSION* older = resumable_session(TLS1_3_VERSION);
  SSL_SESSION* newer = resumable_session(TLS1_3_VERSION);
  cache.put("a:1", older, nullptr);
  cache.put("a:1", newer, nullptr);
  auto taken = cache.take("a:1");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->session.get(), newer);
}

TEST(SessionCache, UnresumableSessionsAreDropped) {
  tls::SessionCache cache;
  cache.put("a:1", SSL_SESSION_new(), nullptr);  // no id, no ticket
  EXPECT_FALSE(cache.take("a:1").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SessionCache, KeysAreSeparate) {
  tls::SessionCache cache;
  cache.put("a:1", resumable_session(TLS1_3_VERSION), nullptr);
  EXPECT_FALSE(cache.take("a:2").has_value());
  EXPECT_FALSE(cache.take("b:1").has_value());
  EXPECT_TRUE(cache.take("a:1").has_value());
}

TEST(SessionCache, LeastRecentlyUsedKeyIsEvicted) {
  tls::SessionCache cache(2);
  cache.put("a:1", resumable_session(TLS1_2_VERSION), nullptr);
  cache.put("b:1", resumable_session(TLS1_2_VERSION), nullptr);
  EXPECT_TRUE(cache.take("a:1").has_value());  // a is now more recent than b
  cache.put("c:1", resumable_session(TLS1_2_VERSION), nullptr);
  EXPECT_TRUE(cache.take("a:1").has_value());
  EXPECT_FALSE(cache.take("b:1").has_value());
  EXPECT_TRUE(cache.take("c:1").has_value());
}

TEST(SessionCache, EachKeyKeepsItsFewNewestSessions) {
  tls::SessionCache cache;
  for (int i = 0; i < 10; ++i) cache.put("a:1", resumable_session(TLS1_3_VERSION), nullptr);
  EXPECT_EQ(cache.size(), 4u);
}

}  // namespace
}  // namespace httptrace::testing
