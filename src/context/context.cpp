#include "httptrace/context.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include "context/context_node.hpp"
#include "context/deadline_timer.hpp"

namespace httptrace {
namespace detail {

const Error& canceled_error() noexcept {
  static const Error error(ErrorCode::canceled, "context canceled");
  return error;
}

const Error& deadline_exceeded_error() noexcept {
  static const Error error(ErrorCode::deadline_exceeded, "context deadline exceeded");
  return error;
}

ContextNode::ContextNode(NodeKind kind, std::shared_ptr<const ContextNode> parent) noexcept
    : kind(kind), parent(std::move(parent)) {
  if (this->parent) canceler = this->parent->canceler;
}

ValueNode::ValueNode(std::shared_ptr<const ContextNode> parent, const void* key,
                     std::shared_ptr<const void> value) noexcept
    : ContextNode(NodeKind::value, std::move(parent)), key(key), value(std::move(value)) {}

CancelNode::CancelNode(std::shared_ptr<const ContextNode> parent,
                       std::optional<time_point> deadline) noexcept
    : ContextNode(NodeKind::cancel, std::move(parent)),
      deadline(deadline),
      parent_canceler_(canceler) {
  canceler = this;
}

CancelNode::~CancelNode() {
  detach();
  disarm_deadline(*this);
  if (event_fd_ >= 0) ::close(event_fd_);
}

void CancelNode::attach() {
  if (parent_canceler_ == nullptr) return;
  // The parent may have passed its deadline without anyone asking yet.
  if (const Error* parent_err = parent_canceler_->check()) {
    err.store(parent_err, std::memory_order_release);
    return;
  }
  std::lock_guard lock(parent_canceler_->mu_);
  if (const Error* parent_err = parent_canceler_->err.load(std::memory_order_acquire)) {
    err.store(parent_err, std::memory_order_release);
    return;
  }
  attached_ = true;
  next_ = parent_canceler_->first_child_;
  if (next_ != nullptr) next_->prev_ = this;
  parent_canceler_->first_child_ = this;
  ++parent_canceler_->child_count_;
}

void CancelNode::detach() noexcept {
  if (parent_canceler_ == nullptr) return;
  std::lock_guard lock(parent_canceler_->mu_);
  if (!attached_) return;
  attached_ = false;
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    parent_canceler_->first_child_ = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
  prev_ = next_ = nullptr;
  --parent_canceler_->child_count_;
}

const Error* CancelNode::check() noexcept {
  if (const Error* e = err.load(std::memory_order_acquire)) return e;
  if (deadline && std::chrono::steady_clock::now() >= *deadline) {
    cancel(&deadline_exceeded_error());
    return err.load(std::memory_order_acquire);
  }
  return nullptr;
}

void CancelNode::cancel(const Error* reason) noexcept {
  {
    std::lock_guard lock(mu_);
    if (err.load(std::memory_order_relaxed) != nullptr) return;
    end_locked(reason);
  }
  detach();
}

void CancelNode::end(const Error* reason) noexcept {
  // The parent is ending and holds its lock; it unlinks us from its list itself.
  attached_ = false;
  prev_ = next_ = nullptr;
  std::lock_guard lock(mu_);
  if (err.load(std::memory_order_relaxed) != nullptr) return;
  end_locked(reason);
}

void CancelNode::end_locked(const Error* reason) noexcept {
  err.store(reason, std::memory_order_release);
  if (event_fd_ >= 0) {
    eventfd_write(event_fd_, 1);
  }
  cv_.notify_all();
  CancelNode* child = first_child_;
  while (child != nullptr) {
    CancelNode* next = child->next_;
    child->end(reason);
    child = next;
  }
  first_child_ = nullptr;
  child_count_ = 0;
  disarm_deadline(*this);
}

int CancelNode::signal_fd(bool arm_timer) {
  check();
  std::lock_guard lock(mu_);
  if (event_fd_ < 0) {
    event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) {
      throw std::system_error(errno, std::generic_category(), "eventfd for Context::done_fd");
    }
    if (err.load(std::memory_order_relaxed) != nullptr) eventfd_write(event_fd_, 1);
  }
  if (arm_timer && deadline && !timer_entry && err.load(std::memory_order_relaxed) == nullptr) {
    arm_deadline(shared_from_this());
  }
  return event_fd_;
}

bool CancelNode::wait_for(std::chrono::nanoseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  if (deadline && *deadline < until) until = *deadline;
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [this] { return err.load(std::memory_order_relaxed) != nullptr; });
  }
  return check() != nullptr;
}

