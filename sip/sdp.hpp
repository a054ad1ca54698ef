#pragma once
// SDP (RFC 8866): parse into an owning structure an SBC can edit, serialize back. Unknown
// attributes and lines keep their text verbatim.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::sip::sdp {

// X(name, reason)
#define SBC_SDP_ERRORS(X)                                                 \
    X(none, "OK")                                                         \
    X(too_large, "SDP too large")                                         \
    X(too_many_lines, "SDP has too many lines")                           \
    X(malformed_line, "malformed SDP line")                               \
    X(missing_version, "SDP does not start with v=0")                     \
    X(bad_version, "unsupported SDP version")                             \
    X(missing_origin, "missing o= line")                                  \
    X(malformed_origin, "malformed o= line")                              \
    X(missing_session_name, "missing s= line")                            \
    X(missing_timing, "missing t= line")                                  \
    X(malformed_timing, "malformed t= line")                              \
    X(malformed_connection, "malformed c= line")                          \
    X(missing_connection, "missing c= line for a media stream")           \
    X(malformed_bandwidth, "malformed b= line")                           \
    X(malformed_media, "malformed m= line")                               \
    X(port_out_of_range, "media port out of range")                       \
    X(too_many_media, "too many m= lines")                                \
    X(too_many_attributes, "too many a= lines")                           \
    X(malformed_attribute, "malformed a= line")                           \
    X(malformed_rtpmap, "malformed a=rtpmap")                             \
    X(malformed_rtcp, "malformed a=rtcp")                                 \
    X(too_many_crypto, "too many a=crypto lines")                         \
    X(malformed_crypto, "malformed a=crypto")                             \
    X(crypto_bad_base64, "a=crypto key is not valid base64")              \
    X(crypto_bad_key_length, "a=crypto key length does not match suite")  \
    X(crypto_bad_lifetime, "malformed a=crypto lifetime")                 \
    X(crypto_bad_mki, "malformed a=crypto MKI")                           \
    X(crypto_bad_session_param, "malformed a=crypto session parameter")   \
    X(crypto_unknown_session_param, "unknown a=crypto session parameter") \
    X(crypto_duplicate_tag, "duplicate a=crypto tag")                     \
    X(crypto_no_known_suite, "no a=crypto line with a known suite")

enum class error : uint8_t {
#define SBC_SDP_ERROR_ENUM(name, reason) name,
    SBC_SDP_ERRORS(SBC_SDP_ERROR_ENUM)
#undef SBC_SDP_ERROR_ENUM
};
std::string_view error_name(error e);
std::string_view error_reason(error e);

struct limits {
    std::size_t max_bytes = 16384;
    std::size_t max_lines = 512;
    std::size_t max_media = 16;
    std::size_t max_attributes = 128;  // per media section or session
    std::size_t max_crypto = 16;       // a=crypto lines per media section
};

struct origin {
    std::string username = "-";
    std::string session_id;
    std::string session_version;
    std::string nettype = "IN";
    std::string addrtype = "IP4";
    std::string address;
};

struct connection {
    std::string nettype = "IN";
    std::string addrtype = "IP4";  // "IP4" or "IP6"
    std::string address;           // may carry "/ttl[/count]" for multicast, kept as written
    // RFC 3264 §8.4 legacy hold: c=IN IP4 0.0.0.0
    bool is_hold() const { return address == "0.0.0.0"; }
};

struct bandwidth {
    std::string type;  // "AS", "CT", "TIAS", "RS", "RR", or an extension
    uint64_t value = 0;
};

struct attribute {
    std::string name;
    std::string value;
    bool has_value = false;  // "a=name:value" vs "a=name"
};

enum class direction : uint8_t { sendrecv, sendonly, recvonly, inactive };
std::string_view direction_name(direction d);

struct rtpmap {
    uint8_t payload_type = 0;
    std::string encoding;  // "PCMU", "opus", "telephone-event" (case as written)
    uint32_t clock_rate = 0;
    std::string encoding_params;  // channels for audio, "" when absent
};

// a=rtcp (RFC 3605): port [nettype addrtype address].
struct rtcp_attribute {
    uint16_t port = 0;
    std::string nettype, addrtype, address;
};

struct media {
    std::string type;  // "audio", "video", "application", ...
    uint16_t port = 0;
    std::optional<uint16_t> port_count;  // m=audio 49170/2
    std::string proto;                   // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ...
    std::vector<std::string> formats;    // payload types (RTP) or fmt tokens
    std::vector<std::pair<char, std::string>> other_lines;  // i=, k= (kept verbatim, in order)
    std::optional<connection> conn;
    std::vector<bandwidth> bandwidths;
    std::vector<attribute> attributes;  // in order, unknown ones verbatim

    // RFC 3264 §6: port 0 = rejected stream.
    bool rejected() const { return port == 0; }
    // The direction attribute of this section, or `session_default` when it has none.
    direction get_direction(direction session_default = direction::sendrecv) const;
    // Replaces any direction attribute with `d` (placed where the old one was, or appended).
    void set_direction(direction d);
    std::vector<rtpmap> rtpmaps() const;  // malformed rtpmaps are skipped (parse rejects them)
    std::optional<rtpmap> rtpmap_for(std::string_view payload_type) const;
    std::optional<std::string> fmtp_for(std::string_view payload_type) const;
    std::optional<uint32_t> ptime() const;
    std::optional<rtcp_attribute> rtcp() const;
    bool rtcp_mux() const;
    std::vector<std::string> crypto_lines() const;  // values of a=crypto, in order
    const attribute* find(std::string_view name) const;
    std::size_t remove_attributes(std::string_view name);  // returns how many were removed
    void add_attribute(std::string_view name, std::string_view value);
    void add_flag(std::string_view name);
};

struct session {
    int version = 0;
    origin orig;
    std::string name = "-";
    std::vector<std::pair<char, std::string>> other_lines;  // i= u= e= p= (verbatim, in order)
    std::optional<connection> conn;
    std::vector<bandwidth> bandwidths;
    std::vector<std::string> timing = {"0 0"};             // t= values
    std::vector<std::pair<char, std::string>> time_lines;  // r= z= k= (verbatim, in order)
    std::vector<attribute> attributes;
    std::vector<media> media_sections;

    direction get_direction() const;  // session-level direction attribute, sendrecv by default
    // The connection a media section uses: its own c= or the session's.
    const connection* connection_for(const media& m) const;
};

struct parse_result {
    error err = error::none;
    std::size_t line = 0;  // 1-based line of the fault, 0 when not tied to one line
    session value;
    bool ok() const { return err == error::none; }
};

// Validates: v=0 first; o=, s=, t= present; every m= port in range, formats present, and a c= at
// session level or in every media section; rtpmap/rtcp well-formed; at most limits.max_crypto
// a=crypto lines per section. A crypto line that is not valid does not make the SDP invalid (RFC
// 4568 §7.1.2: the answerer goes on to the next): parse_crypto_lines() (sdes.hpp) judges them.
// CRLF or bare LF line ends.
parse_result parse(std::string_view text, const limits& lim = {});

// RFC 8866 §5 line order; CRLF line ends.
std::string serialize(const session& s);

}  // namespace sbc::sip::sdp
