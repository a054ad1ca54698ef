#include "sip/builder.hpp"

#include <cassert>

#include "sip/text.hpp"

namespace sbc::sip {

std::string_view default_reason(uint16_t code) {
    switch (code) {
        case 100:
            return "Trying";
        case 180:
            return "Ringing";
        case 181:
            return "Call Is Being Forwarded";
        case 182:
            return "Queued";
        case 183:
            return "Session Progress";
        case 199:
            return "Early Dialog Terminated";
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 204:
            return "No Notification";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Moved Temporarily";
        case 305:
            return "Use Proxy";
        case 380:
            return "Alternative Service";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 407:
            return "Proxy Authentication Required";
        case 408:
            return "Request Timeout";
        case 410:
            return "Gone";
        case 412:
            return "Conditional Request Failed";
        case 413:
            return "Request Entity Too Large";
        case 414:
            return "Request-URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Unsupported URI Scheme";
        case 420:
            return "Bad Extension";
        case 421:
            return "Extension Required";
        case 422:
            return "Session Interval Too Small";
        case 423:
            return "Interval Too Brief";
        case 428:
            return "Use Identity Header";
        case 429:
            return "Provide Referrer Identity";
        case 430:
            return "Flow Failed";
        case 433:
            return "Anonymity Disallowed";
        case 439:
            return "First Hop Lacks Outbound Support";
        case 480:
            return "Temporarily Unavailable";
        case 481:
            return "Call/Transaction Does Not Exist";
        case 482:
            return "Loop Detected";
        case 483:
            return "Too Many Hops";
        case 484:
            return "Address Incomplete";
        case 485:
            return "Ambiguous";
        case 486:
            return "Busy Here";
        case 487:
            return "Request Terminated";
        case 488:
            return "Not Acceptable Here";
        case 489:
            return "Bad Event";
        case 491:
            return "Request Pending";
        case 493:
            return "Undecipherable";
        case 494:
            return "Security Agreement Required";
        case 500:
            return "Server Internal Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Server Time-out";
        case 505:
            return "Version Not Supported";
        case 513:
            return "Message Too Large";
        case 580:
            return "Precondition Failure";
        case 600:
            return "Busy Everywhere";
        case 603:
            return "Decline";
        case 604:
            return "Does Not Exist Anywhere";
        case 606:
            return "Not Acceptable";
        case 607:
            return "Unwanted";
        default:
            return "";
    }
}

void outgoing_message::refuse(std::string_view header, std::string reason) {
    if (!refusal_) {
        refusal_ = build_refusal{std::string(header), std::move(reason)};
    }
}

outgoing_message outgoing_message::request(std::string_view method, std::string_view request_uri) {
    outgoing_message m;
    assert(is_token(method) && "RFC 3261 §25.1: Method is a token");
    if (!is_token(method)) {
        m.refuse("method", "the method is not a token");
    } else if (!fit_request_uri(request_uri)) {
        m.refuse("Request-URI", "Request-URI empty or holding whitespace or a control character");
    }
    m.start_line_.append(method).append(" ").append(request_uri).append(" SIP/2.0");
    return m;
}

outgoing_message outgoing_message::response(uint16_t code, std::string_view reason) {
    outgoing_message m;
    if (code < 100 || code > 999) {
        m.refuse("status", "the status code is not three digits");
    } else if (!fit_reason_phrase(reason)) {
        m.refuse("reason phrase", "control character in the reason phrase");
    }
    m.start_line_ = "SIP/2.0 " + std::to_string(code) + " ";
    m.start_line_.append(reason.empty() ? default_reason(code) : reason);
    return m;
}

outgoing_message& outgoing_message::add(std::string_view name, std::string_view value) {
    assert(is_token(name) && "a header name is the caller's constant");
    if (!is_token(name)) {
        refuse({}, "a header name is not a token");
    } else if (!fit_header_value(value)) {
        refuse(name, "control character in the value of " + std::string(name));
    } else {
        headers_.emplace_back(std::string(name), std::string(value));
    }
    return *this;
}

outgoing_message& outgoing_message::add(const header_list& headers) {
    headers_.insert(headers_.end(), headers.begin(), headers.end());
    return *this;
}

outgoing_message& outgoing_message::body(std::string_view content_type, std::string_view body) {
    if (!fit_header_value(content_type)) {
        refuse("Content-Type", "control character in the value of Content-Type");
        return *this;
    }
    content_type_ = content_type;
    body_ = body;
    return *this;
}

outgoing_message& outgoing_message::remove(std::string_view name) {
    header_id id = classify_header(name);
    std::erase_if(headers_, [&](const auto& h) {
        return id != header_id::other ? classify_header(h.first) == id : iequals(h.first, name);
    });
    return *this;
}

std::string outgoing_message::serialize() const {
    if (refusal_) {
        return {};
    }
    std::string out;
    std::size_t size = start_line_.size() + body_.size() + 64;
    for (const auto& [name, value] : headers_) {
        size += name.size() + value.size() + 4;
    }
    out.reserve(size);
    out.append(start_line_).append("\r\n");
    for (const auto& [name, value] : headers_) {
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!content_type_.empty()) {
        out.append("Content-Type: ").append(content_type_).append("\r\n");
    }
    out.append("Content-Length: ").append(std::to_string(body_.size())).append("\r\n\r\n");
    out.append(body_);
    return out;
}

outgoing_message response_for(const message& request, uint16_t code, std::string_view reason,
                              std::string_view to_tag, bool copy_record_route) {
    outgoing_message r = outgoing_message::response(code, reason);
    for (const header_field& h : request.headers()) {
        if (h.id == header_id::via) {
            r.add("Via", h.value);
        }
    }
    if (const header_field* h = request.find(header_id::from)) {
        r.add("From", h->value);
    }
    if (const header_field* h = request.find(header_id::to)) {
        std::string to(h->value);
        // §8.2.6.2: add a tag unless the request had one or this is a 100 (Trying).
        if (request.to().tag().empty() && code != 100 && !to_tag.empty()) {
            to.append(";tag=").append(to_tag);
        }
        r.add("To", to);
    }
    r.add("Call-ID", request.call_id());
    if (const header_field* h = request.find(header_id::cseq)) {
        r.add("CSeq", h->value);
    }
    if (copy_record_route) {
        for (const header_field& h : request.headers()) {
            if (h.id == header_id::record_route) {
                r.add("Record-Route", h.value);
            }
        }
    }
    // §8.2.6.1: a 100 echoes the request's Timestamp.
    if (code == 100) {
        if (const header_field* h = request.find(header_id::timestamp)) {
            r.add("Timestamp", h->value);
        }
    }
    return r;
}

}  // namespace sbc::sip
