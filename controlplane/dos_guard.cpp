#include "controlplane/dos_guard.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "controlplane/counters_json.hpp"

namespace sbc::cp {

namespace {

using std::chrono::duration;
using std::chrono::seconds;

std::uint32_t seconds_until(sip::time_point now, sip::time_point then) {
    if (then <= now) {
        return 0;
    }
    // Rounded up: an entry with 0.2 s left is shown as 1 s, not as gone.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(then - now).count();
    return static_cast<std::uint32_t>((ms + 999) / 1000);
}

}  // namespace

dos_settings dos_settings::from(const config::dos_section& d) {
    dos_settings s;
    s.dynamic_blacklist = d.dynamic_blacklist;
    s.process_initial_registration = d.process_initial_registration;
    s.max_requests_per_source_per_s = d.max_requests_per_source_per_s;
    s.blacklist_duration_s = d.blacklist_duration_s;
    s.max_connections_per_source = d.max_connections_per_source;
    return s;
}

std::string_view dos_reason_name(dos_reason r) {
    switch (r) {
#define SBC_CP_DOS_REASON_NAME(name, text) \
    case dos_reason::name:                 \
        return #name;
        SBC_CP_DOS_REASONS(SBC_CP_DOS_REASON_NAME)
#undef SBC_CP_DOS_REASON_NAME
        case dos_reason::count_:
            break;
    }
    return "unknown";
}

dos_guard::dos_guard(const dos_settings& s, clock_fn now) : now_(std::move(now)) {
    set_settings(s);
}

void dos_guard::set_settings(const dos_settings& s) {
    s_ = s;
    s_.max_sources = std::max<std::size_t>(s_.max_sources, 1);
    s_.max_blacklisted = std::max<std::size_t>(s_.max_blacklisted, 1);
    s_.max_requests_per_source_per_s = std::max<std::uint32_t>(s_.max_requests_per_source_per_s, 1);
    s_.known_source_factor = std::max<std::uint32_t>(s_.known_source_factor, 1);
}

dos_guard::~dos_guard() = default;

dos_guard::source_key dos_guard::key_of(const sip::socket_address& a) {
    source_key k;
    k.family = static_cast<std::uint8_t>(a.family());
    if (a.family() == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a.sa());
        k.lo = ntohl(in->sin_addr.s_addr);
    } else if (a.family() == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a.sa());
        std::memcpy(&k.hi, in6->sin6_addr.s6_addr, 8);
        std::memcpy(&k.lo, in6->sin6_addr.s6_addr + 8, 8);
    }
    return k;
}

dos_guard::listed* dos_guard::find_listed(const source_key& k, sip::time_point now) {
    auto it = listed_by_key_.find(k);
    if (it == listed_by_key_.end()) {
        return nullptr;
    }
    if (now >= it->second->until) {
        ++counters_.expired;
        spdlog::info("dos: {} no longer blacklisted ({} dropped while listed)", it->second->source,
                     it->second->hits);
        listed_list_.erase(it->second);
        listed_by_key_.erase(it);
        return nullptr;
    }
    listed_list_.splice(listed_list_.begin(), listed_list_, it->second);
    return &*it->second;
}

dos_guard::source_state& dos_guard::touch(const source_key& k, const sip::socket_address& remote,
                                          sip::time_point now) {
    auto it = sources_by_key_.find(k);
    if (it != sources_by_key_.end()) {
        sources_.splice(sources_.begin(), sources_, it->second);
        return *it->second;
    }
    if (sources_by_key_.size() >= s_.max_sources) {
        // A spoofed-source flood churns this table; the oldest bucket goes (its source starts
        // again with a full one, which is all a spoofed address could ever use anyway).
        sources_by_key_.erase(sources_.back().key);
        sources_.pop_back();
        ++counters_.evicted_sources;
    }
    source_state st;
    st.key = k;
    st.refilled = now;
    st.malformed_since = now;
    sources_.push_front(st);
    sources_by_key_.emplace(k, sources_.begin());
    source_state& fresh = sources_.front();
    // Burst: one second's worth (of the allowance this source has).
    fresh.tokens = static_cast<double>(s_.max_requests_per_source_per_s) *
                   (known(fresh, remote, now) ? s_.known_source_factor : 1);
    return fresh;
}

bool dos_guard::known(source_state& st, const sip::socket_address& remote, sip::time_point now) {
    if (!known_) {
        return false;
    }
    // Bindings change slowly: ask the registrar at most once a second per source.
    if (!st.known_valid || now - st.known_checked >= seconds(1)) {
        st.known = known_(remote);
        st.known_checked = now;
        st.known_valid = true;
    }
    return st.known;
}

