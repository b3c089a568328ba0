#pragma once
// The nodes behind Context. Internal: other layers use signal_fd() and deadline(); tests use
// child_count().

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "httptrace/context.hpp"

namespace httptrace::detail {

enum class NodeKind : unsigned char { todo, cancel, value };

class ContextNode {
 public:
  ContextNode(NodeKind kind, std::shared_ptr<const ContextNode> parent) noexcept;
  virtual ~ContextNode() = default;
  ContextNode(const ContextNode&) = delete;
  ContextNode& operator=(const ContextNode&) = delete;

  static const ContextNode* of(const Context& ctx) noexcept { return ctx.node_.get(); }
  static const std::shared_ptr<const ContextNode>& shared(const Context& ctx) noexcept {
    return ctx.node_;
  }
  static Context make(std::shared_ptr<const ContextNode> node) noexcept { return Context(std::move(node)); }

  const NodeKind kind;
  const std::shared_ptr<const ContextNode> parent;
  // The nearest cancellable node at or above this one (null when none). Kept alive by the
  // parent chain, or is this node itself.
  CancelNode* canceler = nullptr;
};

class ValueNode final : public ContextNode {
 public:
  ValueNode(std::shared_ptr<const ContextNode> parent, const void* key,
            std::shared_ptr<const void> value) noexcept;
  const void* const key;
  const std::shared_ptr<const void> value;
};

// A node made by with_cancel / with_deadline. Locking: a node's own fields are guarded by its
// mutex; its membership in its parent's child list (attached_, prev_, next_) by the parent's
// mutex. Locks are only ever nested parent-then-child, during propagation.
class CancelNode final : public ContextNode, public std::enable_shared_from_this<CancelNode> {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  CancelNode(std::shared_ptr<const ContextNode> parent, std::optional<time_point> deadline) noexcept;
  ~CancelNode() override;

  // Links this node under its parent's canceler, or ends it at once if that has ended. Called
  // once, right after construction.
  void attach();
  // The first reason, checking the deadline lazily.
  const Error* check() noexcept;
  // Ends this node and its descendants with `reason` unless already ended.
  void cancel(const Error* reason) noexcept;
  // The eventfd written when this node ends; made on first use. `arm_timer` also registers the
  // deadline with the shared timer thread (the public done_fd()).
  int signal_fd(bool arm_timer);
  bool wait_for(std::chrono::nanoseconds d);
  std::size_t child_count();

  const std::optional<time_point> deadline;
  std::atomic<const Error*> err{nullptr};
  // Position in the deadline timer's queue; guarded by the timer's mutex.
  std::optional<std::multimap<time_point, std::weak_ptr<CancelNode>>::iterator> timer_entry;

 private:
  void end(const Error* reason) noexcept;  // with the parent's lock held, from propagation
  void end_locked(const Error* reason) noexcept;
  void detach() noexcept;

  std::mutex mu_;
  std::condition_variable cv_;
  int event_fd_ = -1;
  CancelNode* first_child_ = nullptr;
  std::size_t child_count_ = 0;
  // Membership in the parent's list, guarded by the parent's mutex.
  CancelNode* const parent_canceler_;
  bool attached_ = false;
  CancelNode* prev_ = nullptr;
  CancelNode* next_ = nullptr;
};

const Error& canceled_error() noexcept;
const Error& deadline_exceeded_error() noexcept;

// For the library's waits: the fd that becomes readable when `ctx` is canceled, without arming
// the deadline timer (waiters compute their own timeout from the deadline); -1 when the
// context can never end.
int signal_fd(const Context& ctx);
// Live children registered under `ctx`'s canceler (tests: the list must not grow).
std::size_t child_count(const Context& ctx);

}  // namespace httptrace::detail
