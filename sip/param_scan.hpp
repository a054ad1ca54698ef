#pragma once
// Internal to sip/: one pass over a generic-param list that checks its grammar and hands each
// parameter to a typed check, so that a header is validated and its interpreted parameters
// (Via branch/rport, Contact expires/q) are checked without a second scan.

#include <string_view>

#include "sip/scan.hpp"
#include "sip/text.hpp"

namespace sbc::sip::detail {

// Grammar of param_list::well_formed(): an optional leading separator, then
// `token [LWS "=" LWS (quoted-string / 1*param-value-char)]` separated by `sep` with LWS around,
// no trailing separator. `on_param(name, value, has_value)` sees each parameter (value as written)
// and returns false to reject the list. Returns false on the first fault.
// Length of the quoted-string at s[0] == '"' including both quotes, or 0 if unterminated
// (quoted_string_length() with the padded search).
inline std::size_t quoted_length(std::string_view s, bounds b) {
    const std::size_t close = find_in(s, 1, '"', b);
    if (close == s.size()) {
        return 0;
    }
    if (find_in(s.substr(0, close), 1, '\\', b) == close) {
        return close + 1;
    }
    return quoted_string_length(s);
}

template <class F>
bool scan_params(std::string_view s, char sep, F&& on_param, bounds b = bounds::exact) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    auto skip_lws = [&] {
        while (i < n && is_lws(s[i])) {
            ++i;
        }
    };
    skip_lws();
    if (i < n && s[i] == sep) {
        ++i;  // a list may start at its first separator (";a=b") or at a name (digest "a=b")
    }
    while (true) {
        skip_lws();
        if (i == n) {
            return true;
        }
        const std::size_t name_start = i;
        i = span_end(s, i, k_token, b);
        if (i == name_start) {
            return false;
        }
        const std::string_view name = s.substr(name_start, i - name_start);
        std::string_view value;
        bool has_value = false;
        skip_lws();
        if (i < n && s[i] == '=') {
            ++i;
            skip_lws();
            const std::size_t value_start = i;
            if (i < n && s[i] == '"') {
                const std::size_t q = quoted_length(s.substr(i), b);
                if (q == 0) {
                    return false;
                }
                i += q;
            } else {
                i = span_end(s, i, k_param_value, b);
                if (i == value_start) {
                    return false;
                }
            }
            value = s.substr(value_start, i - value_start);
            has_value = true;
            skip_lws();
        }
        if (!on_param(name, value, has_value)) {
            return false;
        }
        if (i == n) {
            return true;
        }
        if (s[i] != sep) {
            return false;
        }
        ++i;
        skip_lws();
        if (i == n) {
            return false;  // trailing separator
        }
    }
}

// Header params after an element: empty, or ';'-separated well-formed params. `rest` is the text
// after the element; its LWS-trimmed form is what the element's param_list keeps.
template <class F>
bool scan_header_params(std::string_view rest, F&& on_param, bounds b = bounds::exact) {
    return rest.empty() || (rest[0] == ';' && scan_params(rest, ';', on_param, b));
}

inline constexpr auto any_param = [](std::string_view, std::string_view, bool) { return true; };

}  // namespace sbc::sip::detail
