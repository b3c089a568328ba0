#include "net/single_flight.hpp"

#include <sys/eventfd.h>

#include <cstdint>

#include "net/unique_fd.hpp"
#include "net/wait_io.hpp"

namespace httptrace::net {

// Fields marked "mu_" are guarded by SingleFlight::mu_. `lookup` belongs to whoever drives:
// the role passes from thread to thread only through mu_, which orders every access.
struct SingleFlight::Flight {
  std::string key;
  std::unique_ptr<DrivenLookup> lookup;
  // Readable when the driving role is vacant or the outcome is ready. Drained only by a
  // participant taking over the role (under mu_), never after the outcome is set, so it
  // stays readable for every late waiter.
  UniqueFd wake;
  int participants = 0;                                   // mu_: waiting right now
  int joined = 0;                                         // mu_: ever joined
  bool driven = false;                                    // mu_: someone holds the role
  std::optional<Result<std::vector<IpAddress>>> outcome;  // mu_

  void signal() const noexcept {
    const uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake.get(), &one, sizeof one);
  }
  void drain() const noexcept {
    uint64_t count = 0;
    [[maybe_unused]] auto read = ::read(wake.get(), &count, sizeof count);
  }
};

namespace {

Result<void> wait_until_readable(int fd, const Context& ctx) {
  auto ready = wait_fd(fd, POLLIN, ctx);
  if (!ready) return fail(std::move(ready.error()));
  return {};
}

}  // namespace

SingleFlight::SingleFlight(Factory factory) : factory_(std::move(factory)) {}

SingleFlight::~SingleFlight() = default;

std::size_t SingleFlight::participants(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = flights_.find(key);
  return it == flights_.end() ? 0 : static_cast<std::size_t>(it->second->participants);
}

bool SingleFlight::leave_locked(const std::shared_ptr<Flight>& flight, bool driving) {
  --flight->participants;
  if (driving) flight->driven = false;
  if (flight->participants == 0) {
    auto it = flights_.find(flight->key);
    if (it != flights_.end() && it->second == flight) flights_.erase(it);
    return true;
  }
  // The others must not wait on a query nobody drives.
  if (driving && !flight->outcome) flight->signal();
  return false;
}

Result<LookupResult> SingleFlight::run(const Context& ctx, std::string_view key) {
  if (const Error* err = ctx.err()) return fail(*err);

  std::shared_ptr<Flight> flight;
  bool driving = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = flights_.find(key); it != flights_.end()) {
      flight = it->second;
    } else {
      flight = std::make_shared<Flight>();
      flight->key = std::string(key);
      flight->wake.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
      flight->driven = driving = true;
      // Without an eventfd nobody could wait for us: run this one unshared.
      if (flight->wake) flights_.emplace(flight->key, flight);
    }
    ++flight->participants;
    ++flight->joined;
  }

  if (driving) {
    flight->lookup = factory_(key);
    flight->lookup->start();
  }

  for (;;) {
    if (driving && flight->lookup->outcome()) {
      std::lock_guard lock(mu_);
      flight->outcome = *flight->lookup->outcome();
      auto it = flights_.find(flight->key);
      if (it != flights_.end() && it->second == flight) flights_.erase(it);
      flight->signal();
    }
    {
      std::lock_guard lock(mu_);
      if (flight->outcome) {
        Result<std::vector<IpAddress>> outcome = *flight->outcome;
        const bool coalesced = flight->joined > 1;
        leave_locked(flight, driving);
        if (!outcome) return fail(std::move(outcome.error()));
        return LookupResult{std::move(*outcome), coalesced};
      }
      if (!driving && !flight->driven) {
        flight->driven = driving = true;
        flight->drain();
      }
    }
    Result<void> waited =
        driving ? flight->lookup->step(ctx) : wait_until_readable(flight->wake.get(), ctx);
    if (waited) continue;
    bool last = false;
    {
      std::lock_guard lock(mu_);
      last = leave_locked(flight, driving);
    }
    // The last one out cancels the query: destroying the channel closes its sockets now.
    if (last) flight->lookup.reset();
    return fail(std::move(waited.error()));
  }
}

}  // namespace httptrace::net
