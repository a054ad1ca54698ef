// Parse any bytes as a SIP message (datagram and stream framing), touch every lazy header,
// multipart, SDP of the body, and the editor/serializer; re-parse what we serialize. The same
// bytes also go through the transport's stream framer, and what it frames is parsed as a stream
// message.
//
// Oracle (issue 10): a message the parser accepts holds no control character in its start line,
// header names or values (RFC 3261 §25.1; folds unfolded), is well_formed() within the limits it
// was parsed with, and re-serialises (untouched and after relay edits) to bytes that are
// well_formed() within those limits plus the room the edits take. An answer to a refused request
// never echoes a control character.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/builder.hpp"
#include "sip/editor.hpp"
#include "sip/message.hpp"
#include "sip/sdes.hpp"
#include "sip/sdp.hpp"
#include "sip/text.hpp"
#include "sip/transport/raw_answer.hpp"
#include "sip/transport/stream_framer.hpp"
#include "sip/well_formed.hpp"

namespace {

volatile std::size_t sink;

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

// Same view: both empty, or the same offset from their bases and the same size.
bool same(std::string_view a, const char* base_a, std::string_view b, const char* base_b) {
    return (a.empty() && b.empty()) ||
           (a.size() == b.size() && a.data() - base_a == b.data() - base_b);
}

void check_same_uri(const sbc::sip::uri& a, const char* ba, const sbc::sip::uri& b,
                    const char* bb) {
    check(a.scheme == b.scheme && a.has_user == b.has_user && a.has_password == b.has_password);
    check(same(a.user, ba, b.user, bb) && same(a.password, ba, b.password, bb));
    check(same(a.hp.host, ba, b.hp.host, bb) && a.hp.kind == b.hp.kind && a.hp.port == b.hp.port &&
          a.hp.has_port == b.hp.has_port);
    check(same(a.params.text(), ba, b.params.text(), bb) && same(a.headers, ba, b.headers, bb));
    check(a.transport() == b.transport() && a.lr() == b.lr());
}

void check_same_name_addr(const sbc::sip::name_addr& a, const char* ba,
                          const sbc::sip::name_addr& b, const char* bb) {
    check(same(a.text, ba, b.text, bb) && same(a.display_name, ba, b.display_name, bb));
    check(same(a.uri_text, ba, b.uri_text, bb) && a.angle_brackets == b.angle_brackets);
    check_same_uri(a.uri, ba, b.uri, bb);
    check(same(a.params.text(), ba, b.params.text(), bb));
    check(same(a.tag(), ba, b.tag(), bb));
    const auto ea = a.params.value("expires");
    const auto eb = b.params.value("expires");
    check(ea.has_value() == eb.has_value() && (!ea || same(*ea, ba, *eb, bb)));
}

// The message parses its headers in its padded copy, 16 bytes at a time; the public functions on
// a plain copy of the value read exactly its bytes. Both must find the same things.
void check_padded_matches_exact(const sbc::sip::message& m) {
    using namespace sbc::sip;
    for (header_id id : {header_id::from, header_id::to}) {
        const header_field* h = m.find(id);
        const std::string copy(h->value);
        auto exact = parse_name_addr(copy);
        check(exact.ok());
        check_same_name_addr(id == header_id::from ? m.from() : m.to(), h->value.data(), *exact,
                             copy.data());
    }
    const header_field* v = m.find(header_id::via);
    const std::string via_copy(v->value);
    const std::string_view top = *comma_list(via_copy).begin();
    auto exact_via = parse_via(top);
    check(exact_via.ok());
    check(same(m.top_via().text, v->value.data(), exact_via->text, via_copy.data()));
    check(same(m.top_via().branch(), v->value.data(), exact_via->branch(), via_copy.data()));
    check(m.top_via().sent_by.kind == exact_via->sent_by.kind &&
          m.top_via().sent_by.port == exact_via->sent_by.port &&
          m.top_via().rport() == exact_via->rport());
    // Contact: element by element over every Contact line, as contacts() splits them.
    std::size_t k = 0;
    bool all_ok = true;
    for (const header_field& h : m.headers()) {
        if (h.id != header_id::contact) {
            continue;
        }
        const std::string copy(h.value);
        for (std::string_view element : comma_list(copy)) {
            auto c = parse_contact(element);
            all_ok = all_ok && c.ok();
            if (c.ok() && m.contacts().ok() && k < m.contacts()->size()) {
                const contact& mine = m.contacts()->at(k);
                check(mine.star == c->star);
                if (!c->star) {
                    check_same_name_addr(mine.addr, h.value.data(), c->addr, copy.data());
                }
            }
            ++k;
        }
    }
    // A lone "*" among several is the list's own rule; otherwise the element results decide.
    if (m.contacts().ok() || !all_ok) {
        check(m.contacts().ok() == all_ok);
    }
}

// A failed parse of the caller's bytes names the raw answer fields as views into those bytes.
void check_fields(const sbc::sip::parse_error& e, std::string_view bytes) {
    const sbc::sip::request_fields& f = e.fields;
    for (std::string_view v : {f.method, f.via_lines, f.from, f.to, f.call_id, f.cseq}) {
        check(v.empty() ||
              (v.data() >= bytes.data() && v.data() + v.size() <= bytes.data() + bytes.size()));
    }
    sbc::sip::header_line_reader r(f.via_lines);
    sbc::sip::header_field h;
    std::size_t vias = 0;
    for (int guard = 0; guard < 100000 && r.next(h); ++guard) {
        vias += h.id == sbc::sip::header_id::via ? 1 : 0;
    }
    check(f.via_lines.empty() || vias > 0);
    if (e.response_possible) {
        check(f.complete());
    }
    // The answer from these fields, and from the bytes read again without limits: well-formed
    // header lines (folds unfolded: every LF ends a line and starts none with WSP).
    for (const std::string& a : {sbc::sip::answer_from_fields(f, 400, "Bad Request"),
                                 sbc::sip::answer_from_raw(bytes, 400, "Bad Request")}) {
        if (a.empty()) {
            continue;
        }
        check(a.starts_with("SIP/2.0 400 Bad Request\r\nVia: "));
        check(a.ends_with("\r\nContent-Length: 0\r\n\r\n"));
        for (std::size_t i = a.find('\n'); i != std::string::npos; i = a.find('\n', i + 1)) {
            check(i > 0 && a[i - 1] == '\r');
            check(i + 1 == a.size() || (a[i + 1] != ' ' && a[i + 1] != '\t'));
        }
        // The only control characters are the CRLFs that end its lines.
        for (std::size_t i = sbc::sip::find_control_char(a); i < a.size();
             i += 1 + sbc::sip::find_control_char(std::string_view(a).substr(i + 1))) {
            check((a[i] == '\r' && a[i + 1] == '\n') || (a[i] == '\n' && a[i - 1] == '\r'));
        }
    }
    // A control character is named where it was found.
    if (e.code == sbc::sip::error_code::control_character) {
        check(!e.header.empty());
        check(e.reason_phrase() != e.reason());
    }
}

// No control character anywhere in what a parsed message exposes, and well-formed within the
// limits it was parsed with.
void check_clean(const sbc::sip::message& m, const sbc::sip::parse_options& o) {
    using namespace sbc::sip;
    check(find_control_char(m.start_line()) == m.start_line().size());
    for (const header_field& h : m.headers()) {
        check(find_control_char(h.name) == h.name.size());
        check(find_control_char(h.value) == h.value.size());
        std::string_view line = h.raw;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.remove_suffix(1);
        }
        check(find_control_char(line) == line.size());
    }
    if (o.how == framing::stream || m.content_length()) {
        check(well_formed(m, o.limits).ok());
    }
}

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
    // Untouched and after relay edits, the message re-serialises within the limits it was
    // parsed with, plus the room the edits take: a Content-Length line the datagram lacked, a
    // Via and a Max-Forwards line added.
    parse_limits room;
    room.max_message_bytes += 128;
    room.max_headers += 2;
    room.max_line_length += 32;  // a compact name written out in full
    const wire_verdict untouched = well_formed(message_editor(m).serialize(), room);
    check(untouched.ok());
    message_editor e(m);
    check(e.push_via("SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKfuzz"));
    e.pop_first(header_id::route);
    e.remove("X-Anything");
    check(e.replace(header_id::max_forwards, "69"));
    std::string out = e.serialize();
    // Re-parsed within the same room: a message at a limit (128 headers, a line of 8,192 bytes
    // in compact form) is over it after the edits, and that is the next hop's limit to apply.
    auto again = parse(out, {room, framing::stream});
    if (!again.ok()) {
        __builtin_trap();
    }
    check(well_formed(*again, room).ok());
    if (m.is_request()) {
        const std::string response = response_for(m, 200, {}, "tag", true).serialize();
        check(well_formed(response, room).ok());
        n += response.size();
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
        const sbc::sip::parse_options stream{{}, sbc::sip::framing::stream};
        auto m = sbc::sip::parse(f.bytes, stream);
        if (m.ok()) {
            check_clean(*m, stream);
        }
        sink = m.ok() ? m->headers().size() : m.error().status();
    }
    for (auto how : {sbc::sip::framing::datagram, sbc::sip::framing::stream}) {
        sbc::sip::parse_options o;
        o.how = how;
        auto m = sbc::sip::parse(bytes, o);
        if (m.ok()) {
            check_clean(*m, o);
            check_padded_matches_exact(*m);
            touch(*m);
        } else {
            check_fields(m.error(), bytes);
            sink = m.error().reason().size() + m.error().status();
        }
    }
    return 0;
}
