#pragma once
// The media of one call: two legs (a = the caller's side, b = the callee's side), each with its
// realm, media profile and one local port for the call's life (single_port_audio), and the RFC
// 3264 offer/answer state between them. An offer from one leg becomes an offer to the other; the
// answer to it becomes the answer to the offerer and the next state of both flows. Nothing here
// talks to the dataplane: media_manager programs `specs()` and then calls commit(), so a refused
// SDP or a failed programming leaves the current state untouched (RFC 3261 §14.1: a failed
// re-INVITE does not change the session).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/appliance.hpp"
#include "controlplane/media/media_error.hpp"
#include "controlplane/media/peer_sdp.hpp"
#include "controlplane/media/sdp_writer.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::cp::media {

using session_id = uint64_t;

enum class side : uint8_t { a = 0, b = 1 };
inline side other(side s) {
    return s == side::a ? side::b : side::a;
}
inline size_t idx(side s) {
    return static_cast<size_t>(s);
}
const char* side_name(side s);

struct leg_setup {
    const config::realm* realm = nullptr;
    const config::media_profile* profile = nullptr;
    std::string profile_reason;  // why this profile (user agent, subnet, realm)
    // Where the leg's signalling comes from: an SDP address that differs means NAT.
    std::optional<shm::ip_address> signalling_source;
};

// What is negotiated on one leg.
struct leg_media {
    bool active = false;  // an audio stream is negotiated: the leg has a flow
    peer_audio peer;      // the peer's side of it
    bool srtp = false;
    crypto_context ours;  // our key toward the peer (srtp only)
    bool rtcp_mux = false;
    shm::endpoint last_peer{};  // the peer's last real address, kept across c=0.0.0.0 holds
};

struct leg {
    leg_setup setup;
    uint16_t port = 0;
    shm::flow_key key{};
    uint64_t cookie = 0;
    leg_media current;
    leg_media next;
    sdp_origin origin;
};

// The flows one state of a call needs: installed (added or updated in place) and removed.
struct flow_plan {
    std::vector<shm::flow_spec> install;
    std::vector<shm::flow_key> remove;
};

class media_session {
  public:
    // `media_address_*`: the realms' media addresses, parsed. Ports come from the realms' pools.
    media_session(uint64_t id, leg_setup a, uint16_t port_a, leg_setup b, uint16_t port_b,
                  const config::media_section& cfg);

    uint64_t id() const { return id_; }

    // An offer from the peer on `from`; `out` is the offer to send on the other leg. Errors: see
    // media_error.hpp (400 malformed, 488 unacceptable, 491 an offer is pending).
    status offer(side from, std::string_view body, std::string& out);
    // The answer from the peer on `from` to the pending offer (or again to the last one: a 200
    // repeating a 183's answer); `out` is the answer for the offerer. Fills the next state:
    // program specs() and commit(), or abandon() when programming fails.
    status answer(side from, std::string_view body, std::string& out);
    // The next state is installed in the dataplane: it becomes current.
    void commit();
    // Programming failed: forget the next state and the offer.
    void abandon();
    // The offer was rejected by the other side (4xx/5xx/6xx to a re-INVITE or UPDATE).
    void cancel_offer();

    bool offer_pending() const { return pending_.has_value(); }
    std::optional<side> offerer() const;
    bool answered() const { return answered_; }  // answer() filled a next state
    // The dataplane flows of the next state (answered) or the current one; an inactive leg has no
    // flow (key returned in `remove`).
    using flow_plan = media::flow_plan;
    flow_plan plan() const;
    flow_plan current_plan() const;  // for replay after a dataplane restart
    std::vector<shm::flow_key> installed_keys() const;

    const leg& get(side s) const { return legs_[idx(s)]; }
    // Media is negotiated on both legs.
    bool media_up() const;
    // One side holds (any direction other than sendrecv, or c=0.0.0.0).
    bool held() const;
    // The peer on `s` is expected to send media now.
    bool expects_media_from(side s) const;
    void set_signalling_source(side s, const shm::ip_address& addr);

  private:
    struct pending_offer {
        side from = side::a;
        peer_sdp offer;
        std::vector<crypto_context> offered;  // our contexts offered to the other leg
        std::vector<std::string> formats;     // payload types offered to the other leg
        bool direction_rewritten = false;     // sendonly offered as sendrecv (NAT, profile rule)
    };

    std::vector<crypto_context> contexts_for(const leg& l, status& st) const;
    bool behind_nat(const leg& l) const;
    shm::flow_spec spec_for(side s, const leg_media& m) const;
    status answer_to(const pending_offer& p, side from, std::string_view body, std::string& out);
    status answered_no_audio(const pending_offer& p, side from, std::string& out);

    uint64_t id_;
    const config::media_section& cfg_;
    std::array<leg, 2> legs_;
    std::optional<pending_offer> pending_;
    std::optional<pending_offer> last_;  // the completed offer, for a repeated answer
    bool answered_ = false;
};

// RTP/AVP or RTP/SAVP (feedback "F" kept) for a leg with `profile`, given the offered proto.
std::string proto_for(const config::media_profile& profile, std::string_view offered);

}  // namespace sbc::cp::media
