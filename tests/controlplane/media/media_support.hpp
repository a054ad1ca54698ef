#pragma once
// SDP bodies and a config for media tests: a Zoom-like softphone (RTP/SAVP, SDES, ICE, rtcp-mux)
// on the access realm, an OSV-like PBX (RTP/AVP, G.711) on the core realm, the embedded default
// appliance config.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"

namespace sbc::test {

// A valid AES_CM_128 inline key (30 bytes: 16 key + 14 salt), base64.
inline std::string key_b64(uint8_t fill) {
    std::vector<uint8_t> k(30, fill);
    return sip::sdp::base64_encode(k);
}

inline std::string client_offer(const std::string& crypto_lines, const std::string& extra = {},
                                const std::string& proto = "RTP/SAVP",
                                const std::string& addr = "192.0.2.10", int port = 4000) {
    return "v=0\r\n"
           "o=zoom 1234 1 IN IP4 " +
           addr +
           "\r\n"
           "s=zoom\r\n"
           "c=IN IP4 " +
           addr +
           "\r\n"
           "t=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " " + proto +
           " 0 8 111 101\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:8 PCMA/8000\r\n"
           "a=rtpmap:111 opus/48000/2\r\n"
           "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
           "a=rtpmap:101 telephone-event/8000\r\n"
           "a=fmtp:101 0-15\r\n"
           "a=ptime:20\r\n"
           "a=rtcp:" +
           std::to_string(port + 1) + " IN IP4 " + addr +
           "\r\n"
           "a=ice-ufrag:abcd\r\n"
           "a=ice-pwd:0123456789012345678901\r\n"
           "a=candidate:1 1 UDP 2130706431 " +
           addr + " " + std::to_string(port) + " typ host\r\n" + crypto_lines + extra +
           "a=sendrecv\r\n";
}

inline std::string crypto80(int tag, uint8_t fill) {
    return "a=crypto:" + std::to_string(tag) + " AES_CM_128_HMAC_SHA1_80 inline:" + key_b64(fill) +
           "\r\n";
}
inline std::string crypto32(int tag, uint8_t fill) {
    return "a=crypto:" + std::to_string(tag) + " AES_CM_128_HMAC_SHA1_32 inline:" + key_b64(fill) +
           "\r\n";
}

inline std::string osv_sdp(const std::string& dir = "sendrecv",
                           const std::string& addr = "198.51.100.20", int port = 30000,
                           const std::string& formats = "0 101", const std::string& extra = {}) {
    return "v=0\r\n"
           "o=OSV 777 1 IN IP4 " +
           addr +
           "\r\n"
           "s=-\r\n"
           "c=IN IP4 " +
           addr +
           "\r\n"
           "t=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " RTP/AVP " + formats +
           "\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:8 PCMA/8000\r\n"
           "a=rtpmap:101 telephone-event/8000\r\n"
           "a=fmtp:101 0-15\r\n" +
           extra + "a=" + dir + "\r\n";
}

inline config::appliance test_config() {
    config::appliance cfg = config::embedded_default();
    return cfg;
}

inline sip::sdp::session parse_ok(const std::string& body) {
    auto r = sip::sdp::parse(body);
    if (!r.ok()) {
        throw std::runtime_error(
            "test SDP does not parse: " + std::string(sip::sdp::error_reason(r.err)) + "\n" + body);
    }
    return std::move(r.value);
}

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace sbc::test
