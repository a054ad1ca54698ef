#include "bench/media/load_traffic.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench/media/load_packets.hpp"
#include "dataplane/srtp/srtp.hpp"
#include "tests/dataplane/srtp/srtp_test_util.hpp"

namespace sbc::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr uint16_t warmup_packets = 2;  // sequence numbers 0 and 1: never counted
constexpr int batch = 64;

enum class phase : int { warmup, measure, drain, done };

struct shared_state {
    std::atomic<int> ready{0};
    std::atomic<int> warmed{0};
    std::atomic<phase> now{phase::warmup};
    std::atomic<bool> failed{false};
    std::string error;
};

// One side: sends its direction (if enabled), receives the other.
class side {
  public:
    side(const traffic_plan& plan, const std::vector<load_call>& calls, bool access)
        : plan_(plan), calls_(calls), access_(access), port_to_call_(65536, -1) {
        for (size_t i = 0; i < calls.size(); ++i) {
            // Packets come back from the leg on our side.
            const uint16_t p = access ? calls[i].access_sbc_port : calls[i].core_sbc_port;
            port_to_call_[p] = static_cast<int32_t>(i);
        }
    }

    void run(shared_state& st, side_stats& out) {
        link_ = access_ ? plan_.access_link() : plan_.core_link();
        if (const std::string err = link_ ? link_->open() : "no link"; !err.empty()) {
            fail(st, err);
            return;
        }
        if (access_) {
            try {
                // Debian's libsrtp2 keys its sessions through NSS: milliseconds to create each,
                // and freeing them is quadratic in their number (10,000 took more than the run's
                // 15-minute timeout). So libsrtp2, the independent reference, protects and checks
                // every packet of one call in `sample_every`; the other calls' SRTP is protected
                // by the project's own engine (intel-ipsec-mb) and checked by length, header and
                // SSRC. A fault common to the engine and the SBC's path is caught on the sample.
                protect_.resize(calls_.size());
                unprotect_.resize(calls_.size());
                fast_.resize(calls_.size());
                for (size_t i = 0; i < calls_.size(); ++i) {
                    if (i % plan_.sample_every == 0) {
                        protect_[i] =
                            std::make_unique<srtp::test::ref_session>(calls_[i].client_key, false);
                        unprotect_[i] =
                            std::make_unique<srtp::test::ref_session>(calls_[i].sbc_key, true);
                        continue;
                    }
                    fast_[i] = std::make_unique<srtp::stream>(srtp::direction::outbound);
                    if (fast_[i]->set_key(calls_[i].client_key, srtp::engine_kind::ipsecmb) !=
                        srtp::key_error::none) {
                        throw std::runtime_error("the engine refused call " + std::to_string(i) +
                                                 "'s key");
                    }
                }
                engine_ = std::make_unique<srtp::engine>(srtp::engine_kind::ipsecmb);
            } catch (const std::exception& e) {
                fail(st, std::string("SRTP set-up: ") + e.what());
                return;
            }
        }
        ++st.ready;
        const bool sending = access_ ? plan_.access_to_core : plan_.core_to_access;
        // Warm-up: the access side first (its SRTP latches the access legs), then the core.
        if (!access_) {
            wait_for([&] { return st.warmed.load() >= 1; }, 2s);
            std::this_thread::sleep_for(100ms);
        }
        for (uint16_t w = 0; w < warmup_packets; ++w) {
            for (size_t i = 0; i < calls_.size(); ++i) {
                queue(static_cast<uint32_t>(i), w);
                if (pending_ == batch) {
                    flush(out, false);
                }
            }
            flush(out, false);
            std::this_thread::sleep_for(50ms);
        }
        ++st.warmed;
        // Let the warm-up arrive and the other side finish its own.
        const auto warm_end = clock_type::now() + 1s;
        while (clock_type::now() < warm_end || st.warmed.load() < 2) {
            receive(out, false);
            if (clock_type::now() > warm_end + 5s) {
                break;
            }
            wait_readable(1ms);
        }
        while (st.now.load() == phase::warmup) {
            receive(out, false);
            wait_readable(1ms);
        }
        // Measured interval: packet k of this side goes to call k % n with sequence 2 + k / n.
        const auto start = clock_type::now();
        const double pps = sending ? plan_.pps : 0.0;
        const uint64_t total = static_cast<uint64_t>(pps * plan_.seconds);
        const uint64_t n = calls_.size();
        uint64_t k = 0;
        while (st.now.load() == phase::measure && k < total) {
            const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
            const uint64_t due =
                std::min<uint64_t>(total, static_cast<uint64_t>(pps * elapsed) + 1);
            while (k < due) {
                queue(static_cast<uint32_t>(k % n), static_cast<uint16_t>(warmup_packets + k / n));
                ++k;
                if (pending_ == batch) {
                    flush(out, true);
                }
            }
            flush(out, true);
            receive(out, true);
            const double next = static_cast<double>(k) / pps;
            const auto wait = std::chrono::duration<double>(next - elapsed);
            if (wait > 0s) {
                wait_readable(std::min<std::chrono::nanoseconds>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(wait), 1ms));
            }
        }
        sent_all_ = true;
        while (st.now.load() != phase::done) {
            receive(out, true);
            wait_readable(1ms);
        }
        out.socket_drops = link_->receive_drops();
        link_.reset();
    }

    bool sent_all() const { return sent_all_.load(); }

  private:
    template <typename Pred>
    static void wait_for(Pred p, std::chrono::milliseconds limit) {
        const auto end = clock_type::now() + limit;
        while (!p() && clock_type::now() < end) {
            std::this_thread::sleep_for(1ms);
        }
    }

    void fail(shared_state& st, const std::string& why) {
        st.error = (access_ ? "access side: " : "core side: ") + why;
        st.failed = true;
        ++st.ready;
        ++st.warmed;
    }

    void wait_readable(std::chrono::nanoseconds t) { link_->wait(t); }

    void queue(uint32_t call, uint16_t seq) {
        const load_call& c = calls_[call];
        std::vector<uint8_t>& pkt = tx_buf_[pending_];
        pkt.resize(rtp_packet_len);
        build_rtp(pkt.data(), call, access_ ? 0 : 1, access_ ? c.access_ssrc : c.core_ssrc, seq);
        if (access_ && !protect(call, pkt)) {
            return;
        }
        tx_ptr_[pending_] = pkt.data();
        tx_len_[pending_] = static_cast<uint16_t>(pkt.size());
        tx_port_[pending_] = access_ ? c.access_sbc_port : c.core_sbc_port;
        ++pending_;
    }

    bool protect(uint32_t call, std::vector<uint8_t>& pkt) {
        if (protect_[call] != nullptr) {
            return protect_[call]->protect(pkt) == srtp_err_status_ok;
        }
        const auto len = static_cast<uint16_t>(pkt.size());
        pkt.resize(pkt.size() + srtp_tag_len);
        srtp::packet sp{};
        sp.data = pkt.data();
        sp.strm = fast_[call].get();
        sp.len = len;
        sp.capacity = static_cast<uint16_t>(pkt.size());
        if (srtp::protect_rtp(*engine_, &sp, 1) != 1) {
            return false;
        }
        pkt.resize(sp.len);
        return true;
    }

    void flush(side_stats& out, bool counted) {
        const int done = pending_ == 0 ? 0 : link_->send(tx_ptr_, tx_len_, tx_port_, pending_);
        if (counted) {
            out.sent += static_cast<uint64_t>(done);
            out.send_failed += static_cast<uint64_t>(pending_ - done);
        }
        pending_ = 0;
    }

    // Drains what is receivable now (bounded: a few batches per call).
    void receive(side_stats& out, bool counted) {
        for (int round = 0; round < 16; ++round) {
            rx_item items[batch];
            const int r = link_->receive(items, batch);
            for (int i = 0; i < r; ++i) {
                check(items[i].data, items[i].len, items[i].src_port, out, counted);
            }
            if (r < batch) {
                return;
            }
        }
    }

    void check(const uint8_t* p, size_t len, uint16_t from_port, side_stats& out, bool counted) {
        const int32_t call = port_to_call_[from_port];
        if (call < 0) {
            out.unknown_source += counted ? 1 : 0;
            return;
        }
        const load_call& c = calls_[static_cast<size_t>(call)];
        // What arrives here was sent by the other side: its direction and its SSRC.
        const uint8_t dir = access_ ? 1 : 0;
        const uint32_t ssrc = access_ ? c.core_ssrc : c.access_ssrc;
        if (len < 12 || rtp_seq(p) < warmup_packets) {
            return;  // warm-up
        }
        if (!counted) {
            return;
        }
        bool good;
        if (!access_) {
            good = check_rtp(p, len, static_cast<uint32_t>(call), dir, ssrc);
        } else {
            good = len == rtp_packet_len + srtp_tag_len && p[0] == 0x80 && rtp_ssrc(p) == ssrc;
            if (good && unprotect_[static_cast<size_t>(call)] != nullptr) {
                std::vector<uint8_t> copy(p, p + len);
                good =
                    unprotect_[static_cast<size_t>(call)]->unprotect(copy) == srtp_err_status_ok &&
                    check_rtp(copy.data(), rtp_packet_len, static_cast<uint32_t>(call), dir, ssrc);
                out.decrypted += good ? 1 : 0;
            }
        }
        if (good) {
            ++out.received;
        } else {
            ++out.bad;
        }
    }

    const traffic_plan& plan_;
    const std::vector<load_call>& calls_;
    bool access_;
    std::vector<int32_t> port_to_call_;
    std::unique_ptr<link> link_;
    std::vector<std::unique_ptr<srtp::test::ref_session>> protect_, unprotect_;  // the sample
    std::vector<std::unique_ptr<srtp::stream>> fast_;  // the other calls' outbound SRTP
    std::unique_ptr<srtp::engine> engine_;
    std::vector<uint8_t> tx_buf_[batch];
    const uint8_t* tx_ptr_[batch] = {};
    uint16_t tx_len_[batch] = {};
    uint16_t tx_port_[batch] = {};
    int pending_ = 0;
    std::atomic<bool> sent_all_{false};
};

}  // namespace

