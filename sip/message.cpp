// The first pass: start line, header boundaries and names, the headers every element needs, and
// the body by Content-Length. Lazy header access and the message's allocation live in
// message_lazy.cpp.
//
// The header lines are split on the bytes as given (SSE2 delimiter search, names classified 16
// bytes at a time) into a stack index; then one allocation takes the state, the header index and
// a copy of the text, and the mandatory headers are validated on that copy. A request that fails
// gets the raw values an answer needs from the index, without a second scan.
#include <algorithm>
#include <cstring>
#include <new>

#include "sip/message.hpp"
#include "sip/message_scan.hpp"
#include "sip/parse_internal.hpp"
#include "sip/scan.hpp"
#include "sip/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sbc::sip {

// parse() builds messages from its state; nobody else constructs one that way.
struct message_access {
    static message make(detail::message_state* s) { return message(s); }
};

namespace {

using detail::field_at;
using detail::head_scan;

// RFC 3261 §23.3 word: the Call-ID is word ["@" word], no whitespace. `s` is padded.
bool valid_call_id(std::string_view s) {
    if (s.empty() || s.front() == '@' || s.back() == '@') {
        return false;
    }
    if (detail::span_end(s, 0, detail::k_word_at, detail::bounds::padded) != s.size()) {
        return false;
    }
    const std::size_t at = detail::find_in(s, 0, '@', detail::bounds::padded);
    return at == s.size() || detail::find_in(s, at + 1, '@', detail::bounds::padded) == s.size();
}

request_fields raw_fields(std::string_view all, const head_scan& h) {
    request_fields r;
    r.method = h.request ? h.method : std::string_view{};
    const char* via_begin = nullptr;
    const char* via_end = nullptr;
    for (std::size_t i = 0; i < h.lines.size(); ++i) {
        const header_field f = field_at(h.lines[i], all.data());
        switch (f.id) {
            case header_id::via:
                if (via_begin == nullptr) {
                    via_begin = f.raw.data();
                }
                via_end = f.raw.data() + f.raw.size();
                break;
            case header_id::from:
                r.from = r.from.empty() ? f.value : r.from;
                break;
            case header_id::to:
                r.to = r.to.empty() ? f.value : r.to;
                break;
            case header_id::call_id:
                r.call_id = r.call_id.empty() ? f.value : r.call_id;
                break;
            case header_id::cseq:
                r.cseq = r.cseq.empty() ? f.value : r.cseq;
                break;
            default:
                break;
        }
    }
    if (via_begin != nullptr) {
        r.via_lines = std::string_view(via_begin, std::size_t(via_end - via_begin));
    }
    return r;
}

// RFC 3261 §7.3.1: a folded header line is one line whose folds are LWS. In the message's copy
// each CR and LF of a fold becomes SP (offsets stay, so the views do), so that no value, raw line
// or relayed header holds a line end.
void unfold(char* text, const detail::line_index& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const detail::line_entry& e = lines[i];
        if (!e.folded) {
            continue;
        }
        std::size_t end = e.start + e.raw_size;
        if (text[end - 1] == '\n') {
            --end;
            if (end > e.start && text[end - 1] == '\r') {
                --end;
            }
        }
        for (std::size_t k = e.start; k < end; ++k) {
            if (text[k] == '\r' || text[k] == '\n') {
                text[k] = ' ';
            }
        }
    }
}

// A view of the scanned bytes moved to the same offset in the message's copy.
std::string_view moved(std::string_view v, const char* from, const char* to) {
    return v.data() == nullptr ? v : std::string_view(to + (v.data() - from), v.size());
}

