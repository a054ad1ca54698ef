// The first pass: start line, header boundaries and names, the headers every element needs, and
// the body by Content-Length. Lazy header access lives in message_lazy.cpp.
#include <cstring>

#include "sip/message.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

constexpr uint16_t absent_index = UINT16_MAX;

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

// RFC 3261 §23.3 word: the Call-ID is word ["@" word], no whitespace.
bool valid_call_id(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    int at = 0;
    for (char c : s) {
        if (c == '@') {
            ++at;
            continue;
        }
        if (is_token_char(c)) {
            continue;
        }
        switch (c) {
            case '(':
            case ')':
            case '<':
            case '>':
            case ':':
            case '\\':
            case '"':
            case '/':
            case '[':
            case ']':
            case '?':
            case '{':
            case '}':
                continue;
            default:
                return false;
        }
    }
    return at <= 1 && s.front() != '@' && s.back() != '@';
}

}  // namespace

const header_field* message::find(header_id id) const {
    if (id == header_id::other) {
        return nullptr;
    }
    uint16_t i = first_[std::size_t(id)];
    return i == absent_index ? nullptr : &headers_[i];
}

const header_field* message::find(std::string_view name) const {
    header_id id = classify_header(name);
    if (id != header_id::other) {
        return find(id);
    }
    for (const header_field& h : headers_) {
        if (h.id == header_id::other && iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

std::size_t message::count(header_id id) const {
    std::size_t n = 0;
    uint16_t start = id == header_id::other ? 0 : first_[std::size_t(id)];
    if (start == absent_index) {
        return 0;
    }
    for (std::size_t i = start; i < headers_.size(); ++i) {
        n += headers_[i].id == id ? 1 : 0;
    }
    return n;
}

result<message, parse_error> parse(std::string_view bytes, const parse_options& options) {
    if (bytes.size() > options.limits.max_message_bytes) {
        return parse_error{error_code::message_too_large, false};
    }
    auto buf = std::make_unique_for_overwrite<char[]>(bytes.size() + 1);
    if (!bytes.empty()) {
        std::memcpy(buf.get(), bytes.data(), bytes.size());
    }
    buf[bytes.size()] = '\0';
    return parse(std::move(buf), bytes.size(), options);
}

result<message, parse_error> parse(std::unique_ptr<char[]> buffer, std::size_t len,
                                   const parse_options& options) {
    const parse_limits& lim = options.limits;
    if (len > lim.max_message_bytes) {
        return parse_error{error_code::message_too_large, false};
    }
    message m;
    m.buf_ = std::move(buffer);
    m.first_.fill(absent_index);
    const char* b = m.buf_.get();
    std::string_view all(b, len);

    // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives on streams).
    std::size_t pos = 0;
    while (pos < len && (b[pos] == '\r' || b[pos] == '\n')) {
        ++pos;
    }
    if (pos == len) {
        return parse_error{error_code::empty_message, false};
    }

    error_code first_error = error_code::none;
    auto note = [&](error_code e) {
        if (first_error == error_code::none) {
            first_error = e;
        }
    };

    // ---- start line ----
    const char* nl = static_cast<const char*>(std::memchr(b + pos, '\n', len - pos));
    if (nl == nullptr) {
        return parse_error{error_code::malformed_start_line, false};
    }
    std::size_t line_end = std::size_t(nl - b);
    std::size_t next = line_end + 1;
    if (line_end > pos && b[line_end - 1] == '\r') {
        --line_end;
    }
    if (line_end - pos > lim.max_line_length) {
        return parse_error{error_code::line_too_long, false};
    }
    std::string_view line = all.substr(pos, line_end - pos);
    m.start_line_ = line;
    if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        m.request_ = false;
        std::size_t sp = line.find(' ');
        if (sp == std::string_view::npos || line.size() < sp + 4) {
            return parse_error{error_code::malformed_status_line, false};
        }
        m.version_ = line.substr(0, sp);
        auto code = parse_uint(line.substr(sp + 1, 3), 999);
        if (!code || *code < 100 || (line.size() > sp + 4 && line[sp + 4] != ' ')) {
            return parse_error{error_code::malformed_status_line, false};
        }
        m.status_ = uint16_t(*code);
        m.reason_ = line.size() > sp + 5 ? line.substr(sp + 5) : std::string_view{};
        if (!is_version_2_0(m.version_)) {
            return parse_error{is_sip_version(m.version_) ? error_code::unsupported_version
                                                          : error_code::malformed_status_line,
                               false};
        }
    } else {
        // Request-Line = Method SP Request-URI SP SIP-Version
        m.request_ = true;
        std::size_t sp1 = line.find(' ');
        std::size_t sp2 = line.rfind(' ');
        if (sp1 == std::string_view::npos || sp2 == sp1) {
            return parse_error{error_code::malformed_start_line, false};
        }
        m.method_ = line.substr(0, sp1);
        if (!is_token(m.method_)) {
            return parse_error{error_code::malformed_method, false};
        }
        m.method_kind_ = classify_method(m.method_);
        m.ruri_text_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
        m.version_ = line.substr(sp2 + 1);
        if (!is_version_2_0(m.version_)) {
            note(is_sip_version(m.version_) ? error_code::unsupported_version
                                            : error_code::malformed_start_line);
        }
        auto u = parse_uri(m.ruri_text_);
        // RFC 3261 §19.1.1 (Table 1): headers are not allowed in a Request-URI.
        if (!u || !u->headers.empty()) {
            note(error_code::malformed_request_uri);
        } else if (u->scheme == uri_scheme::other && !iequals(u->scheme_name, "urn")) {
            // sip, sips, tel, and urn (RFC 5031 service URNs for emergency calls) are routable.
            note(error_code::unsupported_uri_scheme);
        } else {
            m.ruri_ = *u;
        }
    }

    // ---- header lines ----
    pos = next;
    m.headers_.reserve(24);
    bool header_end = false;
    std::array<uint8_t, header_id_count> counts{};
    while (pos < len) {
        if (b[pos] == '\n' || (b[pos] == '\r' && pos + 1 < len && b[pos + 1] == '\n')) {
            pos += b[pos] == '\n' ? 1 : 2;
            header_end = true;
            break;
        }
        std::size_t start = pos;
        // A header line ends at a line end not followed by SP/HT (RFC 3261 §7.3.1 folding).
        std::size_t value_end;
        while (true) {
            nl = static_cast<const char*>(std::memchr(b + pos, '\n', len - pos));
            if (nl == nullptr) {
                value_end = len;
                pos = len;
                break;
            }
            std::size_t at = std::size_t(nl - b);
            pos = at + 1;
            if (pos < len && (b[pos] == ' ' || b[pos] == '\t')) {
                continue;
            }
            value_end = at > start && b[at - 1] == '\r' ? at - 1 : at;
            break;
        }
        if (value_end - start > lim.max_line_length) {
            note(error_code::line_too_long);
            break;
        }
        if (m.headers_.size() >= lim.max_headers) {
            note(error_code::too_many_headers);
            break;
        }
        std::string_view hline = all.substr(start, value_end - start);
        // field-name = token, then HCOLON = *( SP / HTAB ) ":" SWS
        std::size_t name_end = 0;
        while (name_end < hline.size() && is_token_char(hline[name_end])) {
            ++name_end;
        }
        std::size_t colon = name_end;
        while (colon < hline.size() && (hline[colon] == ' ' || hline[colon] == '\t')) {
            ++colon;
        }
        if (name_end == 0 || colon == hline.size() || hline[colon] != ':') {
            note(error_code::malformed_header_line);
            continue;
        }
        header_field h;
        h.name = hline.substr(0, name_end);
        h.value = trim_lws(hline.substr(colon + 1));
        h.raw = all.substr(start, pos - start);
        h.id = classify_header(h.name);
        if (h.id != header_id::other) {
            std::size_t k = std::size_t(h.id);
            if (m.first_[k] == absent_index) {
                m.first_[k] = uint16_t(m.headers_.size());
            }
            if (counts[k] < 255) {
                ++counts[k];
            }
        }
        m.headers_.push_back(h);
    }
    if (!header_end && first_error == error_code::none) {
        note(error_code::missing_header_end);
    }
    m.head_size_ = pos;

    // ---- the headers every element needs (RFC 3261 §8.1.1) ----
    error_code mandatory = error_code::none;
    auto fail = [&](error_code e) {
        if (mandatory == error_code::none) {
            mandatory = e;
        }
    };
    auto once = [&](header_id id) { return counts[std::size_t(id)] <= 1; };
    if (const header_field* v = m.find(header_id::via)) {
        comma_list list(v->value);
        auto it = list.begin();
        auto top = it == list.end() ? result<via>(error_code::malformed_via) : parse_via(*it);
        if (top) {
            m.top_via_ = *top;
        } else {
            fail(error_code::malformed_via);
        }
    } else {
        fail(error_code::missing_via);
    }
    auto addr = [&](header_id id, name_addr& out, error_code missing, error_code bad) {
        const header_field* h = m.find(id);
        if (h == nullptr) {
            fail(missing);
            return;
        }
        auto na = parse_name_addr(h->value);
        if (!na || !once(id)) {
            fail(!na ? bad : error_code::duplicate_header);
            return;
        }
        out = *na;
    };
    addr(header_id::from, m.from_, error_code::missing_from, error_code::malformed_from);
    addr(header_id::to, m.to_, error_code::missing_to, error_code::malformed_to);
    if (const header_field* h = m.find(header_id::call_id)) {
        if (!valid_call_id(h->value)) {
            fail(error_code::malformed_call_id);
        } else if (!once(header_id::call_id)) {
            fail(error_code::duplicate_header);
        } else {
            m.call_id_ = h->value;
        }
    } else {
        fail(error_code::missing_call_id);
    }
    if (const header_field* h = m.find(header_id::cseq)) {
        auto c = parse_cseq(h->value);
        if (!c) {
            fail(error_code::malformed_cseq);
        } else if (!once(header_id::cseq)) {
            fail(error_code::duplicate_header);
        } else {
            m.cseq_ = *c;
            // §8.1.1.5: the CSeq method matches the request method (case-sensitive).
            if (m.request_ && !m.method_.empty() && c->method != m.method_) {
                note(error_code::cseq_method_mismatch);
            }
        }
    } else {
        fail(error_code::missing_cseq);
    }
    bool response_possible = m.request_ && mandatory == error_code::none;
    if (first_error != error_code::none) {
        return parse_error{first_error, response_possible};
    }
    if (mandatory != error_code::none) {
        return parse_error{mandatory, response_possible};
    }

    // ---- body ----
    std::size_t available = len - m.head_size_;
    if (const header_field* h = m.find(header_id::content_length)) {
        auto n = parse_uint(h->value, lim.max_message_bytes);
        if (!n || !once(header_id::content_length)) {
            return parse_error{
                !n ? error_code::malformed_content_length : error_code::duplicate_header,
                response_possible};
        }
        m.content_length_ = uint32_t(*n);
        if (*n > available) {
            return parse_error{error_code::body_shorter_than_content_length, response_possible};
        }
        // RFC 3261 §18.3: bytes past Content-Length in a datagram are discarded.
        m.trailing_ = available - *n;
        m.body_ = all.substr(m.head_size_, *n);
    } else if (options.how == framing::stream) {
        return parse_error{error_code::missing_content_length, response_possible};
    } else {
        m.body_ = all.substr(m.head_size_);
    }
    if (counts[std::size_t(header_id::content_type)] > 1 ||
        counts[std::size_t(header_id::max_forwards)] > 1) {
        return parse_error{error_code::duplicate_header, response_possible};
    }
    m.size_ = m.head_size_ + m.body_.size();
    return m;
}

}  // namespace sbc::sip
