#pragma once
// Helpers for the EventLoop suites: one request run to completion on a loop driven by the test's
// thread, with a marker in the hook log where the completion callback ran.

#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "httptrace/event_loop.hpp"
#include "transport/fixture.hpp"

namespace httptrace::testing {

struct LoopOutcome {
  std::optional<Result<Response>> response;
  uint64_t body_bytes = 0;
  std::string body;
  std::thread::id thread;

  bool ok() const { return response && response->has_value(); }
  const Error& error() const { return response->error(); }
  Response& operator*() { return **response; }
  Response* operator->() { return &**response; }
};

// Submits `request` and runs `loop` until it completes; `hooks` (if given) gets "## done" when
// the callback runs.
inline LoopOutcome send_on(EventLoop& loop, Request request, HookRecorder* hooks = nullptr,
                           SubmitOptions options = SubmitOptions{true, {}}) {
  LoopOutcome out;
  loop.submit(
      std::move(request),
      [&](EventLoop::Completion& done) {
        if (hooks != nullptr) hooks->mark("done");
        out.response.emplace(std::move(done.response));
        out.body_bytes = done.body_bytes;
        out.body = std::move(done.body);
        out.thread = std::this_thread::get_id();
      },
      options);
  loop.run();
  EXPECT_TRUE(out.response.has_value()) << "the callback never ran";
  if (!out.response) out.response.emplace(fail(ErrorCode::network, "no completion"));
  return out;
}

}  // namespace httptrace::testing