void dos_guard::add(const sip::socket_address& remote, const source_key& k, dos_reason why,
                    sip::time_point now) {
    if (listed_by_key_.size() >= s_.max_blacklisted) {
        // The least recently hit entry goes: a source still flooding keeps its place.
        ++counters_.evicted_blacklisted;
        listed_by_key_.erase(listed_list_.back().key);
        listed_list_.pop_back();
    }
    listed e;
    e.key = k;
    e.source = remote.ip();
    e.reason = why;
    e.since = now;
    e.until = now + seconds(s_.blacklist_duration_s);
    listed_list_.push_front(std::move(e));
    listed_by_key_.emplace(k, listed_list_.begin());
    switch (why) {
        case dos_reason::request_rate:
            ++counters_.blacklisted_request_rate;
            break;
        case dos_reason::connections:
            ++counters_.blacklisted_connections;
            break;
        case dos_reason::malformed:
        case dos_reason::count_:
            ++counters_.blacklisted_malformed;
            break;
    }
    // A fresh bucket and malformed window when the entry expires.
    if (auto it = sources_by_key_.find(k); it != sources_by_key_.end()) {
        sources_.erase(it->second);
        sources_by_key_.erase(it);
    }
    fired(now);
    spdlog::warn("dos: {} blacklisted for {} s: {}", remote.ip(), s_.blacklist_duration_s,
                 dos_reason_name(why));
    if (listed_) {
        counters_.closed_connections += listed_(remote);
    }
}

bool dos_guard::blacklist(const sip::socket_address& remote, dos_reason why) {
    const sip::time_point now = now_();
    const source_key k = key_of(remote);
    if (find_listed(k, now) != nullptr) {
        return false;
    }
    add(remote, k, why, now);
    return true;
}

bool dos_guard::is_blacklisted(const sip::socket_address& remote) {
    return find_listed(key_of(remote), now_()) != nullptr;
}

bool dos_guard::forgive(const sip::socket_address& remote) {
    auto it = listed_by_key_.find(key_of(remote));
    if (it == listed_by_key_.end()) {
        return false;
    }
    listed_list_.erase(it->second);
    listed_by_key_.erase(it);
    return true;
}

void dos_guard::drop_expired(sip::time_point now) {
    for (auto it = listed_list_.begin(); it != listed_list_.end();) {
        if (now >= it->until) {
            ++counters_.expired;
            listed_by_key_.erase(it->key);
            it = listed_list_.erase(it);
        } else {
            ++it;
        }
    }
}

sip::source_verdict dos_guard::on_connection(const sip::socket_address& remote, std::size_t open) {
    const sip::time_point now = now_();
    const source_key k = key_of(remote);
    if (listed* e = find_listed(k, now)) {
        ++e->hits;
        ++counters_.dropped_connections;
        return sip::source_verdict::drop;
    }
    source_state& st = touch(k, remote, now);
    // A new connection (a TLS handshake to come) costs a token like a message: a source that
    // opens and drops connections in a loop is a rate problem even if few are open at once.
    if (!take_token(st, remote, now)) {
        return over_rate(remote, k, sip::transport_type::tcp, sip::message_kind::response, now);
    }
    std::size_t allowed = s_.max_connections_per_source;
    if (open >= allowed && known(st, remote, now)) {
        allowed *= s_.known_source_factor;
    }
    if (open < allowed) {
        return sip::source_verdict::accept;
    }
    if (s_.dynamic_blacklist) {
        add(remote, k, dos_reason::connections, now);
        return sip::source_verdict::drop;
    }
    fired(now);
    ++counters_.connections_refused;
    return sip::source_verdict::refuse;
}

bool dos_guard::take_token(source_state& st, const sip::socket_address& remote,
                           sip::time_point now) {
    const double rate = static_cast<double>(s_.max_requests_per_source_per_s) *
                        (known(st, remote, now) ? s_.known_source_factor : 1);
    const double elapsed = duration<double>(now - st.refilled).count();
    st.tokens = std::min(rate, st.tokens + std::max(elapsed, 0.0) * rate);
    st.refilled = now;
    if (st.tokens < 1.0) {
        return false;
    }
    st.tokens -= 1.0;
    return true;
}

sip::source_verdict dos_guard::over_rate(const sip::socket_address& remote, const source_key& k,
                                         sip::transport_type type, sip::message_kind kind,
                                         sip::time_point now) {
    if (s_.dynamic_blacklist) {
        add(remote, k, dos_reason::request_rate, now);
        return sip::source_verdict::drop;
    }
    fired(now);
    // Over UDP the source may be spoofed: a 503 would reflect the flood at someone else.
    if (type == sip::transport_type::udp || kind != sip::message_kind::request) {
        ++counters_.rate_dropped;
        return sip::source_verdict::drop;
    }
    ++counters_.rate_refused;
    return sip::source_verdict::refuse;
}

