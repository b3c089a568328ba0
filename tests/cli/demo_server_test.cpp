#include "demo_server.hpp"

#include <gtest/gtest.h>

#include <httptrace/http.hpp>

#include "demo_http.hpp"
#include "support/temp_dir.hpp"

namespace httptrace::cli {
namespace {

using namespace std::chrono_literals;

Client client_over(std::shared_ptr<Transport> transport) {
  ClientOptions options;
  options.transport = std::move(transport);
  return Client(options);
}

TEST(DemoRequestReader, ReadsRequestsSplitAnywhereAndSkipsTheirBodies) {
  const std::string wire =
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    DemoRequestReader reader;
    std::vector<DemoRequest> requests;
    for (std::string_view part :
         {std::string_view(wire).substr(0, split), std::string_view(wire).substr(split)}) {
      ASSERT_TRUE(reader.feed(part));
      while (auto r = reader.next()) requests.push_back(*r);
    }
    ASSERT_EQ(requests.size(), 2u) << split;
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/upload");
    EXPECT_FALSE(requests[0].close);
    EXPECT_EQ(requests[1].target, "/hello");
    EXPECT_TRUE(requests[1].close);
  }
}

TEST(DemoRequestReader, RefusesChunkedBodiesAndEndlessHeads) {
  DemoRequestReader chunked;
  ASSERT_TRUE(chunked.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_FALSE(chunked.next().has_value());
  EXPECT_FALSE(chunked.feed("0\r\n\r\n"));
  DemoRequestReader endless;
  EXPECT_FALSE(endless.feed(std::string(70 * 1024, 'a')));
}

TEST(DemoResponse, AnswersEachPath) {
  EXPECT_TRUE(demo_response({"GET", "/hello", false}).bytes.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(demo_response({"GET", "/redirect", false}).bytes.find("Location: /hello\r\n"),
            std::string::npos);
  EXPECT_EQ(demo_response({"GET", "/slow", false}).delay, 30ms);
  EXPECT_TRUE(demo_response({"GET", "/nope", false}).bytes.starts_with("HTTP/1.1 404"));
  EXPECT_NE(demo_response({"GET", "/hello", true}).bytes.find("Connection: close\r\n"),
            std::string::npos);
  // The fields real servers send (nginx: Server, Date, Content-Type, Content-Length,
  // Connection): the training run should see the heads programs see.
  const std::string hello = demo_response({"GET", "/hello", false}).bytes;
  EXPECT_NE(hello.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(hello.find(" GMT\r\n"), std::string::npos);
  EXPECT_EQ(hello.find("\r\nDate: "), hello.find("\r\n", hello.find("Server: ")));
}

class DemoServerTest : public ::testing::Test {
 protected:
  DemoCertificate certificate = make_demo_certificate();
  DemoServer server{&certificate};
  testing::TempDir dir{"demo-server"};
};

TEST_F(DemoServerTest, ServesPlainHttpWithKeepAlive) {
  auto transport = std::make_shared<Transport>();
  Client client = client_over(transport);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  for (int i = 0; i < 2; ++i) {
    auto response = client.get(base + "/redirect");
    ASSERT_TRUE(response.has_value()) << response.error().what();
    EXPECT_EQ(response->status_code(), 200);
    EXPECT_EQ(response->body().read_all().value(), "hello from the httptrace demo\n");
  }
  EXPECT_EQ(transport->pool_stats().open_conns, 1u);
}

// The release build's training run reads these; a broken body would train the error paths.
TEST_F(DemoServerTest, ServesAChunkedAndALargeBodyOnOneConnection) {
  auto transport = std::make_shared<Transport>();
  Client client = client_over(transport);
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  auto chunked = client.get(base + "/chunked");
  ASSERT_TRUE(chunked.has_value()) << chunked.error().what();
  EXPECT_FALSE(chunked->content_length().has_value());  // its length came from the chunks
  EXPECT_EQ(chunked->body().read_all().value(), "hello from the httptrace demo\n");
  auto large = client.get(base + "/large");
  ASSERT_TRUE(large.has_value()) << large.error().what();
  EXPECT_EQ(large->content_length(), std::optional<uint64_t>(uint64_t{1} << 20));
  const std::string body = large->body().read_all().value();
  EXPECT_EQ(body.size(), std::size_t{1} << 20);
  EXPECT_TRUE(body.starts_with("a mebibyte of the httptrace demo, line by line\n"));
  EXPECT_EQ(transport->pool_stats().open_conns, 1u);
}

TEST_F(DemoServerTest, ServesHttpsWithTheCertificateItWasGiven) {
  testing::write_file(dir / "ca.pem", certificate.certificate_pem);
  TransportOptions options;
  options.tls.ca_file = (dir / "ca.pem").string();
  Client client = client_over(std::make_shared<Transport>(options));
  auto response = client.get("https://127.0.0.1:" + std::to_string(server.tls_port()) + "/hello");
  ASSERT_TRUE(response.has_value()) << response.error().what();
  ASSERT_NE(response->tls(), nullptr);
  EXPECT_EQ(response->tls()->negotiated_protocol, "http/1.1");
  EXPECT_EQ(response->body().read_all().value(), "hello from the httptrace demo\n");
}

TEST_F(DemoServerTest, StopsWithConnectionsStillOpen) {
  auto other = std::make_unique<DemoServer>(&certificate);
  auto transport = std::make_shared<Transport>();
  Client client = client_over(transport);
  auto response = client.get("http://127.0.0.1:" + std::to_string(other->port()) + "/hello");
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(response->body().discard().has_value());
  other.reset();  // an idle keep-alive connection is still open: destruction must not hang
  EXPECT_EQ(transport->pool_stats().idle_conns, 1u);
}

}  // namespace
}  // namespace httptrace::cli
