#include "sip/transport/raw_answer.hpp"

#include <vector>

#include "sip/header_id.hpp"
#include "sip/ids.hpp"

namespace sbc::sip {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

bool has_tag(std::string_view to) {
    // The tag is a header parameter: after the URI's closing '>' when there is one.
    const auto gt = to.rfind('>');
    std::string_view params = gt == std::string_view::npos ? to : to.substr(gt);
    for (std::size_t i = 0; i + 4 < params.size(); ++i) {
        if (params[i] == ';') {
            std::string_view rest = trim(params.substr(i + 1));
            if (rest.size() >= 4 && (rest[0] | 0x20) == 't' && (rest[1] | 0x20) == 'a' &&
                (rest[2] | 0x20) == 'g' && rest[3] == '=') {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

bool looks_like_request(std::string_view bytes) {
    while (bytes.starts_with("\r\n")) {
        bytes.remove_prefix(2);
    }
    return !bytes.empty() && !bytes.starts_with("SIP/");
}

std::string answer_from_raw(std::string_view head, std::uint16_t code, std::string_view reason,
                            std::string_view extra_headers) {
    if (!looks_like_request(head)) {
        return {};
    }
    std::vector<std::string> vias;
    std::string from, to, call_id, cseq;
    std::string* last = nullptr;
    std::size_t pos = 0;
    bool first = true;
    while (pos < head.size()) {
        auto eol = head.find('\n', pos);
        if (eol == std::string_view::npos) {
            eol = head.size();
        }
        std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (first) {
            first = false;
            if (line.starts_with("ACK ")) {
                return {};
            }
            continue;
        }
        if (line.empty()) {
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (last != nullptr) {
                last->append(" ").append(trim(line));
            }
            continue;
        }
        last = nullptr;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        const std::string_view value = trim(line.substr(colon + 1));
        switch (classify_header(trim(line.substr(0, colon)))) {
            case header_id::via:
                vias.emplace_back(value);
                last = &vias.back();
                break;
            case header_id::from:
                from = value;
                last = &from;
                break;
            case header_id::to:
                to = value;
                last = &to;
                break;
            case header_id::call_id:
                call_id = value;
                last = &call_id;
                break;
            case header_id::cseq:
                cseq = value;
                last = &cseq;
                break;
            default:
                break;
        }
    }
    if (vias.empty() || from.empty() || to.empty() || call_id.empty() || cseq.empty()) {
        return {};
    }
    if (!has_tag(to)) {
        to += ";tag=" + make_tag();
    }
    std::string out = "SIP/2.0 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
    for (const auto& v : vias) {
        out += "Via: " + v + "\r\n";
    }
    out += "From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id + "\r\nCSeq: " + cseq +
           "\r\n";
    out += extra_headers;
    out += "Content-Length: 0\r\n\r\n";
    return out;
}

}  // namespace sbc::sip
