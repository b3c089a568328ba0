#include "events.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include <httptrace/json.hpp>

namespace httptrace::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Printer {
  int index;
  Clock::time_point start;
  std::FILE* out;

  JsonObject begin(std::string_view event) const {
    JsonObject line;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    line.field("req", index).field("event", event).field("t_us", static_cast<int64_t>(us));
    return line;
  }
  void emit(const JsonObject& line) const {
    std::string text = line.str();
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);  // "the moment it happens": a consumer piping us sees each event live
  }
};

std::optional<std::string> error_text(const Error* err) {
  if (err == nullptr) return std::nullopt;
  return std::string(err->what());
}

std::string header_object(const Header& header) {
  JsonObject object;
  for (const auto& [key, values] : header) object.string_array(key, values.to_strings());
  return object.str();
}

}  // namespace

ClientTrace event_printing_trace(int index, Clock::time_point start, std::FILE* out) {
  auto p = std::make_shared<Printer>(Printer{index, start, out});
  ClientTrace t;
  t.get_conn = [p](std::string_view host_port) { p->emit(p->begin("get_conn").field("host_port", host_port)); };
  t.dns_start = [p](const DNSStartInfo& info) { p->emit(p->begin("dns_start").field("host", info.host)); };
  t.dns_done = [p](const DNSDoneInfo& info) {
    std::vector<std::string> addrs;
    for (const IpAddress& ip : info.addrs) addrs.push_back(ip.to_string());
    p->emit(p->begin("dns_done").string_array("addrs", addrs).field("coalesced", info.coalesced).optional_field(
        "err", error_text(info.err)));
  };
  t.connect_start = [p](std::string_view network, std::string_view addr) {
    p->emit(p->begin("connect_start").field("network", network).field("addr", addr));
  };
  t.connect_done = [p](std::string_view network, std::string_view addr, const Error* err) {
    p->emit(p->begin("connect_done").field("network", network).field("addr", addr).optional_field("err", error_text(err)));
  };
  t.tls_handshake_start = [p] { p->emit(p->begin("tls_handshake_start")); };
  t.tls_handshake_done = [p](const TLSConnectionState& state, const Error* err) {
    p->emit(p->begin("tls_handshake_done")
                .field("version", state.version_name)
                .field("cipher_suite", state.cipher_suite_name)
                .field("negotiated_protocol", state.negotiated_protocol)
                .field("server_name", state.server_name)
                .field("did_resume", state.did_resume)
                .field("peer_certificates", static_cast<uint64_t>(state.peer_certificates.size()))
                .optional_field("err", error_text(err)));
  };
  t.got_conn = [p](const GotConnInfo& info) {
    auto idle_us = std::chrono::duration_cast<std::chrono::microseconds>(info.idle_time).count();
    p->emit(p->begin("got_conn")
                .field("reused", info.reused)
                .field("was_idle", info.was_idle)
                .field("idle_time_us", static_cast<int64_t>(idle_us))
                .field("local_addr", info.conn->local_addr())
                .field("remote_addr", info.conn->remote_addr()));
  };
  t.wrote_header_field = [p](std::string_view key, const std::vector<std::string>& values) {
    p->emit(p->begin("wrote_header_field").field("key", key).string_array("values", values));
  };
  t.wrote_headers = [p] { p->emit(p->begin("wrote_headers")); };
  t.wait_100_continue = [p] { p->emit(p->begin("wait_100_continue")); };
  t.got_100_continue = [p] { p->emit(p->begin("got_100_continue")); };
  t.got_1xx_response = [p](int code, const Header& header) -> std::optional<Error> {
    p->emit(p->begin("got_1xx_response").field("code", code).raw_field("header", header_object(header)));
    return std::nullopt;
  };
  t.wrote_request = [p](const WroteRequestInfo& info) {
    p->emit(p->begin("wrote_request").optional_field("err", error_text(info.err)));
  };
  t.got_first_response_byte = [p] { p->emit(p->begin("got_first_response_byte")); };
  t.put_idle_conn = [p](const Error* err) { p->emit(p->begin("put_idle_conn").optional_field("err", error_text(err))); };
  return t;
}

int run_events(const EventsFlags& flags) {
  if (flags.repeat < 1) {
    std::fprintf(stderr, "httptrace events: --repeat must be at least 1\n");
    return 2;
  }
  auto prepared = prepare(flags.request);
  if (!prepared) {
    std::fprintf(stderr, "httptrace events: %s\n", prepared.error().c_str());
    return 2;
  }
  Client client(prepared->client_options);
  int status = 0;
  for (int i = 0; i < flags.repeat; ++i) {
    const auto start = Clock::now();
    Printer closing{i, start, stdout};
    Context ctx = with_client_trace(background(), event_printing_trace(i, start, stdout));
    auto response = client.send(prepared->request.with_context(ctx));
    if (!response) {
      closing.emit(closing.begin("error").field("err", response.error().what()));
      status = 1;
      continue;
    }
    auto bytes = response->body().discard();
    if (!bytes) {
      closing.emit(closing.begin("error").field("err", bytes.error().what()));
      status = 1;
      continue;
    }
    closing.emit(closing.begin("response")
                     .field("status", response->status_code())
                     .field("proto", response->proto())
                     .field("body_bytes", *bytes));
  }
  return status;
}

}  // namespace httptrace::cli
