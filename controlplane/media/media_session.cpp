#include "controlplane/media/media_session.hpp"

#include <algorithm>

#include "controlplane/media/sdes_keys.hpp"
#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/master_key.hpp"
#include "sip/sdes.hpp"

namespace sbc::cp::media {

namespace sdp = sip::sdp;

namespace {

uint64_t random_session_id() {
    shm::srtp_key k{};
    srtp::generate_master_key(shm::srtp_suite::aes_cm_128_hmac_sha1_80, k);
    uint64_t v = 0;
    for (int i = 0; i < 7; ++i) {  // 56 bits: o= session ids stay positive and printable
        v = v << 8 | k.master_key[i];
    }
    return v == 0 ? 1 : v;
}

bool same_key(const std::optional<shm::srtp_key>& a, const std::optional<shm::srtp_key>& b) {
    return a && b && srtp::same_key(*a, *b);
}

std::string crypto_line(const crypto_context& c) {
    return sdp::format_crypto(c.tag, c.suite,
                              std::span<const uint8_t>(c.key.master_key, c.key.master_key_len),
                              std::span<const uint8_t>(c.key.master_salt, c.key.master_salt_len));
}

bool has_recv(sdp::direction d) {
    return d == sdp::direction::sendrecv || d == sdp::direction::recvonly;
}

}  // namespace

const char* side_name(side s) {
    return s == side::a ? "a" : "b";
}

std::string proto_for(const config::media_profile& profile, std::string_view offered) {
    const bool feedback = !offered.empty() && offered.back() == 'F';
    std::string p = profile.protocol == config::media_protocol::srtp ? "RTP/SAVP" : "RTP/AVP";
    return feedback ? p + "F" : p;
}

media_session::media_session(uint64_t id, leg_setup a, uint16_t port_a, leg_setup b,
                             uint16_t port_b, const config::media_section& cfg)
    : id_(id), cfg_(cfg) {
    legs_[0].setup = std::move(a);
    legs_[0].port = port_a;
    legs_[1].setup = std::move(b);
    legs_[1].port = port_b;
    for (size_t i = 0; i < 2; ++i) {
        leg& l = legs_[i];
        shm::ip_address addr{};
        shm::parse_ip(l.setup.realm->media_address, addr);
        l.key = shm::make_flow_key(l.setup.realm->dpdk_port, addr, l.port);
        l.cookie = id << 1 | i;
        l.origin.session_id = random_session_id();
    }
}

std::optional<side> media_session::offerer() const {
    if (pending_) {
        return pending_->from;
    }
    return std::nullopt;
}

void media_session::set_signalling_source(side s, const shm::ip_address& addr) {
    legs_[idx(s)].setup.signalling_source = addr;
}

bool media_session::behind_nat(const leg& l) const {
    if (!l.setup.signalling_source || !l.current.active) {
        return false;
    }
    return !(l.current.last_peer.addr == *l.setup.signalling_source);
}

std::vector<crypto_context> media_session::contexts_for(const leg& l, status& st) const {
    std::vector<crypto_context> out;
    const auto& p = *l.setup.profile;
    if (p.protocol == config::media_protocol::rtp) {
        return out;
    }
    // Re-offers keep our context (same tag, suite and key): a session refresh or a hold is not a
    // rekey. A new context only when the leg has none.
    if (l.current.active && l.current.srtp) {
        for (srtp_suite s : p.sdes_suites) {
            if (s == l.current.ours.suite) {
                out.push_back(l.current.ours);
                return out;
            }
        }
    }
    uint32_t tag = 1;
    for (srtp_suite suite : runnable_suites(p)) {
        crypto_context c;
        c.tag = tag++;
        c.suite = suite;
        if (srtp::generate_master_key(suite, c.key) != srtp::key_error::none) {
            st = fail(errc::programming_failed, "random number generator failed");
            return {};
        }
        out.push_back(c);
    }
    return out;
}

status media_session::offer(side from, std::string_view body, std::string& out) {
    if (pending_) {
        return fail(errc::offer_pending);
    }
    leg& p = legs_[idx(from)];
    leg& l = legs_[idx(other(from))];
    pending_offer po;
    po.from = from;
    if (status st = read_sdp(body, po.offer); !st) {
        return st;
    }
    if (status st = accept_offer(po.offer, *p.setup.profile, *l.setup.profile); !st) {
        return st;
    }
    status st;
    po.offered = contexts_for(l, st);
    if (!st) {
        return st;
    }
    const auto& pa = po.offer.audio;
    po.formats = pa.formats;

    local_audio la;
    la.address = l.setup.realm->media_address;
    la.port = l.port;
    la.proto = proto_for(*l.setup.profile, pa.proto);
    la.formats = pa.formats;
    la.direction = pa.effective_direction();
    // A NATed client that only receives sends nothing, and the SBC loses its latch and the NAT
    // binding: offer sendrecv unless the profile keeps sendonly (so the client shows "remote
    // hold"); the client's answer is mapped back for the offerer.
    if (la.direction == sdp::direction::sendonly && !l.setup.profile->keep_sendonly_on_nat &&
        behind_nat(l)) {
        la.direction = sdp::direction::sendrecv;
        po.direction_rewritten = true;
    }
    la.rtcp_mux = pa.rtcp_mux;
    for (const auto& c : po.offered) {
        la.crypto.push_back(crypto_line(c));
    }
    out = write_sdp(l.origin, po.offer.session, pa.index, po.offer.session, pa.index, la);
    pending_ = std::move(po);
    answered_ = false;
    return status::ok();
}

status media_session::answer(side from, std::string_view body, std::string& out) {
    if (pending_ && pending_->from != from) {
        return answer_to(*pending_, from, body, out);
    }
    if (!pending_ && last_ && last_->from != from) {
        return answer_to(*last_, from, body, out);
    }
    return fail(errc::no_offer);
}

status media_session::answered_no_audio(const pending_offer& po, side from, std::string& out) {
    leg& p = legs_[idx(po.from)];
    leg& l = legs_[idx(from)];
    p.next = leg_media{};
    l.next = leg_media{};
    local_audio la;
    la.address = p.setup.realm->media_address;
    out = write_sdp(p.origin, po.offer.session, SIZE_MAX, po.offer.session, 0, la);
    answered_ = true;
    return status::ok();
}

status media_session::answer_to(const pending_offer& po, side from, std::string_view body,
                                std::string& out) {
    leg& p = legs_[idx(po.from)];
    leg& l = legs_[idx(from)];
    peer_sdp ans;
    const size_t index = po.offer.audio.index;
    status st = read_sdp(body, ans);
    if (!st) {
        // RFC 3264 §6: the answer rejects the stream with port 0; anything else is a fault.
        if (st.code == errc::no_audio && ans.session.media_sections.size() > index &&
            ans.session.media_sections[index].rejected()) {
            return answered_no_audio(po, from, out);
        }
        return st;
    }
    if (ans.session.media_sections.size() != po.offer.session.media_sections.size() ||
        ans.audio.index != index) {
        return fail(errc::answer_mismatch, "m-lines do not match the offer");
    }
    crypto_context chosen;
    st = accept_answer(ans, *l.setup.profile, po.formats, po.offered, chosen);
    if (!st) {
        return st;
    }

    leg_media ln;
    ln.active = true;
    ln.peer = ans.audio;
    ln.srtp = chosen.tag != 0;
    ln.ours = chosen;
    ln.rtcp_mux = ans.audio.rtcp_mux && po.offer.audio.rtcp_mux;  // muxed only if we offered it
    ln.last_peer = ans.audio.hold_address ? l.current.last_peer : ans.audio.rtp;

    leg_media pn;
    const auto& pa = po.offer.audio;
    pn.active = true;
    pn.peer = pa;
    pn.rtcp_mux = pa.rtcp_mux;
    pn.last_peer = pa.hold_address ? p.current.last_peer : pa.rtp;
    if (pa.crypto) {
        pn.srtp = true;
        pn.ours.tag = pa.crypto->tag;
        pn.ours.suite = pa.crypto->suite;
        // Our key toward the offerer stays unless the offerer changed its key and the appliance
        // renews its own context with it (resend_srtp_context_on_key_change).
        const bool keep =
            p.current.active && p.current.srtp && p.current.ours.suite == pa.crypto->suite &&
            (!cfg_.resend_srtp_context_on_key_change || same_key(p.current.peer.rx_key, pa.rx_key));
        if (keep) {
            pn.ours.key = p.current.ours.key;
        } else if (srtp::generate_master_key(pa.crypto->suite, pn.ours.key) !=
                   srtp::key_error::none) {
            return fail(errc::programming_failed, "random number generator failed");
        }
    }

    local_audio la;
    la.address = p.setup.realm->media_address;
    la.port = p.port;
    la.proto = pa.proto;
    la.formats = ans.audio.formats;
    la.direction = ans.audio.effective_direction();
    if (po.direction_rewritten) {
        // We offered sendrecv for the offerer's sendonly: answer what its offer allowed.
        la.direction = has_recv(la.direction) ? sdp::direction::recvonly : sdp::direction::inactive;
    }
    la.rtcp_mux = pa.rtcp_mux;
    if (pn.srtp) {
        la.crypto.push_back(crypto_line(pn.ours));
    }
    out = write_sdp(p.origin, po.offer.session, index, ans.session, index, la);
    p.next = std::move(pn);
    l.next = std::move(ln);
    answered_ = true;
    return status::ok();
}

void media_session::commit() {
    if (!answered_) {
        return;
    }
    for (auto& l : legs_) {
        l.current = l.next;
    }
    if (pending_) {
        last_ = std::move(pending_);
        pending_.reset();
    }
    answered_ = false;
}

void media_session::abandon() {
    for (auto& l : legs_) {
        l.next = leg_media{};
    }
    pending_.reset();
    answered_ = false;
}

void media_session::cancel_offer() {
    pending_.reset();
    answered_ = false;
}

shm::flow_spec media_session::spec_for(side s, const leg_media& m) const {
    const leg& l = legs_[idx(s)];
    const leg& partner = legs_[idx(other(s))];
    const auto& prof = *l.setup.profile;
    shm::flow_spec f{};
    f.key = l.key;
    f.partner = partner.key;
    f.peer = m.last_peer;
    f.protocol = m.srtp ? shm::media_protocol::srtp : shm::media_protocol::rtp;
    f.rtcp = prof.rtcp_mode == config::rtcp_mode_kind::generate ? shm::rtcp_mode::generate
                                                                : shm::rtcp_mode::bypass;
    f.rtcp_mux = m.rtcp_mux ? 1 : 0;
    // SRTP legs latch to the first authenticated packet (NAT); RTP legs follow their SDP.
    f.latch = m.srtp ? shm::latch_policy::srtp_authenticated : shm::latch_policy::sdp_address;
    f.rtcp_generation_timeout_ms = prof.rtcp_generation_timeout_s * 1000;
    f.idle_timeout_ms = cfg_.media_timeout_s * 1000;
    if (m.srtp) {
        f.rx = m.peer.rx_key.value_or(shm::srtp_key{});
        f.tx = m.ours.key;
    }
    if (!m.peer.receives()) {
        f.media_flags |= shm::media_flag::hold;
    }
    f.clock_rate = m.peer.clock_rate;
    f.cookie = l.cookie;
    return f;
}

media_session::flow_plan media_session::plan() const {
    flow_plan out;
    const bool use_next = answered_;
    const leg_media& ma = use_next ? legs_[0].next : legs_[0].current;
    const leg_media& mb = use_next ? legs_[1].next : legs_[1].current;
    if (ma.active && mb.active) {
        out.install.push_back(spec_for(side::a, ma));
        out.install.push_back(spec_for(side::b, mb));
    } else {
        for (const auto& l : legs_) {
            if (l.current.active) {
                out.remove.push_back(l.key);
            }
        }
    }
    return out;
}

media_session::flow_plan media_session::current_plan() const {
    flow_plan out;
    if (media_up()) {
        out.install.push_back(spec_for(side::a, legs_[0].current));
        out.install.push_back(spec_for(side::b, legs_[1].current));
    }
    return out;
}

std::vector<shm::flow_key> media_session::installed_keys() const {
    std::vector<shm::flow_key> out;
    for (const auto& l : legs_) {
        if (l.current.active) {
            out.push_back(l.key);
        }
    }
    return out;
}

bool media_session::media_up() const {
    return legs_[0].current.active && legs_[1].current.active;
}

bool media_session::held() const {
    for (const auto& l : legs_) {
        if (l.current.active && l.current.peer.effective_direction() != sdp::direction::sendrecv) {
            return true;
        }
    }
    return false;
}

bool media_session::expects_media_from(side s) const {
    const leg& l = legs_[idx(s)];
    return media_up() && l.current.peer.sends() && !legs_[idx(other(s))].current.peer.hold_address;
}

}  // namespace sbc::cp::media
