// Micro-benchmarks of Context creation: what a request pays for its deadline, cancellation
// and values (Client::send derives a with_timeout child when ClientOptions::timeout is set).

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "httptrace/context.hpp"

namespace {

using namespace std::chrono_literals;

const httptrace::ContextKey<int> kNumberKey;
const httptrace::ContextKey<std::string> kNameKey;

void BM_WithCancelFromBackground(benchmark::State& state) {
  const httptrace::Context parent = httptrace::background();
  for (auto _ : state) {
    auto child = httptrace::with_cancel(parent);
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithCancelFromBackground);

// A child of a cancellable parent registers with it (and unregisters when destroyed).
void BM_WithCancelFromCancellable(benchmark::State& state) {
  const auto [parent, cancel] = httptrace::with_cancel(httptrace::background());
  for (auto _ : state) {
    auto child = httptrace::with_cancel(parent);
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithCancelFromCancellable);

void BM_WithTimeout(benchmark::State& state) {
  const httptrace::Context parent = httptrace::background();
  for (auto _ : state) {
    auto child = httptrace::with_timeout(parent, 30s);
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithTimeout);

void BM_WithValueInt(benchmark::State& state) {
  const httptrace::Context parent = httptrace::background();
  for (auto _ : state) {
    auto child = httptrace::with_value(parent, kNumberKey, 42);
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithValueInt);

void BM_WithValueString(benchmark::State& state) {
  const httptrace::Context parent = httptrace::background();
  for (auto _ : state) {
    auto child = httptrace::with_value(parent, kNameKey, std::string("a request-scoped name"));
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_WithValueString);

// Looking a value up through a chain of 8 contexts (the found one at the root).
void BM_ValueLookupDepth8(benchmark::State& state) {
  httptrace::Context ctx = httptrace::with_value(httptrace::background(), kNumberKey, 7);
  for (int i = 0; i < 7; ++i) ctx = httptrace::with_cancel(ctx).first;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ctx.value(kNumberKey));
  }
}
BENCHMARK(BM_ValueLookupDepth8);

}  // namespace
