// The first scan of parse(): the start line, then the header lines (SSE2 search for the line end
// and the colon), names classified 16 bytes at a time. Offsets only: message.cpp copies the text
// and validates the headers every element needs.
#include "sip/message_scan.hpp"

#include "sip/header_index.hpp"
#include "sip/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sbc::sip::detail {
namespace {

constexpr std::size_t no_control = std::string_view::npos;

// Offset of the first LF at or after `from` (all.size() when there is none), like find_char;
// `control` takes the offset of the first control character before that LF, unless it already
// holds one. The LF search and the control check share each 16-byte load.
std::size_t find_line_end(std::string_view all, std::size_t from, std::size_t& control) {
    const char* p = all.data();
    const std::size_t n = all.size();
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n');
    for (; from + 16 <= n; from += 16) {
        const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
        const unsigned lfs = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, lf)));
        const unsigned controls = control_mask(chunk);
        if (lfs != 0) {
            const unsigned k = unsigned(__builtin_ctz(lfs));
            const unsigned before = controls & ((1u << k) - 1);
            if (before != 0 && control == no_control) {
                control = from + unsigned(__builtin_ctz(before));
            }
            return from + k;
        }
        if (controls != 0 && control == no_control) {
            control = from + unsigned(__builtin_ctz(controls));
        }
    }
#endif
    for (; from < n && p[from] != '\n'; ++from) {
        if (control == no_control && is_control_char(p[from])) {
            control = from;
        }
    }
    return from;
}

// A line from `start` to the LF at `at` holds a control character other than the CR of its
// CRLF, given the first control character found in it.
bool has_control(const char* b, std::size_t control, std::size_t at) {
    return control != no_control && !(control + 1 == at && b[control] == '\r');
}

bool is_version_2_0(std::string_view v) {
    return iequals(v, "SIP/2.0");
}

// "SIP/" 1*DIGIT "." 1*DIGIT, any version: a well-formed but other version gets 505.
bool is_sip_version(std::string_view v) {
    if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) {
        return false;
    }
    std::string_view n = v.substr(4);
    std::size_t dot = n.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == n.size()) {
        return false;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        if (i != dot && !is_digit(n[i])) {
            return false;
        }
    }
    return true;
}

// Request-Line or Status-Line (RFC 3261 §7.1, §7.2).
void scan_start_line(std::string_view line, head_scan& h) {
    if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        h.request = false;
        std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos || line.size() < sp + 4) {
            h.fatal = error_code::malformed_status_line;
            return;
        }
        h.version = line.substr(0, sp);
        auto code = parse_uint(line.substr(sp + 1, 3), 999);
        if (!code || *code < 100 || (line.size() > sp + 4 && line[sp + 4] != ' ')) {
            h.fatal = error_code::malformed_status_line;
            return;
        }
        h.status = uint16_t(*code);
        h.reason = line.size() > sp + 5 ? line.substr(sp + 5) : std::string_view{};
        if (!is_version_2_0(h.version)) {
            h.fatal = is_sip_version(h.version) ? error_code::unsupported_version
                                                : error_code::malformed_status_line;
        }
        return;
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    h.request = true;
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
        h.fatal = error_code::malformed_start_line;
        return;
    }
    h.method = line.substr(0, sp1);
    if (!is_token(h.method)) {
        h.fatal = error_code::malformed_method;
        return;
    }
    h.ruri_text = line.substr(sp1 + 1, sp2 - sp1 - 1);
    h.version = line.substr(sp2 + 1);
    if (!is_version_2_0(h.version)) {
        h.start_note = is_sip_version(h.version) ? error_code::unsupported_version
                                                 : error_code::malformed_start_line;
    }
}

// The header lines from `pos` up to the empty line. A header line ends at a line end not followed
// by SP/HT (RFC 3261 §7.3.1 folding); field-name = token, then HCOLON = *( SP / HTAB ) ":" SWS.
void scan_headers(std::string_view all, std::size_t pos, const parse_limits& lim, head_scan& h) {
    const char* const b = all.data();
    const std::size_t len = all.size();
    constexpr std::size_t none = std::string_view::npos;
    auto note = [&h](error_code e) {
        if (h.scan_note == error_code::none) {
            h.scan_note = e;
        }
    };
    bool header_end = false;
    while (pos < len) {
        if (b[pos] == '\n' || (b[pos] == '\r' && pos + 1 < len && b[pos + 1] == '\n')) {
            pos += b[pos] == '\n' ? 1 : 2;
            header_end = true;
            break;
        }
        const std::size_t start = pos;
        std::size_t at;
        std::size_t colon = none;
        std::size_t control = no_control;
#if defined(__SSE2__)
        // The line end, its control characters and, for names shorter than 16 characters, the
        // colon and the name's classification from one load.
        __m128i chunk = _mm_setzero_si128();
        const bool loaded = pos + 16 <= len;
        if (loaded) {
            chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + pos));
            const unsigned lfs =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('\n'))));
            const unsigned colons =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(':'))));
            const unsigned controls = control_mask(chunk);
            if (colons != 0) {
                colon = pos + unsigned(__builtin_ctz(colons));
            }
            if (lfs != 0) {
                const unsigned k = unsigned(__builtin_ctz(lfs));
                at = pos + k;
                if (const unsigned before = controls & ((1u << k) - 1); before != 0) {
                    control = pos + unsigned(__builtin_ctz(before));
                }
            } else {
                if (controls != 0) {
                    control = pos + unsigned(__builtin_ctz(controls));
                }
                at = find_line_end(all, pos + 16, control);
            }
        } else {
            at = find_line_end(all, pos, control);
        }
