#pragma once
// The access realm's DoS guard ([security.dos]): per-source request rate limiting (a token
// bucket per source IP), a dynamic blacklist with expiry, and the "under attack" state that
// gates initial registrations. It sits in front of the access transport as its source_policy,
// so a flood costs a table lookup per message, never a parse. The core realm (the trusted PBX)
// has no guard.
//
// Triggers (each names the reason it is listed under):
//   request_rate  a source sends more than max_requests_per_source_per_s messages (requests and
//                 responses; keep-alives are free) and new connections, with a burst of one
//                 second's worth;
//   connections   a source opens a TCP/TLS connection while it already holds
//                 max_connections_per_source;
//   malformed     malformed_limit messages that fail to frame or parse within malformed_window.
// A source with a live registration binding ("known") gets known_source_factor times the rate
// and connection allowance. Without dynamic_blacklist the triggers refuse instead: the excess
// stream request gets 503 + Retry-After: 1, the excess UDP datagram is dropped unanswered (a
// 503 to a spoofable source would make us a reflector), the excess connection is refused like
// one over sip.max_connections_per_source; malformed messages are only counted.
//
// While listed, a source's datagrams and stream messages are dropped, its new connections are
// closed at accept (before any TLS handshake) and its open ones were closed when it was listed.
// Both tables are bounded (least recently used evicted), so a spoofed-source flood cannot grow
// memory. Single-threaded, on the access realm's loop; the clock is injected (tests fake it).

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/counters.hpp"
#include "config/appliance.hpp"
#include "sip/transport/source_policy.hpp"
#include "sip/transport/timer_wheel.hpp"

namespace sbc::cp {

struct dos_settings {
    bool dynamic_blacklist = true;
    bool process_initial_registration = true;
    std::uint32_t max_requests_per_source_per_s = 50;
    std::uint32_t blacklist_duration_s = 300;
    std::uint32_t max_connections_per_source = 10;
    // Fixed policy, documented in config/README.md ([security.dos]).
    std::uint32_t malformed_limit = 10;
    std::chrono::seconds malformed_window{60};
    std::uint32_t known_source_factor = 4;
    std::size_t max_sources = 65536;     // sources with a bucket (about 100 bytes each)
    std::size_t max_blacklisted = 4096;  // blacklist entries

    static dos_settings from(const config::dos_section& d);
};

#define SBC_CP_DOS_REASONS(X)                             \
    X(request_rate, "over max_requests_per_source_per_s") \
    X(connections, "over max_connections_per_source")     \
    X(malformed, "repeated malformed messages")

enum class dos_reason : std::uint8_t {
#define SBC_CP_DOS_REASON_ENUM(name, text) name,
    SBC_CP_DOS_REASONS(SBC_CP_DOS_REASON_ENUM)
#undef SBC_CP_DOS_REASON_ENUM
        count_
};
std::string_view dos_reason_name(dos_reason r);

// X(name, kind, unit, help): common/counters.hpp
#define SBC_CP_DOS_COUNTERS(X)                                                                     \
    X(blacklisted_request_rate, counter, "", "sources blacklisted for their request rate")         \
    X(blacklisted_connections, counter, "", "sources blacklisted for too many connections")        \
    X(blacklisted_malformed, counter, "", "sources blacklisted for repeated malformed messages")   \
    X(dropped_datagrams, counter, "", "UDP datagrams from blacklisted sources dropped unanswered") \
    X(dropped_stream_messages, counter, "", "stream messages from blacklisted sources dropped")    \
    X(dropped_connections, counter, "", "connections from blacklisted sources closed at accept")   \
    X(closed_connections, counter, "",                                                             \
      "open connections closed when their source was blacklisted")                                 \
    X(rate_dropped, counter, "",                                                                   \
      "over the rate, dropped (no blacklist: UDP, responses, connections)")                        \
    X(rate_refused, counter, "", "stream requests over the rate answered 503 (no blacklist)")      \
    X(connections_refused, counter, "",                                                            \
      "connections over max_connections_per_source refused (no blacklist)")                        \
    X(malformed, counter, "", "malformed messages seen")                                           \
    X(initial_registers_refused, counter, "", "initial REGISTERs refused 503 while under attack")  \
    X(expired, counter, "", "blacklist entries that expired")                                      \
    X(evicted_blacklisted, counter, "", "blacklist entries evicted to make room (table full)")     \
    X(evicted_sources, counter, "", "rate buckets evicted to make room (table full)")

SBC_COUNTER_FAMILY(dos_counters, "dos", SBC_CP_DOS_COUNTERS);

class dos_guard final : public sip::source_policy {
  public:
    using clock_fn = std::function<sip::time_point()>;
    // Whether a source IP holds a live registration binding.
    using known_fn = std::function<bool(const sip::socket_address& remote)>;
    // A source was just blacklisted: close its connections (transport_layer::close_source).
    // Returns how many were closed.
    using listed_fn = std::function<std::size_t(const sip::socket_address& remote)>;

