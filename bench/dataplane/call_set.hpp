#pragma once
// Many calls installed in an EAL-free dataplane (tables + control + path), and bursts of
// G.711/20 ms packets for them, for the dataplane benchmarks. Each call: access leg (port 0)
// and core leg (port 1); SRTP legs use AES_CM_128_HMAC_SHA1_80 with a key per leg.

#include <x86intrin.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "dataplane/core/control.hpp"
#include "dataplane/core/headers.hpp"
#include "dataplane/core/path.hpp"
#include "dataplane/core/rewrite.hpp"
#include "dataplane/core/tables.hpp"
#include "dataplane/srtp/srtp.hpp"

namespace sbc::bench {

// Streams of one direction for every call (the peers of the calls, and the bare engine in the
// macro bench), constructed in place (stream has no default
// outbound constructor and is not movable).
class stream_array {
  public:
    stream_array(size_t n, srtp::direction d) : n_(n) {
        mem_ = static_cast<srtp::stream*>(
            ::operator new[](n * sizeof(srtp::stream), std::align_val_t{64}));
        for (size_t i = 0; i < n; ++i) {
            new (&mem_[i]) srtp::stream(d);
        }
    }
    ~stream_array() {
        for (size_t i = 0; i < n_; ++i) {
            mem_[i].~stream();
        }
        ::operator delete[](mem_, std::align_val_t{64});
    }
    stream_array(const stream_array&) = delete;
    stream_array& operator=(const stream_array&) = delete;
    srtp::stream& operator[](size_t i) { return mem_[i]; }
    const srtp::stream& operator[](size_t i) const { return mem_[i]; }

  private:
    srtp::stream* mem_;
    size_t n_;
};

inline uint64_t tsc_hz() {
    static const uint64_t hz = [] {
        const auto t0 = std::chrono::steady_clock::now();
        const uint64_t c0 = __rdtsc();
        while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200)) {
        }
        const uint64_t c1 = __rdtsc();
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return static_cast<uint64_t>(static_cast<double>(c1 - c0) / s);
    }();
    return hz;
}

inline shm::srtp_key bench_key(uint32_t seed) {
    shm::srtp_key k{};
    k.suite = shm::srtp_suite::aes_cm_128_hmac_sha1_80;
    k.master_key_len = 16;
    k.master_salt_len = 14;
    for (int i = 0; i < 16; ++i) {
        k.master_key[i] = static_cast<uint8_t>(seed * 131 + i * 7 + 3);
    }
    for (int i = 0; i < 14; ++i) {
        k.master_salt[i] = static_cast<uint8_t>((seed >> 8) * 17 + i * 13 + 5);
    }
    return k;
}

enum class mode { srtp_to_rtp, rtp_to_srtp, srtp_to_srtp, rtp_to_rtp };

inline const char* mode_id(mode m) {
    switch (m) {
        case mode::srtp_to_rtp:
            return "srtp_to_rtp";
        case mode::rtp_to_srtp:
            return "rtp_to_srtp";
        case mode::srtp_to_srtp:
            return "srtp_to_srtp";
        case mode::rtp_to_rtp:
            break;
    }
    return "rtp_to_rtp";
}

inline const char* mode_name(mode m) {
    switch (m) {
        case mode::srtp_to_rtp:
            return "SRTP->RTP";
        case mode::rtp_to_srtp:
            return "RTP->SRTP";
        case mode::srtp_to_srtp:
            return "SRTP->SRTP";
        case mode::rtp_to_rtp:
            break;
    }
    return "RTP->RTP";
}

inline constexpr uint16_t payload_bytes = 160;  // G.711, 20 ms
inline constexpr uint16_t rtp_bytes = 12 + payload_bytes;
inline constexpr uint16_t frame_room = 2048;
inline constexpr uint32_t addrs_per_port = 8;

