#include "httptrace/context.hpp"

#include <poll.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "context/context_node.hpp"

namespace httptrace {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & POLLIN);
}

TEST(Context, BackgroundIsNeverDone) {
  Context ctx = background();
  EXPECT_EQ(ctx.err(), nullptr);
  EXPECT_FALSE(ctx.is_done());
  EXPECT_FALSE(ctx.deadline().has_value());
  EXPECT_EQ(ctx.done_fd(), -1);
  EXPECT_FALSE(ctx.wait(1ms));
  EXPECT_EQ(todo().err(), nullptr);
  EXPECT_EQ(todo().done_fd(), -1);
}

TEST(Context, CancelReachesGrandchildrenButNotParents) {
  auto [parent, cancel_parent] = with_cancel(background());
  auto [child, cancel_child] = with_cancel(parent);
  auto [grandchild, cancel_grandchild] = with_cancel(child);
  auto [sibling, cancel_sibling] = with_cancel(parent);

  cancel_child();
  ASSERT_NE(child.err(), nullptr);
  EXPECT_EQ(child.err()->code(), ErrorCode::canceled);
  EXPECT_STREQ(child.err()->what(), "context canceled");
  ASSERT_NE(grandchild.err(), nullptr);
  EXPECT_EQ(grandchild.err()->code(), ErrorCode::canceled);
  EXPECT_EQ(parent.err(), nullptr);
  EXPECT_EQ(sibling.err(), nullptr);

  cancel_parent();
  EXPECT_NE(sibling.err(), nullptr);
}

TEST(Context, ValueContextsPassCancellationThrough) {
  static const ContextKey<int> key;
  auto [parent, cancel] = with_cancel(background());
  Context valued = with_value(parent, key, 7);
  auto [child, cancel_child] = with_cancel(valued);
  cancel();
  EXPECT_TRUE(valued.is_done());
  EXPECT_TRUE(child.is_done());
  ASSERT_NE(child.value(key), nullptr);
  EXPECT_EQ(*child.value(key), 7);
}

TEST(Context, FirstErrorSticks) {
  auto [ctx, cancel] = with_timeout(background(), 20ms);
  cancel();
  ASSERT_NE(ctx.err(), nullptr);
  EXPECT_EQ(ctx.err()->code(), ErrorCode::canceled);
  ctx.wait(100ms);  // past the deadline: the reason must not change
  EXPECT_EQ(ctx.err()->code(), ErrorCode::canceled);

  auto [expired, cancel_expired] = with_timeout(background(), 1ms);
  EXPECT_TRUE(expired.wait(5s));
  cancel_expired();
  EXPECT_EQ(expired.err()->code(), ErrorCode::deadline_exceeded);
  EXPECT_STREQ(expired.err()->what(), "context deadline exceeded");
  EXPECT_TRUE(expired.err()->is_timeout());
}

TEST(Context, ChildDeadlineNeverLaterThanParent) {
  auto now = Clock::now();
  auto [parent, cancel_parent] = with_deadline(background(), now + 1s);
  auto [later, cancel_later] = with_deadline(parent, now + 10s);
  auto [earlier, cancel_earlier] = with_deadline(parent, now + 500ms);
  auto [plain, cancel_plain] = with_cancel(parent);
  ASSERT_TRUE(later.deadline());
  EXPECT_EQ(*later.deadline(), now + 1s);
  EXPECT_EQ(*earlier.deadline(), now + 500ms);
  EXPECT_EQ(*plain.deadline(), now + 1s);
  EXPECT_EQ(*with_value(plain, ContextKey<int>{}, 1).deadline(), now + 1s);
}

TEST(Context, ChildEndsWithParentsDeadline) {
  auto [parent, cancel_parent] = with_timeout(background(), 30ms);
  auto [child, cancel_child] = with_cancel(parent);
  EXPECT_TRUE(child.wait(5s));
  ASSERT_NE(child.err(), nullptr);
  EXPECT_EQ(child.err()->code(), ErrorCode::deadline_exceeded);
  EXPECT_EQ(parent.err()->code(), ErrorCode::deadline_exceeded);
}

TEST(Context, AlreadyExpiredDeadlineIsBornDone) {
  auto [ctx, cancel] = with_deadline(background(), Clock::now() - 1s);
  ASSERT_NE(ctx.err(), nullptr);
  EXPECT_EQ(ctx.err()->code(), ErrorCode::deadline_exceeded);
  EXPECT_TRUE(readable(ctx.done_fd(), 0ms));

  auto [child, cancel_child] = with_cancel(ctx);
  ASSERT_NE(child.err(), nullptr);
  EXPECT_EQ(child.err()->code(), ErrorCode::deadline_exceeded);

  auto [zero, cancel_zero] = with_timeout(background(), 0ns);
  EXPECT_TRUE(zero.is_done());
}

