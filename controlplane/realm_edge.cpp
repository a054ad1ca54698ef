#include "controlplane/realm_edge.hpp"

#include <spdlog/spdlog.h>

#include "controlplane/log_text.hpp"
#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

std::string_view realm_name(realm_id r) {
    return r == realm_id::access ? "access" : "core";
}

sip::transport_limits limits_from(const config::sip_section& s) {
    sip::transport_limits l;
    l.max_message_size = s.max_message_bytes;
    l.max_headers = s.max_headers;
    l.max_line_length = s.max_line_bytes;
    l.max_pending_bytes = s.max_pending_bytes_per_connection;
    l.max_connections = s.max_connections;
    l.max_connections_per_source = s.max_connections_per_source;
    l.tls_handshake_timeout = std::chrono::milliseconds(s.tls_handshake_timeout_ms);
    l.idle_timeout = std::chrono::seconds(s.connection_idle_timeout_s);
    l.message_read_timeout = std::chrono::milliseconds(s.message_read_timeout_ms);
    l.first_message_timeout = std::chrono::milliseconds(s.first_message_timeout_ms);
    return l;
}

sip::transaction_timers timers_from(const config::sip_section& s) {
    sip::transaction_timers t;
    t.t1 = std::chrono::milliseconds(s.t1_ms);
    t.t2 = std::chrono::milliseconds(s.t2_ms);
    t.t4 = std::chrono::milliseconds(s.t4_ms);
    return t;
}

namespace {

sip::tls_profile tls_profile_of(const config::certificate_profile& p) {
    sip::tls_profile t;
    t.cert_file = p.certificate;
    t.key_file = p.private_key;
    t.ca_file = p.ca.value_or("");
    t.client_certs =
        p.verify_client ? sip::client_cert_mode::required : sip::client_cert_mode::none;
    return t;
}

}  // namespace

realm_edge::realm_edge(sip::io_loop& loop, realm_id id, const sip::transport_limits& limits,
                       const sip::transaction_timers& timers, entry_guard& guard)
    : loop_(loop),
      id_(id),
      guard_(guard),
      transports_(loop, limits,
                  {[this](sip::message&& m, const sip::transport_context& ctx) {
                       deliver(std::move(m), ctx);
                   },
                   [this](const sip::connection_closed& info) { connection_closed(info); }}),
      own_link_(transports_),
      egress_(*this),
      transactions_(loop.timers(), egress_,
                    {[this](sip::transaction_id t, const sip::message& m,
                            const sip::transport_context& ctx, sip::transaction_id cancelled) {
                         if (!events_.on_request) {
                             transactions_.respond(t, 503, "Service Unavailable");
                             return;
                         }
                         const std::string_view data = m.data();
                         if (!guard_.run(id_ == realm_id::access ? guarded_entry::access_message
                                                                 : guarded_entry::core_message,
                                         data.substr(0, data.find_first_of("\r\n")),
                                         [&] { events_.on_request(t, m, ctx, cancelled); })) {
                             // What the handler did not answer before it threw.
                             transactions_.respond(t, 500, "Server Internal Error");
                         }
                     },
                     [this](sip::message&& ack, const sip::transport_context& ctx) {
                         if (events_.on_ack) {
                             events_.on_ack(std::move(ack), ctx);
                         }
                     },
                     [this](sip::message&& r, const sip::transport_context& ctx) {
                         if (events_.on_stray_response) {
                             events_.on_stray_response(std::move(r), ctx);
                         }
                     },
                     {}},
                    timers) {}

realm_edge::~realm_edge() = default;

void realm_edge::set_ingress_limits(const core_limits* limits,
                                    std::function<void(const sip::socket_address&)> refused) {
    ingress_limits_ = limits;
    on_refused_ = std::move(refused);
}