class call_set {
  public:
    // The receiving leg is the access leg for SRTP->*, the core leg for RTP->SRTP.
    // `offload`: the ports fill IPv4 and UDP checksums (as 10 GbE NICs do).
    call_set(uint32_t calls, mode m, srtp::engine_kind k = srtp::engine_kind::ipsecmb,
             bool offload = false)
        : calls_(calls),
          mode_(m),
          s_(make_params(calls, k)),
          t_(s_, 1, nullptr),
          ctl_(t_, [this](const shm::event& e) { last_ = e; }),
          engine_(k),
          notice_mem_(new uint64_t[(shm::spsc_ring<shm::event>::bytes_for(1 << 16) + 7) / 8]) {
        t_.tsc_hz = tsc_hz();
        for (int p = 0; p < 2; ++p) {
            t_.ports[p].present = true;
            t_.ports[p].mac = {0x02, 0x70, 0, 0, 0, static_cast<uint8_t>(p)};
            t_.ports[p].tx_ip_cksum = offload;
            t_.ports[p].tx_udp_cksum = offload;
        }
        notices_ = shm::spsc_ring<shm::event>::format(notice_mem_.get(), 1 << 16);
        path_ = std::make_unique<dp::path>(t_, engine_, 0, &lcore_, &notices_);
        t_.rcu.online(0);
        // The access leg is SRTP except in RTP->RTP; the core leg only in SRTP->SRTP.
        const bool a_srtp = m != mode::rtp_to_rtp;
        const bool b_srtp = m == mode::srtp_to_srtp;
        for (uint32_t c = 0; c < calls; ++c) {
            auto a = leg(0, c, a_srtp);
            auto b = leg(1, c, b_srtp);
            a.partner = b.key;
            b.partner = a.key;
            install(a);
            install(b);
        }
        // Sender-side streams (the peers): for SRTP input, a peer outbound stream per call.
        rx_port_ = m == mode::rtp_to_srtp ? 1 : 0;
        if (m == mode::srtp_to_rtp || m == mode::srtp_to_srtp) {
            peers_ = std::make_unique<stream_array>(calls, srtp::direction::outbound);
            for (uint32_t c = 0; c < calls; ++c) {
                if ((*peers_)[c].set_key(bench_key(c * 4 + 0), k) != srtp::key_error::none) {
                    throw std::runtime_error("peer key");
                }
            }
        }
        seq_.assign(calls, 1000);
        mem_.resize(static_cast<size_t>(dp::max_burst) * frame_room);
    }

    static dp::table_params make_params(uint32_t calls, srtp::engine_kind k) {
        dp::table_params s;
        s.max_flows = 2 * calls + 64;
        s.engine = k;
        for (uint16_t p = 0; p < 2; ++p) {
            for (uint32_t i = 0; i < addrs_per_port; ++i) {
                dp::media_address m;
                m.dpdk_port = p;
                m.addr = shm::ipv4((p == 0 ? 0x0a000000u : 0xc0a80000u) | (i + 1));
                m.prefix_len = 16;
                s.media.push_back(m);
            }
            s.neighbours.push_back({p,
                                    shm::ipv4(p == 0 ? 0x0a00ff01u : 0xc0a8ff01u),
                                    {0x02, 0, 0, 0, static_cast<uint8_t>(p), 1}});
        }
        return s;
    }

    // The local endpoint of call c on port p.
    static uint32_t local_ip(uint16_t p, uint32_t c) {
        return (p == 0 ? 0x0a000000u : 0xc0a80000u) | (c % addrs_per_port + 1);
    }
    static uint16_t local_port(uint32_t c) {
        return static_cast<uint16_t>(2000 + 2 * (c / addrs_per_port));
    }
    static uint32_t peer_ip(uint16_t p) { return p == 0 ? 0x0a00ff01u : 0xc0a8ff01u; }

    shm::flow_spec leg(uint16_t p, uint32_t c, bool srtp) const {
        shm::flow_spec s{};
        s.key = shm::make_flow_key(p, shm::ipv4(local_ip(p, c)), local_port(c));
        s.peer = shm::make_endpoint(shm::ipv4(peer_ip(p)), local_port(c));
        s.protocol = srtp ? shm::media_protocol::srtp : shm::media_protocol::rtp;
        s.latch = srtp ? shm::latch_policy::srtp_authenticated : shm::latch_policy::sdp_address;
        if (srtp) {
            s.rx = bench_key(c * 4 + (p == 0 ? 0 : 2));
            s.tx = bench_key(c * 4 + (p == 0 ? 1 : 3));
        }
        s.cookie = c;
        return s;
    }

    void install(const shm::flow_spec& s) {
        shm::command cmd{};
        cmd.type = shm::command_type::flow_add;
        cmd.flow = s;
        ctl_.apply(cmd, 1);
        if (last_.type != shm::event_type::ack) {
            throw std::runtime_error(std::string("flow_add refused: ") +
                                     shm::nack_reason_text[static_cast<size_t>(last_.reason)]);
        }
    }

