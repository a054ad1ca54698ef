// Replaces (RFC 3891), in a header or inside a Refer-To URI (RFC 3515): a dialog the sender
// names on its leg is mapped onto the same call's dialog on the other leg, which the recipient
// knows. Across calls: a transfer names another call's dialog.

#include <cctype>

#include "controlplane/b2bua/call_table.hpp"
#include "sip/params.hpp"

namespace sbc::cp::b2bua {

namespace {

std::string unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string escape_header_value(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '!' || ch == '~' ||
            ch == '*' || ch == '\'' || ch == '(' || ch == ')') {
            out += ch;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

}  // namespace

std::string map_replaces(const call_table& table, std::string_view value, realm_id from) {
    // Refer-To: <sip:x@y?Replaces=callid%3Bto-tag%3Dt%3Bfrom-tag%3Df> (RFC 3891 §6.1), or a
    // Replaces header value "callid;to-tag=t;from-tag=f".
    const bool in_uri = value.find('<') != std::string_view::npos ||
                        value.find("Replaces=") != std::string_view::npos;
    std::string_view prefix, replaces = value, suffix;
    if (in_uri) {
        const auto at = value.find("Replaces=");
        if (at == std::string_view::npos) {
            return std::string(value);
        }
        const auto start = at + 9;
        auto end = value.find_first_of("&>", start);
        if (end == std::string_view::npos) {
            end = value.size();
        }
        prefix = value.substr(0, start);
        replaces = value.substr(start, end - start);
        suffix = value.substr(end);
    }
    const std::string text = in_uri ? unescape(replaces) : std::string(replaces);
    const auto semi = text.find(';');
    const std::string call_id = text.substr(0, semi);
    sip::param_list params(semi == std::string::npos ? std::string_view{}
                                                     : std::string_view(text).substr(semi));
    const auto to_tag = params.value("to-tag").value_or("");
    const auto from_tag = params.value("from-tag").value_or("");
    std::optional<call_table::dialog_hit> hit;
    for (auto tag : {to_tag, from_tag}) {
        if ((hit = table.by_dialog(from, call_id, tag))) {
            break;
        }
    }
    const call* c = hit ? table.find(hit->id) : nullptr;
    if (c == nullptr) {
        return in_uri ? std::string(value) : std::string();
    }
    // The same dialog as the recipient on the other leg knows it: its tag is "to", ours "from".
    const dialog_leg& l = c->leg(other(hit->s));
    std::string mapped = l.call_id + ";to-tag=" + l.remote_tag + ";from-tag=" + l.local_tag;
    if (params.has("early-only")) {
        mapped += ";early-only";
    }
    if (!in_uri) {
        return mapped;
    }
    return std::string(prefix) + escape_header_value(mapped) + std::string(suffix);
}

}  // namespace sbc::cp::b2bua
