#pragma once
// FakeResolver: a Resolver that answers from a table, for tests that need a given address
// order (an address that stalls first) or must prove that no lookup happened.

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "httptrace/resolver.hpp"

namespace httptrace::testing {

class FakeResolver final : public Resolver {
 public:
  void answer(std::string host, std::vector<IpAddress> addrs) {
    table_[std::move(host)] = std::move(addrs);
  }
  int calls() const { return calls_.load(); }

  Result<std::vector<IpAddress>> lookup(const Context& ctx, std::string_view host) override {
    ++calls_;
    if (const Error* err = ctx.err()) return fail(*err);
    auto it = table_.find(std::string(host));
    if (it == table_.end()) {
      Error error(ErrorCode::dns, "lookup " + std::string(host) + ": no such host");
      error.with_op("dns").with_addr(host).with_dns_kind("not_found");
      return fail(std::move(error));
    }
    return it->second;
  }

 private:
  std::map<std::string, std::vector<IpAddress>> table_;
  std::atomic<int> calls_{0};
};

inline IpAddress ip(std::string_view text) {
  return *IpAddress::parse(text);
}

}  // namespace httptrace::testing
