#pragma once
// SIP messages a realm edge received and sent, requests by method and responses by status class
// (`sbc_sip_requests_total{realm,direction,method}`, `sbc_sip_responses_total{...,class}`).
// Methods are sip::sip_method (extension methods count as "other") and statuses their class, so
// a peer cannot grow the set of series.

#include <array>
#include <cstdint>
#include <string_view>

#include "sip/headers.hpp"
#include "sip/message.hpp"

namespace sbc::cp {

enum class sip_direction : std::uint8_t { in, out };

struct sip_message_counts {
    static constexpr std::size_t methods = static_cast<std::size_t>(sip::sip_method::other) + 1;
    // [direction][method]; [direction][class 1..6, 0 for an unparsable status]
    std::array<std::array<std::uint64_t, methods>, 2> requests{};
    std::array<std::array<std::uint64_t, 7>, 2> responses{};

    void count(sip_direction d, const sip::message& m) {
        if (m.is_request()) {
            ++requests[idx(d)][static_cast<std::size_t>(m.method_kind())];
        } else {
            ++responses[idx(d)][status_class(m.status_code())];
        }
    }

    // A message as it leaves: only its start line is read ("SIP/2.0 200 OK", "INVITE sip:...").
    void count(sip_direction d, std::string_view bytes) {
        constexpr std::string_view version = "SIP/2.0 ";
        if (bytes.substr(0, version.size()) == version) {
            const char c = bytes.size() > version.size() ? bytes[version.size()] : '0';
            ++responses[idx(d)][c >= '1' && c <= '6' ? static_cast<std::size_t>(c - '0') : 0];
            return;
        }
        const std::string_view method = bytes.substr(0, bytes.find(' '));
        ++requests[idx(d)][static_cast<std::size_t>(sip::classify_method(method))];
    }

    static std::string_view method_label(std::size_t m) {
        const std::string_view name = sip::method_name(static_cast<sip::sip_method>(m));
        return name.empty() ? std::string_view("other") : name;
    }

  private:
    static std::size_t idx(sip_direction d) { return d == sip_direction::in ? 0 : 1; }
    static std::size_t status_class(std::uint16_t code) {
        return code >= 100 && code < 700 ? code / 100 : 0;
    }
};

}  // namespace sbc::cp
