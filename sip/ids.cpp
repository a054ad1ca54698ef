#include "sip/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>

namespace sbc::sip {
namespace {
constexpr std::string_view alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
}  // namespace

std::string random_token(std::size_t chars) {
    std::string out;
    out.reserve(chars);
    std::array<uint8_t, 64> bytes{};
    while (out.size() < chars) {
        if (RAND_bytes(bytes.data(), int(bytes.size())) != 1) {
            // A CSPRNG failure is a broken host, not a network input: stop rather than emit
            // predictable identifiers.
            std::abort();
        }
        for (uint8_t b : bytes) {
            // Rejection sampling keeps the 62 symbols uniform (248 = 4 * 62).
            if (b < 248 && out.size() < chars) {
                out.push_back(alphabet[b % 62]);
            }
        }
    }
    return out;
}

std::string make_branch() {
    return "z9hG4bK" + random_token(22);
}

std::string make_tag() {
    return random_token(16);
}

std::string make_call_id(std::string_view host) {
    std::string id = random_token(24);
    if (!host.empty()) {
        id.append("@").append(host);
    }
    return id;
}

}  // namespace sbc::sip
