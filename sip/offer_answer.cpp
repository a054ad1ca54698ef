#include "sip/offer_answer.hpp"

#include <algorithm>

#include "sip/text.hpp"

namespace sbc::sip::sdp {
namespace {

struct static_pt {
    const char* pt;
    const char* encoding;
    uint32_t clock;
};
// RFC 3551 §6 static audio payload types an SBC meets.
constexpr static_pt static_pts[] = {
    {"0", "PCMU", 8000}, {"3", "GSM", 8000},  {"4", "G723", 8000},
    {"8", "PCMA", 8000}, {"9", "G722", 8000}, {"18", "G729", 8000},
};

bool matches(const codec& c, std::string_view encoding, uint32_t clock, std::string_view channels) {
    if (!iequals(c.encoding, encoding) || c.clock_rate != clock) {
        return false;
    }
    if (c.channels.empty()) {
        return true;
    }
    // Absent channel count means 1 (RFC 8866 §6.6).
    std::string_view have = channels.empty() ? std::string_view("1") : channels;
    return have == c.channels;
}

}  // namespace

direction answer_direction(direction offered, direction local) {
    auto can_send = [](direction d) {
        return d == direction::sendrecv || d == direction::sendonly;
    };
    auto can_recv = [](direction d) {
        return d == direction::sendrecv || d == direction::recvonly;
    };
    // We may send only if the offerer receives, and receive only if the offerer sends.
    bool send = can_recv(offered) && can_send(local);
    bool recv = can_send(offered) && can_recv(local);
    if (send && recv) {
        return direction::sendrecv;
    }
    if (send) {
        return direction::sendonly;
    }
    if (recv) {
        return direction::recvonly;
    }
    return direction::inactive;
}

std::vector<std::string> intersect_codecs(const media& offer, const std::vector<codec>& supported) {
    std::vector<std::string> out;
    auto maps = offer.rtpmaps();
    for (const std::string& fmt : offer.formats) {
        auto pt = parse_uint(fmt, 127);
        if (!pt) {
            continue;
        }
        const rtpmap* rm = nullptr;
        for (const rtpmap& r : maps) {
            if (r.payload_type == *pt) {
                rm = &r;
                break;
            }
        }
        bool ok = false;
        for (const codec& c : supported) {
            if (rm) {
                ok = matches(c, rm->encoding, rm->clock_rate, rm->encoding_params);
            } else {
                for (const static_pt& s : static_pts) {
                    if (fmt == s.pt && matches(c, s.encoding, s.clock, "")) {
                        ok = true;
                    }
                }
            }
            if (ok) {
                break;
            }
        }
        if (ok) {
            out.push_back(fmt);
        }
    }
    return out;
}

void keep_formats(media& m, const std::vector<std::string>& payload_types) {
    auto kept = [&](std::string_view pt) {
        return std::find(payload_types.begin(), payload_types.end(), pt) != payload_types.end();
    };
    std::erase_if(m.formats, [&](const std::string& f) { return !kept(f); });
    std::erase_if(m.attributes, [&](const attribute& a) {
        if (a.name != "rtpmap" && a.name != "fmtp") {
            return false;
        }
        std::string_view v = a.value;
        return !kept(v.substr(0, v.find(' ')));
    });
}

void reject_stream(media& m) {
    m.port = 0;
    m.port_count.reset();
    if (m.formats.size() > 1) {
        m.formats.resize(1);
    }
    if (m.formats.empty()) {
        m.formats.emplace_back("0");
    }
    m.attributes.clear();
    m.bandwidths.clear();
}

}  // namespace sbc::sip::sdp
