#include "config/rules.hpp"

#include <regex>

#include "config/address.hpp"
#include "config/no_proxy.hpp"

namespace sbc::config::detail::rules {
namespace {

bool all_of_chars(std::string_view text, std::size_t max, std::string_view extra, bool upper) {
    if (text.empty() || text.size() > max) {
        return false;
    }
    for (char c : text) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (upper && c >= 'A' && c <= 'Z') || extra.find(c) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool is_instance(std::string_view t) {
    return all_of_chars(t, 31, "-", false);
}
bool is_ip(std::string_view t) {
    return parse_ip(t).has_value();
}
bool is_cidr(std::string_view t) {
    return parse_cidr(t).has_value();
}
bool is_mac(std::string_view t) {
    auto mac = parse_mac(t);
    // A neighbour is one station: not a group address, not all zero.
    return mac && ((*mac)[0] & 1) == 0 && (*mac != std::array<uint8_t, 6>{0, 0, 0, 0, 0, 0});
}
bool is_absolute(std::string_view t) {
    return t.size() > 1 && t.front() == '/' && t.find('\0') == std::string_view::npos;
}
// RFC 3261 token characters, as used in a=rtpmap encoding names.
bool is_codec(std::string_view t) {
    return all_of_chars(t, 32, "-.!%*_+`'~", true);
}
bool is_token(std::string_view t) {
    return all_of_chars(t, 63, "_-", false);
}
bool is_group(std::string_view t) {
    return all_of_chars(t, 32, "_.-", true) && t.front() != '-';
}
bool is_non_empty(std::string_view t) {
    return !t.empty();
}
bool is_number_pattern(std::string_view t) {
    if (t.empty() || t.size() > 256) {
        return false;
    }
    try {
        std::regex compiled(t.begin(), t.end(), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
        return false;
    }
    return true;
}
bool is_no_proxy_entry(std::string_view t) {
    return parse_no_proxy_entry(t).has_value();
}
// RFC 7617 §2: the user-id of Basic credentials cannot contain a colon.
bool is_proxy_username(std::string_view t) {
    if (t.empty() || t.size() > 128) {
        return false;
    }
    for (char c : t) {
        if (c <= ' ' || c > '~' || c == ':') {
            return false;
        }
    }
    return true;
}

}  // namespace

bool is_name(std::string_view text) {
    return all_of_chars(text, 63, "_.-", true);
}

const string_rule instance_name{is_instance, "must be 1-31 characters of [a-z0-9-]"};
const string_rule name{is_name, "must be 1-63 characters of [A-Za-z0-9_.-]"};
const string_rule ip_literal{is_ip, "must be an IPv4 or IPv6 address literal"};
const string_rule host{is_host, "must be a host name or an IP address literal"};
const string_rule cidr{is_cidr,
                       "must be address/prefix-length with the host bits zero "
                       "(e.g. 198.51.100.0/24)"};
const string_rule mac{is_mac, "must be a unicast MAC address aa:bb:cc:dd:ee:ff"};
const string_rule https_url{is_https_url, "must be an https://host[:port][/path] URL"};
const string_rule absolute_path{is_absolute, "must be an absolute path"};
const string_rule codec{is_codec, "must be an encoding name (1-32 token characters)"};
const string_rule token{is_token, "must be 1-63 characters of [a-z0-9_-]"};
const string_rule group_name{is_group, "must be a unix group name"};
const string_rule non_empty{is_non_empty, "must not be empty"};
const string_rule number_pattern{is_number_pattern,
                                 "must be a number or an ECMAScript regex of 1-256 characters "
                                 "matched against the whole dialled user part"};
const string_rule no_proxy_entry{is_no_proxy_entry,
                                 "must be *, a host or .domain, an IP address or CIDR, each "
                                 "optionally with :port (e.g. 11.12.13.14:8289)"};
const string_rule proxy_username{is_proxy_username,
                                 "must be 1-128 printable ASCII characters without ':' or blanks"};

bool regex(table_reader& reader, std::string_view key, std::string& out, need n) {
    std::string text;
    if (!reader.string(key, text, n)) {
        return false;
    }
    try {
        std::regex compiled(text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        reader.fail_value(key, std::string("does not compile as an ECMAScript regex: ") + e.what());
        return false;
    }
    out = std::move(text);
    return true;
}

}  // namespace sbc::config::detail::rules
