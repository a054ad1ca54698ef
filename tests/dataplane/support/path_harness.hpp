#pragma once
// A dataplane without the EAL for unit tests: tables, control, one packet path, frames built
// in plain buffers. Time is in nanoseconds (tsc_hz = 1e9). Two ports: 0 = access
// (10.0.0.1/24, peer 10.0.0.2 at mac 02:00:00:00:00:02), 1 = core (192.168.1.1/24, peer
// 192.168.1.2 at mac 02:00:00:00:01:02).

#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/core/control.hpp"
#include "dataplane/core/headers.hpp"
#include "dataplane/core/path.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/shm/address.hpp"
#include "dataplane/srtp/srtp.hpp"

namespace sbc::test {

inline constexpr uint32_t access_ip = 0x0a000001, access_peer = 0x0a000002;
inline constexpr uint32_t core_ip = 0xc0a80101, core_peer = 0xc0a80102;
inline const shm::mac_address port_mac[2] = {{0x02, 0x70, 0, 0, 0, 0}, {0x02, 0x70, 0, 0, 0, 1}};
inline const shm::mac_address access_peer_mac{0x02, 0, 0, 0, 0, 0x02};
inline const shm::mac_address core_peer_mac{0x02, 0, 0, 0, 1, 0x02};

struct frame {
    std::vector<uint8_t> bytes;  // frame + room
    uint16_t len = 0;
    uint16_t port = 0;
    dp::pkt_desc desc() {
        return dp::pkt_desc{bytes.data(),
                            len,
                            static_cast<uint16_t>(bytes.size() - len),
                            port,
                            0,
                            dp::verdict::drop,
                            0,
                            0};
    }
};

// Ethernet/IPv4/UDP around `payload`, to `dst_mac` (default: the port's MAC).
inline frame make_frame(uint16_t port, uint32_t src_ip, uint16_t sport, uint32_t dst_ip,
                        uint16_t dport, const std::vector<uint8_t>& payload, size_t room = 128,
                        const uint8_t* dst_mac = nullptr) {
    using namespace dp::wire;
    frame f;
    f.port = port;
    f.len = static_cast<uint16_t>(eth_len + ipv4_len + udp_len + payload.size());
    f.bytes.assign(f.len + room, 0);
    uint8_t* d = f.bytes.data();
    std::memcpy(d, dst_mac ? dst_mac : port_mac[port].data(), 6);
    const auto& src_mac = port == 0 ? access_peer_mac : core_peer_mac;
    std::memcpy(d + 6, src_mac.data(), 6);
    store16(d + 12, ethertype_ipv4);
    uint8_t* ip = d + eth_len;
    ip[0] = 0x45;
    ip[1] = 0xb8;
    store16(ip + 2, static_cast<uint16_t>(f.len - eth_len));
    store16(ip + 6, 0x4000);
    ip[8] = 60;
    ip[9] = proto_udp;
    store32(ip + 12, src_ip);
    store32(ip + 16, dst_ip);
    const uint16_t c = ipv4_cksum(ip, ipv4_len);
    std::memcpy(ip + 10, &c, 2);
    uint8_t* udp = ip + ipv4_len;
    store16(udp, sport);
    store16(udp + 2, dport);
    store16(udp + 4, static_cast<uint16_t>(udp_len + payload.size()));
    std::memcpy(udp + udp_len, payload.data(), payload.size());
    udp_fill_cksum(ip, udp, static_cast<uint16_t>(udp_len + payload.size()));
    return f;
}

// The UDP payload of a transmitted descriptor.
inline std::vector<uint8_t> payload_of(const dp::pkt_desc& d) {
    using namespace dp::wire;
    const uint8_t* ip = d.data + eth_len;
    const uint16_t ulen = load16(ip + ipv4_len + udp_length);
    const uint8_t* p = ip + ipv4_len + udp_len;
    return {p, p + (ulen - udp_len)};
}

inline shm::flow_spec make_leg(uint16_t port, uint32_t local_ip, uint16_t local_port,
                               uint16_t partner_port_id, uint32_t partner_ip, uint16_t partner_port,
                               uint32_t peer_ip, uint16_t peer_port, shm::media_protocol proto) {
    shm::flow_spec s{};
    s.key = shm::make_flow_key(port, shm::ipv4(local_ip), local_port);
    s.partner = shm::make_flow_key(partner_port_id, shm::ipv4(partner_ip), partner_port);
    if (peer_ip != 0) {
        s.peer = shm::make_endpoint(shm::ipv4(peer_ip), peer_port);
    }
    s.protocol = proto;
    s.latch = proto == shm::media_protocol::srtp ? shm::latch_policy::srtp_authenticated
                                                 : shm::latch_policy::sdp_address;
    s.cookie = local_port;
    return s;
}

class harness {
  public:
    explicit harness(srtp::engine_kind k = srtp::engine_kind::ipsecmb, uint32_t max_flows = 256,
                     dp::table_memory memory = {})
        : s_(make_params(max_flows, k, memory)),
          t_(s_, 1, nullptr),
          ctl_(t_, [this](const shm::event& e) { replies.push_back(e); }),
          engine_(k),
          notice_mem_(new uint64_t[(shm::spsc_ring<shm::event>::bytes_for(1024) + 7) / 8]) {
        t_.tsc_hz = 1'000'000'000;
        for (int p = 0; p < 2; ++p) {
            t_.ports[p].present = true;
            t_.ports[p].mac = port_mac[p];
        }
        notices_ = shm::spsc_ring<shm::event>::format(notice_mem_.get(), 1024);
        path_ = std::make_unique<dp::path>(t_, engine_, 0, &lcore, &notices_);
        t_.rcu.online(0);
    }

