#pragma once
// The one process-wide timer thread behind Context::done_fd() for contexts with a deadline.
// Started on first use; it sleeps until the earliest registered deadline and cancels that
// context with deadline_exceeded, which makes its done_fd readable.

#include <memory>

namespace httptrace::detail {

class CancelNode;

// Registers `node` (which must have a deadline and not be registered). Thread-safe.
void arm_deadline(const std::shared_ptr<CancelNode>& node);
// Removes `node` if registered; called when it ends or is destroyed. Thread-safe.
void disarm_deadline(CancelNode& node) noexcept;

}  // namespace httptrace::detail
