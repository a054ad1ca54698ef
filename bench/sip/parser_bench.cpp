// SIP parse throughput: a REGISTER from a Zoom/baresip-like client over TLS, an INVITE with SDP,
// and a 200 OK. "routing" = what a proxy/B2BUA needs to route (start line, top Via, From/To tags,
// Call-ID, CSeq, Contact, Route); "full" = every typed header parsed (parse_all).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sip/editor.hpp"
#include "sip/message.hpp"
#include "sip/sdp.hpp"
#include "tests/sip/test_messages.hpp"

namespace {

std::string load(const char* name) {
    return sbc::sip::testing::load_message(std::string("tests/sip/corpus/") + name);
}

const std::string& message_for(int which) {
    static const std::string reg = load("register_zoom_tls.sip");
    static const std::string inv = load("invite_sdp_srtp.sip");
    static const std::string ok = load("ok_200_invite.sip");
    return which == 0 ? reg : which == 1 ? inv : ok;
}

const char* label(int which) {
    return which == 0 ? "REGISTER(TLS,zoom-like)" : which == 1 ? "INVITE+SDP" : "200 OK";
}

void routing(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    sbc::sip::parse_options o;
    o.how = sbc::sip::framing::stream;
    for (auto _ : state) {
        auto m = sbc::sip::parse(text, o);
        if (!m.ok()) {
            state.SkipWithError("parse failed");
            break;
        }
        // Start line, top Via, tags, Call-ID and CSeq are validated by parse(); Contact and Route
        // are the lazy ones routing needs.
        benchmark::DoNotOptimize(m->top_via().branch());
        benchmark::DoNotOptimize(m->from().tag());
        benchmark::DoNotOptimize(m->to().tag());
        benchmark::DoNotOptimize(m->call_id());
        benchmark::DoNotOptimize(m->cseq().number);
        benchmark::DoNotOptimize(m->contacts().ok());
        benchmark::DoNotOptimize(m->routes().state);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
    state.SetLabel(label(int(state.range(0))));
}

void full(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    sbc::sip::parse_options o;
    o.how = sbc::sip::framing::stream;
    for (auto _ : state) {
        auto m = sbc::sip::parse(text, o);
        if (!m.ok() || m->parse_all() != sbc::sip::error_code::none) {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(m->vias().value.size());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(label(int(state.range(0))));
}

// First pass only (start line, header boundaries, mandatory headers): the floor.
void first_pass(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    for (auto _ : state) {
        auto m = sbc::sip::parse(text);
        benchmark::DoNotOptimize(m.ok());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(label(int(state.range(0))));
}

void relay(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    for (auto _ : state) {
        auto m = sbc::sip::parse(text);
        sbc::sip::message_editor e(*m);
        e.push_via("SIP/2.0/TCP 10.1.1.1:5060;branch=z9hG4bKsbc0123456789");
        e.pop_first(sbc::sip::header_id::route);
        e.replace(sbc::sip::header_id::contact, "<sip:sbc@10.1.1.1:5060;transport=tcp>");
        std::string out = e.serialize();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(label(int(state.range(0))));
}

void sdp_parse(benchmark::State& state) {
    static const std::string inv = message_for(1);
    auto m = sbc::sip::parse(inv);
    std::string body(*m->sdp_body());
    for (auto _ : state) {
        auto s = sbc::sip::sdp::parse(body);
        benchmark::DoNotOptimize(s.ok());
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

// SBC_BENCH_ITERATIONS=N runs every case exactly N times: what callgrind_per_message.py uses, so
// that the instruction count per message does not depend on how long a run took.
int main(int argc, char** argv) {
    const char* fixed = std::getenv("SBC_BENCH_ITERATIONS");
    const benchmark::IterationCount iterations = fixed != nullptr ? std::atol(fixed) : 0;
    auto add = [iterations](const char* name, void (*fn)(benchmark::State&), int cases) {
        for (int i = 0; i < cases; ++i) {
            auto* b = benchmark::RegisterBenchmark(name, fn);
            if (cases > 1) {
                b->Arg(i);
            }
            if (iterations > 0) {
                b->Iterations(iterations);
            }
        }
    };
    add("first_pass", first_pass, 3);
    add("routing", routing, 3);
    add("full", full, 3);
    add("relay", relay, 3);
    add("sdp_parse", sdp_parse, 1);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
