// CSeq, digest auth, RFC 4028/3262/6665/3326 headers, media types, Privacy.
#include "sip/headers.hpp"
#include "sip/text.hpp"

namespace sbc::sip {
namespace {

std::size_t skip_lws(std::string_view s, std::size_t i) {
    while (i < s.size() && is_lws(s[i])) {
        ++i;
    }
    return i;
}

std::size_t read_token(std::string_view s, std::size_t i) {
    while (i < s.size() && is_token_char(s[i])) {
        ++i;
    }
    return i;
}

std::size_t read_digits(std::string_view s, std::size_t i) {
    while (i < s.size() && is_digit(s[i])) {
        ++i;
    }
    return i;
}

bool valid_params(std::string_view rest) {
    rest = trim_lws(rest);
    return rest.empty() || (rest[0] == ';' && param_list(rest).well_formed());
}

std::optional<uint32_t> uint_param(const param_list& p, std::string_view name) {
    auto v = p.value(name);
    if (!v) {
        return std::nullopt;
    }
    auto n = parse_uint(*v, UINT32_MAX);
    return n ? std::optional<uint32_t>(uint32_t(*n)) : std::nullopt;
}

// "<digits> [;params]" shared by the delta-seconds headers.
result<delta_seconds> parse_number_and_params(std::string_view value, error_code err) {
    std::string_view s = trim_lws(value);
    std::size_t end = read_digits(s, 0);
    // RFC 3261 §20.19/§20.22: delta-seconds; values beyond 2^32-1 are clamped per §20.19 spirit
    // but a 10+ digit overflow is treated as malformed (no legitimate use).
    auto n = parse_uint(s.substr(0, end), UINT32_MAX);
    if (!n || !valid_params(s.substr(end))) {
        return err;
    }
    return delta_seconds{uint32_t(*n), param_list(trim_lws(s.substr(end)))};
}

}  // namespace

result<cseq> parse_cseq(std::string_view value) {
    std::string_view s = trim_lws(value);
    // The usual form: digits, one space, a method token to the end.
    const std::size_t sp = s.find(' ');
    if (sp != std::string_view::npos && sp != 0 && sp < 10 && sp + 1 < s.size()) {
        uint32_t number = 0;
        std::size_t k = 0;
        while (k < sp && is_digit(s[k])) {
            number = number * 10 + uint32_t(s[k] - '0');
            ++k;
        }
        const std::string_view method = s.substr(sp + 1);
        if (k == sp && is_token(method)) {
            return cseq{number, method, classify_method(method)};
        }
    }
    std::size_t end = read_digits(s, 0);
    // RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer (< 2^31 when chosen).
    auto n = parse_uint(s.substr(0, end), UINT32_MAX);
    if (!n) {
        return error_code::malformed_cseq;
    }
    std::size_t i = skip_lws(s, end);
    if (i == end) {
        return error_code::malformed_cseq;
    }
    std::size_t m = read_token(s, i);
    if (m == i || m != s.size()) {
        return error_code::malformed_cseq;
    }
    cseq c;
    c.number = uint32_t(*n);
    c.method = s.substr(i, m - i);
    c.kind = classify_method(c.method);
    return c;
}

result<auth_value> parse_auth(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t end = read_token(s, 0);
    if (end == 0) {
        return error_code::malformed_authorization;
    }
    auth_value a;
    a.scheme = s.substr(0, end);
    std::size_t i = skip_lws(s, end);
    if (i == end && i != s.size()) {
        return error_code::malformed_authorization;
    }
    a.params = param_list(s.substr(i), ',');
    if (!a.params.well_formed()) {
        return error_code::malformed_authorization;
    }
    return a;
}

std::string_view auth_value::get(std::string_view name) const {
    return params.bare_value(name).value_or("");
}

bool auth_value::stale() const {
    return iequals(get("stale"), "true");
}

result<session_expires> parse_session_expires(std::string_view value) {
    auto d = parse_number_and_params(value, error_code::malformed_header);
    if (!d) {
        return d.error();
    }
    session_expires se;
    se.delta = d->value;
    se.params = d->params;
    if (auto r = se.params.value("refresher")) {
        if (iequals(*r, "uac")) {
            se.who = refresher::uac;
        } else if (iequals(*r, "uas")) {
            se.who = refresher::uas;
        } else {
            return error_code::malformed_header;
        }
    }
    return se;
}

result<delta_seconds> parse_delta_seconds(std::string_view value) {
    return parse_number_and_params(value, error_code::malformed_header);
}

result<rack> parse_rack(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t e1 = read_digits(s, 0);
    auto rseq = parse_uint(s.substr(0, e1), UINT32_MAX);
    std::size_t i = skip_lws(s, e1);
    std::size_t e2 = read_digits(s, i);
    auto cseq = parse_uint(s.substr(i, e2 - i), UINT32_MAX);
    std::size_t j = skip_lws(s, e2);
    std::size_t e3 = read_token(s, j);
    if (!rseq || !cseq || i == e1 || j == e2 || e3 == j || e3 != s.size()) {
        return error_code::malformed_header;
    }
    return rack{uint32_t(*rseq), uint32_t(*cseq), s.substr(j, e3 - j)};
}

result<event> parse_event(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t end = read_token(s, 0);
    if (end == 0 || !valid_params(s.substr(end))) {
        return error_code::malformed_header;
    }
    return event{s.substr(0, end), param_list(trim_lws(s.substr(end)))};
}

std::string_view event::id() const {
    return params.bare_value("id").value_or("");
}

result<subscription_state> parse_subscription_state(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t end = read_token(s, 0);
    if (end == 0 || !valid_params(s.substr(end))) {
        return error_code::malformed_header;
    }
    return subscription_state{s.substr(0, end), param_list(trim_lws(s.substr(end)))};
}

std::optional<uint32_t> subscription_state::expires() const {
    return uint_param(params, "expires");
}
std::string_view subscription_state::reason() const {
    return params.value("reason").value_or("");
}
std::optional<uint32_t> subscription_state::retry_after() const {
    return uint_param(params, "retry-after");
}

result<retry_after> parse_retry_after(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t end = read_digits(s, 0);
    auto n = parse_uint(s.substr(0, end), UINT32_MAX);
    if (!n) {
        return error_code::malformed_header;
    }
    retry_after r;
    r.delta = uint32_t(*n);
    std::size_t i = skip_lws(s, end);
    if (i < s.size() && s[i] == '(') {
        // comment: nested parentheses and quoted-pairs (RFC 3261 §25.1)
        int depth = 0;
        std::size_t j = i;
        for (; j < s.size(); ++j) {
            if (s[j] == '\\') {
                ++j;
            } else if (s[j] == '(') {
                ++depth;
            } else if (s[j] == ')' && --depth == 0) {
                break;
            }
        }
        if (j >= s.size()) {
            return error_code::malformed_header;
        }
        r.comment = s.substr(i, j + 1 - i);
        i = j + 1;
    }
    if (!valid_params(s.substr(i))) {
        return error_code::malformed_header;
    }
    r.params = param_list(trim_lws(s.substr(i)));
    return r;
}

std::optional<uint32_t> retry_after::duration() const {
    return uint_param(params, "duration");
}

result<reason> parse_reason(std::string_view element) {
    std::string_view s = trim_lws(element);
    std::size_t end = read_token(s, 0);
    if (end == 0 || !valid_params(s.substr(end))) {
        return error_code::malformed_header;
    }
    return reason{s.substr(0, end), param_list(trim_lws(s.substr(end)))};
}

std::optional<uint32_t> reason::cause() const {
    return uint_param(params, "cause");
}
std::string_view reason::text() const {
    return params.bare_value("text").value_or("");
}

result<media_type> parse_media_type(std::string_view value) {
    std::string_view s = trim_lws(value);
    std::size_t t = read_token(s, 0);
    std::size_t i = skip_lws(s, t);
    if (t == 0 || i >= s.size() || s[i] != '/') {
        return error_code::malformed_content_type;
    }
    i = skip_lws(s, i + 1);
    std::size_t st = read_token(s, i);
    if (st == i || !valid_params(s.substr(st))) {
        return error_code::malformed_content_type;
    }
    return media_type{s.substr(0, t), s.substr(i, st - i), param_list(trim_lws(s.substr(st)))};
}

bool media_type::is(std::string_view t, std::string_view s) const {
    return iequals(type, t) && iequals(subtype, s);
}

std::string_view media_type::boundary() const {
    return params.bare_value("boundary").value_or("");
}

std::vector<std::string_view> parse_privacy(std::string_view value) {
    std::vector<std::string_view> out;
    std::string_view s = trim_lws(value);
    while (!s.empty()) {
        std::size_t semi = s.find(';');
        std::string_view v = trim_lws(s.substr(0, semi));
        if (!v.empty()) {
            out.push_back(v);
        }
        if (semi == std::string_view::npos) {
            break;
        }
        s = s.substr(semi + 1);
    }
    return out;
}

}  // namespace sbc::sip