std::size_t CancelNode::child_count() {
  std::lock_guard lock(mu_);
  return child_count_;
}

Context make_value_context(const Context& parent, const void* key, std::shared_ptr<const void> value) {
  return ContextNode::make(
      std::make_shared<const ValueNode>(ContextNode::shared(parent), key, std::move(value)));
}

int signal_fd(const Context& ctx) {
  const ContextNode* node = ContextNode::of(ctx);
  if (node == nullptr || node->canceler == nullptr) return -1;
  return node->canceler->signal_fd(false);
}

std::size_t child_count(const Context& ctx) {
  const ContextNode* node = ContextNode::of(ctx);
  if (node == nullptr || node->canceler == nullptr) return 0;
  return node->canceler->child_count();
}

}  // namespace detail

using detail::CancelNode;
using detail::ContextNode;

[[gnu::hot]] std::optional<std::chrono::steady_clock::time_point> Context::deadline() const noexcept {
  if (!node_ || node_->canceler == nullptr) return std::nullopt;
  return node_->canceler->deadline;
}

[[gnu::hot]] const Error* Context::err() const noexcept {
  if (!node_ || node_->canceler == nullptr) return nullptr;
  return node_->canceler->check();
}

int Context::done_fd() const {
  if (!node_ || node_->canceler == nullptr) return -1;
  return node_->canceler->signal_fd(true);
}

bool Context::wait(std::chrono::nanoseconds d) const {
  if (!node_ || node_->canceler == nullptr) {
    if (d > std::chrono::nanoseconds::zero()) std::this_thread::sleep_for(d);
    return false;
  }
  return node_->canceler->wait_for(d);
}

[[gnu::hot]] const void* Context::find_value(const void* key) const noexcept {
  for (const ContextNode* node = node_.get(); node != nullptr; node = node->parent.get()) {
    if (node->kind != detail::NodeKind::value) continue;
    const auto* value_node = static_cast<const detail::ValueNode*>(node);
    if (value_node->key == key) return value_node->value.get();
  }
  return nullptr;
}

Context background() noexcept { return Context(); }

Context todo() {
  static const auto node = std::make_shared<const ContextNode>(detail::NodeKind::todo, nullptr);
  return ContextNode::make(node);
}

void CancelFunc::operator()() const {
  if (node) node->cancel(&detail::canceled_error());
}

std::pair<Context, CancelFunc> with_cancel(const Context& parent) {
  auto node = std::make_shared<CancelNode>(ContextNode::shared(parent), parent.deadline());
  node->attach();
  return {ContextNode::make(node), CancelFunc{node}};
}

std::pair<Context, CancelFunc> with_deadline(const Context& parent,
                                             std::chrono::steady_clock::time_point deadline) {
  auto inherited = parent.deadline();
  if (inherited && *inherited <= deadline) return with_cancel(parent);
  auto node = std::make_shared<CancelNode>(ContextNode::shared(parent), deadline);
  node->attach();
  node->check();  // a deadline already past ends the context at once
  return {ContextNode::make(node), CancelFunc{node}};
}

std::pair<Context, CancelFunc> with_timeout(const Context& parent, std::chrono::nanoseconds timeout) {
  return with_deadline(parent, std::chrono::steady_clock::now() + timeout);
}

}  // namespace httptrace
