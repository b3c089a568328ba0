#pragma once
// HookLog: the DNS and connect hooks of one dial, recorded as lines in the order they fired,
// with the thread each ran on — what the dialer tests compare against trace-semantics §5.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "httptrace/trace.hpp"

namespace httptrace::testing {

class HookLog {
 public:
  // Lines: "dns_start h.test", "dns_done [::1 127.0.0.1] coalesced=0",
  // "dns_done [] err=dns coalesced=0", "connect_start tcp [::1]:P",
  // "connect_done tcp [::1]:P", "connect_done tcp 127.0.0.1:P err=connection_refused".
  ClientTrace trace() {
    ClientTrace trace;
    trace.dns_start = [this](const DNSStartInfo& info) { add("dns_start " + info.host, nullptr); };
    trace.dns_done = [this](const DNSDoneInfo& info) {
      std::string line = "dns_done [";
      for (std::size_t i = 0; i < info.addrs.size(); ++i) {
        if (i > 0) line += ' ';
        line += info.addrs[i].to_string();
      }
      line += ']';
      if (info.err != nullptr) line += " err=" + std::string(to_string(info.err->code()));
      line += info.coalesced ? " coalesced=1" : " coalesced=0";
      add(std::move(line), info.err);
    };
    trace.connect_start = [this](std::string_view network, std::string_view addr) {
      add("connect_start " + std::string(network) + " " + std::string(addr), nullptr);
    };
    trace.connect_done = [this](std::string_view network, std::string_view addr, const Error* err) {
      std::string line = "connect_done " + std::string(network) + " " + std::string(addr);
      if (err != nullptr) line += " err=" + std::string(to_string(err->code()));
      add(std::move(line), err);
    };
    return trace;
  }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  // The message of the error each line carried ("" for none).
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }
  std::vector<std::thread::id> threads() const {
    std::lock_guard lock(mu_);
    return threads_;
  }
  std::vector<std::chrono::steady_clock::time_point> times() const {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  void add(std::string line, const Error* err) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
    errors_.push_back(err != nullptr ? err->message() : std::string());
    threads_.push_back(std::this_thread::get_id());
    times_.push_back(std::chrono::steady_clock::now());
  }

  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::vector<std::string> errors_;
  std::vector<std::thread::id> threads_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

}  // namespace httptrace::testing
