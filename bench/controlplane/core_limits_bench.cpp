// What the limits toward the core cost per message (controlplane/core_limits.hpp), next to a
// parse of the same message in the same run: admission (check_message on the parsed message
// the access realm hands over) and egress (check_wire: parse the bytes about to leave, then the
// same checks). Messages: the parser corpus's Zoom-like REGISTER and INVITE with SDP.
#include <benchmark/benchmark.h>

#include "controlplane/core_limits.hpp"
#include "tests/sip/test_messages.hpp"

namespace {

using namespace sbc;

const std::string& message_for(int which) {
    static const std::string reg =
        sip::testing::load_message("tests/sip/corpus/register_zoom_tls.sip");
    static const std::string inv =
        sip::testing::load_message("tests/sip/corpus/invite_sdp_srtp.sip");
    return which == 0 ? reg : inv;
}

sip::parse_options stream() {
    sip::parse_options o;
    o.how = sip::framing::stream;
    return o;
}

void parse_only(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    for (auto _ : state) {
        auto m = sip::parse(text, stream());
        benchmark::DoNotOptimize(m.ok());
    }
    state.SetItemsProcessed(state.iterations());
}

void admission(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    auto m = sip::parse(text, stream());
    const cp::core_limits limits;
    for (auto _ : state) {
        benchmark::DoNotOptimize(cp::check_message(m.value(), limits).breach);
    }
    state.SetItemsProcessed(state.iterations());
}

void egress(benchmark::State& state) {
    const std::string& text = message_for(int(state.range(0)));
    const cp::core_limits limits;
    for (auto _ : state) {
        benchmark::DoNotOptimize(cp::check_wire(text, limits).breach);
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(parse_only)->Arg(0)->Arg(1);
BENCHMARK(admission)->Arg(0)->Arg(1);
BENCHMARK(egress)->Arg(0)->Arg(1);
BENCHMARK_MAIN();
