#pragma once
// Context: Go's `context` — a deadline, a cancellation signal and request-scoped values,
// carried by every Request and honoured by every wait the library makes.
//
// Contexts form a tree. Cancelling one (or reaching its deadline) cancels every descendant and
// never its parent; a child's deadline is never later than its parent's; err() keeps the first
// reason. A Context is an immutable handle to a shared node: cheap to copy, safe to use from any
// number of threads.
//
// How deadlines fire, without a thread per context: err(), is_done() and wait() compare the
// deadline with steady_clock themselves, and the library's own waits (DNS, connect, TLS, reads,
// writes) compute their poll timeout from it, so none of them needs a timer. Only a caller who
// asks for done_fd() on a context with a deadline gets it registered with one process-wide timer
// thread (started on first need), which cancels the context at the deadline so the fd becomes
// readable then.

#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "httptrace/error.hpp"

namespace httptrace {

template <class T>
class ContextKey;
class Context;

namespace detail {
class ContextNode;
class CancelNode;
Context make_value_context(const Context& parent, const void* key, std::shared_ptr<const void> value);
}  // namespace detail

class Context {
 public:
  // The background context: never canceled, no deadline, no values (same as background()).
  Context() noexcept = default;

  // The effective deadline (the earliest of this context's and its ancestors'), if any.
  std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept;
  // Null while live; then the first reason it ended — ErrorCode::canceled ("context canceled")
  // or ErrorCode::deadline_exceeded ("context deadline exceeded") — and that one forever. The
  // pointee lives as long as the program.
  const Error* err() const noexcept;
  bool is_done() const noexcept { return err() != nullptr; }
  // An eventfd that becomes readable once the context is done, for poll/epoll. Owned by the
  // context (never close it), valid while any copy of this context lives, made on the first
  // call. -1 for contexts that can never end (background(), todo() and values over them),
  // like Go's nil Done channel.
  int done_fd() const;
  // Blocks up to `d`; returns true once the context is done (at once if it already is).
  bool wait(std::chrono::nanoseconds d) const;

  // The value stored under `key` by the nearest ancestor (or this context), or null. The
  // pointee lives as long as this context.
  template <class T>
  const T* value(const ContextKey<T>& key) const noexcept {
    return static_cast<const T*>(find_value(&key));
  }

 private:
  friend class detail::ContextNode;
  explicit Context(std::shared_ptr<const detail::ContextNode> node) noexcept : node_(std::move(node)) {}
  const void* find_value(const void* key) const noexcept;

  std::shared_ptr<const detail::ContextNode> node_;  // null = background
};

// The root contexts. todo() marks code that has not decided which context to use yet.
Context background() noexcept;
Context todo();

// Cancels its context (and every descendant) with ErrorCode::canceled. Idempotent and
// thread-safe; does nothing once the context has ended for any reason. Holding it keeps the
// context alive.
struct CancelFunc {
  void operator()() const;
  std::shared_ptr<detail::CancelNode> node;
};

// A child that ends when `parent` ends or when the CancelFunc is called. If the parent has
// already ended, the child is born ended with the parent's reason.
std::pair<Context, CancelFunc> with_cancel(const Context& parent);
// As with_cancel, and the child also ends with ErrorCode::deadline_exceeded at `deadline`. A
// parent with an earlier deadline wins; a deadline already past gives an ended context.
std::pair<Context, CancelFunc> with_deadline(const Context& parent,
                                             std::chrono::steady_clock::time_point deadline);
// with_deadline(parent, now + timeout).
std::pair<Context, CancelFunc> with_timeout(const Context& parent, std::chrono::nanoseconds timeout);

// A key for with_value / Context::value, identified by its address: create keys as static
// objects. T is the type of the value stored under it.
template <class T>
class ContextKey {
 public:
  constexpr ContextKey() noexcept = default;
  ContextKey(const ContextKey&) = delete;
  ContextKey& operator=(const ContextKey&) = delete;
};

// A child carrying `value` under `key`, shadowing any value an ancestor stored under the same
// key. It does not change cancellation or the deadline.
template <class T>
Context with_value(const Context& parent, const ContextKey<T>& key, std::type_identity_t<T> value) {
  return detail::make_value_context(parent, &key, std::make_shared<const T>(std::move(value)));
}

}  // namespace httptrace