    static dp::table_params make_params(uint32_t max_flows, srtp::engine_kind k,
                                        dp::table_memory memory = {}) {
        dp::table_params s;
        s.memory = memory;
        s.max_flows = max_flows;
        s.engine = k;
        dp::media_address a;
        a.dpdk_port = 0;
        a.addr = shm::ipv4(access_ip);
        a.prefix_len = 24;
        dp::media_address c = a;
        c.dpdk_port = 1;
        c.addr = shm::ipv4(core_ip);
        s.media = {a, c};
        s.neighbours = {{0, shm::ipv4(access_peer), access_peer_mac},
                        {1, shm::ipv4(core_peer), core_peer_mac}};
        return s;
    }

    shm::event command(const shm::command& c) {
        replies.clear();
        ctl_.apply(c, now);
        return replies.empty() ? shm::event{} : replies.back();
    }
    shm::event add(const shm::flow_spec& f, uint16_t flags = 0) {
        shm::command c{};
        c.type = shm::command_type::flow_add;
        c.flags = flags;
        c.seq = ++seq_;
        c.flow = f;
        return command(c);
    }
    shm::event update(const shm::flow_spec& f, uint16_t flags = 0) {
        shm::command c{};
        c.type = shm::command_type::flow_update;
        c.flags = flags;
        c.seq = ++seq_;
        c.flow = f;
        return command(c);
    }
    shm::event del(const shm::flow_key& k, uint16_t flags = 0) {
        shm::command c{};
        c.type = shm::command_type::flow_del;
        c.flags = flags;
        c.seq = ++seq_;
        c.key = k;
        return command(c);
    }
    shm::event roll(const shm::flow_key& k, shm::key_direction d, const shm::srtp_key& m) {
        shm::command c{};
        c.type = shm::command_type::key_roll;
        c.seq = ++seq_;
        c.roll.key = k;
        c.roll.direction = d;
        c.roll.key_material = m;
        return command(c);
    }

    // Runs one burst; frames keep the result (desc.data/len after the path).
    std::vector<dp::pkt_desc> run(std::vector<frame>& frames) {
        std::vector<dp::pkt_desc> d;
        for (auto& f : frames) {
            d.push_back(f.desc());
        }
        path_->process(d.data(), static_cast<uint16_t>(d.size()), now);
        t_.rcu.quiescent(0);
        ctl_.reclaim();
        return d;
    }
    dp::pkt_desc run1(frame f) {
        std::vector<frame> v{std::move(f)};
        auto d = run(v);
        last_ = std::move(v[0]);  // keeps the buffer d[0].data points into
        return d[0];
    }

    std::vector<shm::event> notices() {
        std::vector<shm::event> out;
        shm::event e;
        while (notices_.pop(e)) {
            out.push_back(e);
        }
        return out;
    }
    uint64_t drops(shm::drop_reason r) const { return lcore.drops[static_cast<size_t>(r)]; }
    const shm::flow_counters& flow(uint32_t slot) const { return t_.counters[slot]; }

    dp::tables& tables() { return t_; }
    dp::control& control() { return ctl_; }
    dp::path& path() { return *path_; }

    std::vector<shm::event> replies;
    shm::lcore_counters lcore{};
    uint64_t now = 1'000'000'000;

  private:
    dp::table_params s_;
    dp::tables t_;
    dp::control ctl_;
    srtp::engine engine_;
    std::unique_ptr<uint64_t[]> notice_mem_;
    shm::spsc_ring<shm::event> notices_;
    std::unique_ptr<dp::path> path_;
    uint64_t seq_ = 0;
    frame last_;
};

}  // namespace sbc::test