traffic_result run_traffic(const traffic_plan& plan, const std::vector<load_call>& calls,
                           const std::function<void()>& on_start,
                           const std::function<void()>& on_end) {
    traffic_result r;
    shared_state st;
    auto acc = std::make_unique<side>(plan, calls, true);
    auto core = std::make_unique<side>(plan, calls, false);
    std::thread ta([&] { acc->run(st, r.access); });
    std::thread tc([&] { core->run(st, r.core); });
    // Session set-up of 10,000 calls takes a while with NSS-backed libsrtp2.
    const auto limit = clock_type::now() + 600s;
    while ((st.ready.load() < 2 || st.warmed.load() < 2) && clock_type::now() < limit) {
        std::this_thread::sleep_for(1ms);
    }
    std::fprintf(stderr, "media_load: warm-up sent (%d of 2 sides ready)\n", st.warmed.load());
    // The warm-up's last packets land, then the counters are read and the clock starts.
    std::this_thread::sleep_for(1200ms);
    on_start();
    const auto t0 = clock_type::now();
    st.now = phase::measure;
    const auto measure_end = t0 + std::chrono::duration<double>(plan.seconds) + 5s;
    while (!(acc->sent_all() && core->sent_all()) && !st.failed.load() &&
           clock_type::now() < measure_end) {
        std::this_thread::sleep_for(1ms);
    }
    r.measured_seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    st.now = phase::drain;
    std::this_thread::sleep_for(1s);
    on_end();
    st.now = phase::done;
    ta.join();
    tc.join();
    if (st.failed) {
        r.error = st.error;
    }
    return r;
}

}  // namespace sbc::bench
