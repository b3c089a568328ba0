#pragma once
// SingleFlight: concurrent lookups of one name share one query (Go's singleflight.Group as
// net.Resolver uses it), with Go 1.19's coalescing semantics plus one improvement: a caller
// whose context ends leaves at once with its context's error while the query goes on for the
// others, and the last one to leave cancels the query (Go lets an abandoned shared query run
// to its own timeout).
//
// Who waits how. The query is driven on the callers' threads: exactly one participant at a
// time — the driver — polls the query's sockets through wait_io with its own Context; the
// others sleep in wait_io on the flight's eventfd with theirs. When the driver's context ends,
// it hands the driving role over (it signals the eventfd and the first waiter to wake takes
// the role). We chose this over one resolver thread because (a) the common case, a lone
// lookup, then costs no thread hand-off in either direction; (b) every wait is a wait_io with
// the deadline and cancel signal of the caller who is actually waiting, so a deadline cuts
// through DNS with no extra machinery; (c) the library owns no long-lived thread whose
// lifetime it would have to manage (static destruction, fork). The price is the hand-over
// protocol below, which stays small because c-ares channels need no locking when only one
// thread at a time touches them. No thread is ever made per lookup, and nobody spins.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"
#include "httptrace/resolver.hpp"

namespace httptrace::net {

// One query that one thread at a time advances; the SingleFlight guarantees that exclusion
// and publishes the outcome to the other participants.
class DrivenLookup {
 public:
  virtual ~DrivenLookup() = default;
  // Sends the query; may finish at once (a hosts-file hit).
  virtual void start() = 0;
  // Waits through wait_io with `ctx` until the query can make progress, and makes it. An
  // Error only when the wait itself ended early: the context's, or poll's.
  [[nodiscard]] virtual Result<void> step(const Context& ctx) = 0;
  // Set once the query has finished.
  virtual const std::optional<Result<std::vector<IpAddress>>>& outcome() const = 0;
};

class SingleFlight {
 public:
  // Makes the query for a key; called on the thread of the first participant.
  using Factory = std::function<std::unique_ptr<DrivenLookup>(std::string_view key)>;

  explicit SingleFlight(Factory factory);
  ~SingleFlight();
  SingleFlight(const SingleFlight&) = delete;
  SingleFlight& operator=(const SingleFlight&) = delete;

  // Joins the flight for `key` (starting it if none is under way) and waits for its outcome.
  // `coalesced` is true for every participant when more than one joined (Go's `shared`).
  // Errors: the query's own, or a copy of the context's error when `ctx` ended first (then
  // this caller has left; the query goes on for the others). Thread-safe.
  [[nodiscard]] Result<LookupResult> run(const Context& ctx, std::string_view key);

  // Callers currently waiting on `key`'s flight (tests: "the second caller has joined").
  std::size_t participants(std::string_view key) const;

 private:
  struct Flight;

  // With mu_ held: leaves `flight`; true when it was the last participant.
  bool leave_locked(const std::shared_ptr<Flight>& flight, bool driving);

  Factory factory_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>, std::less<>> flights_;
};

}  // namespace httptrace::net