    // Builds the next burst of `n` packets (one per call, round robin) into the buffers;
    // SRTP input is protected by the peers' streams. Not part of the measured path.
    void prepare(uint16_t n) {
        n_ = n;
        for (uint16_t i = 0; i < n; ++i) {
            const uint32_t c = cursor_;
            cursor_ = cursor_ + 1 == calls_ ? 0 : cursor_ + 1;
            call_[i] = c;
            uint8_t* f = mem_.data() + static_cast<size_t>(i) * frame_room;
            uint8_t* rtp = f + 42;
            const uint16_t seq = seq_[c]++;
            rtp[0] = 0x80;
            rtp[1] = 0;
            dp::wire::store16(rtp + 2, seq);
            dp::wire::store32(rtp + 4, static_cast<uint32_t>(seq) * 160u);
            dp::wire::store32(rtp + 8, 0x10000000u + c);
            std::memset(rtp + 12, 0xd5, payload_bytes);
            plen_[i] = rtp_bytes;
            if (peers_) {
                crypto_[i] = srtp::packet{rtp,
                                          &(*peers_)[c],
                                          rtp_bytes,
                                          static_cast<uint16_t>(frame_room - 42),
                                          srtp::status::ok,
                                          0,
                                          0};
            }
        }
        if (peers_) {
            srtp::protect_rtp(engine_, crypto_, n);
            for (uint16_t i = 0; i < n; ++i) {
                plen_[i] = crypto_[i].len;
            }
        }
        const uint16_t p = rx_port_;
        const uint8_t peer_mac[6] = {0x02, 0, 0, 0, static_cast<uint8_t>(p), 1};
        for (uint16_t i = 0; i < n; ++i) {
            uint8_t* f = mem_.data() + static_cast<size_t>(i) * frame_room;
            const uint32_t c = call_[i];
            dp::write_headers(f, t_.ports[p].mac.data(), peer_mac, peer_ip(p), local_port(c),
                              local_ip(p, c), local_port(c), 0xb8, plen_[i], false, false);
            desc_[i] = dp::pkt_desc{f,
                                    static_cast<uint16_t>(42 + plen_[i]),
                                    static_cast<uint16_t>(frame_room - 42 - plen_[i]),
                                    p,
                                    0,
                                    dp::verdict::drop,
                                    0,
                                    0};
        }
    }

    // The measured part: one burst through the path. Returns TSC cycles.
    uint64_t run() {
        const uint64_t t0 = __rdtsc();
        path_->process(desc_, n_, t0);
        const uint64_t t1 = __rdtsc();
        t_.rcu.quiescent(0);
        shm::event e;
        while (notices_.pop(e)) {
        }
        return t1 - t0;
    }

    // The same, timing each stage (path::process_profiled). Returns TSC cycles.
    uint64_t run_profiled(dp::stage_profile& sp) {
        const uint64_t t0 = __rdtsc();
        path_->process_profiled(desc_, n_, t0, sp);
        const uint64_t t1 = __rdtsc();
        t_.rcu.quiescent(0);
        shm::event e;
        while (notices_.pop(e)) {
        }
        return t1 - t0;
    }

    uint16_t forwarded() const {
        uint16_t k = 0;
        for (uint16_t i = 0; i < n_; ++i) {
            k += desc_[i].v == dp::verdict::transmit;
        }
        return k;
    }
    const shm::lcore_counters& counters() const { return lcore_; }
    dp::pkt_desc* descs() { return desc_; }
    uint16_t burst() const { return n_; }
    srtp::engine& engine() { return engine_; }
    dp::tables& tables() { return t_; }
    dp::control& control() { return ctl_; }

  private:
    uint32_t calls_;
    mode mode_;
    dp::table_params s_;
    dp::tables t_;
    dp::control ctl_;
    srtp::engine engine_;
    std::unique_ptr<uint64_t[]> notice_mem_;
    shm::spsc_ring<shm::event> notices_;
    std::unique_ptr<dp::path> path_;
    shm::lcore_counters lcore_{};
    shm::event last_{};
    std::unique_ptr<stream_array> peers_;
    std::vector<uint16_t> seq_;
    std::vector<uint8_t> mem_;
    uint32_t cursor_ = 0;
    uint16_t rx_port_ = 0;
    uint16_t n_ = 0;
    uint32_t call_[dp::max_burst];
    uint16_t plen_[dp::max_burst];
    srtp::packet crypto_[dp::max_burst];
    dp::pkt_desc desc_[dp::max_burst];
};

}  // namespace sbc::bench
