#include "net/happy_eyeballs.hpp"

#include <array>
#include <string_view>

#include "net/connect_attempt.hpp"

namespace httptrace::net {
namespace {

// The network the hooks report: the one given to Dial, never tcp4/tcp6 (trace-semantics §2).
constexpr std::string_view kNetwork = "tcp";

// One family's addresses, tried in turn (Go's dialSerial).
struct Racer {
  std::span<const IpAddress> addrs;
  std::size_t next = 0;
  std::optional<ConnectAttempt> attempt;  // the one in flight
  std::optional<Error> first_error;       // Go reports the first address's failure
  bool started = false;
  bool finished = false;
};

class Race {
 public:
  Race(const Context& ctx, const RacePlan& plan, const ClientTrace* trace)
      : ctx_(ctx), plan_(plan), trace_(trace) {
    primary_.addrs = plan.primaries;
    fallback_.addrs = plan.fallbacks;
  }

  Result<UniqueFd> run();

 private:
  bool has_fallback() const { return !plan_.fallbacks.empty(); }
  std::optional<UniqueFd> advance(Racer& racer);
  std::optional<UniqueFd> settle(Racer& racer, short revents, TimePoint now);
  void record_failure(Racer& racer, const std::string& addr, const Error& error);
  UniqueFd win(Racer& winner, UniqueFd fd);
  void abandon_all(const Error& why);
  Error final_error() const;

