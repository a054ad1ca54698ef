#include "dataplane/port_plan.hpp"

#include <algorithm>
#include <cstdio>

#include "dataplane/settings.hpp"

namespace sbc::dp {

namespace {

// RTP at 20 ms packetisation (G.711, the appliance's codecs): what one leg receives.
constexpr uint32_t pps_per_leg = 50;
// Without a media port range or dataplane.port_pps: 500 legs, the default range's size.
constexpr uint32_t fallback_port_pps = 25000;

uint32_t pow2_at_least(uint64_t v) {
    uint32_t p = 1;
    while (p < v && p < (1u << 31)) {
        p <<= 1;
    }
    return p;
}

bool interface_name_ok(const std::string& s) {
    // IFNAMSIZ is 16 with the terminator; the name ends up inside a devargs string.
    return !s.empty() && s.size() < 16 && s.find_first_of(",= /\t\n\r") == std::string::npos;
}

std::string ms_text(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", ms);
    return buf;
}

}  // namespace

const char* port_kind_name(port_kind k) {
    switch (k) {
        case port_kind::af_xdp:
            return "af_xdp";
        case port_kind::af_packet:
            return "af_packet";
        case port_kind::memif:
            return "memif";
    }
    return "?";
}

bool parse_media_port(const std::string& text, media_port& out, std::string& error) {
    const auto colon = text.find(':');
    const std::string kind = colon == std::string::npos ? text : text.substr(0, colon);
    const std::string target = colon == std::string::npos ? "" : text.substr(colon + 1);
    media_port p;
    if (kind == "af_xdp") {
        p.kind = port_kind::af_xdp;
    } else if (kind == "af_packet") {
        p.kind = port_kind::af_packet;
    } else if (kind == "memif") {
        p.kind = port_kind::memif;
    } else {
        error = "'" + text + "': expected af_xdp:IFACE, af_packet:IFACE or memif:/SOCKET/PATH";
        return false;
    }
    if (p.kind == port_kind::memif) {
        if (target.size() < 2 || target[0] != '/' || target.size() > 107 ||
            target.find_first_of(",= \t\n\r") != std::string::npos) {
            error = "'" + text + "': a memif socket is an absolute path of at most 107 bytes " +
                    "without ',', '=' or spaces";
            return false;
        }
    } else if (!interface_name_ok(target)) {
        error = "'" + text + "': '" + target +
                "' is not an interface name (1-15 bytes, no ',', '=', '/' or spaces)";
        return false;
    }
    p.target = target;
    out = p;
    return true;
}

uint32_t configured_port_pps(const settings& s, std::string* source) {
    if (s.port_pps != 0) {
        if (source != nullptr) {
            *source = "dataplane.port_pps";
        }
        return s.port_pps;
    }
    uint64_t legs = 0;
    for (const auto& m : s.media) {
        if (m.port_max > m.port_min) {
            legs = std::max<uint64_t>(legs, (uint64_t{m.port_max} - m.port_min + 1) / 2);
        }
    }
    if (legs == 0) {
        if (source != nullptr) {
            *source =
                "no media port range: " + std::to_string(fallback_port_pps / pps_per_leg) + " legs";
        }
        return fallback_port_pps;
    }
    if (source != nullptr) {
        *source = "media port range: " + std::to_string(legs) + " legs x " +
                  std::to_string(pps_per_leg) + " pps";
    }
    return static_cast<uint32_t>(std::min<uint64_t>(legs * pps_per_leg, 100'000'000));
}

port_plan plan_ports(const settings& s) {
    port_plan plan;
    plan.port_pps = configured_port_pps(s, &plan.pps_source);
    const uint32_t queues = s.workers == 0 ? 1 : s.workers;
    // What must wait in one queue's ring while the worker is away.
    const uint64_t stall = (uint64_t{plan.port_pps} * s.rx_stall_ms + 999) / 1000 / queues;
    const uint32_t frames = std::clamp(pow2_at_least(stall), min_ring_frames, max_ring_frames);
    uint64_t mbufs = 0;
    for (size_t i = 0; i < s.ports.size(); ++i) {
        planned_port p;
        p.dpdk_port = static_cast<uint16_t>(i);
        p.port = s.ports[i];
        const std::string n = std::to_string(i);
        switch (p.port.kind) {
            case port_kind::af_xdp:
                // The rx ring cannot usefully exceed the fill buffers the PMD posts.
                p.rx_frames = std::min(frames, af_xdp_fill_buffers);
                p.tx_frames = p.rx_frames;
                p.stall_frames = p.rx_frames;
                p.vdev = "net_af_xdp" + n + ",iface=" + p.port.target +
                         ",start_queue=0,queue_count=" + std::to_string(queues);
                // The umem is the mbuf pool: the fill ring and the tx ring hold mbufs.
                mbufs += uint64_t{queues} * (af_xdp_fill_buffers * 2 + p.tx_frames);
                break;
            case port_kind::af_packet:
                // TPACKET_V2: frames of 2048 bytes, two per 4096-byte block; the PMD gives rx
                // and tx rings of framecnt each per queue pair. The mbufs are copies.
                p.rx_frames = frames;
                p.tx_frames = frames;
                p.stall_frames = frames;
                p.vdev = "net_af_packet" + n + ",iface=" + p.port.target +
                         ",qpairs=" + std::to_string(queues) +
                         ",blocksz=4096,framesz=2048,framecnt=" + std::to_string(frames);
                mbufs += uint64_t{queues} * 1024;
                break;
            case port_kind::memif:
                // The memif client (the load generator) allocates the rings; rsize is log2.
                p.rx_frames = std::min(frames, 16384u);
                p.tx_frames = p.rx_frames;
                p.stall_frames = p.rx_frames;
                {
                    uint32_t log2 = 0;
                    while ((1u << log2) < p.rx_frames) {
                        ++log2;
                    }
                    p.vdev = "net_memif" + n +
                             ",role=server,id=0,socket-abstract=no,socket=" + p.port.target +
                             ",rsize=" + std::to_string(log2);
                }
                mbufs += uint64_t{queues} * (p.rx_frames + p.tx_frames);
                break;
        }
        plan.ports.push_back(p);
    }
    // Bursts in flight on every lcore, the pool's per-lcore caches, generated packets.
    mbufs += (uint64_t{queues} + 1) * (2 * 64 + 256) + 1024;
    plan.mbufs = static_cast<uint32_t>(std::max<uint64_t>(mbufs, s.mbuf_pool_size));
    return plan;
}

std::vector<std::string> port_plan::describe() const {
    std::vector<std::string> out;
    for (const auto& p : ports) {
        const double ms = port_pps == 0 ? 0.0 : 1000.0 * p.stall_frames / port_pps;
        out.push_back("port " + std::to_string(p.dpdk_port) + " " + port_kind_name(p.port.kind) +
                      " " + p.port.target + ": rx ring " + std::to_string(p.rx_frames) +
                      " frames, tx ring " + std::to_string(p.tx_frames) + " frames; " +
                      std::to_string(p.stall_frames) +
                      " packets may wait for the worker = " + ms_text(ms) + " ms at " +
                      std::to_string(port_pps) + " pps (" + pps_source + ")");
    }
    return out;
}

uint32_t port_plan::rx_frames(uint16_t id) const {
    for (const auto& p : ports) {
        if (p.dpdk_port == id) {
            return p.rx_frames;
        }
    }
    return 0;
}

uint32_t port_plan::tx_frames(uint16_t id) const {
    for (const auto& p : ports) {
        if (p.dpdk_port == id) {
            return p.tx_frames;
        }
    }
    return 0;
}

}  // namespace sbc::dp
