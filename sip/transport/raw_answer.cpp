// Answers for requests that cannot be parsed or accepted. The request's headers are read by the
// parser only (request_fields): this file formats them.
#include "sip/transport/raw_answer.hpp"

#include "sip/header_id.hpp"
#include "sip/ids.hpp"
#include "sip/message.hpp"
#include "sip/text.hpp"

namespace sbc::sip {

namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// `value` with each fold (LWS around a line end) replaced by one SP (RFC 3261 §7.3.1).
void append_unfolded(std::string& out, std::string_view value) {
    std::size_t i = 0;
    while (i < value.size()) {
        const std::size_t nl = value.find('\n', i);
        if (nl == std::string_view::npos) {
            out.append(value.substr(i));
            return;
        }
        std::size_t end = nl;  // drop the LWS before the line end
        while (end > i && (value[end - 1] == '\r' || is_wsp(value[end - 1]))) {
            --end;
        }
        out.append(value.substr(i, end - i));
        out.push_back(' ');
        i = nl + 1;
        while (i < value.size() && is_wsp(value[i])) {
            ++i;
        }
    }
}

// RFC 3261 §25.1: the only control characters a raw value may hold are the CR and LF of its
// folds. An answer never copies anything else.
bool fit_to_copy(std::string_view value) {
    return find_bare_control(value) == value.size();
}

bool has_tag(std::string_view to) {
    // The tag is a header parameter: after the URI's closing '>' when there is one.
    const auto gt = to.rfind('>');
    std::string_view params = gt == std::string_view::npos ? to : to.substr(gt);
    for (std::size_t i = 0; i + 4 < params.size(); ++i) {
        if (params[i] == ';') {
            std::size_t k = i + 1;
            while (k < params.size() &&
                   (is_wsp(params[k]) || params[k] == '\r' || params[k] == '\n')) {
                ++k;
            }
            std::string_view rest = params.substr(k);
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

std::string answer_from_fields(const request_fields& f, std::uint16_t code, std::string_view reason,
                               std::string_view extra_headers) {
    // Without a Via the client's transport cannot take the response (RFC 3261 §18.1.2). A request
    // missing From, To, Call-ID or CSeq still gets its answer naming the fault, with the headers
    // it has: the client may be unable to match it, but the operator's capture shows why.
    if (f.method == "ACK" || f.via_lines.empty()) {
        return {};
    }
    std::string out = "SIP/2.0 " + std::to_string(code) + " " + std::string(reason) + "\r\n";
    bool any_via = false;
    header_line_reader vias(f.via_lines);
    header_field h;
    while (vias.next(h)) {
        if (h.id == header_id::via) {
            if (!fit_to_copy(h.value)) {
                return {};  // a response must carry every Via as it came: none to send by
            }
            any_via = true;
            out += "Via: ";
            append_unfolded(out, h.value);
            out += "\r\n";
        }
    }
    if (!any_via) {
        return {};
    }
    auto add = [&out](std::string_view name, std::string_view value) {
        if (!value.empty() && fit_to_copy(value)) {
            out.append(name).append(": ");
            append_unfolded(out, value);
            out += "\r\n";
        }
    };
    add("From", f.from);
    if (!f.to.empty() && fit_to_copy(f.to)) {
        add("To", f.to);
        if (!has_tag(f.to)) {
            out.insert(out.size() - 2, ";tag=" + make_tag());
        }
    }
    add("Call-ID", f.call_id);
    add("CSeq", f.cseq);
    out += extra_headers;
    out += "Content-Length: 0\r\n\r\n";
    return out;
}

std::string answer_from_raw(std::string_view head, std::uint16_t code, std::string_view reason,
                            std::string_view extra_headers) {
    if (!looks_like_request(head)) {
        return {};
    }
    return answer_from_fields(read_request_fields(head), code, reason, extra_headers);
}

}  // namespace sbc::sip