void realm_edge::deliver(sip::message&& m, const sip::transport_context& ctx) {
    messages_.count(sip_direction::in, m);
    if (tap_ != nullptr) {
        tap_->on_message(id_, sip_direction::in, ctx.type, ctx.local, ctx.remote, m.data());
    }
    if (ingress_limits_ != nullptr && !admitted(m, ctx)) {
        return;
    }
    // The start line, for the log if a handler throws (the message itself is gone by then).
    const std::string_view data = m.data();
    const std::string what(
        data.substr(0, std::min<std::size_t>(data.find_first_of("\r\n"), log_text_max)));
    guard_.run(
        id_ == realm_id::access ? guarded_entry::access_message : guarded_entry::core_message, what,
        [&] { transactions_.receive(std::move(m), ctx); });
}

void realm_edge::connection_closed(const sip::connection_closed& info) {
    guard_.run(guarded_entry::connection_closed, info.remote.to_string(), [&] {
        for (auto& fn : closed_) {
            fn(info);
        }
    });
}

// Admission (core_limits.hpp): a request over a limit is answered here, statelessly, and
// nothing above hears of it; an ACK or a response is dropped.
bool realm_edge::admitted(const sip::message& m, const sip::transport_context& ctx) {
    const limit_check c = check_message(m, *ingress_limits_);
    if (c) {
        return true;
    }
    refused_in_.count(c.breach);
    if (on_refused_) {
        on_refused_(ctx.remote);
    }
    const bool answer = m.is_request() && m.method_kind() != sip::sip_method::ack;
    if (std::uint64_t held = 0; refusal_log_.allow(held)) {
        spdlog::info("realm {}: {} from {} {}: {}{}", name(),
                     m.is_request() ? log_text(m.method()) : std::string("response"),
                     ctx.remote.to_string(), answer ? "refused" : "dropped", c.reason(),
                     held == 0 ? std::string() : " (" + std::to_string(held) + " more not logged)");
    }
    if (answer) {
        auto out = sip::response_for(m, c.status(), c.reason(), sip::make_tag());
        if (c.status() == 488) {
            out.add("Warning", "399 sbc \"" + std::string(breach_name(c.breach)) + "\"");
        }
        link_->send_response(ctx, m.top_via(), out.serialize(), {});
    }
    return false;
}

bool realm_edge::may_leave(std::string_view bytes) {
    if (egress_limits_ == nullptr) {
        messages_.count(sip_direction::out, bytes);
        return true;
    }
    const limit_check c = check_wire(bytes, *egress_limits_);
    if (c) {
        messages_.count(sip_direction::out, bytes);
        return true;
    }
    refused_out_.count(c.breach);
    if (std::uint64_t held = 0; refusal_log_.allow(held)) {
        spdlog::warn("realm {}: not sent: {} ({}){}", name(),
                     log_text(bytes.substr(0, bytes.find_first_of("\r\n"))), c.reason(),
                     held == 0 ? std::string() : " (" + std::to_string(held) + " more not logged)");
    }
    return false;
}

sip::send_status realm_edge::egress::send_request(const sip::transport_target& to,
                                                  std::string bytes, sip::send_callback done,
                                                  sip::connection_id* used) {
    if (!edge_.may_leave(bytes)) {
        return sip::send_status::refused;
    }
    if (edge_.tap_ != nullptr) {
        const auto local = edge_.local(to.type);
        edge_.tap_->on_message(edge_.id_, sip_direction::out, to.type,
                               local ? *local : sip::socket_address(), to.address, bytes);
    }
    return edge_.link_->send_request(to, std::move(bytes), std::move(done), used);
}

sip::send_status realm_edge::egress::send_response(const sip::transport_context& ctx,
                                                   const sip::via& top, std::string bytes,
                                                   sip::send_callback done) {
    if (!edge_.may_leave(bytes)) {
        return sip::send_status::refused;
    }
    if (edge_.tap_ != nullptr) {
        edge_.tap_->on_message(edge_.id_, sip_direction::out, ctx.type, ctx.local, ctx.remote,
                               bytes);
    }
    return edge_.link_->send_response(ctx, top, std::move(bytes), std::move(done));
}

