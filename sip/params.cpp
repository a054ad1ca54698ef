#include "sip/params.hpp"

#include "sip/param_scan.hpp"
#include "sip/text.hpp"

namespace sbc::sip {

std::string param::unquoted() const {
    return unquote(value);
}

param_list::iterator::iterator(std::string_view rest, char sep)
    : rest_(rest), sep_(sep), done_(false) {
    load();
}

param_list::iterator& param_list::iterator::operator++() {
    load();
    return *this;
}

namespace {

// One lenient read of the next parameter of `s` (see param_list::iterator::load): `ends_name`
// stops a name ("=", separator, LWS), `ends_value` an unquoted value (separator, LWS). Returns
// where the rest of the list starts, or npos when there are no more parameters.
template <class EndsName, class EndsValue>
std::size_t read_param(std::string_view s, char sep, param& out, EndsName ends_name,
                       EndsValue ends_value) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n && (s[i] == sep || is_lws(s[i]))) {
        ++i;
    }
    if (i == n) {
        return std::string_view::npos;
    }
    const std::size_t name_start = i;
    while (i < n && !ends_name(s[i])) {
        ++i;
    }
    out = param{s.substr(name_start, i - name_start), {}, false};
    std::size_t j = i;
    while (j < n && is_lws(s[j])) {
        ++j;
    }
    if (j < n && s[j] == '=') {
        ++j;
        while (j < n && is_lws(s[j])) {
            ++j;
        }
        const std::size_t value_start = j;
        if (j < n && s[j] == '"') {
            const std::size_t q = quoted_string_length(s.substr(j));
            j = q == 0 ? n : j + q;
        } else {
            while (j < n && !ends_value(s[j])) {
                ++j;
            }
        }
        out.value = s.substr(value_start, j - value_start);
        out.has_value = true;
        i = j;
    }
    // Anything up to the next separator belongs to this (malformed) parameter; skip it.
    while (i < n && s[i] != sep) {
        if (s[i] == '"') {
            const std::size_t q = quoted_string_length(s.substr(i));
            i = q == 0 ? n : i + q;
        } else {
            ++i;
        }
    }
    return i;
}

std::size_t read_param(std::string_view s, char sep, param& out) {
    // Stop sets from the character table for the usual separators, a generic test otherwise.
    if (sep == ';') {
        return read_param(
            s, sep, out, [](char c) { return char_is(c, detail::cc_name_end_semi); },
            [](char c) { return char_is(c, detail::cc_value_end_semi); });
    }
    if (sep == ',') {
        return read_param(
            s, sep, out, [](char c) { return char_is(c, detail::cc_name_end_comma); },
            [](char c) { return char_is(c, detail::cc_value_end_comma); });
    }
    return read_param(
        s, sep, out, [sep](char c) { return c == '=' || c == sep || is_lws(c); },
        [sep](char c) { return c == sep || is_lws(c); });
}

}  // namespace

// Reads the next parameter from rest_: skips separators and LWS, then name [LWS "=" LWS value].
// Lenient: the text need not be well formed (see well_formed()).
void param_list::iterator::load() {
    const std::size_t next = read_param(rest_, sep_, current_);
    if (next == std::string_view::npos) {
        done_ = true;
        rest_ = {};
        return;
    }
    rest_ = rest_.substr(next);
}

std::optional<param> param_list::find(std::string_view name) const {
    std::string_view rest = text_;
    param p;
    for (;;) {
        const std::size_t next = read_param(rest, sep_, p);
        if (next == std::string_view::npos) {
            return std::nullopt;
        }
        if (iequals(p.name, name)) {
            return p;
        }
        rest = rest.substr(next);
    }
}

std::optional<std::string_view> param_list::value(std::string_view name) const {
    auto p = find(name);
    if (!p) {
        return std::nullopt;
    }
    return p->value;
}

std::optional<std::string_view> param_list::bare_value(std::string_view name) const {
    auto p = find(name);
    if (!p) {
        return std::nullopt;
    }
    return strip_quotes(p->value);
}

bool param_list::well_formed() const {
    return detail::scan_params(text_, sep_, detail::any_param);
}

}  // namespace sbc::sip
