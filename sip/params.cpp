#include "sip/params.hpp"

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

// Reads the next parameter from rest_: skips separators and LWS, then name [LWS "=" LWS value].
void param_list::iterator::load() {
    std::string_view s = rest_;
    std::size_t i = 0;
    while (i < s.size() && (is_lws(s[i]) || s[i] == sep_)) {
        ++i;
    }
    if (i == s.size()) {
        done_ = true;
        rest_ = {};
        return;
    }
    std::size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != sep_ && !is_lws(s[i])) {
        ++i;
    }
    current_ = param{s.substr(name_start, i - name_start), {}, false};
    std::size_t j = i;
    while (j < s.size() && is_lws(s[j])) {
        ++j;
    }
    if (j < s.size() && s[j] == '=') {
        ++j;
        while (j < s.size() && is_lws(s[j])) {
            ++j;
        }
        std::size_t value_start = j;
        if (j < s.size() && s[j] == '"') {
            std::size_t q = quoted_string_length(s.substr(j));
            j = q == 0 ? s.size() : j + q;
        } else {
            while (j < s.size() && s[j] != sep_ && !is_lws(s[j])) {
                ++j;
            }
        }
        current_.value = s.substr(value_start, j - value_start);
        current_.has_value = true;
        i = j;
    }
    // Anything up to the next separator belongs to this (malformed) parameter; skip it.
    while (i < s.size() && s[i] != sep_) {
        if (s[i] == '"') {
            std::size_t q = quoted_string_length(s.substr(i));
            i = q == 0 ? s.size() : i + q;
        } else {
            ++i;
        }
    }
    rest_ = s.substr(i);
}

std::optional<param> param_list::find(std::string_view name) const {
    for (const param& p : *this) {
        if (iequals(p.name, name)) {
            return p;
        }
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

namespace {
// host chars in a param value: IPv6 references and the token set cover what appears there.
bool is_param_value_char(char c) {
    return is_token_char(c) || c == '[' || c == ']' || c == ':' || c == '/' || c == '@' ||
           c == '?' || c == '<' || c == '>' || c == '&' || c == '$' || c == '(' || c == ')';
}
}  // namespace

bool param_list::well_formed() const {
    std::string_view s = text_;
    std::size_t i = 0;
    auto skip_lws = [&] {
        while (i < s.size() && is_lws(s[i])) {
            ++i;
        }
    };
    skip_lws();
    if (i < s.size() && s[i] == sep_) {
        ++i;  // a list may start at its first separator (";a=b") or at a name (digest "a=b")
    }
    while (true) {
        skip_lws();
        if (i == s.size()) {
            return true;
        }
        std::size_t ns = i;
        while (i < s.size() && is_token_char(s[i])) {
            ++i;
        }
        if (i == ns) {
            return false;
        }
        skip_lws();
        if (i < s.size() && s[i] == '=') {
            ++i;
            skip_lws();
            if (i < s.size() && s[i] == '"') {
                std::size_t q = quoted_string_length(s.substr(i));
                if (q == 0) {
                    return false;
                }
                i += q;
            } else {
                std::size_t vs = i;
                while (i < s.size() && is_param_value_char(s[i])) {
                    ++i;
                }
                if (i == vs) {
                    return false;
                }
            }
            skip_lws();
        }
        if (i == s.size()) {
            return true;
        }
        if (s[i] != sep_) {
            return false;
        }
        ++i;
        skip_lws();
        if (i == s.size()) {
            return false;  // trailing separator
        }
    }
}

}  // namespace sbc::sip
