// The embedded state store's cost (issue 15): what a call set-up and a REGISTER add to sbcd's
// work, and what reading the whole state costs at start. A real journal file on the root disk
// (/var/tmp, the filesystem /var/lib/sbc is on), not tmpfs.
//
// Record sizes: a call's durable state (both legs' Call-ID, tags, CSeqs, route sets of two hops,
// contacts, the media session with two SDES keys and four addresses, session-timer deadlines) is
// taken as 1,200 bytes; a binding (AOR, instance, Contact, OSV-side flow token, expiry, push
// parameters) as 400 bytes. The encoders are not written yet (README, "sbcd restart"): the cost
// of the store is per byte and per write(2), so the figures hold for records of these sizes.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "controlplane/state/journal_store.hpp"

using sbc::cp::state::journal_store;
using sbc::cp::state::record_kind;

namespace {

constexpr size_t call_bytes = 1200;
constexpr size_t binding_bytes = 400;

struct scratch {
    std::string root;
    scratch() {
        char tmpl[] = "/var/tmp/sbc-state-bench-XXXXXX";
        root = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
    }
    ~scratch() { std::filesystem::remove_all(root); }
    std::string dir() const { return root + "/state"; }
};

std::unique_ptr<journal_store> open_store(const scratch& s, benchmark::State& state) {
    auto st = journal_store::open(s.dir());
    if (!st) {
        state.SkipWithError(st.error().message().c_str());
        return nullptr;
    }
    return std::move(*st);
}

// One call: its state written when it is established and erased when it ends, with
// `state.range(0)` other calls live (so compaction copies them, amortised into the figure).
void BM_CallSetUpAndEnd(benchmark::State& state) {
    scratch dir;
    auto store = open_store(dir, state);
    if (!store) {
        return;
    }
    const std::string value(call_bytes, 'c');
    for (int64_t i = 0; i < state.range(0); ++i) {
        (void)store->put(record_kind::call, "live-" + std::to_string(i) + "@client", value);
    }
    uint64_t n = 0;
    for (auto _ : state) {
        const std::string id = "call-" + std::to_string(n++) + "@client";
        if (!store->put(record_kind::call, id, value) || !store->erase(record_kind::call, id)) {
            state.SkipWithError("write failed");
            break;
        }
    }
    state.counters["compactions"] = static_cast<double>(store->stats().compactions);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallSetUpAndEnd)->Arg(10000)->Unit(benchmark::kMicrosecond);

// One REGISTER refresh: the binding's record replaced, `state.range(0)` bindings live.
void BM_RegisterRefresh(benchmark::State& state) {
    scratch dir;
    auto store = open_store(dir, state);
    if (!store) {
        return;
    }
    const std::string value(binding_bytes, 'b');
    const int64_t live = state.range(0);
    for (int64_t i = 0; i < live; ++i) {
        (void)store->put(record_kind::binding, "user" + std::to_string(i) + "@zoom", value);
    }
    int64_t n = 0;
    for (auto _ : state) {
        const std::string id = "user" + std::to_string(n++ % live) + "@zoom";
        if (!store->put(record_kind::binding, id, value)) {
            state.SkipWithError("write failed");
            break;
        }
    }
    state.counters["compactions"] = static_cast<double>(store->stats().compactions);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegisterRefresh)->Arg(100000)->Unit(benchmark::kMicrosecond);

// sbcd's start: open the journal of 10,000 calls and 100,000 bindings and visit every record.
void BM_ReadAtStart(benchmark::State& state) {
    scratch dir;
    {
        auto store = open_store(dir, state);
        if (!store) {
            return;
        }
        const std::string call(call_bytes, 'c');
        const std::string binding(binding_bytes, 'b');
        for (int i = 0; i < 10000; ++i) {
            (void)store->put(record_kind::call, "call-" + std::to_string(i) + "@client", call);
        }
        for (int i = 0; i < 100000; ++i) {
            (void)store->put(record_kind::binding, "user" + std::to_string(i) + "@zoom", binding);
        }
    }
    for (auto _ : state) {
        auto store = open_store(dir, state);
        if (!store) {
            break;
        }
        size_t bytes = 0;
        store->for_each(
            [&](record_kind, std::string_view, std::string_view v) { bytes += v.size(); });
        benchmark::DoNotOptimize(bytes);
    }
}
BENCHMARK(BM_ReadAtStart)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
