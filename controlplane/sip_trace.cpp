#include "controlplane/sip_trace.hpp"

#include "common/hex.hpp"
#include "sip/message.hpp"
#include "sip/text.hpp"

namespace sbc::cp {

namespace {

bool starts_with_nocase(std::string_view line, std::string_view prefix) {
    return line.size() >= prefix.size() && sip::iequals(line.substr(0, prefix.size()), prefix);
}

// In `line`, the value after each `key` up to one of `ends` becomes "masked".
std::string mask_after(std::string_view line, std::string_view key, std::string_view ends) {
    std::string out;
    std::size_t at = 0;
    for (;;) {
        const std::size_t k = line.find(key, at);
        if (k == std::string_view::npos) {
            out.append(line.substr(at));
            return out;
        }
        const std::size_t v = k + key.size();
        std::size_t end = line.find_first_of(ends, v);
        if (end == std::string_view::npos) {
            end = line.size();
        }
        out.append(line.substr(at, v - at)).append("masked");
        at = end;
    }
}

bool matches(const sip_trace::entry& e, const sip_trace_query& q) {
    if (q.aor.empty() && q.call_id.empty()) {
        return true;
    }
    auto parsed = sip::parse(e.bytes);
    if (!parsed.ok()) {
        return false;
    }
    const sip::message& m = *parsed;
    if (!q.call_id.empty() && m.call_id() != q.call_id) {
        return false;
    }
    if (!q.aor.empty()) {
        const auto* from = m.find("From");
        const auto* to = m.find("To");
        const bool named = (from != nullptr && from->value.find(q.aor) != std::string_view::npos) ||
                           (to != nullptr && to->value.find(q.aor) != std::string_view::npos);
        if (!named) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string mask_secrets(std::string_view message) {
    std::string out;
    out.reserve(message.size());
    std::size_t at = 0;
    while (at < message.size()) {
        std::size_t nl = message.find('\n', at);
        nl = nl == std::string_view::npos ? message.size() : nl + 1;
        const std::string_view line = message.substr(at, nl - at);
        if (starts_with_nocase(line, "Authorization:") ||
            starts_with_nocase(line, "Proxy-Authorization:")) {
            // response="hex" (quoted) per RFC 3261 §25.1 `request-digest`.
            out.append(mask_after(line, "response=\"", "\"\r\n"));
        } else if (starts_with_nocase(line, "a=crypto:")) {
            // RFC 4568 §6.1: key-params "inline:" key-salt ["|" lifetime] ["|" MKI:length]
            out.append(mask_after(line, "inline:", "| ;\r\n"));
        } else {
            out.append(line);
        }
        at = nl;
    }
    return out;
}

void sip_trace::on_message(realm_id realm, sip_direction direction, sip::transport_type transport,
                           const sip::socket_address& local, const sip::socket_address& remote,
                           std::string_view bytes) {
    if (limits_.max_messages == 0 || bytes.size() > limits_.max_bytes) {
        return;
    }
    while (!ring_.empty() &&
           (ring_.size() >= limits_.max_messages || bytes_ + bytes.size() > limits_.max_bytes)) {
        bytes_ -= ring_.front().bytes.size();
        ring_.pop_front();
    }
    ring_.push_back(entry{std::chrono::system_clock::now(), realm, direction, transport, local,
                          remote, std::string(bytes)});
    bytes_ += bytes.size();
}

nlohmann::json sip_trace::query(const sip_trace_query& q) const {
    std::vector<const entry*> hits;
    for (const entry& e : ring_) {
        if (matches(e, q)) {
            hits.push_back(&e);
        }
    }
    // The newest that fit the count and one mgmt answer (mgmt::max_line_bytes, 1 MiB).
    std::size_t skip = hits.size();
    std::size_t answer_bytes = 0;
    while (skip > 0 && hits.size() - skip < q.limit &&
           answer_bytes + 2 * hits[skip - 1]->bytes.size() <= max_answer_hex_bytes) {
        --skip;
        answer_bytes += 2 * hits[skip]->bytes.size();
    }
    nlohmann::json messages = nlohmann::json::array();
    for (std::size_t i = skip; i < hits.size(); ++i) {
        const entry& e = *hits[i];
        messages.push_back(
            {{"time_ns",
              std::chrono::duration_cast<std::chrono::nanoseconds>(e.at.time_since_epoch())
                  .count()},
             {"realm", std::string(realm_name(e.realm))},
             {"direction", e.direction == sip_direction::in ? "in" : "out"},
             {"transport", std::string(sip::transport_name(e.transport))},
             {"local", e.local.to_string()},
             {"remote", e.remote.to_string()},
             {"bytes_hex", hex(q.with_keys ? std::string(e.bytes) : mask_secrets(e.bytes))}});
    }
    return {{"messages", messages},
            {"shown", hits.size() - skip},
            {"matched", hits.size()},
            {"held", ring_.size()},
            {"masked", !q.with_keys}};
}

}  // namespace sbc::cp
