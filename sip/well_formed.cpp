#include "sip/well_formed.hpp"

#include "sip/text.hpp"

namespace sbc::sip {

namespace {

wire_verdict fault(error_code code, std::string_view header, std::string reason) {
    return wire_verdict{code, std::string(header), std::move(reason)};
}

std::string over(std::size_t n, std::string_view what, std::size_t limit) {
    return std::to_string(n) + " " + std::string(what) + " over the limit of " +
           std::to_string(limit);
}

// The name a report gives a header: as RFC 3261 spells a well-known one, else as written.
std::string_view report_name(const header_field& h) {
    return h.id != header_id::other ? header_name(h.id) : h.name.substr(0, 64);
}

std::string_view without_line_end(std::string_view raw) {
    if (raw.ends_with('\n')) {
        raw.remove_suffix(1);
        if (raw.ends_with('\r')) {
            raw.remove_suffix(1);
        }
    }
    return raw;
}

}  // namespace

wire_verdict well_formed(const message& m, const parse_limits& limits) {
    if (m.data().empty()) {
        return fault(error_code::empty_message, {}, "not a parsed message");
    }
    if (m.data().size() > limits.max_message_bytes) {
        return fault(error_code::message_too_large, {},
                     "message of " + over(m.data().size(), "bytes", limits.max_message_bytes));
    }
    if (find_control_char(m.start_line()) != m.start_line().size()) {
        return fault(
            m.is_request() ? error_code::malformed_start_line : error_code::malformed_status_line,
            {}, "control character in the start line");
    }
    if (m.start_line().size() > limits.max_line_length) {
        return fault(
            error_code::line_too_long, {},
            "start line of " + over(m.start_line().size(), "bytes", limits.max_line_length));
    }
    if (m.headers().size() > limits.max_headers) {
        return fault(error_code::too_many_headers, {},
                     over(m.headers().size(), "headers", limits.max_headers));
    }
    for (const header_field& h : m.headers()) {
        if (!is_token(h.name)) {
            return fault(error_code::malformed_header_line, {}, "a header name is not a token");
        }
        // The whole line: name, colon, value (a parsed message has its folds unfolded).
        const std::string_view line = without_line_end(h.raw);
        if (find_control_char(line) != line.size()) {
            return fault(error_code::control_character, report_name(h),
                         "control character in " + std::string(report_name(h)));
        }
        if (line.size() > limits.max_line_length) {
            return fault(error_code::line_too_long, report_name(h),
                         "header line of " + over(line.size(), "bytes", limits.max_line_length) +
                             ": " + std::string(report_name(h)));
        }
    }
    // RFC 3261 §18.3: on a stream, Content-Length is where the message ends.
    const auto length = m.content_length();
    if (!length) {
        return fault(error_code::missing_content_length, "Content-Length", "no Content-Length");
    }
    if (*length != m.body().size()) {
        return fault(error_code::malformed_content_length, "Content-Length",
                     "Content-Length " + std::to_string(*length) + " but a body of " +
                         std::to_string(m.body().size()) + " bytes");
    }
    return {};
}

wire_verdict well_formed(std::string_view bytes, const parse_limits& limits) {
    parse_options options;
    options.limits = limits;
    options.how = framing::stream;
    auto parsed = parse(bytes, options);
    if (!parsed) {
        const parse_error& e = parsed.error();
        return fault(e.code, e.header, e.reason_phrase());
    }
    if (parsed->trailing_bytes() != 0) {
        // A stream peer would read them as the start of the next message.
        return fault(error_code::bytes_after_body, {},
                     std::to_string(parsed->trailing_bytes()) + " bytes after the body");
    }
    return well_formed(*parsed, limits);
}

bool fit_header_value(std::string_view value) {
    return find_control_char(value) == value.size();
}

bool fit_reason_phrase(std::string_view reason) {
    return find_control_char(reason) == reason.size();
}

bool fit_request_uri(std::string_view uri) {
    return !uri.empty() && find_control_char(uri) == uri.size() &&
           uri.find_first_of(" \t") == std::string_view::npos;
}

}  // namespace sbc::sip