sip::source_verdict dos_guard::on_message(const sip::socket_address& remote,
                                          sip::transport_type type, sip::message_kind kind) {
    const sip::time_point now = now_();
    const source_key k = key_of(remote);
    if (listed* e = find_listed(k, now)) {
        ++e->hits;
        ++(type == sip::transport_type::udp ? counters_.dropped_datagrams
                                            : counters_.dropped_stream_messages);
        return sip::source_verdict::drop;
    }
    if (kind == sip::message_kind::keepalive) {
        return sip::source_verdict::accept;
    }
    if (take_token(touch(k, remote, now), remote, now)) {
        return sip::source_verdict::accept;
    }
    return over_rate(remote, k, type, kind, now);
}

void dos_guard::on_malformed(const sip::socket_address& remote) {
    ++counters_.malformed;
    const sip::time_point now = now_();
    const source_key k = key_of(remote);
    if (find_listed(k, now) != nullptr) {
        return;
    }
    source_state& st = touch(k, remote, now);
    if (now - st.malformed_since >= s_.malformed_window) {
        st.malformed_since = now;
        st.malformed = 0;
    }
    if (++st.malformed >= s_.malformed_limit && s_.dynamic_blacklist) {
        add(remote, k, dos_reason::malformed, now);
    }
}

std::size_t dos_guard::blacklisted() const {
    const sip::time_point now = now_();
    return static_cast<std::size_t>(
        std::count_if(listed_list_.begin(), listed_list_.end(),
                      [now](const listed& e) { return now < e.until; }));
}

std::uint32_t dos_guard::under_attack_s() const {
    if (!last_trigger_) {
        return 0;
    }
    return seconds_until(now_(), *last_trigger_ + seconds(s_.blacklist_duration_s));
}

std::optional<std::uint32_t> dos_guard::refuse_initial_register(const sip::socket_address& remote) {
    if (s_.process_initial_registration) {
        return std::nullopt;
    }
    const std::uint32_t left = under_attack_s();
    if (left == 0 || (known_ && known_(remote))) {
        return std::nullopt;
    }
    ++counters_.initial_registers_refused;
    return left;
}

nlohmann::json dos_guard::blacklist_table(const nlohmann::json& args) {
    const sip::time_point now = now_();
    std::size_t limit = 1000;
    if (args.is_object() && args.contains("limit") && args["limit"].is_number_integer() &&
        args["limit"].get<std::int64_t>() >= 0) {
        limit = args["limit"].get<std::size_t>();
    }
    drop_expired(now);
    std::vector<const listed*> live;
    live.reserve(listed_list_.size());
    for (const auto& e : listed_list_) {
        live.push_back(&e);
    }
    std::sort(live.begin(), live.end(),
              [](const listed* a, const listed* b) { return a->since > b->since; });
    nlohmann::json rows = nlohmann::json::array();
    for (const listed* e : live) {
        if (rows.size() >= limit) {
            break;
        }
        rows.push_back({e->source, std::string(dos_reason_name(e->reason)),
                        seconds_until(now, e->until), e->hits,
                        std::chrono::duration_cast<seconds>(now - e->since).count()});
    }
    return {{"columns", {"source", "reason", "remaining_s", "hits", "listed_s_ago"}},
            {"rows", rows},
            {"total", live.size()}};
}

nlohmann::json dos_guard::status() {
    const nlohmann::json counters = counters_json(counters_);
    const std::uint32_t attack = under_attack_s();
    return {{"settings",
             {{"dynamic_blacklist", s_.dynamic_blacklist},
              {"process_initial_registration", s_.process_initial_registration},
              {"max_requests_per_source_per_s", s_.max_requests_per_source_per_s},
              {"blacklist_duration_s", s_.blacklist_duration_s},
              {"max_connections_per_source", s_.max_connections_per_source},
              {"malformed_limit", s_.malformed_limit},
              {"malformed_window_s", s_.malformed_window.count()},
              {"known_source_factor", s_.known_source_factor},
              {"max_sources", s_.max_sources},
              {"max_blacklisted", s_.max_blacklisted}}},
            {"under_attack", attack != 0},
            {"under_attack_remaining_s", attack},
            {"blacklisted", blacklisted()},
            {"tracked_sources", sources_by_key_.size()},
            {"counters", counters}};
}

}  // namespace sbc::cp
