#pragma once
// Identifiers from a CSPRNG (OpenSSL RAND_bytes): branches, tags, Call-IDs.

#include <string>
#include <string_view>

namespace sbc::sip {

// `chars` random characters from [0-9a-zA-Z] (62 symbols, ~5.95 bits each).
std::string random_token(std::size_t chars);
// "z9hG4bK" + 22 random characters (RFC 3261 §8.1.1.7 magic cookie).
std::string make_branch();
// 16 random characters (RFC 3261 §19.3: at least 32 bits of randomness).
std::string make_tag();
// 24 random characters, "@host" appended when host is given.
std::string make_call_id(std::string_view host = {});

}  // namespace sbc::sip
