#include "sip/editor.hpp"

#include <cassert>

#include "sip/text.hpp"

namespace sbc::sip {
namespace {

std::string header_line(std::string_view name, std::string_view value) {
    std::string line;
    line.reserve(name.size() + value.size() + 4);
    line.append(name).append(": ").append(value).append("\r\n");
    return line;
}

}  // namespace

message_editor::message_editor(const message& m) : msg_(m), slots_(m.headers().size()) {}

bool message_editor::refuse(std::string_view header, std::string reason) {
    if (!refusal_) {
        refusal_ = build_refusal{std::string(header), std::move(reason)};
    }
    return false;
}

bool message_editor::check_value(std::string_view header, std::string_view value) {
    return fit_header_value(value) ||
           refuse(header, "control character in the value of " + std::string(header));
}

bool message_editor::check_name(std::string_view name) {
    assert(is_token(name) && "a header name is the caller's constant");
    return is_token(name) || refuse({}, "a header name is not a token");
}

bool message_editor::set_request_uri(std::string_view uri) {
    if (!msg_.is_request()) {
        return false;
    }
    if (!fit_request_uri(uri)) {
        return refuse("Request-URI",
                      "Request-URI empty or holding whitespace or a control "
                      "character");
    }
    start_line_.clear();
    start_line_.append(msg_.method()).append(" ").append(uri).append(" SIP/2.0");
    return true;
}

bool message_editor::set_status(uint16_t code, std::string_view reason) {
    if (code < 100 || code > 999) {
        return refuse("status", "the status code is not three digits");  // RFC 3261 §25.1
    }
    if (!fit_reason_phrase(reason)) {
        return refuse("reason phrase", "control character in the reason phrase");
    }
    start_line_ = "SIP/2.0 " + std::to_string(code) + " ";
    start_line_.append(reason);
    return true;
}

bool message_editor::push_via(std::string_view value) {
    if (!check_value("Via", value)) {
        return false;
    }
    const header_field* first = msg_.find(header_id::via);
    std::string line = header_line("Via", value);
    if (first == nullptr) {
        front_.push_back(std::move(line));
        return true;
    }
    // A second push goes above the first one: insert at the front of the list for that index.
    std::size_t index = std::size_t(first - msg_.headers().data());
    before_.insert(before_.begin(), {index, std::move(line)});
    return true;
}

bool message_editor::pop_first(header_id id) {
    // A pushed header sits above the original ones: pop it first.
    if (id == header_id::via) {
        for (auto it = before_.begin(); it != before_.end(); ++it) {
            if (iequals(std::string_view(it->second).substr(0, 4), "Via:")) {
                before_.erase(it);
                return true;
            }
        }
    }
    auto headers = msg_.headers();
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id != id || slots_[i].removed) {
            continue;
        }
        std::string_view value =
            slots_[i].replaced ? std::string_view(slots_[i].value) : headers[i].value;
        comma_list list(value);
        auto it = list.begin();
        if (it == list.end()) {
            slots_[i].removed = true;
            continue;
        }
        std::string_view first = *it;
        ++it;
        if (it == list.end()) {
            slots_[i].removed = true;
            return true;
        }
        std::string rest(value.substr(std::size_t((*it).data() - value.data())));
        slots_[i].replaced = true;
        slots_[i].value = std::move(rest);
        (void)first;
        return true;
    }
    return false;
}

void message_editor::remove(header_id id) {
    auto headers = msg_.headers();
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id == id) {
            slots_[i].removed = true;
        }
    }
}

void message_editor::remove(std::string_view name) {
    header_id id = classify_header(name);
    if (id != header_id::other) {
        remove(id);
        return;
    }
    auto headers = msg_.headers();
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id == header_id::other && iequals(headers[i].name, name)) {
            slots_[i].removed = true;
        }
    }
    std::erase_if(back_, [&](const std::string& line) {
        return iequals(std::string_view(line).substr(0, line.find(':')), name);
    });
}

