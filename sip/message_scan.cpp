// The first scan of parse(): the start line, then the header lines (SSE2 search for the line end
// and the colon), names classified 16 bytes at a time, then one pass over the head for control
// characters (RFC 3261 §25.1). Offsets only: message.cpp copies the text and validates the
// headers every element needs.
#include "sip/message_scan.hpp"

#include <algorithm>

#include "sip/header_index.hpp"
#include "sip/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sbc::sip::detail {
namespace {

// Bytes < 0x20, DEL and >= 0x80: in a head of printable ASCII, the line ends only.
constexpr bool is_unusual(char c) {
    const auto u = uint8_t(c);
    return u < 0x20 || u >= 0x7f;
}

// How many bytes of p[from, to) are unusual, 64 bytes a round: outside [0x20, 0x7e] is
// (x - 0x20) above 0x5e, unsigned; min(that excess, 1) counts in each lane, and the lanes are
// summed before any can pass 255.
std::size_t count_unusual(const char* p, std::size_t from, std::size_t to) {
    std::size_t n = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i span = _mm_set1_epi8(0x5e);
    const __m128i one = _mm_set1_epi8(1);
    auto hits = [&](std::size_t at) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
        return _mm_min_epu8(_mm_subs_epu8(_mm_sub_epi8(x, space), span), one);
    };
    auto sum = [&](__m128i lanes) {
        const __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());
        return std::size_t(_mm_cvtsi128_si32(sums)) + std::size_t(_mm_extract_epi16(sums, 4));
    };
    while (from + 64 <= to) {
        // 63 rounds add at most 252 to a lane.
        const std::size_t rounds = std::min<std::size_t>((to - from) / 64, 63);
        __m128i lanes = _mm_setzero_si128();
        for (std::size_t k = 0; k < rounds; ++k, from += 64) {
            lanes =
                _mm_add_epi8(lanes, _mm_add_epi8(_mm_add_epi8(hits(from), hits(from + 16)),
                                                 _mm_add_epi8(hits(from + 32), hits(from + 48))));
        }
        n += sum(lanes);
    }
    __m128i lanes = _mm_setzero_si128();
    for (; from + 16 <= to; from += 16) {
        lanes = _mm_add_epi8(lanes, hits(from));
    }
    n += sum(lanes);
#endif
    for (; from < to; ++from) {
        n += is_unusual(p[from]) ? 1 : 0;
    }
    return n;
}

// RFC 3261 §25.1: the only control characters a head may hold are the LF that ends each line
// (or folds it), the CR right before such an LF, and HTAB. When count_unusual() finds more than
// those line ends, this finds where (the start line, or the first header line holding one) and
// notes it. UTF-8 heads and heads with tabs come here too, and pass.
void find_controls(std::string_view all, head_scan& h) {
    if (find_control_char(h.start_line) != h.start_line.size()) {
        // A request is still answered (400); a response is dropped.
        if (!h.request) {
            h.fatal = error_code::malformed_status_line;
        } else if (h.start_note == error_code::none) {
            h.start_note = error_code::malformed_start_line;
        }
        return;
    }
    for (std::size_t i = 0; i < h.lines.size(); ++i) {
        const line_entry& e = h.lines[i];
        std::string_view line = all.substr(e.start, e.raw_size);
        if (line.ends_with('\n')) {
            line.remove_suffix(line.ends_with("\r\n") ? 2 : 1);
        }
        if (find_bare_control(line) != line.size()) {
            // Before any other fault of the header lines: the message is hostile.
            h.scan_note = error_code::control_character;
            h.note_id = e.id;
            h.note_name = std::string_view(all.data() + e.start, e.name_size);
            return;
        }
    }
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
    // The line ends stepped over, and those with a CR before them (for scan_head's check).
    std::size_t line_ends = 0;
    std::size_t crlf_ends = 0;
    while (pos < len) {
        if (b[pos] == '\n' || (b[pos] == '\r' && pos + 1 < len && b[pos + 1] == '\n')) {
            ++line_ends;
            crlf_ends += b[pos] == '\r' ? 1 : 0;
            pos += b[pos] == '\n' ? 1 : 2;
            header_end = true;
            break;
        }
        const std::size_t start = pos;
        std::size_t at;
        std::size_t colon = none;
#if defined(__SSE2__)
        // The line end and, for names shorter than 16 characters, the colon and the name's
        // classification from one load.
        __m128i chunk = _mm_setzero_si128();
        const bool loaded = pos + 16 <= len;
        if (loaded) {
            chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + pos));
            const unsigned lfs =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('\n'))));
            const unsigned colons =
                unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(':'))));
            if (colons != 0) {
                colon = pos + unsigned(__builtin_ctz(colons));
            }
            at = lfs != 0 ? pos + unsigned(__builtin_ctz(lfs)) : find_char(all, pos + 16, '\n');
        } else {
            at = find_char(all, pos, '\n');
        }
#else
        at = find_char(all, pos, '\n');
#endif
        std::size_t value_end;
        bool folded = false;
        while (true) {
            if (at == len) {
                value_end = len;
                pos = len;
                break;
            }
            ++line_ends;
            crlf_ends += b[at - 1] == '\r' ? 1 : 0;
            pos = at + 1;
            if (pos < len && (b[pos] == ' ' || b[pos] == '\t')) {
                folded = true;
                at = find_char(all, pos, '\n');
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
    h.line_ends += line_ends;
    h.crlf_ends += crlf_ends;
    h.head_size = pos;
}

}  // namespace

void scan_head(std::string_view all, std::size_t pos, const parse_limits& lim, head_scan& h) {
    const std::size_t nl = find_char(all, pos, '\n');
    if (nl == all.size()) {
        h.fatal = error_code::malformed_start_line;
        return;
    }
    std::size_t line_end = nl;
    if (line_end > pos && all[line_end - 1] == '\r') {
        --line_end;
    }
    const std::size_t start = pos;
    h.line_ends = 1;
    h.crlf_ends = line_end < nl ? 1 : 0;
    if (line_end - pos > lim.max_line_length) {
        h.fatal = error_code::line_too_long;
    } else {
        h.start_line = all.substr(pos, line_end - pos);
        scan_start_line(h.start_line, h);
    }
    scan_headers(all, nl + 1, lim, h);
    if (h.fatal == error_code::none &&
        count_unusual(all.data(), start, h.head_size) != h.line_ends + h.crlf_ends) {
        find_controls(all, h);
    }
}

}  // namespace sbc::sip::detail
