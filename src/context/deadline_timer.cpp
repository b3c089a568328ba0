#include "context/deadline_timer.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "context/context_node.hpp"

namespace httptrace::detail {
namespace {

class DeadlineTimer {
 public:
  static DeadlineTimer& instance() {
    // Leaked on purpose: contexts may be destroyed during static destruction.
    static DeadlineTimer* timer = new DeadlineTimer();
    return *timer;
  }

  void arm(const std::shared_ptr<CancelNode>& node) {
    std::lock_guard lock(mu_);
    auto at = *node->deadline;
    bool earliest = queue_.empty() || at < queue_.begin()->first;
    node->timer_entry = queue_.emplace(at, node);
    if (!thread_started_) {
      thread_started_ = true;
      std::thread([this] { run(); }).detach();
    } else if (earliest) {
      cv_.notify_one();
    }
  }

  void disarm(CancelNode& node) noexcept {
    std::lock_guard lock(mu_);
    if (!node.timer_entry) return;
    queue_.erase(*node.timer_entry);
    node.timer_entry.reset();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto first = queue_.begin();
      // A copy: the entry may be erased while we wait.
      const auto due = first->first;
      if (std::chrono::steady_clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      std::shared_ptr<CancelNode> node = first->second.lock();
      if (!node) {
        // The node is being destroyed; its destructor erases the entry once we let go.
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
        continue;
      }
      node->timer_entry.reset();
      queue_.erase(first);
      lock.unlock();
      node->cancel(&deadline_exceeded_error());
      node.reset();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::weak_ptr<CancelNode>> queue_;
  bool thread_started_ = false;
};

}  // namespace

void arm_deadline(const std::shared_ptr<CancelNode>& node) { DeadlineTimer::instance().arm(node); }
void disarm_deadline(CancelNode& node) noexcept { DeadlineTimer::instance().disarm(node); }

}  // namespace httptrace::detail
