#include "controlplane/media/peer_sdp.hpp"

#include <algorithm>

#include "controlplane/media/sdes_keys.hpp"
#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/master_key.hpp"
#include "sip/text.hpp"

namespace sbc::cp::media {

namespace sdp = sip::sdp;

namespace {

bool is_crypto_error(sdp::error e) {
    switch (e) {
        case sdp::error::too_many_crypto:
        case sdp::error::malformed_crypto:
        case sdp::error::crypto_bad_base64:
        case sdp::error::crypto_bad_key_length:
        case sdp::error::crypto_bad_lifetime:
        case sdp::error::crypto_bad_mki:
        case sdp::error::crypto_bad_session_param:
        case sdp::error::crypto_unknown_session_param:
        case sdp::error::crypto_duplicate_tag:
        case sdp::error::crypto_no_known_suite:
            return true;
        default:
            return false;
    }
}

status parse_failure(sdp::error e, size_t line) {
    std::string detail(sdp::error_reason(e));
    if (line != 0) {
        detail += " (line " + std::to_string(line) + ")";
    }
    return fail(is_crypto_error(e) ? errc::bad_crypto : errc::bad_sdp, std::move(detail));
}

// The widest MKI the dataplane carries: the contract's key has a 32-bit MKI (RFC 4568 §6.1
// allows 1..128 bytes; an offer with a longer one is refused with a reason naming the limit).
constexpr size_t dataplane_max_mki = sizeof(shm::srtp_key{}.mki);

// The MKI length written in an a=crypto value (the longest of its key-params; 0 when none), read
// from the raw text so a refusal can name it whether or not the SDES parser took the line:
// "inline:KEY|LIFETIME|MKI:LENGTH" (RFC 4568 §9.1).
size_t mki_length_in(std::string_view crypto_value) {
    size_t longest = 0;
    std::string_view rest = crypto_value;
    for (size_t at = rest.find("inline:"); at != std::string_view::npos;
         at = rest.find("inline:")) {
        rest = rest.substr(at + 7);
        std::string_view kp = rest.substr(0, rest.find_first_of("; "));
        for (size_t bar = kp.find('|'); bar != std::string_view::npos; bar = kp.find('|')) {
            kp = kp.substr(bar + 1);
            const auto field = kp.substr(0, kp.find('|'));
            const auto colon = field.find(':');
            if (colon == std::string_view::npos) {
                continue;
            }
            const auto digits = field.substr(colon + 1);
            if (digits.empty() || digits.size() > 3 ||
                !std::all_of(digits.begin(), digits.end(), sip::is_digit)) {
                continue;
            }
            size_t n = 0;
            for (char ch : digits) {
                n = n * 10 + static_cast<size_t>(ch - '0');
            }
            longest = std::max(longest, n);
        }
    }
    return longest;
}

size_t longest_mki(const sdp::media& m) {
    size_t longest = 0;
    for (const auto& v : m.crypto_lines()) {
        longest = std::max(longest, mki_length_in(v));
    }
    return longest;
}

// The same over a body the SDP parser refused (it checks a=crypto lines as it reads them).
size_t longest_mki(std::string_view body) {
    size_t longest = 0;
    for (size_t at = body.find("a=crypto:"); at != std::string_view::npos;
         at = body.find("a=crypto:", at + 1)) {
        const auto line = body.substr(at, body.find_first_of("\r\n", at) - at);
        longest = std::max(longest, mki_length_in(line));
    }
    return longest;
}

status mki_too_long(size_t bytes) {
    return fail(errc::mki_too_long, "offered an MKI of " + std::to_string(bytes) +
                                        " bytes; the dataplane supports MKIs of up to " +
                                        std::to_string(dataplane_max_mki) + " bytes");
}

bool rtp_proto(std::string_view p) {
    return p == "RTP/AVP" || p == "RTP/SAVP" || p == "RTP/AVPF" || p == "RTP/SAVPF";
}

// A line the dataplane can run as offered: one key, no MKI switching, no unencrypted or
// unauthenticated SRTP (RFC 4568 §6.3), the default key derivation rate.
bool usable(const sdp::crypto_attribute& c) {
    if (!dataplane_runs(c.suite) || c.keys.size() != 1 || c.unencrypted_srtp ||
        c.unencrypted_srtcp || c.unauthenticated_srtp || (c.kdr && *c.kdr != 0)) {
        return false;
    }
    const auto k = to_srtp_key(c);
    return k && srtp::validate(*k) == srtp::key_error::none;
}

std::string suites_of(const std::vector<sdp::crypto_attribute>& lines) {
    std::string out;
    for (const auto& c : lines) {
        if (!out.empty()) {
            out += ", ";
        }
        out += c.known_suite() ? std::string(srtp_suite_name(c.suite)) : c.suite_text;
    }
    return out.empty() ? "none" : out;
}

std::string encodings_of(const sdp::media& m) {
    std::string out;
    for (const auto& f : m.formats) {
        if (!out.empty()) {
            out += ", ";
        }
        const std::string e = encoding_of(m, f);
        out += e.empty() ? f : e;
    }
    return out;
}

uint32_t clock_of(const sdp::media& m, std::string_view pt) {
    if (auto r = m.rtpmap_for(pt)) {
        return r->clock_rate != 0 ? r->clock_rate : 8000;
    }
    return 8000;  // RFC 3551 static audio types an SBC meets are all 8 kHz RTP clocks
}

std::vector<std::string> encodings_for(const sdp::media& m, const std::vector<std::string>& pts) {
    std::vector<std::string> out;
    for (const auto& f : pts) {
        const std::string e = encoding_of(m, f);
        out.push_back(e.empty() ? f : e);
    }
    return out;
}

// Crypto lines of the anchored stream; crypto_no_known_suite is not an error here (the profile
// decides whether it needs one).
status crypto_lines(const sdp::media& m, std::vector<sdp::crypto_attribute>& out) {
    auto r = sdp::parse_crypto_lines(m, sdp_limits().max_crypto);
    if (!r.ok() && r.err != sdp::error::crypto_no_known_suite) {
        if (r.err == sdp::error::crypto_bad_mki) {
            if (const size_t mki = longest_mki(m); mki > dataplane_max_mki && mki <= 128) {
                return mki_too_long(mki);
            }
        }
        return parse_failure(r.err, 0);
    }
    if (r.ok()) {
        out = std::move(r.value);
    } else {
        out.clear();
        for (const auto& v : m.crypto_lines()) {
            auto c = sdp::parse_crypto(v);
            if (c.ok()) {
                out.push_back(std::move(c.value));
            }
        }
    }
    return status::ok();
}

}  // namespace

bool peer_audio::receives() const {
    return !hold_address &&
           (direction == sdp::direction::sendrecv || direction == sdp::direction::recvonly);
}

bool peer_audio::sends() const {
    return direction == sdp::direction::sendrecv || direction == sdp::direction::sendonly;
}

sdp::direction peer_audio::effective_direction() const {
    if (!hold_address) {
        return direction;
    }
    return sends() ? sdp::direction::sendonly : sdp::direction::inactive;
}

sdp::limits sdp_limits() {
    sdp::limits l;
    l.max_bytes = 65536;  // the SIP message limit bounds it already
    l.max_lines = 512;
    l.max_media = 16;
    l.max_attributes = 128;
    l.max_crypto = 16;
    return l;
}

std::string encoding_of(const sdp::media& m, std::string_view pt) {
    if (auto r = m.rtpmap_for(pt)) {
        return r->encoding;
    }
    static constexpr std::pair<std::string_view, std::string_view> statics[] = {
        {"0", "PCMU"}, {"3", "GSM"}, {"4", "G723"},  {"8", "PCMA"},
        {"9", "G722"}, {"13", "CN"}, {"18", "G729"},
    };
    for (const auto& [num, enc] : statics) {
        if (num == pt) {
            return std::string(enc);
        }
    }
    return {};
}

std::vector<std::string> allowed_formats(const sdp::media& m,
                                         const config::media_profile& profile) {
    if (profile.allow_unconfigured_codecs) {
        return m.formats;
    }
    std::vector<std::string> out;
    for (const auto& f : m.formats) {
        const std::string enc = encoding_of(m, f);
        for (const auto& c : profile.codecs) {
            if (!enc.empty() && sip::iequals(enc, c)) {
                out.push_back(f);
                break;
            }
        }
    }
    return out;
}

status read_sdp(std::string_view body, peer_sdp& out) {
    auto parsed = sdp::parse(body, sdp_limits());
    if (!parsed.ok()) {
        if (parsed.err == sdp::error::crypto_bad_mki) {
            if (const size_t mki = longest_mki(body); mki > dataplane_max_mki && mki <= 128) {
                return mki_too_long(mki);
            }
        }
        return parse_failure(parsed.err, parsed.line);
    }
    out.session = std::move(parsed.value);
    const auto& sections = out.session.media_sections;
    const sdp::media* audio = nullptr;
    bool saw_audio = false;
    for (size_t i = 0; i < sections.size(); ++i) {
        const auto& m = sections[i];
        if (m.type != "audio" || m.rejected()) {
            continue;
        }
        saw_audio = true;
        if (rtp_proto(m.proto)) {
            audio = &m;
            out.audio.index = i;
            break;
        }
    }
    if (audio == nullptr) {
        return saw_audio ? fail(errc::unsupported_transport,
                                "audio transport is not RTP/AVP, RTP/SAVP or their feedback forms")
                         : fail(errc::no_audio);
    }
    const sdp::connection* c = out.session.connection_for(*audio);
    if (c == nullptr) {
        return fail(errc::bad_sdp, std::string(sdp::error_reason(sdp::error::missing_connection)));
    }
    if (c->nettype != "IN" || c->addrtype != "IP4") {
        return fail(errc::unsupported_address, c->nettype + " " + c->addrtype);
    }
    shm::ip_address ip{};
    if (!shm::parse_ip(c->address, ip) || ip.family != shm::addr_family::ipv4) {
        return fail(errc::unsupported_address, "c= address " + c->address);
    }
    auto& a = out.audio;
    a.hold_address = c->is_hold();
    a.rtp = shm::make_endpoint(ip, audio->port);
    a.direction = audio->get_direction(out.session.get_direction());
    a.rtcp_mux = audio->rtcp_mux();
    if (auto r = audio->rtcp()) {
        a.rtcp_port = r->port;
    }
    a.proto = audio->proto;
    a.formats = audio->formats;
    std::vector<sdp::crypto_attribute> lines;
    return crypto_lines(*audio, lines);
}

status accept_offer(peer_sdp& offer, const config::media_profile& own,
                    const config::media_profile& other) {
    auto& a = offer.audio;
    const sdp::media& m = offer.session.media_sections[a.index];

    std::vector<sdp::crypto_attribute> lines;
    if (status st = crypto_lines(m, lines); !st) {
        return st;
    }
    if (own.protocol == config::media_protocol::rtp) {
        if (a.secure_proto()) {
            return fail(errc::srtp_not_allowed, "offered " + a.proto);
        }
    } else if (own.protocol == config::media_protocol::srtp && !a.secure_proto() &&
               !lines.empty()) {
        // RFC 4568 §3.1 defines SDES for RTP/SAVP; a=crypto on RTP/AVP is opportunistic SRTP
        // (RFC 8643), which falls back to plain RTP: an SRTP-only profile does not take it.
        return fail(errc::crypto_on_plain_rtp, "offered " + a.proto + " with a=crypto");
    } else {
        std::vector<sdp::crypto_attribute> ok;
        std::copy_if(lines.begin(), lines.end(), std::back_inserter(ok), usable);
        const auto wanted = runnable_suites(own);
        const sdp::crypto_attribute* chosen = sdp::choose_crypto(ok, wanted);
        if (chosen != nullptr) {
            a.crypto = *chosen;
            a.rx_key = to_srtp_key(*chosen);
        } else if (own.protocol == config::media_protocol::srtp || a.secure_proto()) {
            if (lines.empty()) {
                return fail(errc::crypto_required, "offered " + a.proto);
            }
            if (const size_t mki = longest_mki(m); mki > dataplane_max_mki) {
                return mki_too_long(mki);
            }
            return fail(errc::no_acceptable_crypto, "offered " + suites_of(lines));
        }
    }

    const auto mine = allowed_formats(m, own);
    const auto theirs = allowed_formats(m, other);
    a.formats.clear();
    for (const auto& f : mine) {
        if (std::find(theirs.begin(), theirs.end(), f) != theirs.end()) {
            a.formats.push_back(f);
        }
    }
    if (a.formats.empty()) {
        return fail(errc::no_common_codec, "offered " + encodings_of(m));
    }
    a.clock_rate = clock_of(m, a.formats.front());
    a.encodings = encodings_for(m, a.formats);
    return status::ok();
}

status accept_answer(peer_sdp& answer, const config::media_profile& own,
                     std::span<const std::string> offered_formats,
                     std::span<const crypto_context> offered_crypto, crypto_context& chosen) {
    auto& a = answer.audio;
    const sdp::media& m = answer.session.media_sections[a.index];
    chosen = crypto_context{};

    a.formats.clear();
    for (const auto& f : m.formats) {
        if (std::find(offered_formats.begin(), offered_formats.end(), f) != offered_formats.end()) {
            a.formats.push_back(f);
        }
    }
    if (a.formats.empty()) {
        return fail(errc::no_common_codec, "answered " + encodings_of(m) + ", none offered");
    }
    a.clock_rate = clock_of(m, a.formats.front());
    a.encodings = encodings_for(m, a.formats);

    std::vector<sdp::crypto_attribute> lines;
    if (status st = crypto_lines(m, lines); !st) {
        return st;
    }
    if (offered_crypto.empty()) {
        if (a.secure_proto()) {
            return fail(errc::answer_mismatch, a.proto + " answer to a plain RTP offer");
        }
        return status::ok();
    }
    for (const auto& line : lines) {
        for (const auto& ours : offered_crypto) {
            if (line.tag == ours.tag && line.suite == ours.suite && usable(line)) {
                a.crypto = line;
                a.rx_key = to_srtp_key(line);
                chosen = ours;
                return status::ok();
            }
        }
    }
    if (own.protocol == config::media_protocol::srtp || a.secure_proto() || !lines.empty()) {
        return fail(lines.empty() ? errc::crypto_required : errc::no_acceptable_crypto,
                    "answered " + suites_of(lines));
    }
    return status::ok();  // best-effort SRTP answered with plain RTP
}

}  // namespace sbc::cp::media
