// Parse any bytes as a SIP message (datagram and stream framing), touch every lazy header,
// multipart, SDP of the body, and the editor/serializer; re-parse what we serialize. The same
// bytes also go through the transport's stream framer, and what it frames is parsed as a stream
// message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sip/builder.hpp"
#include "sip/editor.hpp"
#include "sip/message.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"
#include "sip/text.hpp"
#include "sip/transport/stream_framer.hpp"

namespace {

volatile std::size_t sink;

void touch(const sbc::sip::message& m) {
    using namespace sbc::sip;
    std::size_t n = m.parse_all() == error_code::none ? 1 : 0;
    n += m.vias().ok() ? m.vias()->size() : 0;
    if (m.contacts().ok()) {
        for (const contact& c : *m.contacts()) {
            n += c.expires().value_or(0) + c.reg_id().value_or(0) + c.instance().size() +
                 c.pn_provider().size() + c.pn_prid().size() + c.pn_param().size() +
                 (c.q() ? 1 : 0) + c.addr.display_name_text().size() +
                 unescape(c.addr.uri.user).size();
        }
    }
    if (m.authorizations().ok()) {
        for (const auto& a : *m.authorizations()) {
            n += a.username().size() + a.realm().size() + a.nonce().size() + a.response().size();
        }
    }
    for (const auto& r : {&m.routes(), &m.record_routes(), &m.paths()}) {
        if (r->ok()) {
            for (const name_addr& na : r->value) {
                n += na.uri.lr() + na.uri.transport().size() + na.uri.maddr().size();
                for (const param& p : na.uri.params) {
                    n += p.name.size();
                }
            }
        }
    }
    n += m.top_via().rport().value_or(0) + m.top_via().ttl().value_or(0) +
         m.top_via().received().size() + m.supports("timer");
    if (m.content_type().ok()) {
        n += m.content_type()->boundary().size();
    }
    if (auto body = m.sdp_body()) {
        auto s = sdp::parse(*body);
        if (s.ok()) {
            n += sdp::serialize(s.value).size();
            for (const sdp::media& md : s.value.media_sections) {
                auto crypto = sdp::parse_crypto_lines(md);
                n += crypto.value.size() + md.rtpmaps().size();
            }
        }
    }
    // Relay edits and a second parse of the result: it must parse (we produced it).
    message_editor e(m);
    e.push_via("SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKfuzz");
    e.pop_first(header_id::route);
    e.remove("X-Anything");
    e.replace(header_id::max_forwards, "69");
    std::string out = e.serialize();
    auto again = parse(out, {{}, framing::stream});
    if (!again.ok()) {
        __builtin_trap();
    }
    if (m.is_request()) {
        n += response_for(m, 200, {}, "tag", true).serialize().size();
    }
    sink = n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    // Stream framing first: framed messages are pieces of the input, in order, within the limits;
    // each parses (or fails) as a stream message.
    sbc::sip::stream_framer framer(sbc::sip::stream_limits{});
    framer.append(bytes);
    std::size_t framed = 0;
    std::size_t at = 0;  // where the next message may start in `bytes`
    for (int guard = 0; guard < 4096; ++guard) {
        sbc::sip::stream_frame f = framer.next();
        if (f.kind == sbc::sip::frame_kind::need_more || f.kind == sbc::sip::frame_kind::error) {
            break;
        }
        if (f.kind != sbc::sip::frame_kind::message) {
            continue;
        }
        framed += f.bytes.size();
        if (f.bytes.empty() || framed > bytes.size() || f.head.size() > f.bytes.size()) {
            __builtin_trap();
        }
        // Only keep-alive CRLFs lie between two messages.
        const std::size_t found = bytes.find(f.bytes, at);
        if (found == std::string_view::npos ||
            bytes.substr(at, found - at).find_first_not_of("\r\n") != std::string_view::npos) {
            __builtin_trap();
        }
        at = found + f.bytes.size();
        auto m = sbc::sip::parse(f.bytes, {{}, sbc::sip::framing::stream});
        sink = m.ok() ? m->headers().size() : m.error().status();
    }
    for (auto how : {sbc::sip::framing::datagram, sbc::sip::framing::stream}) {
        sbc::sip::parse_options o;
        o.how = how;
        auto m = sbc::sip::parse(bytes, o);
        if (m.ok()) {
            touch(*m);
        } else {
            sink = m.error().reason().size() + m.error().status();
        }
    }
    return 0;
}
