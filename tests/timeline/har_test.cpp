// HAR 1.2 entries and logs, read back with nlohmann-json and checked field by field against
// the HAR 1.2 spec (required fields, their types, timings).
#include "httptrace/timeline.hpp"

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "timeline/timeline_script.hpp"

namespace httptrace {
namespace {

using nlohmann::json;
using testing::FakeConn;
using testing::Script;
using testing::us;

const FakeConn kConn(17, "127.0.0.1:51000", "127.0.0.1:8080");

void expect_name_values(const json& array) {
  ASSERT_TRUE(array.is_array());
  for (const json& item : array) {
    ASSERT_TRUE(item.is_object());
    EXPECT_TRUE(item.at("name").is_string());
    EXPECT_TRUE(item.at("value").is_string());
  }
}

// Every field HAR 1.2 requires of an entry, with its type, and the timings rules.
void expect_valid_entry(const json& e) {
  ASSERT_TRUE(e.is_object());
  ASSERT_TRUE(e.at("startedDateTime").is_string());
  EXPECT_TRUE(
      std::regex_match(e["startedDateTime"].get<std::string>(),
                       std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d)")));
  ASSERT_TRUE(e.at("time").is_number());

  const json& request = e.at("request");
  EXPECT_TRUE(request.at("method").is_string());
  EXPECT_TRUE(request.at("url").is_string());
  EXPECT_TRUE(request.at("httpVersion").is_string());
  EXPECT_TRUE(request.at("cookies").is_array());
  expect_name_values(request.at("headers"));
  expect_name_values(request.at("queryString"));
  EXPECT_TRUE(request.at("headersSize").is_number_integer());
  EXPECT_TRUE(request.at("bodySize").is_number_integer());

  const json& response = e.at("response");
  EXPECT_TRUE(response.at("status").is_number_integer());
  EXPECT_TRUE(response.at("statusText").is_string());
  EXPECT_TRUE(response.at("httpVersion").is_string());
  EXPECT_TRUE(response.at("cookies").is_array());
  expect_name_values(response.at("headers"));
  const json& content = response.at("content");
  EXPECT_TRUE(content.at("size").is_number_integer());
  EXPECT_GE(content["size"].get<int64_t>(), 0);
  EXPECT_TRUE(content.at("mimeType").is_string());
  EXPECT_TRUE(response.at("redirectURL").is_string());
  EXPECT_TRUE(response.at("headersSize").is_number_integer());
  EXPECT_TRUE(response.at("bodySize").is_number_integer());

  EXPECT_TRUE(e.at("cache").is_object());

  const json& timings = e.at("timings");
  for (const char* required : {"send", "wait", "receive"}) {
    ASSERT_TRUE(timings.at(required).is_number()) << required;
    EXPECT_GE(timings[required].get<double>(), 0) << required;
  }
  int64_t sum = 0;
  for (const char* optional : {"blocked", "dns", "connect", "ssl"}) {
    ASSERT_TRUE(timings.at(optional).is_number()) << optional;
    double v = timings[optional].get<double>();
    EXPECT_TRUE(v == -1 || v >= 0) << optional << " = " << v;
  }
  for (const char* counted : {"blocked", "dns", "connect", "send", "wait", "receive"}) {
    double v = timings[counted].get<double>();
    if (v >= 0) sum += us(v);
  }
  EXPECT_EQ(us(e["time"].get<double>()), sum) << "time = the sum of the timings but ssl";
}

void fresh_tls(Script& s) {
  auto state = std::make_shared<TLSConnectionState>();
  state->version_name = "TLS 1.3";
  FakeConn conn(5, "127.0.0.1:52000", "127.0.0.1:8443", state);
  s.at(0).start("GET", "https://example.test:8443/search?q=a+b&lang=fr%20CA&flag&=x");
  s.at(0.010).get_conn("example.test:8443");
  s.at(0.020).dns_start("example.test");
  s.at(0.520).dns_done({IpAddress::parse("127.0.0.1").value()});
  s.at(0.530).connect_start("127.0.0.1:8443");
  s.at(1.530).connect_done("127.0.0.1:8443");
  s.at(1.540).tls_start();
  s.at(4.540).tls_done(*state);
  s.at(4.550).got_conn(conn);
  s.at(4.555).field("Host", {"example.test:8443"}).field("Accept", {"a/b", "c/d"});
  s.at(4.560).wrote_headers();
  s.at(4.570).wrote_request();
  s.at(6.570).first_byte();
  s.at(6.600).respond(testing::make_response(200, "OK", {{"Content-Type", "application/json"}}, 2));
  s.at(7.0004).mark_end(2);
}

TEST(Har, EntryOfAFreshTlsRequestCarriesEveryField) {
  Script s;
  fresh_tls(s);
  auto text = s.timeline().har_entry(0);
  ASSERT_TRUE(text);
  json e = json::parse(*text);
  expect_valid_entry(e);
  EXPECT_EQ(e["startedDateTime"], "2024-05-06T07:08:09.000+00:00");
  EXPECT_EQ(us(e["time"].get<double>()), 7000);
  EXPECT_EQ(e["request"]["method"], "GET");
  EXPECT_EQ(e["request"]["url"], "https://example.test:8443/search?q=a+b&lang=fr%20CA&flag&=x");
  EXPECT_EQ(e["request"]["httpVersion"], "HTTP/1.1");
  EXPECT_EQ(e["request"]["headers"], json::parse(R"([{"name":"Host","value":"example.test:8443"},
      {"name":"Accept","value":"a/b"},{"name":"Accept","value":"c/d"}])"));
  EXPECT_EQ(e["request"]["queryString"], json::parse(R"([{"name":"q","value":"a b"},
      {"name":"lang","value":"fr CA"},{"name":"flag","value":""},{"name":"","value":"x"}])"));
  EXPECT_EQ(e["request"]["headersSize"], -1);
  EXPECT_EQ(e["request"]["bodySize"], 0);
  EXPECT_EQ(e["response"]["status"], 200);
  EXPECT_EQ(e["response"]["statusText"], "OK");
  EXPECT_EQ(e["response"]["headers"],
            json::parse(R"([{"name":"Content-Type","value":"application/json"}])"));
  EXPECT_EQ(e["response"]["content"], json::parse(R"({"size":2,"mimeType":"application/json"})"));
  EXPECT_EQ(e["response"]["bodySize"], 2);
  EXPECT_EQ(e["response"]["redirectURL"], "");
  EXPECT_EQ(e["timings"],
            json::parse(R"({"blocked":0.05,"dns":0.5,"connect":4.0,"send":0.02,"wait":2.0,
      "receive":0.43,"ssl":3.0})"));
  EXPECT_EQ(e["serverIPAddress"], "127.0.0.1");
  EXPECT_EQ(e["connection"], "5");
  EXPECT_FALSE(e.contains("comment"));
  // Three decimals, whole microseconds.
  EXPECT_NE(text->find(R"("time":7.000,)"), std::string::npos) << *text;
}

TEST(Har, ReusedHopHasMinusOneForItsAbsentPhasesAndRedirectsAreSeparateEntries) {
  Script s;
  s.at(0).start("GET", "http://[::1]:8080/old");
  s.at(0.010).get_conn("[::1]:8080");
  s.at(0.020).connect_start("[::1]:8080");
  s.at(1.020).connect_done("[::1]:8080");
  FakeConn conn(21, "[::1]:50000", "[::1]:8080");
  s.at(1.030).got_conn(conn);
  s.at(1.050).wrote_request();
  s.at(2.050).first_byte();
  s.at(2.100).respond(testing::make_response(302, "Found", {{"Location", "/new"}}, 0));
  s.at(2.200).put_idle_conn();
  s.at(3.000).start("GET", "http://[::1]:8080/new");
  s.at(3.010).get_conn("[::1]:8080");
  s.at(3.020).got_conn(conn, true, true);
  s.at(3.040).wrote_request();
  s.at(4.040).first_byte();
  s.at(4.100).respond(testing::make_response(200, "OK", {}, 5));
  s.at(5.000).mark_end();

  HarLog log;
  log.add(s.timeline());
  EXPECT_EQ(log.entries(), 2u);
  json doc = json::parse(log.str());
  const json& entries = doc["log"]["entries"];
  ASSERT_EQ(entries.size(), 2u);
  for (const json& e : entries) expect_valid_entry(e);
  EXPECT_EQ(entries[0]["response"]["status"], 302);
  EXPECT_EQ(entries[0]["response"]["redirectURL"], "/new");
  EXPECT_EQ(entries[0]["response"]["bodySize"], 0);
  EXPECT_EQ(entries[0]["timings"]["ssl"], -1);
  EXPECT_EQ(entries[0]["timings"]["dns"], -1);
  EXPECT_EQ(us(entries[0]["timings"]["connect"].get<double>()), 1000);
  EXPECT_EQ(us(entries[0]["time"].get<double>()), 3000);
  EXPECT_EQ(entries[0]["serverIPAddress"], "::1");
  EXPECT_EQ(entries[0]["startedDateTime"], "2024-05-06T07:08:09.000+00:00");
  const json& second = entries[1];
  EXPECT_EQ(second["startedDateTime"], "2024-05-06T07:08:09.003+00:00");
  for (const char* absent : {"dns", "connect", "ssl"})
    EXPECT_EQ(second["timings"][absent], -1) << absent;
  EXPECT_EQ(us(second["timings"]["blocked"].get<double>()), 20);
  EXPECT_EQ(second["connection"], "21");
  EXPECT_EQ(second["response"]["bodySize"], 5);  // its Content-Length: mark_end() gave no count
  EXPECT_EQ(us(second["time"].get<double>()), 2000);
}

TEST(Har, LogWrapsEntriesOfManyTimelinesAndSkipsHopsWithoutAResponse) {
  Script tls;
  fresh_tls(tls);
  Script failed;
  const Error refused(ErrorCode::connection_refused, "connection refused");
  failed.at(0).start();
  failed.at(1).get_conn();
  failed.at(2).connect_start();
  failed.at(3).connect_done("127.0.0.1:8080", &refused);
  failed.at(4).fail(refused);
  EXPECT_FALSE(failed.timeline().har_entry(0));

  HarLog log("httptrace", "9.9.9");
  log.add(tls.timeline());
  log.add(failed.timeline());
  log.add(tls.timeline());
  EXPECT_EQ(log.entries(), 2u);
  json doc = json::parse(log.str());
  ASSERT_TRUE(doc.is_object());
  const json& l = doc.at("log");
  EXPECT_EQ(l.at("version"), "1.2");
  EXPECT_EQ(l.at("creator"), json::parse(R"({"name":"httptrace","version":"9.9.9"})"));
  EXPECT_EQ(l.at("pages"), json::array());
  ASSERT_EQ(l.at("entries").size(), 2u);
  for (const json& e : l["entries"]) expect_valid_entry(e);
}

TEST(Har, EmptyLogIsValidAndNamesTheLibraryVersion) {
  json doc = json::parse(HarLog().str());
  EXPECT_EQ(doc["log"]["entries"], json::array());
  EXPECT_EQ(doc["log"]["creator"]["name"], "httptrace");
  EXPECT_TRUE(std::regex_match(doc["log"]["creator"]["version"].get<std::string>(),
                               std::regex(R"(\d+\.\d+\.\d+)")));
}

TEST(Har, RetriesAndFailedDialsAreListedInTheComment) {
  Script s;
  const Error refused(ErrorCode::connection_refused, "connect: connection refused");
  s.at(0).start("GET", "http://localhost:8080/");
  s.at(1).get_conn("localhost:8080");
  s.at(2).got_conn(kConn, true, true);
  s.at(3).wrote_request();
  s.at(4).get_conn("localhost:8080");
  s.at(5).connect_start("[::1]:8080");
  s.at(6).connect_done("[::1]:8080", &refused);
  s.at(7).connect_start("127.0.0.1:8080");
  s.at(8).connect_done("127.0.0.1:8080");
  s.at(9).got_conn(kConn);
  s.at(10).wrote_request();
  s.at(11).first_byte();
  s.at(12).respond();
  s.at(13).mark_end(0);
  json e = json::parse(s.timeline().har_entry(0).value());
  expect_valid_entry(e);
  EXPECT_EQ(e["comment"],
            "2 attempts; timings are the last one's; connect [::1]:8080 failed: connect: "
            "connection refused");
  EXPECT_EQ(us(e["timings"]["connect"].get<double>()), 3000);
  EXPECT_EQ(us(e["timings"]["blocked"].get<double>()), 6000);
}

TEST(Har, DecompressedBodyHasAnUnknownWireSize) {
  Script s;
  s.at(0).start();
  s.at(1).get_conn();
  s.at(2).got_conn(kConn, true, true);
  s.at(3).wrote_request();
  s.at(4).first_byte();
  Response response = testing::make_response(200, "OK", {{"Content-Type", "text/plain"}});
  response.set_uncompressed(true);
  s.at(5).respond(response);
  s.at(6).mark_end(1000);
  json e = json::parse(s.timeline().har_entry(0).value());
  expect_valid_entry(e);
  EXPECT_EQ(e["response"]["bodySize"], -1);
  EXPECT_EQ(e["response"]["content"]["size"], 1000);
}

TEST(Har, UnknownSizesAndStringsNeedingEscapes) {
  Script s;
  s.at(0).start(
      Request::make("PUT", "http://127.0.0.1:8080/a%3Cb",
                    RequestBody::from_reader(
                        [](std::span<std::byte>) -> Result<size_t> { return 0; }, std::nullopt))
          .value());
  s.at(1).get_conn();
  s.at(2).got_conn(kConn, true, true);
  s.at(3).field("X-Quote", {"say \"<hi>\"\n"});
  s.at(4).wrote_request();
  s.at(5).first_byte();
  s.at(6).respond(testing::make_response(200, "OK"));  // chunked: no length
  json e = json::parse(s.timeline().har_entry(0).value());
  expect_valid_entry(e);
  EXPECT_EQ(e["request"]["bodySize"], -1);
  EXPECT_EQ(e["request"]["headers"][0]["value"], "say \"<hi>\"\n");
  EXPECT_EQ(e["response"]["bodySize"], -1);
  EXPECT_EQ(e["response"]["content"]["size"], 0);
  EXPECT_EQ(e["response"]["content"]["mimeType"], "");
}

}  // namespace
}  // namespace httptrace