sip::send_status realm_edge::send_direct(const sip::transport_target& to, std::string bytes) {
    return egress_.send_request(to, std::move(bytes), {}, nullptr);
}

std::shared_ptr<sip::tls_server_context> realm_edge::tls_for(const sip::socket_address& remote) {
    if (choose_profile_) {
        auto it = tls_contexts_.find(choose_profile_(remote));
        if (it != tls_contexts_.end()) {
            return it->second;
        }
    }
    // The listener's profile, from the map rather than the listener: a rotated certificate
    // (use_tls) reaches every new handshake.
    auto it = tls_contexts_.find(default_profile_);
    return it != tls_contexts_.end() ? it->second : nullptr;
}

cp::result<realm_edge::tls_contexts> realm_edge::build_tls(
    const std::vector<config::certificate_profile>& profiles) {
    tls_contexts out;
    for (const auto& p : profiles) {
        auto ctx = sip::tls_server_context::create({tls_profile_of(p)});
        if (!ctx) {
            return cp::fail("certificate_profile " + p.name + ": " + ctx.error());
        }
        out[p.name] = std::move(ctx.value());
    }
    return out;
}

cp::status realm_edge::open(const realm_listen& where,
                            const std::vector<config::certificate_profile>& profiles,
                            profile_for_source choose) {
    address_ = where.address;
    default_profile_ = where.certificate_profile;
    choose_profile_ = std::move(choose);
    transports_.set_tls_selector(
        [this](const sip::socket_address& remote) { return tls_for(remote); });
    const std::string realm = "realm." + std::string(name());
    if (where.tls != 0) {
        auto built = build_tls(profiles);
        if (!built) {
            return built.error();
        }
        tls_contexts_ = std::move(built.value());
        if (tls_contexts_.count(default_profile_) == 0) {
            return cp::fail(realm + ".certificate_profile: no certificate profile '" +
                            default_profile_ + "' for the TLS listener");
        }
    }
    struct port {
        sip::transport_type type;
        std::uint16_t number;
        const char* key;
    };
    for (const port& p : {port{sip::transport_type::udp, where.udp, "sip_udp_port"},
                          port{sip::transport_type::tcp, where.tcp, "sip_tcp_port"},
                          port{sip::transport_type::tls, where.tls, "sip_tls_port"}}) {
        if (p.number == 0) {
            continue;
        }
        auto addr = sip::socket_address::from_ip(where.address, p.number);
        if (!addr) {
            return cp::fail(realm + ".signalling_address: not an IP address: " + where.address);
        }
        sip::result<sip::socket_address, std::string> bound =
            p.type == sip::transport_type::udp ? transports_.listen_udp(*addr)
            : p.type == sip::transport_type::tcp
                ? transports_.listen_tcp(*addr)
                : transports_.listen_tls(*addr, tls_contexts_[default_profile_]);
        if (!bound) {
            return cp::fail(realm + "." + p.key + ": " + bound.error());
        }
        listening_[p.type] = bound.value();
        spdlog::info("realm {}: SIP/{} on {}", name(), sip::transport_name(p.type),
                     bound.value().to_string());
    }
    return cp::status::ok();
}

void realm_edge::use_link(realm_link& link, const realm_listen& where) {
    link_ = &link;
    address_ = where.address;
    for (const auto& [type, port] : {std::pair{sip::transport_type::udp, where.udp},
                                     std::pair{sip::transport_type::tcp, where.tcp},
                                     std::pair{sip::transport_type::tls, where.tls}}) {
        if (auto a = sip::socket_address::from_ip(where.address, port); a && port != 0) {
            listening_[type] = *a;
        }
    }
}

cp::status realm_edge::set_tls_client(const config::certificate_profile& profile) {
    sip::tls_profile t = tls_profile_of(profile);
    t.client_certs = sip::client_cert_mode::none;
    t.verify_server = t.ca_file.empty() ? false : true;
    auto ctx = sip::tls_client_context::create(t);
    if (!ctx) {
        return cp::fail("certificate_profile " + profile.name + ": " + ctx.error());
    }
    transports_.set_tls_client(std::move(ctx.value()));
    return cp::status::ok();
}