bool message_editor::replace(header_id id, std::string_view value) {
    if (!check_value(header_name(id), value)) {
        return false;
    }
    auto headers = msg_.headers();
    bool placed = false;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id != id) {
            continue;
        }
        if (!placed) {
            slots_[i] = slot{false, true, std::string(value)};
            placed = true;
        } else {
            slots_[i].removed = true;
        }
    }
    if (!placed) {
        back_.push_back(header_line(header_name(id), value));
    }
    return true;
}

bool message_editor::replace(std::string_view name, std::string_view value) {
    header_id id = classify_header(name);
    if (id != header_id::other) {
        return replace(id, value);
    }
    if (!check_name(name) || !check_value(name, value)) {
        return false;
    }
    auto headers = msg_.headers();
    bool placed = false;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].id != header_id::other || !iequals(headers[i].name, name)) {
            continue;
        }
        if (!placed) {
            slots_[i] = slot{false, true, std::string(value)};
            placed = true;
        } else {
            slots_[i].removed = true;
        }
    }
    if (!placed) {
        back_.push_back(header_line(name, value));
    }
    return true;
}

bool message_editor::append(std::string_view name, std::string_view value) {
    if (!check_name(name) || !check_value(name, value)) {
        return false;
    }
    back_.push_back(header_line(name, value));
    return true;
}

bool message_editor::prepend(std::string_view name, std::string_view value) {
    if (!check_name(name) || !check_value(name, value)) {
        return false;
    }
    front_.push_back(header_line(name, value));
    return true;
}

void message_editor::remove_at(std::size_t index) {
    if (index < slots_.size()) {
        slots_[index].removed = true;
    }
}

bool message_editor::replace_at(std::size_t index, std::string_view value) {
    if (index >= slots_.size()) {
        return false;
    }
    const header_field& h = msg_.headers()[index];
    if (!check_value(h.id != header_id::other ? header_name(h.id) : h.name, value)) {
        return false;
    }
    slots_[index] = slot{false, true, std::string(value)};
    return true;
}

bool message_editor::set_body(std::string_view content_type, std::string_view body) {
    if (!check_value("Content-Type", content_type)) {
        return false;
    }
    body_set_ = true;
    content_type_ = content_type;
    body_ = body;
    return true;
}

std::string message_editor::serialize() const {
    if (refusal_) {
        return {};
    }
    std::string_view body = body_set_ ? std::string_view(body_) : msg_.body();
    std::string out;
    out.reserve(msg_.data().size() + 256 + (body_set_ ? body_.size() : 0));
    out.append(start_line_.empty() ? msg_.start_line() : std::string_view(start_line_));
    out.append("\r\n");
    for (const std::string& line : front_) {
        out.append(line);
    }
    auto headers = msg_.headers();
    std::string length_line = header_line("Content-Length", std::to_string(body.size()));
    bool length_written = false;
    bool type_written = false;
    std::size_t b = 0;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        for (; b < before_.size() && before_[b].first <= i; ++b) {
            if (before_[b].first == i) {
                out.append(before_[b].second);
            }
        }
        const header_field& h = headers[i];
        if (slots_[i].removed) {
            continue;
        }
        if (h.id == header_id::content_length) {
            // Recomputed, in its original place; duplicates were refused by the parser.
            if (!length_written) {
                out.append(length_line);
                length_written = true;
            }
            continue;
        }
        if (h.id == header_id::content_type && body_set_) {
            if (!type_written && !content_type_.empty()) {
                out.append(header_line("Content-Type", content_type_));
            }
            type_written = true;
            continue;
        }
        if (slots_[i].replaced) {
            out.append(h.name).append(": ").append(slots_[i].value).append("\r\n");
        } else {
            out.append(h.raw);
            if (h.raw.empty() || h.raw.back() != '\n') {
                out.append("\r\n");  // the last header of a message without the empty line
            }
        }
    }
    for (; b < before_.size(); ++b) {
        out.append(before_[b].second);
    }
    for (const std::string& line : back_) {
        out.append(line);
    }
    if (body_set_ && !type_written && !content_type_.empty()) {
        out.append(header_line("Content-Type", content_type_));
    }
    if (!length_written) {
        out.append(length_line);
    }
    out.append("\r\n");
    out.append(body);
    return out;
}

}  // namespace sbc::sip
