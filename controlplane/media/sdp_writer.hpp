#pragma once
// Writing the SDP the SBC sends on one leg. Topology hiding: the origin, the addresses and ports
// are the SBC's own (the dataplane's media address and the leg's port); ICE, DTLS and the peer's
// a=crypto/a=rtcp never cross. Codec attributes (rtpmap, fmtp, rtcp-fb, ptime, ...) of the kept
// formats are copied from the SDP being relayed; streams other than the anchored audio stream are
// rejected (port 0), keeping the m-line count of the offer (RFC 3264 §6).

#include <cstdint>
#include <string>
#include <vector>

#include "sip/sdp.hpp"

namespace sbc::cp::media {

// What the SBC says about the anchored audio stream on one leg.
struct local_audio {
    std::string address;  // our media address on the leg (IPv4 literal)
    uint16_t port = 0;
    std::string proto;
    std::vector<std::string> formats;
    sip::sdp::direction direction = sip::sdp::direction::sendrecv;
    bool rtcp_mux = false;
    std::vector<std::string> crypto;  // a=crypto values, ours
};

// The o= line of one leg. RFC 3264 §8: the version grows exactly when the SDP changes.
struct sdp_origin {
    uint64_t session_id = 0;
    uint64_t version = 0;
    std::string last;  // the last body sent, without its o= line
};

// `layout`: the offer whose m-lines the result mirrors (count and, for rejected streams, type,
// proto and formats). `source`/`source_index`: the SDP and media section being relayed, whose
// session attributes, bandwidths and codec attributes are copied (filtered).
std::string write_sdp(sdp_origin& origin, const sip::sdp::session& layout, size_t audio_index,
                      const sip::sdp::session& source, size_t source_index,
                      const local_audio& local);

// True for attributes that never cross the SBC (addresses, ICE, DTLS, keys, direction, rtcp).
bool dropped_attribute(std::string_view name);

}  // namespace sbc::cp::media
