#include "bench/media/load_calls.hpp"

#include <chrono>
#include <thread>

#include "controlplane/media/sdes_keys.hpp"
#include "sip/sdes.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::bench {

namespace {

using namespace std::chrono_literals;

std::string client_sdp(const std::string& ip, uint16_t port, const shm::srtp_key& k) {
    return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 " +
           sip::sdp::format_crypto(1, srtp_suite::aes_cm_128_hmac_sha1_80,
                                   std::span<const uint8_t>(k.master_key, 16),
                                   std::span<const uint8_t>(k.master_salt, 14))
               .substr(2) +
           "\r\n";
}

std::string osv_sdp(const std::string& ip, uint16_t port) {
    return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

// The SBC's key in the answer it gives the softphone.
bool answer_key(const std::string& sdp, shm::srtp_key& out) {
    const auto at = sdp.find("a=crypto:");
    if (at == std::string::npos) {
        return false;
    }
    const auto end = sdp.find("\r\n", at);
    const auto parsed = sip::sdp::parse_crypto(std::string_view(sdp).substr(at + 9, end - at - 9));
    if (!parsed.ok()) {
        return false;
    }
    const auto key = cp::media::to_srtp_key(parsed.value);
    if (!key) {
        return false;
    }
    out = *key;
    return true;
}

}  // namespace

std::string program_calls(cp::media::media_manager& mm, cp::dataplane_client& dp,
                          const config::appliance& cfg, int n, const std::string& access_ip,
                          const std::string& core_ip, std::vector<load_call>& out) {
    const cp::media::leg_setup acc{&cfg.realm.access, cfg.find_media_profile("SRTP_SDES"), "b", {}};
    const cp::media::leg_setup core{&cfg.realm.core, cfg.find_media_profile("OSV_RTP"), "b", {}};
    out.assign(static_cast<size_t>(n), load_call{});
    int done = 0;
    std::string failure;
    auto poll = [&] { dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); }); };
    for (int i = 0; i < n; ++i) {
        auto c = mm.create(acc, core);
        if (!c) {
            return "call " + std::to_string(i) + ": " + c.error().message();
        }
        load_call& call = out[static_cast<size_t>(i)];
        call.client_key = srtp::test::make_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80,
                                               static_cast<uint8_t>(i * 7 + 1));
        call.access_ssrc = 0x10000000u + static_cast<uint32_t>(i);
        call.core_ssrc = 0x20000000u + static_cast<uint32_t>(i);
        std::string offer_out;
        // The SDP ports are nominal: every stream is sent from one socket per side and the SBC
        // latches to it (SRTP on authentication, RTP from the SDP address on any port).
        if (!mm.offer(*c, cp::media::side::a,
                      client_sdp(access_ip, static_cast<uint16_t>(20000 + 2 * (i % 10000)),
                                 call.client_key),
                      offer_out)) {
            return "call " + std::to_string(i) + ": offer refused";
        }
        mm.answer(*c, cp::media::side::b,
                  osv_sdp(core_ip, static_cast<uint16_t>(30000 + 2 * (i % 10000))),
                  [&, i](const cp::media::status& s, const std::string& body) {
                      ++done;
                      if (!s) {
                          failure = "call " + std::to_string(i) + ": " + s.message();
                      } else if (!answer_key(body, out[static_cast<size_t>(i)].sbc_key)) {
                          failure = "call " + std::to_string(i) + ": no key in the answer";
                      }
                  });
        const auto* session = mm.find(*c);
        call.access_sbc_port = session->get(cp::media::side::a).port;
        call.core_sbc_port = session->get(cp::media::side::b).port;
        poll();
    }
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (done < n && std::chrono::steady_clock::now() < deadline) {
        poll();
        std::this_thread::sleep_for(100us);
    }
    if (done < n) {
        return std::to_string(n - done) + " of " + std::to_string(n) +
               " calls not acknowledged within 60 s";
    }
    return failure;
}

void end_calls(cp::media::media_manager& mm, cp::dataplane_client& dp, int n) {
    for (int i = 0; i < n; ++i) {
        mm.end(static_cast<cp::media::session_id>(i + 1), {});
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (mm.programming() != 0 && std::chrono::steady_clock::now() < deadline) {
        dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
        std::this_thread::sleep_for(100us);
    }
    dp.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
}

}  // namespace sbc::bench
