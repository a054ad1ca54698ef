#include "controlplane/media/sdp_writer.hpp"

#include <algorithm>
#include <array>

namespace sbc::cp::media {

namespace sdp = sip::sdp;

namespace {

constexpr std::array<std::string_view, 26> never_copied = {
    "crypto",
    "rtcp",
    "rtcp-mux",
    "sendrecv",
    "sendonly",
    "recvonly",
    "inactive",
    "candidate",
    "remote-candidates",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "ice-lite",
    "ice-mismatch",
    "ice-pacing",
    "end-of-candidates",
    "fingerprint",
    "setup",
    "connection",
    "tls-id",
    "group",
    "key-mgmt",
    "zrtp-hash",
    "rtcp-mux-only",
    "rtpmap",
    "fmtp",
};

// The payload type an rtpmap/fmtp/rtcp-fb value is about ("96 opus/48000/2" -> "96").
std::string_view pt_of(std::string_view value) {
    return value.substr(0, value.find(' '));
}

bool kept(const std::vector<std::string>& formats, std::string_view pt) {
    return std::find(formats.begin(), formats.end(), pt) != formats.end();
}

sdp::media rejected_copy(const sdp::media& m) {
    sdp::media r;
    r.type = m.type;
    r.port = 0;
    r.proto = m.proto;
    r.formats = m.formats.empty() ? std::vector<std::string>{"0"} : m.formats;
    return r;
}

sdp::media anchored(const sdp::media& src, const local_audio& local) {
    sdp::media m;
    m.type = "audio";
    m.port = local.port;
    m.proto = local.proto;
    m.formats = local.formats;
    m.bandwidths = src.bandwidths;
    for (const auto& a : src.attributes) {
        if (a.name == "rtpmap" || a.name == "fmtp") {
            if (kept(local.formats, pt_of(a.value))) {
                m.attributes.push_back(a);
            }
            continue;
        }
        if (a.name == "rtcp-fb") {
            const auto pt = pt_of(a.value);
            if (pt == "*" || kept(local.formats, pt)) {
                m.attributes.push_back(a);
            }
            continue;
        }
        if (!dropped_attribute(a.name)) {
            m.attributes.push_back(a);
        }
    }
    if (local.rtcp_mux) {
        m.add_flag("rtcp-mux");
    }
    for (const auto& c : local.crypto) {
        m.add_attribute("crypto", c);
    }
    m.set_direction(local.direction);
    return m;
}

std::string without_origin(const std::string& body) {
    const auto o = body.find("\r\no=");
    if (o == std::string::npos) {
        return body;
    }
    const auto end = body.find("\r\n", o + 2);
    return body.substr(0, o) + (end == std::string::npos ? "" : body.substr(end));
}

}  // namespace

bool dropped_attribute(std::string_view name) {
    return std::find(never_copied.begin(), never_copied.end(), name) != never_copied.end();
}

std::string write_sdp(sdp_origin& origin, const sdp::session& layout, size_t audio_index,
                      const sdp::session& source, size_t source_index, const local_audio& local) {
    sdp::session s;
    s.orig.username = "-";
    s.orig.session_id = std::to_string(origin.session_id);
    s.orig.address = local.address;
    s.name = "-";
    s.conn = sdp::connection{"IN", "IP4", local.address};
    s.bandwidths = source.bandwidths;
    for (const auto& a : source.attributes) {
        if (!dropped_attribute(a.name)) {
            s.attributes.push_back(a);
        }
    }
    for (size_t i = 0; i < layout.media_sections.size(); ++i) {
        if (i == audio_index) {
            s.media_sections.push_back(anchored(source.media_sections[source_index], local));
        } else {
            s.media_sections.push_back(rejected_copy(layout.media_sections[i]));
        }
    }
    s.orig.session_version = std::to_string(origin.version);
    std::string body = sdp::serialize(s);
    std::string key = without_origin(body);
    if (!origin.last.empty() && key != origin.last) {
        ++origin.version;
        s.orig.session_version = std::to_string(origin.version);
        body = sdp::serialize(s);
    }
    origin.last = std::move(key);
    return body;
}

}  // namespace sbc::cp::media
