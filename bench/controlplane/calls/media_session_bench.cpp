// The media manager's per-call SDP work without the dataplane: a softphone's SRTP offer
// rewritten for OSV, OSV's answer rewritten for the softphone (our key from the CSPRNG), the two
// flow specs built, committed. And a re-offer (session refresh: same key, same ports).

#include <benchmark/benchmark.h>

#include "config/config.hpp"
#include "controlplane/media/media_session.hpp"
#include "sip/sdes.hpp"

using namespace sbc;
using namespace sbc::cp::media;

namespace {

std::string key_b64() {
    return sip::sdp::base64_encode(std::vector<uint8_t>(30, 0x5a));
}

const std::string client_offer =
    "v=0\r\no=zoom 1234 1 IN IP4 192.0.2.10\r\ns=zoom\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 4000 RTP/SAVP 0 8 111 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
    "a=candidate:1 1 UDP 2130706431 192.0.2.10 4000 typ host\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" +
    key_b64() + "\r\na=sendrecv\r\n";

const std::string osv_answer =
    "v=0\r\no=OSV 777 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\na=sendrecv\r\n";

struct setup {
    config::appliance cfg = config::embedded_default();
    leg_setup access{&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "ua", {}};
    leg_setup core{&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "realm", {}};
};

void BM_CallSetupSdp(benchmark::State& state) {
    setup s;
    std::string to_core, to_client;
    uint64_t id = 1;
    for (auto _ : state) {
        media_session m(id++, s.access, 40000, s.core, 50000, s.cfg.media);
        m.offer(side::a, client_offer, to_core);
        m.answer(side::b, osv_answer, to_client);
        auto plan = m.plan();
        benchmark::DoNotOptimize(plan);
        m.commit();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallSetupSdp);

void BM_SessionRefreshSdp(benchmark::State& state) {
    setup s;
    std::string to_core, to_client;
    media_session m(1, s.access, 40000, s.core, 50000, s.cfg.media);
    m.offer(side::a, client_offer, to_core);
    m.answer(side::b, osv_answer, to_client);
    m.commit();
    for (auto _ : state) {
        m.offer(side::a, client_offer, to_core);
        m.answer(side::b, osv_answer, to_client);
        auto plan = m.plan();
        benchmark::DoNotOptimize(plan);
        m.commit();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SessionRefreshSdp);

void BM_HostileOfferRefused(benchmark::State& state) {
    setup s;
    std::string many;
    for (int i = 1; i <= 200; ++i) {
        many += "a=crypto:" + std::to_string(i) + " AES_CM_128_HMAC_SHA1_80 inline:" + key_b64() +
                "\r\n";
    }
    const std::string hostile = client_offer + many;
    std::string out;
    media_session m(1, s.access, 40000, s.core, 50000, s.cfg.media);
    for (auto _ : state) {
        auto st = m.offer(side::a, hostile, out);
        benchmark::DoNotOptimize(st);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HostileOfferRefused);

}  // namespace

BENCHMARK_MAIN();