cp::status realm_edge::listen_extra(sip::transport_type t, std::uint16_t port,
                                    std::string_view owner) {
    auto addr = sip::socket_address::from_ip(address_, port);
    if (!addr) {
        return cp::fail(std::string(owner) + ": not an IP address: " + address_);
    }
    auto bound = t == sip::transport_type::udp ? transports_.listen_udp(*addr)
                                               : transports_.listen_tcp(*addr);
    if (!bound) {
        return cp::fail(std::string(owner) + ": " + bound.error());
    }
    extra_.emplace_back(t, bound.value());
    spdlog::info("realm {}: SIP/{} on {} ({})", name(), sip::transport_name(t),
                 bound.value().to_string(), owner);
    return cp::status::ok();
}

std::optional<sip::socket_address> realm_edge::local(sip::transport_type t) const {
    if (auto it = listening_.find(t); it != listening_.end()) {
        return it->second;
    }
    for (const auto& [type, addr] : extra_) {
        if (type == t) {
            return addr;
        }
    }
    return std::nullopt;
}

std::string realm_edge::host_port(sip::transport_type t) const {
    auto a = local(t);
    if (!a && t != sip::transport_type::tls) {
        // Outbound TCP from a realm that only listens on UDP (or the other way round): the
        // answer comes back on the connection anyway, the port names our listener.
        a = local(t == sip::transport_type::tcp ? sip::transport_type::udp
                                                : sip::transport_type::tcp);
    }
    if (!a) {
        a = sip::socket_address::from_ip(address_, t == sip::transport_type::tls ? 5061 : 5060);
    }
    return a ? a->to_string() : address_;
}

std::string realm_edge::make_via(sip::transport_type t, std::string_view branch) const {
    std::string v = "SIP/2.0/";
    v.append(sip::transport_name(t)).append(1, ' ').append(host_port(t));
    v.append(";branch=").append(branch);
    if (t == sip::transport_type::udp) {
        v.append(";rport");
    }
    return v;
}

std::string realm_edge::contact_uri(sip::transport_type t, std::string_view user) const {
    // sip: with transport=tls rather than sips: (RFC 5630 §3.1.3 prefers sips:, but softphones
    // and PBXes expect what they sent, and that is transport=tls).
    std::string u = "sip:";
    if (!user.empty()) {
        u.append(user).append(1, '@');
    }
    u.append(host_port(t));
    if (t == sip::transport_type::tcp) {
        u.append(";transport=tcp");
    } else if (t == sip::transport_type::tls) {
        u.append(";transport=tls");
    }
    return u;
}

bool realm_edge::respond(sip::transaction_id txn, const sip::message& request, std::uint16_t code,
                         std::string_view reason, const sip::header_list& extra) {
    auto out = sip::response_for(request, code, reason, transactions_.to_tag_of(txn));
    out.add(extra);
    return transactions_.respond(txn, out.serialize());
}

nlohmann::json realm_edge::status() const {
    nlohmann::json listeners = nlohmann::json::array();
    for (const auto& [type, addr] : listening_) {
        listeners.push_back(
            {{"transport", std::string(sip::transport_name(type))}, {"address", addr.to_string()}});
    }
    for (const auto& [type, addr] : extra_) {
        listeners.push_back(
            {{"transport", std::string(sip::transport_name(type))}, {"address", addr.to_string()}});
    }
    nlohmann::json counters = nlohmann::json::object();
    transports_.counters().for_each(
        [&](const counter_row& row, std::uint64_t v) { counters[std::string(row.name)] = v; });
    transactions_.counters().for_each(
        [&](const counter_row& row, std::uint64_t v) { counters[std::string(row.name)] = v; });
    return {{"name", std::string(name())},
            {"listeners", listeners},
            {"connections", transports_.connection_count()},
            {"client_transactions", transactions_.client_count()},
            {"server_transactions", transactions_.server_count()},
            {"counters", counters}};
}

}  // namespace sbc::cp