    dos_guard(const dos_settings& s, clock_fn now);
    ~dos_guard();
    dos_guard(const dos_guard&) = delete;
    dos_guard& operator=(const dos_guard&) = delete;

    void set_known_source(known_fn fn) { known_ = std::move(fn); }
    void on_listed(listed_fn fn) { listed_ = std::move(fn); }

    sip::source_verdict on_connection(const sip::socket_address& remote, std::size_t open) override;
    sip::source_verdict on_message(const sip::socket_address& remote, sip::transport_type type,
                                   sip::message_kind kind) override;
    void on_malformed(const sip::socket_address& remote) override;
    std::uint32_t retry_after_s() const override { return 1; }

    // Lists `remote` now (an operator or a test); false when it already is.
    bool blacklist(const sip::socket_address& remote, dos_reason why);
    bool is_blacklisted(const sip::socket_address& remote);
    // Removes an entry (the operator forgives a source); false when it was not listed.
    bool forgive(const sip::socket_address& remote);

    // A trigger fired (blacklisting, or a refusal without dynamic_blacklist) within the last
    // blacklist_duration_s. Seconds left of that state, 0 when not under attack.
    std::uint32_t under_attack_s() const;
    // process_initial_registration = false: the Retry-After for a REGISTER from a source with no
    // live binding while under attack; nullopt when the REGISTER may go on. Counts refusals.
    std::optional<std::uint32_t> refuse_initial_register(const sip::socket_address& remote);

    std::size_t blacklisted() const;  // entries not yet expired
    std::size_t tracked_sources() const { return sources_by_key_.size(); }
    const dos_counters& counters() const { return counters_; }
    const dos_settings& settings() const { return s_; }
    // New settings (sbcctl config apply): the next decision uses them. Buckets and blacklist
    // entries stay; an entry keeps the expiry it was listed with.
    void set_settings(const dos_settings& s);

    // `sbcctl blacklist`: {"columns": source, reason, remaining_s, hits, listed_s_ago; "rows";
    // "total"}, most recent first; args "limit". Drops expired entries first.
    nlohmann::json blacklist_table(const nlohmann::json& args);
    // `sbcctl security`: settings, state, table sizes, counters.
    nlohmann::json status();

    // The compact per-source key: address family and bytes, port ignored.
    struct source_key {
        std::uint64_t hi = 0, lo = 0;
        std::uint8_t family = 0;
        bool operator==(const source_key&) const = default;
    };

  private:
    struct key_hash {
        std::size_t operator()(const source_key& k) const {
            return std::hash<std::uint64_t>{}(k.hi * 0x9e3779b97f4a7c15ULL ^ k.lo) ^ k.family;
        }
    };
    struct source_state {
        source_key key;
        double tokens = 0;
        sip::time_point refilled{};
        sip::time_point known_checked{};
        sip::time_point malformed_since{};
        std::uint32_t malformed = 0;
        bool known = false;
        bool known_valid = false;
    };
    struct listed {
        source_key key;
        std::string source;  // "192.0.2.7"
        dos_reason reason = dos_reason::request_rate;
        sip::time_point since{};
        sip::time_point until{};
        std::uint64_t hits = 0;  // what was dropped from it while listed
    };
    using source_list = std::list<source_state>;
    using listed_list = std::list<listed>;

    static source_key key_of(const sip::socket_address& a);
    // The live entry for `k` (moved to the front), or nullptr; an expired one is removed.
    listed* find_listed(const source_key& k, sip::time_point now);
    source_state& touch(const source_key& k, const sip::socket_address& remote,
                        sip::time_point now);
    bool known(source_state& st, const sip::socket_address& remote, sip::time_point now);
    // The token bucket: false when empty.
    bool take_token(source_state& st, const sip::socket_address& remote, sip::time_point now);
    // The bucket was empty: blacklist (dynamic_blacklist) or refuse/drop the excess.
    sip::source_verdict over_rate(const sip::socket_address& remote, const source_key& k,
                                  sip::transport_type type, sip::message_kind kind,
                                  sip::time_point now);
    // Lists the source (it is not listed), closes its connections through `listed_`.
    void add(const sip::socket_address& remote, const source_key& k, dos_reason why,
             sip::time_point now);
    void fired(sip::time_point now) { last_trigger_ = now; }
    void drop_expired(sip::time_point now);

    dos_settings s_;
    clock_fn now_;
    known_fn known_;
    listed_fn listed_;
    dos_counters counters_;
    source_list sources_;  // most recently used first
    std::unordered_map<source_key, source_list::iterator, key_hash> sources_by_key_;
    listed_list listed_list_;  // most recently hit first
    std::unordered_map<source_key, listed_list::iterator, key_hash> listed_by_key_;
    std::optional<sip::time_point> last_trigger_;
};

}  // namespace sbc::cp
