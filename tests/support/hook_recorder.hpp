#pragma once
// HookRecorder: every ClientTrace hook of a request as one line, in the order the hooks fired,
// with the thread each ran on — what the transport and client tests compare with the sequences
// of trace-semantics §5. Tests add their own markers ("returned", "eof") to pin hooks against
// API calls. Thread-safe.
//
// Lines: "get_conn 127.0.0.1:P", "dns_start h", "dns_done [a b] coalesced=0",
// "connect_start tcp ADDR", "connect_done tcp ADDR" (+ " err=<code>"), "tls_handshake_start",
// "tls_handshake_done" (+ " err=<code>"), "got_conn reused=0 was_idle=0",
// "wrote_header_field Key=[v1|v2]", "wrote_headers", "wait_100_continue", "got_100_continue",
// "got_1xx_response 103 Link=[<a>]", "wrote_request" (+ " err=<code>"),
// "got_first_response_byte", "put_idle_conn" (+ " err=<message>").

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "httptrace/conn.hpp"
#include "httptrace/header.hpp"
#include "httptrace/trace.hpp"

namespace httptrace::testing {

class HookRecorder {
 public:
  // A trace recording into this recorder (which must outlive the request).
  ClientTrace trace() {
    ClientTrace t;
    t.get_conn = [this](std::string_view host_port) { add("get_conn " + std::string(host_port)); };
    t.dns_start = [this](const DNSStartInfo& info) { add("dns_start " + info.host); };
    t.dns_done = [this](const DNSDoneInfo& info) {
      std::string line = "dns_done [";
      for (std::size_t i = 0; i < info.addrs.size(); ++i) line += (i ? " " : "") + info.addrs[i].to_string();
      line += "] coalesced=" + std::string(info.coalesced ? "1" : "0");
      add(line + err_suffix(info.err));
    };
    t.connect_start = [this](std::string_view network, std::string_view addr) {
      add("connect_start " + std::string(network) + " " + std::string(addr));
    };
    t.connect_done = [this](std::string_view network, std::string_view addr, const Error* err) {
      add("connect_done " + std::string(network) + " " + std::string(addr) + err_suffix(err));
    };
    t.tls_handshake_start = [this] { add("tls_handshake_start"); };
    t.tls_handshake_done = [this](const TLSConnectionState& state, const Error* err) {
      {
        std::lock_guard lock(mu_);
        tls_states_.push_back(state);
      }
      add("tls_handshake_done" + err_suffix(err));
    };
    t.got_conn = [this](const GotConnInfo& info) {
      {
        std::lock_guard lock(mu_);
        idle_times_.push_back(info.idle_time);
        conn_ids_.push_back(info.conn->id());
        remote_addrs_.push_back(info.conn->remote_addr());
      }
      add(std::string("got_conn reused=") + (info.reused ? "1" : "0") + " was_idle=" + (info.was_idle ? "1" : "0"));
    };
    t.wrote_header_field = [this](std::string_view key, const std::vector<std::string>& values) {
      std::string line = "wrote_header_field " + std::string(key) + "=[";
      for (std::size_t i = 0; i < values.size(); ++i) line += (i ? "|" : "") + values[i];
      add(line + "]");
    };
    t.wrote_headers = [this] { add("wrote_headers"); };
    t.wait_100_continue = [this] { add("wait_100_continue"); };
    t.got_100_continue = [this] { add("got_100_continue"); };
    t.got_1xx_response = [this](int code, const Header& header) -> std::optional<Error> {
      std::string line = "got_1xx_response " + std::to_string(code);
      for (const auto& [key, values] : header) {
        line += " " + std::string(key) + "=[";
        bool first = true;
        for (std::string_view v : values) {
          line += (first ? "" : "|") + std::string(v);
          first = false;
        }
        line += "]";
      }
      add(line);
      if (on_1xx) return on_1xx(code);
      return std::nullopt;
    };
    t.wrote_request = [this](const WroteRequestInfo& info) { add("wrote_request" + err_suffix(info.err)); };
    t.got_first_response_byte = [this] { add("got_first_response_byte"); };
    t.put_idle_conn = [this](const Error* err) {
      add(err == nullptr ? std::string("put_idle_conn") : "put_idle_conn err=" + err->message());
    };
    return t;
  }

  // A line of the test's own, to pin hooks against API calls.
  void mark(std::string what) { add("## " + what); }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  // Only the lines that start with `prefix` (e.g. "wrote_header_field").
  std::vector<std::string> lines_starting(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const std::string& line : lines()) {
      if (line.rfind(prefix, 0) == 0) out.push_back(line);
    }
    return out;
  }
  std::size_t count(std::string_view prefix) const { return lines_starting(prefix).size(); }
  std::vector<std::thread::id> threads() const {
    std::lock_guard lock(mu_);
    return threads_;
  }
  std::vector<std::chrono::nanoseconds> idle_times() const {
    std::lock_guard lock(mu_);
    return idle_times_;
  }
  std::vector<uint64_t> conn_ids() const {
    std::lock_guard lock(mu_);
    return conn_ids_;
  }
  std::vector<std::string> remote_addrs() const {
    std::lock_guard lock(mu_);
    return remote_addrs_;
  }
  std::vector<TLSConnectionState> tls_states() const {
    std::lock_guard lock(mu_);
    return tls_states_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    lines_.clear();
    threads_.clear();
    idle_times_.clear();
    conn_ids_.clear();
    remote_addrs_.clear();
    tls_states_.clear();
  }

  // Optional: what got_1xx_response returns for a code.
  std::function<std::optional<Error>(int code)> on_1xx;

 private:
  static std::string err_suffix(const Error* err) {
    return err == nullptr ? std::string() : " err=" + std::string(to_string(err->code()));
  }
  void add(std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
    threads_.push_back(std::this_thread::get_id());
  }

  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::thread::id> threads_;
  std::vector<std::chrono::nanoseconds> idle_times_;
  std::vector<uint64_t> conn_ids_;
  std::vector<std::string> remote_addrs_;
  std::vector<TLSConnectionState> tls_states_;
};

}  // namespace httptrace::testing