  const Context& ctx_;
  const RacePlan& plan_;
  const ClientTrace* trace_;
  Racer primary_;
  Racer fallback_;
};

Result<UniqueFd> Race::run() {
  if (auto fd = advance(primary_)) return win(primary_, std::move(*fd));
  const TimePoint fallback_at = Clock::now() + plan_.fallback_delay;

  for (;;) {
    if (const Error* err = ctx_.err()) {
      abandon_all(*err);
      return fail(*err);
    }
    // Go's dialParallel: the fallback racer starts when its timer fires, or at once when the
    // primary racer has failed (trace-semantics §5 b2).
    if (has_fallback() && !fallback_.started &&
        (primary_.finished || Clock::now() >= fallback_at)) {
      if (auto fd = advance(fallback_)) return win(fallback_, std::move(*fd));
      continue;
    }
    if (primary_.finished && (!has_fallback() || fallback_.finished)) return fail(final_error());

    std::array<pollfd, 2> fds{};
    std::array<Racer*, 2> owners{};
    std::size_t count = 0;
    std::optional<TimePoint> wake_at;
    for (Racer* racer : {&primary_, &fallback_}) {
      if (!racer->attempt) continue;
      fds[count] = pollfd{racer->attempt->fd(), POLLOUT, 0};
      owners[count++] = racer;
      wake_at = earliest(wake_at, racer->attempt->deadline());
    }
    if (has_fallback() && !fallback_.started) wake_at = earliest(wake_at, fallback_at);
    if (count == 0 && !wake_at) return fail(final_error());

    auto waited = wait_io(std::span<pollfd>(fds.data(), count), ctx_, wake_at);
    if (!waited && waited.error().code() != ErrorCode::timeout) {
      abandon_all(waited.error());
      return fail(std::move(waited.error()));
    }
    const TimePoint now = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      if (auto fd = settle(*owners[i], fds[i].revents, now)) return win(*owners[i], std::move(*fd));
    }
  }
}

std::optional<UniqueFd> Race::advance(Racer& racer) {
  racer.started = true;
  while (racer.next < racer.addrs.size() && !ctx_.is_done()) {
    const std::size_t left = racer.addrs.size() - racer.next;
    const IpAddress& ip = racer.addrs[racer.next++];
    std::optional<TimePoint> deadline;
    if (plan_.deadline) {
      deadline = partial_deadline(Clock::now(), *plan_.deadline, left);
      if (!deadline) {
        // Out of time before this address could be tried: Go records a timeout and stops.
        if (!racer.first_error) racer.first_error = ConnectAttempt(ip, plan_.port, {}).timed_out();
        break;
      }
    }
    ConnectAttempt attempt(ip, plan_.port, deadline);
    call_hook(trace_, &ClientTrace::connect_start, kNetwork, std::string_view(attempt.addr()));
    auto state = attempt.begin();
    if (!state) {
      record_failure(racer, attempt.addr(), state.error());
      continue;
    }
    if (*state == ConnectAttempt::State::connected) {
      call_hook(trace_, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
                static_cast<const Error*>(nullptr));
      return attempt.release();
    }
    racer.attempt.emplace(std::move(attempt));
    return std::nullopt;
  }
  racer.finished = true;
  return std::nullopt;
}

std::optional<UniqueFd> Race::settle(Racer& racer, short revents, TimePoint now) {
  if (!racer.attempt) return std::nullopt;
  ConnectAttempt& attempt = *racer.attempt;
  if (revents != 0) {
    auto state = attempt.finish();
    if (!state) {
      record_failure(racer, attempt.addr(), state.error());
      racer.attempt.reset();
      return advance(racer);
    }
    if (*state == ConnectAttempt::State::pending) return std::nullopt;
    call_hook(trace_, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
              static_cast<const Error*>(nullptr));
    UniqueFd fd = attempt.release();
    racer.attempt.reset();
    return fd;
  }
  if (attempt.deadline() && now >= *attempt.deadline()) {
    attempt.abandon();
    record_failure(racer, attempt.addr(), attempt.timed_out());
    racer.attempt.reset();
    return advance(racer);
  }
  return std::nullopt;
}

void Race::record_failure(Racer& racer, const std::string& addr, const Error& error) {
  call_hook(trace_, &ClientTrace::connect_done, kNetwork, std::string_view(addr), &error);
  if (!racer.first_error) racer.first_error = error;
}

UniqueFd Race::win(Racer& winner, UniqueFd fd) {
  Racer& loser = &winner == &primary_ ? fallback_ : primary_;
  if (loser.attempt) {
    // Go cancels the loser's context; its connect_done reports that (Our decisions: before
    // dial returns).
    const Error canceled =
        loser.attempt->interrupted(Error(ErrorCode::canceled, "context canceled"));
    loser.attempt->abandon();
    call_hook(trace_, &ClientTrace::connect_done, kNetwork, std::string_view(loser.attempt->addr()),
              &canceled);
    loser.attempt.reset();
  }
  return fd;
}

void Race::abandon_all(const Error& why) {
  for (Racer* racer : {&primary_, &fallback_}) {
    if (!racer->attempt) continue;
    const Error error = racer->attempt->interrupted(why);
    racer->attempt->abandon();
    call_hook(trace_, &ClientTrace::connect_done, kNetwork,
              std::string_view(racer->attempt->addr()), &error);
    racer->attempt.reset();
  }
}

Error Race::final_error() const {
  if (const Error* err = ctx_.err()) return *err;
  if (primary_.first_error) return *primary_.first_error;
  if (fallback_.first_error) return *fallback_.first_error;
  return Error(ErrorCode::network, "dial tcp: no address to connect to");
}

}  // namespace

std::optional<TimePoint> partial_deadline(TimePoint now, TimePoint deadline,
                                          std::size_t addresses_left) {
  if (now >= deadline) return std::nullopt;
  const auto remaining = deadline - now;
  auto share = remaining / static_cast<long>(addresses_left == 0 ? 1 : addresses_left);
  // Go's saneMinimum: a share too short to connect is taken from the later addresses.
  constexpr std::chrono::seconds kSaneMinimum{2};
  if (share < kSaneMinimum) share = remaining < kSaneMinimum ? remaining : kSaneMinimum;
  return now + std::chrono::duration_cast<Clock::duration>(share);
}

Result<UniqueFd> race(const Context& ctx, const RacePlan& plan, const ClientTrace* trace) {
  return Race(ctx, plan, trace).run();
}

}  // namespace httptrace::net
