#include "sip/params.hpp"

#include "sip/param_scan.hpp"
#include "sip/scan.hpp"
#include "sip/text.hpp"

namespace sbc::sip {

std::string param::unquoted() const {
    return unquote(value);
}

param_list::iterator::iterator(std::string_view rest, char sep, bool padded)
    : rest_(rest), sep_(sep), done_(false), padded_(padded) {
    load();
}

param_list::iterator& param_list::iterator::operator++() {
    load();
    return *this;
}

namespace {

using detail::bounds;

// Where param_list's lenient reader stops: a name at "=", the separator or LWS; an unquoted value
// at the separator or LWS; skipped junk at the separator or a quote.
struct stop_sets {
    const detail::class_set& name_end;
    const detail::class_set& value_end;
    const detail::class_set& skip_end;
};

constexpr stop_sets semi_stops{detail::k_name_end_semi, detail::k_value_end_semi,
                               detail::k_semi_quote};
constexpr stop_sets comma_stops{detail::k_name_end_comma, detail::k_value_end_comma,
                                detail::k_comma_quote};

// One lenient read of the next parameter of `s` (see param_list::iterator::load). Returns where
// the rest of the list starts, or npos when there are no more parameters.
std::size_t read_param(std::string_view s, char sep, param& out, const stop_sets& stops, bounds b) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n && (s[i] == sep || is_lws(s[i]))) {
        ++i;
    }
    if (i == n) {
        return std::string_view::npos;
    }
    const std::size_t name_start = i;
    i = detail::first_in(s, i, stops.name_end, b);
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
            const std::size_t q = detail::quoted_length(s.substr(j), b);
            j = q == 0 ? n : j + q;
        } else {
            j = detail::first_in(s, j, stops.value_end, b);
        }
        out.value = s.substr(value_start, j - value_start);
        out.has_value = true;
        i = j;
    }
    // Anything up to the next separator belongs to this (malformed) parameter; skip it.
    while (i < n && s[i] != sep) {
        if (s[i] == '"') {
            const std::size_t q = detail::quoted_length(s.substr(i), b);
            i = q == 0 ? n : i + q;
        } else {
            i = detail::first_in(s, i, stops.skip_end, b);
        }
    }
    return i;
}

// Any other separator: the same reader with plain tests.
std::size_t read_param_generic(std::string_view s, char sep, param& out) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n && (s[i] == sep || is_lws(s[i]))) {
        ++i;
    }
    if (i == n) {
        return std::string_view::npos;
    }
    const std::size_t name_start = i;
    while (i < n && s[i] != '=' && s[i] != sep && !is_lws(s[i])) {
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
            while (j < n && s[j] != sep && !is_lws(s[j])) {
                ++j;
            }
        }
        out.value = s.substr(value_start, j - value_start);
        out.has_value = true;
        i = j;
    }
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

std::size_t read_param(std::string_view s, char sep, param& out, bool padded) {
    const bounds b = padded ? bounds::padded : bounds::exact;
    if (sep == ';') {
        return read_param(s, sep, out, semi_stops, b);
    }
    if (sep == ',') {
        return read_param(s, sep, out, comma_stops, b);
    }
    return read_param_generic(s, sep, out);
}

}  // namespace

// Reads the next parameter from rest_: skips separators and LWS, then name [LWS "=" LWS value].
// Lenient: the text need not be well formed (see well_formed()).
void param_list::iterator::load() {
    const std::size_t next = read_param(rest_, sep_, current_, padded_);
    if (next == std::string_view::npos) {
        done_ = true;
        rest_ = {};
        return;
    }
    rest_ = rest_.substr(next);
}

namespace {

// The first parameter of `text` named `name` (case-insensitive) into `out`; false if none.
bool lookup(std::string_view text, char sep, bool padded, std::string_view name, param& out) {
    // The usual case first: the wanted parameter leads the list (";branch=...", ";tag=...") with
    // an unquoted value. read_param() would read the same name and value.
    const std::size_t n = name.size();
    const char* t = text.data();
    if (n != 0 && (sep == ';' || sep == ',') && text.size() > n + 1 && t[0] == sep &&
        t[n + 1] == '=') {
        bool same = true;
        for (std::size_t k = 0; k < n && same; ++k) {
            // A name with a stop character in it would not be read as one name.
            same = ascii_lower(t[k + 1]) == ascii_lower(name[k]) &&
                   !char_is(name[k], detail::cc_name_end_semi | detail::cc_name_end_comma);
        }
        const char next = text.size() == n + 2 ? '\0' : t[n + 2];
        if (same && next != '"' && !is_lws(next)) {
            const detail::class_set& value_end =
                sep == ';' ? detail::k_value_end_semi : detail::k_value_end_comma;
            const std::size_t end =
                detail::first_in(text, n + 2, value_end, padded ? bounds::padded : bounds::exact);
            out.name = std::string_view(t + 1, n);
            out.value = std::string_view(t + n + 2, end - (n + 2));
            out.has_value = true;
            return true;
        }
    }
    std::string_view rest = text;
    for (;;) {
        const std::size_t next = read_param(rest, sep, out, padded);
        if (next == std::string_view::npos) {
            return false;
        }
        if (iequals(out.name, name)) {
            return true;
        }
        rest = rest.substr(next);
    }
}

}  // namespace

std::optional<param> param_list::find(std::string_view name) const {
    if (text_.empty()) {
        return std::nullopt;  // e.g. a To without tag
    }
    param p;
    if (first_name_size_ == name.size() && first_name_size_ != 0 &&
        iequals(text_.substr(first_name_at_, first_name_size_), name)) {
        p.name = text_.substr(first_name_at_, first_name_size_);
        p.has_value = first_value_at_ != 0;
        p.value =
            p.has_value ? text_.substr(first_value_at_, first_value_size_) : std::string_view{};
        return p;
    }
    if (lookup(text_, sep_, padded_, name, p)) {
        return p;
    }
    return std::nullopt;
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