// `caller_keeps_bytes`: `all` outlives the result (not a buffer handed over to parse()), so the
// error's request_fields may point into it.
result<message, parse_error> parse_scanned(std::string_view all, std::size_t pos,
                                           bool caller_keeps_bytes, const parse_options& options) {
    const parse_limits& lim = options.limits;
    const std::size_t len = all.size();
    auto failure = [&](error_code code, bool response_possible, const head_scan& h) {
        parse_error e{code, response_possible};
        if (caller_keeps_bytes) {
            e.fields = raw_fields(all, h);
        }
        if (code == error_code::control_character) {
            e.header = h.note_id != header_id::other ? header_name(h.note_id)
                       : caller_keeps_bytes          ? h.note_name
                                                     : std::string_view{};
        }
        return e;
    };

    head_scan h;
    // Offsets are 32-bit: bytes past 4 GiB (a message far too large anyway) are not scanned.
    scan_head(all.substr(0, std::min<std::size_t>(all.size(), UINT32_MAX)), pos, lim, h);
    if (len > lim.max_message_bytes) {
        return failure(error_code::message_too_large, false, h);
    }
    if (h.fatal != error_code::none) {
        return failure(h.fatal, false, h);
    }

    // ---- one allocation: state, header index, text (padded for the SIMD scans) ----
    detail::message_state* s = detail::allocate_message(h.lines.size(), len);
    message m = message_access::make(s);
    const char* from = all.data();
    char* copy = detail::text_slot(s);
    std::memcpy(copy, from, len);
    std::memset(copy + len, 0, detail::text_padding);
    if (h.folds) {
        unfold(copy, h.lines);
    }
    const char* text = copy;
    header_field* slots = detail::header_slots(s);
    for (std::size_t i = 0; i < h.lines.size(); ++i) {
        slots[i] = field_at(h.lines[i], text);
    }
    s->headers = slots;
    s->header_count = h.lines.size();
    s->first = h.first;
    s->counts = h.counts;
    s->request = h.request;
    s->status = h.status;
    s->start_line = moved(h.start_line, from, text);
    s->method = moved(h.method, from, text);
    s->ruri_text = moved(h.ruri_text, from, text);
    s->version = moved(h.version, from, text);
    s->reason = moved(h.reason, from, text);
    s->head = std::string_view(text, h.head_size);
    const std::string_view copy_all(text, len);

    // Faults in the order the line reads: version, Request-URI, then the header lines.
    error_code first_error = h.start_note;
    if (h.request) {
        s->method_kind = classify_method(s->method);
        error_code uri_error = error_code::none;
        // RFC 3261 §19.1.1 (Table 1): headers are not allowed in a Request-URI.
        if (!detail::parse_uri_into(s->ruri, s->ruri_text, detail::bounds::padded) ||
            !s->ruri.headers.empty()) {
            uri_error = error_code::malformed_request_uri;
        } else if (s->ruri.scheme == uri_scheme::other && !iequals(s->ruri.scheme_name, "urn")) {
            // sip, sips, tel, and urn (RFC 5031 service URNs for emergency calls) are routable.
            uri_error = error_code::unsupported_uri_scheme;
        }
        if (first_error == error_code::none) {
            first_error = uri_error;
        }
    }
    if (first_error == error_code::none) {
        first_error = h.scan_note;
    }

    // ---- the headers every element needs (RFC 3261 §8.1.1) ----
    error_code mandatory = error_code::none;
    auto fail = [&](error_code e) {
        if (mandatory == error_code::none) {
            mandatory = e;
        }
    };
    auto once = [&](header_id id) { return h.counts[std::size_t(id)] <= 1; };
    if (const header_field* v = m.find(header_id::via)) {
        std::string_view rest = v->value;
        std::string_view top;
        if (!detail::next_element(rest, top, detail::bounds::padded) ||
            !detail::parse_via_into(s->top_via, top, detail::bounds::padded)) {
            fail(error_code::malformed_via);
        }
    } else {
        fail(error_code::missing_via);
    }
    auto addr = [&](header_id id, name_addr& out, error_code missing, error_code bad) {
        const header_field* f = m.find(id);
        if (f == nullptr) {
            fail(missing);
            return;
        }
        if (!detail::parse_name_addr_into(out, f->value, detail::bounds::padded)) {
            fail(bad);
        } else if (!once(id)) {
            fail(error_code::duplicate_header);
        }
    };
    addr(header_id::from, s->from, error_code::missing_from, error_code::malformed_from);
    addr(header_id::to, s->to, error_code::missing_to, error_code::malformed_to);
    if (const header_field* f = m.find(header_id::call_id)) {
        if (!valid_call_id(f->value)) {
            fail(error_code::malformed_call_id);
        } else if (!once(header_id::call_id)) {
            fail(error_code::duplicate_header);
        } else {
            s->call_id = f->value;
        }
    } else {
        fail(error_code::missing_call_id);
    }
    if (const header_field* f = m.find(header_id::cseq)) {
        auto c = parse_cseq(f->value);
        if (!c) {
            fail(error_code::malformed_cseq);
        } else if (!once(header_id::cseq)) {
            fail(error_code::duplicate_header);
        } else {
            s->cseq = *c;
            // §8.1.1.5: the CSeq method matches the request method (case-sensitive).
            if (s->request && !s->method.empty() && c->method != s->method &&
                first_error == error_code::none) {
                first_error = error_code::cseq_method_mismatch;
            }
        }
    } else {
        fail(error_code::missing_cseq);
    }
    const bool response_possible = s->request && mandatory == error_code::none;
    if (first_error != error_code::none) {
        return failure(first_error, response_possible, h);
    }
    if (mandatory != error_code::none) {
        return failure(mandatory, response_possible, h);
    }

    // ---- body ----
    const std::size_t available = len - h.head_size;
    if (const header_field* f = m.find(header_id::content_length)) {
        auto n = parse_uint(f->value, lim.max_message_bytes);
        if (!n || !once(header_id::content_length)) {
            return failure(!n ? error_code::malformed_content_length : error_code::duplicate_header,
                           response_possible, h);
        }
        s->content_length = uint32_t(*n);
        if (*n > available) {
            return failure(error_code::body_shorter_than_content_length, response_possible, h);
        }
        // RFC 3261 §18.3: bytes past Content-Length in a datagram are discarded.
        s->trailing = available - *n;
        s->body = copy_all.substr(h.head_size, *n);
    } else if (options.how == framing::stream) {
        return failure(error_code::missing_content_length, response_possible, h);
    } else {
        s->body = copy_all.substr(h.head_size);
    }
    if (h.counts[std::size_t(header_id::content_type)] > 1 ||
        h.counts[std::size_t(header_id::max_forwards)] > 1) {
        return failure(error_code::duplicate_header, response_possible, h);
    }
    s->data = copy_all.substr(0, h.head_size + s->body.size());
    return m;
}

// RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives on streams).
std::size_t skip_leading_crlf(std::string_view all) {
    std::size_t pos = 0;
    while (pos < all.size() && (all[pos] == '\r' || all[pos] == '\n')) {
        ++pos;
    }
    return pos;
}

}  // namespace

std::size_t message::count(header_id id) const {
    std::size_t start = 0;
    if (id != header_id::other) {
        const std::size_t counted = s_->counts[std::size_t(id)];
        if (counted < 255) {
            return counted;  // parse() counted them (saturating at 255)
        }
        start = s_->first[std::size_t(id)] - 1u;
    }
    std::size_t n = 0;
    for (std::size_t i = start; i < s_->header_count; ++i) {
        n += s_->headers[i].id == id ? 1 : 0;
    }
    return n;
}

const header_field* message::find(std::string_view name) const {
    header_id id = classify_header(name);
    if (id != header_id::other) {
        return find(id);
    }
    for (const header_field& h : headers()) {
        if (h.id == header_id::other && iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

result<message, parse_error> parse(std::string_view bytes, const parse_options& options) {
    const std::size_t pos = skip_leading_crlf(bytes);
    if (pos == bytes.size()) {
        return parse_error{bytes.size() > options.limits.max_message_bytes
                               ? error_code::message_too_large
                               : error_code::empty_message,
                           false};
    }
    return parse_scanned(bytes, pos, true, options);
}

result<message, parse_error> parse(std::unique_ptr<char[]> buffer, std::size_t len,
                                   const parse_options& options) {
    const std::string_view all(buffer.get(), len);
    const std::size_t pos = skip_leading_crlf(all);
    if (pos == len) {
        return parse_error{len > options.limits.max_message_bytes ? error_code::message_too_large
                                                                  : error_code::empty_message,
                           false};
    }
    // The text is copied into the message's allocation like any other (with padding for the
    // scans); the buffer handed over is released on return.
    return parse_scanned(all, pos, false, options);
}

request_fields read_request_fields(std::string_view bytes) {
    const std::string_view all = bytes.substr(0, std::min<std::size_t>(bytes.size(), UINT32_MAX));
    const std::size_t pos = skip_leading_crlf(all);
    if (pos == all.size()) {
        return {};
    }
    parse_limits unlimited;
    unlimited.max_headers = SIZE_MAX;
    unlimited.max_line_length = SIZE_MAX;
    head_scan h;
    scan_head(all, pos, unlimited, h);
    return raw_fields(all, h);
}

bool header_line_reader::next(header_field& out) {
    while (!rest_.empty()) {
        // A line ends at a line end not followed by SP/HT (RFC 3261 §7.3.1 folding).
        std::size_t at = find_char(rest_, 0, '\n');
        while (at + 1 < rest_.size() && (rest_[at + 1] == ' ' || rest_[at + 1] == '\t')) {
            at = find_char(rest_, at + 1, '\n');
        }
        const std::size_t raw_end = at == rest_.size() ? at : at + 1;
        std::string_view line = rest_.substr(0, raw_end);
        out.raw = line;
        rest_.remove_prefix(raw_end);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.remove_suffix(1);
        }
        const std::size_t colon = find_char(line, 0, ':');
        if (colon == line.size()) {
            continue;
        }
        std::size_t name_end = colon;
        while (name_end > 0 && (line[name_end - 1] == ' ' || line[name_end - 1] == '\t')) {
            --name_end;
        }
        out.name = line.substr(0, name_end);
        out.value = trim_lws(line.substr(colon + 1));
        out.id = classify_header(out.name);
        return true;
    }
    return false;
}

}  // namespace sbc::sip
