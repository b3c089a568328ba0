#include "trace/round_trip_observer.hpp"

namespace httptrace::detail {
namespace {

const ContextKey<RoundTripObserver> kObserverKey;

}  // namespace

Context with_round_trip_observer(const Context& ctx, RoundTripObserver observer) {
  if (const RoundTripObserver* old = context_round_trip_observer(ctx)) {
    if (!observer.started) {
      observer.started = old->started;
    } else if (old->started) {
      observer.started = [newer = std::move(observer.started), older = old->started](const Request& r) {
        newer(r);
        older(r);
      };
    }
    if (!observer.finished) {
      observer.finished = old->finished;
    } else if (old->finished) {
      observer.finished = [newer = std::move(observer.finished), older = old->finished](
                              const Request& r, const Response* response, const Error* error) {
        newer(r, response, error);
        older(r, response, error);
      };
    }
  }
  return with_value(ctx, kObserverKey, std::move(observer));
}

[[gnu::hot]] const RoundTripObserver* context_round_trip_observer(const Context& ctx) noexcept {
  return ctx.value(kObserverKey);
}

}  // namespace httptrace::detail
