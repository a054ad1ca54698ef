#include "sip/text.hpp"

#include <cstring>

namespace sbc::sip {

std::size_t quoted_string_length(std::string_view s) {
    if (s.empty() || s[0] != '"') {
        return 0;
    }
    // Fast path: the closing quote with no quoted-pair before it.
    const char* close = static_cast<const char*>(std::memchr(s.data() + 1, '"', s.size() - 1));
    if (close == nullptr) {
        return 0;
    }
    std::size_t end = std::size_t(close - s.data());
    if (std::memchr(s.data() + 1, '\\', end - 1) == nullptr) {
        return end + 1;
    }
    for (std::size_t i = 1; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;  // quoted-pair: the next character is literal
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return 0;
}

std::string_view strip_quotes(std::string_view s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        return s.substr(1, s.size() - 2);
    }
    return s;
}

std::string unquote(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') {
        return std::string(s);
    }
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        if (s[i] == '\\' && i + 2 < s.size()) {
            ++i;
        }
        out.push_back(s[i]);
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}
}  // namespace

bool has_escapes(std::string_view s) {
    return s.find('%') != std::string_view::npos;
}

std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(char(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

bool is_ipv4(std::string_view s) {
    // Four parts of 1-3 digits, each at most 255, separated by single dots.
    unsigned dots = 0;
    unsigned digits = 0;
    unsigned v = 0;
    for (char c : s) {
        if (c == '.') {
            if (digits == 0 || ++dots > 3) {
                return false;
            }
            digits = 0;
            v = 0;
            continue;
        }
        const unsigned d = unsigned(uint8_t(c)) - '0';
        v = v * 10 + d;
        if (d > 9 || ++digits > 3 || v > 255) {
            return false;
        }
    }
    return dots == 3 && digits != 0;
}

bool is_ipv6(std::string_view s) {
    // RFC 4291 §2.2: up to 8 groups of 1-4 hex digits, at most one "::", optional trailing IPv4.
    if (s.size() < 2 || s.size() > 45) {
        return false;
    }
    int groups = 0;
    bool double_colon = false;
    std::size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':') {
            return false;
        }
        double_colon = true;
        i = 2;
        if (i == s.size()) {
            return true;
        }
    }
    while (i < s.size()) {
        std::size_t start = i;
        while (i < s.size() && is_hex(s[i]) && i - start < 4) {
            ++i;
        }
        if (i < s.size() && s[i] == '.') {
            // Embedded IPv4 takes the last two groups.
            if (!is_ipv4(s.substr(start))) {
                return false;
            }
            groups += 2;
            break;
        }
        if (i == start) {
            return false;
        }
        ++groups;
        if (i == s.size()) {
            break;
        }
        if (s[i] != ':') {
            return false;
        }
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (double_colon) {
                return false;
            }
            double_colon = true;
            ++i;
            if (i == s.size()) {
                break;
            }
        } else if (i == s.size()) {
            return false;  // trailing single colon
        }
    }
    return double_colon ? groups <= 7 : groups == 8;
}

bool is_hostname(std::string_view s) {
    if (s.empty() || s.size() > 255) {
        return false;
    }
    if (s.back() == '.') {
        s.remove_suffix(1);
    }
    std::size_t label = 0;
    char prev = '.';
    for (char c : s) {
        if (c == '.') {
            if (label == 0 || prev == '-') {
                return false;
            }
            label = 0;
        } else if (char_is(c, detail::cc_host)) {
            // '_' is not in the grammar but appears in deployed names (SRV-style); accepted.
            if (label == 0 && c == '-') {
                return false;
            }
            ++label;
        } else {
            return false;
        }
        prev = c;
    }
    if (label == 0 || prev == '-') {
        return false;
    }
    // toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum: "999.1.1.1" is not a name.
    std::size_t dot = s.rfind('.');
    return is_alpha(s[dot == std::string_view::npos ? 0 : dot + 1]);
}

}  // namespace sbc::sip