TEST(Context, ChildOfEndedParentIsBornEnded) {
  auto [parent, cancel] = with_cancel(background());
  cancel();
  auto [child, cancel_child] = with_cancel(parent);
  ASSERT_NE(child.err(), nullptr);
  EXPECT_EQ(child.err()->code(), ErrorCode::canceled);
  EXPECT_EQ(detail::child_count(parent), 0u);
}

TEST(Context, ValuesShadowOuterOnes) {
  static const ContextKey<std::string> name;
  static const ContextKey<int> number;
  Context outer = with_value(background(), name, std::string("outer"));
  Context middle = with_value(outer, number, 42);
  Context inner = with_value(middle, name, std::string("inner"));
  EXPECT_EQ(*inner.value(name), "inner");
  EXPECT_EQ(*outer.value(name), "outer");
  EXPECT_EQ(*inner.value(number), 42);
  EXPECT_EQ(outer.value(number), nullptr);
}

TEST(Context, MissingValueIsNull) {
  static const ContextKey<int> present;
  static const ContextKey<int> absent;  // same type, different key
  Context ctx = with_value(background(), present, 1);
  EXPECT_EQ(ctx.value(absent), nullptr);
  EXPECT_EQ(background().value(absent), nullptr);
  auto [canceled, cancel] = with_cancel(ctx);
  EXPECT_EQ(*canceled.value(present), 1);
}

TEST(Context, DoneFdBecomesReadableOnCancel) {
  auto [ctx, cancel] = with_cancel(background());
  int fd = ctx.done_fd();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ctx.done_fd(), fd);  // made once
  EXPECT_FALSE(readable(fd, 0ms));
  cancel();
  EXPECT_TRUE(readable(fd, 1000ms));
}

TEST(Context, DoneFdOfChildBecomesReadableWhenParentCanceled) {
  auto [parent, cancel] = with_cancel(background());
  auto [child, cancel_child] = with_cancel(parent);
  int fd = child.done_fd();
  cancel();
  EXPECT_TRUE(readable(fd, 1000ms));
}

TEST(Context, DoneFdBecomesReadableAtTheDeadline) {
  auto start = Clock::now();
  auto [ctx, cancel] = with_timeout(background(), 50ms);
  int fd = ctx.done_fd();
  EXPECT_FALSE(readable(fd, 0ms));
  ASSERT_TRUE(readable(fd, 5000ms));
  EXPECT_GE(Clock::now() - start, 50ms);  // the timer did not fire early
  ASSERT_NE(ctx.err(), nullptr);
  EXPECT_EQ(ctx.err()->code(), ErrorCode::deadline_exceeded);
}

TEST(Context, DoneFdOfChildBecomesReadableAtParentsDeadline) {
  auto [parent, cancel_parent] = with_timeout(background(), 30ms);
  auto [child, cancel_child] = with_cancel(parent);
  ASSERT_TRUE(readable(child.done_fd(), 5000ms));
  EXPECT_EQ(child.err()->code(), ErrorCode::deadline_exceeded);
}

TEST(Context, WaitReturnsAtCancelOrTimeout) {
  auto [ctx, cancel] = with_cancel(background());
  EXPECT_FALSE(ctx.wait(10ms));
  cancel();
  EXPECT_TRUE(ctx.wait(10s));
}

TEST(Context, ParentWithManyShortLivedChildrenDoesNotGrow) {
  auto [parent, cancel_parent] = with_cancel(background());
  for (int i = 0; i < 100'000; ++i) {
    auto [child, cancel_child] = with_timeout(parent, 1h);
    cancel_child();
    EXPECT_EQ(detail::child_count(parent), 0u) << "after child " << i;
    if (detail::child_count(parent) != 0) break;
  }
  {
    // Children dropped without cancel detach too.
    auto [child, cancel_child] = with_cancel(parent);
    EXPECT_EQ(detail::child_count(parent), 1u);
  }
  EXPECT_EQ(detail::child_count(parent), 0u);
}

TEST(Context, CancelFuncKeepsContextAliveAndIsIdempotent) {
  CancelFunc cancel;
  int fd = -1;
  {
    auto [ctx, c] = with_cancel(background());
    fd = ctx.done_fd();
    cancel = c;
  }
  cancel();
  cancel();
  EXPECT_TRUE(readable(fd, 0ms));
}

}  // namespace
}  // namespace httptrace
