#pragma once
// EventLoop::Impl: the loop's state and the steps that move a Task through its phases. One
// epoll instance watches every socket (connections, connects in flight, TLS handshakes), the
// wake eventfd that submit() and stop() write from other threads, and the done signals of the
// requests' contexts; a timer heap bounds every wait. Everything but the submission queue and
// the counters is touched only by the loop thread.
//
// The steps live in several files by concern: event_loop.cpp (the turn, submissions, timers,
// cancellation), loop_request.cpp (a request's start, attempts, retries and completion),
// loop_pool.cpp (the keep-alive pool), loop_dial.cpp (resolve, connect, TLS) and
// loop_exchange.cpp (writing the request, reading the heads and the body).

#include <sys/epoll.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http1/limits.hpp"
#include "httptrace/event_loop.hpp"
#include "loop/task.hpp"
#include "loop/timer_heap.hpp"
#include "net/unique_fd.hpp"
#include "tls/client_config.hpp"
#include "transport/transport_setup.hpp"

namespace httptrace {

struct EventLoop::Impl {
  explicit Impl(TransportOptions options);
  ~Impl();

  // --- event_loop.cpp: the turn -------------------------------------------------------------
  struct Submission {
    Request request;
    Callback done;
    SubmitOptions options;
  };
  void submit(Submission submission);
  std::size_t run_once(std::chrono::nanoseconds timeout);
  void drain_submissions();
  void dispatch(const epoll_event& event);
  void fire_timers(loop::TimePoint now);
  void process_ready();
  void end_of_turn();
  int wait_timeout_ms(std::chrono::nanoseconds limit) const;

  loop::Task& new_task();
  void recycle(loop::Task& task);
  loop::Task* task_of(uint64_t data);

  // epoll registration; `data` is a connection (its address) or a tagged task slot.
  void watch(int fd, uint32_t events, uint64_t data);
  void rewatch(int fd, uint32_t events, uint64_t data);
  void unwatch(int fd);
  static uint64_t task_tag(const loop::Task& task);
  void set_interest(loop::LoopConn& conn, uint32_t events);

  // Timers: (re)arms the task's timer at the earlier of its deadline and its phase deadline.
  void arm(loop::Task& task);
  void on_timer(loop::Task& task, loop::TimePoint now);

  // The contexts' done signals, shared by every task of one context (one registration each).
  void watch_cancel(loop::Task& task);
  void unwatch_cancel(loop::Task& task);
  void on_cancel_signal(int fd);

  // --- loop_request.cpp: a request from start to completion ---------------------------------
  void start(loop::Task& task);
  void begin_attempt(loop::Task& task);
  void use_conn(loop::Task& task, std::unique_ptr<loop::LoopConn> conn, bool was_idle,
                std::chrono::nanoseconds idle_time);
  // An attempt failed: retried on another connection by the rules of trace-semantics "Our
  // decisions", or the request completes with `error`.
  void fail_attempt(loop::Task& task, Error error);
  // The context ended (or SubmitOptions::timeout passed): every phase ends as the blocking
  // transport's waits do, with the hooks the phase owes.
  void end_context(loop::Task& task, Error error);
  // Completes the request: the observer's finished (if not yet), the callback, recycling.
  void complete(loop::Task& task, Result<Response> outcome);
  Error timeout_error(const loop::Task& task) const;

  // --- loop_pool.cpp: the keep-alive pool ----------------------------------------------------
  struct HostPool {
    std::vector<std::unique_ptr<loop::LoopConn>> idle;  // back = most recently idled
    std::size_t total = 0;                              // slots: dialing, in use, idle
    std::deque<loop::Task*> waiters;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  enum class PutOutcome : uint8_t { pooled, handed_over, refused, not_pooled };
  struct PutResult {
    PutOutcome outcome;
    std::optional<Error> error;
  };
  HostPool& host(std::string_view key);
  enum class Acquired : uint8_t { idle_conn, slot, waiting };
  // An idle connection (LIFO, skipping expired and dead ones) into task.conn with how long it
  // idled, or a reserved slot to dial, or the task queued as a waiter.
  Acquired acquire(loop::Task& task, std::chrono::nanoseconds& idle_time);
  PutResult put(std::unique_ptr<loop::LoopConn> conn);
  // Closes a connection: its slot goes to the oldest waiter, which then dials.
  void close_conn(std::unique_ptr<loop::LoopConn> conn);
  void release_slot(std::string_view key);
  void grant_slot(HostPool& pool);
  void remove_waiter(loop::Task& task);
  void on_idle_event(loop::LoopConn& conn);
  void close_idle();
  void evict_oldest_idle();
  void publish_stats();