#else
        at = find_line_end(all, pos, control);
#endif
        // RFC 3261 §25.1: no CTL in a header line but the CRLF that ends it (or folds it).
        bool controls = false;
        bool folded = false;
        std::size_t value_end;
        while (true) {
            controls = controls || has_control(b, control, at);
            if (at == len) {
                value_end = len;
                pos = len;
                break;
            }
            pos = at + 1;
            if (pos < len && (b[pos] == ' ' || b[pos] == '\t')) {
                folded = true;
                control = no_control;
                at = find_line_end(all, pos, control);
                continue;
            }
            value_end = at > start && b[at - 1] == '\r' ? at - 1 : at;
            break;
        }
        if (value_end - start > lim.max_line_length) {
            note(error_code::line_too_long);
            break;
        }
        if (h.lines.size() >= lim.max_headers) {
            note(error_code::too_many_headers);
            break;
        }
        if (colon == none) {
            // Not in the first 16 bytes (or no load): search the whole header line.
            colon = start + find_char(all.substr(start, value_end - start), 0, ':');
        }
        if (colon >= value_end) {
            note(error_code::malformed_header_line);
            continue;
        }
        std::size_t name_end = colon;
        while (name_end > start && (b[name_end - 1] == ' ' || b[name_end - 1] == '\t')) {
            --name_end;
        }
        if (name_end == start) {
            note(error_code::malformed_header_line);
            continue;
        }
        line_entry e;
        e.start = uint32_t(start);
        e.name_size = uint32_t(name_end - start);
        // A well-known name matched letter by letter is a token; anything else is checked.
#if defined(__SSE2__)
        e.id = loaded && e.name_size >= 2 && e.name_size < 16
                   ? classify_loaded(chunk, b + start, e.name_size)
                   : classify_header_at(b + start, e.name_size, loaded);
#else
        e.id = classify_header_at(b + start, e.name_size, start + 16 <= len);
#endif
        if (e.id == header_id::other && !is_token(std::string_view(b + start, e.name_size))) {
            note(error_code::malformed_header_line);
            continue;
        }
        std::size_t v = colon + 1;
        std::size_t ve = value_end;
        while (v < ve && char_is(b[v], cc_lws)) {
            ++v;
        }
        while (ve > v && char_is(b[ve - 1], cc_lws)) {
            --ve;
        }
        e.value_off = uint32_t(v);
        e.value_size = uint32_t(ve - v);
        e.raw_size = uint32_t(pos - start);
        e.folded = folded;
        h.folds = h.folds || folded;
        if (controls && h.scan_note == error_code::none) {
            // Kept in the index (the fields of an answer are read from it) but never delivered.
            h.scan_note = error_code::control_character;
            h.note_id = e.id;
            h.note_name = std::string_view(b + start, e.name_size);
        }
        if (e.id != header_id::other) {
            const std::size_t k = std::size_t(e.id);
            if (h.first[k] == 0) {
                h.first[k] = uint16_t(h.lines.size() + 1);
            }
            if (h.counts[k] < 255) {
                ++h.counts[k];
            }
        }
        h.lines.push_back(e);
    }
    if (!header_end) {
        note(error_code::missing_header_end);
    }
    h.head_size = pos;
}

}  // namespace

void scan_head(std::string_view all, std::size_t pos, const parse_limits& lim, head_scan& h) {
    std::size_t control = no_control;
    const std::size_t nl = find_line_end(all, pos, control);
    if (nl == all.size()) {
        h.fatal = error_code::malformed_start_line;
        return;
    }
    std::size_t line_end = nl;
    if (line_end > pos && all[line_end - 1] == '\r') {
        --line_end;
    }
    if (line_end - pos > lim.max_line_length) {
        h.fatal = error_code::line_too_long;
    } else {
        h.start_line = all.substr(pos, line_end - pos);
        scan_start_line(h.start_line, h);
        // RFC 3261 §25.1: a bare CR, a NUL or another CTL in a start line. A request is still
        // answered (400); a response is dropped.
        if (control < line_end && h.fatal == error_code::none) {
            if (!h.request) {
                h.fatal = error_code::malformed_status_line;
            } else if (h.start_note == error_code::none) {
                h.start_note = error_code::malformed_start_line;
            }
        }
    }
    scan_headers(all, nl + 1, lim, h);
}

}  // namespace sbc::sip::detail
