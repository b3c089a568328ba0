#pragma once
// Fault injection at the stream level (bad-inputs "How to test it": "the Nth write returns
// (n, err), reads block or fail on command"), through the transport's stream-wrapper seam:
// every connection the transport makes is wrapped in a FaultStream that consults one shared
// FaultPlan.
//
//   FaultPlan plan;
//   plan.fail_write = {{.conn = 0, .index = 1, .error = reset}};  // 2nd write of the 1st conn
//   install_faults(*transport, plan);

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "httptrace/transport.hpp"
#include "net/stream.hpp"
#include "support/forwarding_stream.hpp"
#include "transport/stream_wrapper.hpp"

namespace httptrace::testing {

// One injected failure: the `index`-th read or write (from 0) of the `conn`-th connection the
// transport made (from 0) fails with `error`, having transferred nothing.
struct Fault {
  std::size_t conn = 0;
  std::size_t index = 0;
  Error error{ErrorCode::connection_reset, "injected fault"};
};

struct FaultPlan {
  std::vector<Fault> fail_write;
  std::vector<Fault> fail_read;
  // Each try_write moves at most this many bytes (short writes); 0 = no cap.
  std::size_t max_write_bytes = 0;
};

// Counters the test reads back.
struct FaultCounters {
  std::atomic<std::size_t> conns{0};
  std::atomic<std::size_t> writes{0};
  std::atomic<std::size_t> reads{0};
  std::atomic<std::size_t> injected{0};
};

class FaultStream final : public ForwardingStream {
 public:
  FaultStream(std::unique_ptr<net::Stream> inner, std::shared_ptr<const FaultPlan> plan,
              std::shared_ptr<FaultCounters> counters, std::size_t conn)
      : ForwardingStream(std::move(inner)),
        plan_(std::move(plan)),
        counters_(std::move(counters)),
        conn_(conn) {}

  Result<std::size_t> try_write(std::span<const net::ConstBuffer> parts) override {
    if (plan_->max_write_bytes == 0) return inner_->try_write(parts);
    // Keep only the first max_write_bytes of the gathered parts.
    std::vector<net::ConstBuffer> capped;
    std::size_t budget = plan_->max_write_bytes;
    for (const net::ConstBuffer& part : parts) {
      if (budget == 0) break;
      std::size_t take = std::min(budget, part.size());
      if (take > 0) capped.push_back(part.first(take));
      budget -= take;
    }
    return inner_->try_write(capped);
  }

  Result<std::size_t> read(std::span<std::byte> buf, const Context& ctx,
                           std::optional<net::TimePoint> op_deadline) override {
    std::size_t index = reads_++;
    ++counters_->reads;
    if (auto fault = find(plan_->fail_read, index)) return fail(*fault);
    return inner_->read(buf, ctx, op_deadline);
  }
  using Stream::write;
  Result<void> write(std::span<const net::ConstBuffer> parts, const Context& ctx) override {
    std::size_t index = writes_++;
    ++counters_->writes;
    if (auto fault = find(plan_->fail_write, index)) return fail(*fault);
    // The base write loops over try_write, so a cap there shows up as short writes.
    if (plan_->max_write_bytes != 0) return Stream::write(parts, ctx);
    return inner_->write(parts, ctx);
  }

 private:
  std::optional<Error> find(const std::vector<Fault>& faults, std::size_t index) {
    for (const Fault& f : faults) {
      if (f.conn == conn_ && f.index == index) {
        ++counters_->injected;
        return f.error;
      }
    }
    return std::nullopt;
  }

  std::shared_ptr<const FaultPlan> plan_;
  std::shared_ptr<FaultCounters> counters_;
  std::size_t conn_;
  std::size_t reads_ = 0;
  std::size_t writes_ = 0;
};

// Wraps every connection `transport` makes from now on; returns the counters.
inline std::shared_ptr<FaultCounters> install_faults(Transport& transport, FaultPlan plan) {
  auto shared_plan = std::make_shared<const FaultPlan>(std::move(plan));
  auto counters = std::make_shared<FaultCounters>();
  detail::set_stream_wrapper(
      transport, [shared_plan, counters](std::unique_ptr<net::Stream> inner) {
        std::size_t conn = counters->conns++;
        return std::make_unique<FaultStream>(std::move(inner), shared_plan, counters, conn);
      });
  return counters;
}

}  // namespace httptrace::testing