  // --- loop_dial.cpp: resolve, connect, TLS ---------------------------------------------------
  void dial(loop::Task& task);
  void connect_next(loop::Task& task);
  void on_dial_event(loop::Task& task);
  void on_connect_timeout(loop::Task& task);
  void connected(loop::Task& task, net::UniqueFd fd);
  void step_handshake(loop::Task& task);
  void dial_failed(loop::Task& task, Error error);
  void abandon_dial(loop::Task& task, const Error& why);

  // --- loop_exchange.cpp: the exchange on a connection ---------------------------------------
  void begin_exchange(loop::Task& task);
  // Writes what is pending and whatever streamed body follows, until the request is written,
  // the socket is full (waits for EPOLLOUT), or it fails.
  void flush(loop::Task& task);
  bool write_pending(loop::Task& task);
  bool produce_chunk(loop::Task& task);
  // Between body chunks: reads, without waiting, what the server already sent. False once a
  // final answer ended the upload (RFC 9112 §9.5) or the attempt failed.
  bool keep_uploading(loop::Task& task);
  // Drops the rest of the request body and any write interest.
  void stop_upload(loop::Task& task);
  void written(loop::Task& task);
  void send_body(loop::Task& task);
  void next_body_chunk(loop::Task& task);
  void request_written(loop::Task& task);
  void on_conn_event(loop::LoopConn& conn, uint32_t events);
  void read_heads(loop::Task& task, bool readable);
  // An informational head: false when it aborted the attempt.
  bool on_informational(loop::Task& task, int code);
  void on_final_head(loop::Task& task, const http1::StatusLine& status, std::size_t head_length);
  void read_body(loop::Task& task, bool readable);
  void finish_exchange(loop::Task& task);
  void body_failed(loop::Task& task, Error error);
  void write_failed(loop::Task& task, Error error);
  void fire_wrote_request(loop::Task& task, const Error* error);

  // --- state -----------------------------------------------------------------------------------
  TransportOptions options;
  std::shared_ptr<Resolver> resolver;
  http1::ParserLimits limits;
  TlsConfigSlot tls;  // the one TLS client configuration

  net::UniqueFd epoll_fd;
  net::UniqueFd wake_fd;
  std::atomic<std::thread::id> loop_thread{};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> close_idle_requested{false};
  std::atomic<std::size_t> in_flight{0};

  mutable std::mutex submit_mu;
  std::vector<Submission> incoming;  // from other threads, guarded by submit_mu
  std::vector<Submission> local;     // from the loop thread (callbacks)
  std::vector<Submission> draining;  // swapped out of the two above

  std::vector<std::unique_ptr<loop::Task>> tasks;
  std::vector<uint32_t> free_slots;
  std::vector<loop::Task*> ready;     // waiters granted a connection or a slot
  std::vector<loop::Task*> finished;  // to recycle at the end of the turn
  loop::TimerHeap timers;
  struct CancelWatch {
    int fd = -1;
    std::size_t users = 0;
    Context holder;  // keeps the signal's context node (so the fd) alive while registered
  };
  std::vector<CancelWatch> cancel_watches;

  std::unordered_map<std::string, HostPool, KeyHash, std::equal_to<>> hosts;
  std::size_t idle_total = 0;
  bool close_idle_called = false;
  std::vector<std::unique_ptr<loop::LoopConn>> graveyard;  // closed this turn
  std::atomic<std::size_t> stat_open{0}, stat_idle{0}, stat_waiting{0};

  std::vector<epoll_event> events;
  std::unique_ptr<std::byte[]> scratch;  // raw body reads
  std::size_t completed = 0;             // this turn
  uint64_t turn = 0;                     // run_once() calls so far
};

}  // namespace httptrace
