// Micro-benchmarks of the trace plumbing: composing traces (with_client_trace) and the cost of
// a hook call site with no trace, an unset hook, and a set one (P2's budget is the sum of these
// over a request).

#include <benchmark/benchmark.h>

#include <string_view>

#include "httptrace/trace.hpp"

namespace {

using httptrace::ClientTrace;

ClientTrace counting_trace(int& counter) {
  ClientTrace trace;
  trace.get_conn = [&counter](std::string_view) { ++counter; };
  trace.got_conn = [&counter](const httptrace::GotConnInfo&) { ++counter; };
  trace.wrote_headers = [&counter] { ++counter; };
  trace.wrote_request = [&counter](const httptrace::WroteRequestInfo&) { ++counter; };
  trace.got_first_response_byte = [&counter] { ++counter; };
  trace.put_idle_conn = [&counter](const httptrace::Error*) { ++counter; };
  return trace;
}

void BM_WithClientTraceOfTwoTraces(benchmark::State& state) {
  int counter = 0;
  const ClientTrace first = counting_trace(counter);
  const ClientTrace second = counting_trace(counter);
  const httptrace::Context base = httptrace::with_client_trace(httptrace::background(), first);
  for (auto _ : state) {
    auto ctx = httptrace::with_client_trace(base, second);
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_WithClientTraceOfTwoTraces);

void BM_WithClientTraceOnBackground(benchmark::State& state) {
  int counter = 0;
  const ClientTrace trace = counting_trace(counter);
  for (auto _ : state) {
    auto ctx = httptrace::with_client_trace(httptrace::background(), trace);
    benchmark::DoNotOptimize(ctx);
  }
}
BENCHMARK(BM_WithClientTraceOnBackground);

void BM_CallHookWithoutTrace(benchmark::State& state) {
  const ClientTrace* trace = nullptr;
  for (auto _ : state) {
    benchmark::DoNotOptimize(trace);
    httptrace::call_hook(trace, &ClientTrace::get_conn, std::string_view("127.0.0.1:80"));
  }
}
BENCHMARK(BM_CallHookWithoutTrace);

void BM_CallHookUnsetHook(benchmark::State& state) {
  const ClientTrace empty;
  const ClientTrace* trace = &empty;
  for (auto _ : state) {
    benchmark::DoNotOptimize(trace);
    httptrace::call_hook(trace, &ClientTrace::get_conn, std::string_view("127.0.0.1:80"));
  }
}
BENCHMARK(BM_CallHookUnsetHook);

void BM_CallHookSetHook(benchmark::State& state) {
  int counter = 0;
  const ClientTrace set = counting_trace(counter);
  const ClientTrace* trace = &set;
  for (auto _ : state) {
    benchmark::DoNotOptimize(trace);
    httptrace::call_hook(trace, &ClientTrace::get_conn, std::string_view("127.0.0.1:80"));
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_CallHookSetHook);

// A hook composed from two traces runs both.
void BM_CallHookComposedHook(benchmark::State& state) {
  int counter = 0;
  const httptrace::Context ctx = httptrace::with_client_trace(
      httptrace::with_client_trace(httptrace::background(), counting_trace(counter)),
      counting_trace(counter));
  const ClientTrace* trace = httptrace::context_client_trace(ctx);
  for (auto _ : state) {
    benchmark::DoNotOptimize(trace);
    httptrace::call_hook(trace, &ClientTrace::get_conn, std::string_view("127.0.0.1:80"));
  }
  benchmark::DoNotOptimize(counter);
}
BENCHMARK(BM_CallHookComposedHook);

}  // namespace
