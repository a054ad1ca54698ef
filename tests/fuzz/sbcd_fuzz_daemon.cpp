#include "tests/fuzz/sbcd_fuzz_daemon.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "sip/builder.hpp"
#include "sip/ids.hpp"
#include "sip/transport/raw_answer.hpp"

namespace sbc::fuzz {

namespace {

// SBCD_FUZZ_TRACE=1: every message in and out on stderr, for reading a finding.
const bool trace = std::getenv("SBCD_FUZZ_TRACE") != nullptr;

void show(const char* what, std::string_view bytes) {
    if (trace) {
        std::fprintf(stderr, "---- %s\n%.*s\n", what,
                     static_cast<int>(std::min<std::size_t>(bytes.size(), 2000)), bytes.data());
    }
}

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "sbcd_fuzz harness: %s\n", why.c_str());
    std::abort();
}

// The embedded default appliance with what a fuzzer needs: call records written (to nowhere),
// the DoS guard on but not blacklisting the fuzzer's four sources for their rate, and every
// lifetime short enough that about a simulated minute ends every call and registration: T1 of
// 100 ms (transactions end within 64 x T1 = 6.4 s), registrations of at most 60 s, media
// timeout 5 s, no answer 10 s.
config::appliance fuzz_config() {
    static const config::appliance embedded = [] {
        auto loaded = config::load_string(config::embedded_default_toml(), "<embedded default>",
                                          config::load_options{false});
        if (!loaded.config) {
            die("the embedded default config does not load");
        }
        return *loaded.config;
    }();
    config::appliance c = embedded;
    c.calls.cdr_path = "/dev/null";
    c.security.dos.max_requests_per_source_per_s = 1000000;
    c.sip.t1_ms = 100;
    c.sip.t2_ms = 1000;
    c.sip.t4_ms = 1000;
    c.remote_subscribers.max_registration_expiry_s = 60;
    c.remote_subscribers.throttle_refresh_s = 60;
    c.media.media_timeout_s = 5;
    c.calls.no_answer_timeout_s = 10;
    return c;
}

constexpr std::string_view osv_sdp =
    "v=0\r\no=OSV 1 1 IN IP4 10.2.0.2\r\ns=-\r\nc=IN IP4 10.2.0.50\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

std::string header_value(const sip::message& m, sip::header_id id) {
    const auto* h = m.find(id);
    return h != nullptr ? std::string(h->value) : std::string();
}

}  // namespace

sip::send_status fuzz_link::send_request(const sip::transport_target& to, std::string bytes,
                                         sip::send_callback, sip::connection_id* used) {
    sip::connection_id via = 0;
    if (to.connection != 0 && is_open(to.connection)) {
        via = to.connection;
    } else if (outbound != 0) {
        via = outbound;  // the core link's connection to OSV
    } else {
        return sip::send_status::no_connection;  // sbcd never reaches a client but on its flow
    }
    if (used != nullptr) {
        *used = via;
    }
    sip::transport_target where = to;
    where.connection = via;
    out.push_back({std::move(bytes), where, false});
    return sip::send_status::ok;
}

sip::send_status fuzz_link::send_response(const sip::transport_context& ctx, const sip::via&,
                                          std::string bytes, sip::send_callback) {
    if (ctx.connection != 0 && !is_open(ctx.connection)) {
        return sip::send_status::no_connection;
    }
    out.push_back({std::move(bytes), {ctx.type, ctx.remote, {}, ctx.connection}, true});
    return sip::send_status::ok;
}

std::size_t fuzz_link::close_source(const sip::socket_address& remote) {
    std::vector<sip::connection_id> victims;
    for (sip::connection_id id : open) {
        if (remote_of[id].ip() == remote.ip()) {
            victims.push_back(id);
        }
    }
    for (sip::connection_id id : victims) {
        open.erase(id);
        sip::connection_closed info;
        info.id = id;
        info.type = sip::transport_type::tls;
        info.remote = remote_of[id];
        info.reason = sip::close_reason::local;
        remote_of.erase(id);
        if (edge != nullptr) {
            edge->connection_closed(info);
        }
    }
    return victims.size();
}

fake_dataplane::fake_dataplane() {
    const std::string instance = "fuzz-" + std::to_string(::getpid());
    shm::region_sizes sizes;
    sizes.cmd_ring_capacity = 1024;
    sizes.evt_ring_capacity = 2048;
    sizes.max_flows = 1024;
    std::string error;
    region_ = shm::region::create(instance, sizes, error);
    if (!region_.valid()) {
        die("cannot make the in-memory dataplane region: " + error);
    }
    region_.header().state.store(static_cast<std::uint32_t>(shm::dataplane_state::running));
    const auto st = client_.attach(instance);
    region_.unlink();  // mapped by both ends; nothing left in /dev/shm whatever happens next
    if (!st) {
        die("cannot attach to the in-memory dataplane region: " + st.message);
    }
}

fake_dataplane::~fake_dataplane() {
    client_.detach();
}

bool fake_dataplane::ack_all() {
    auto commands = region_.command_ring();
    auto events = region_.event_ring();
    bool any = false;
    shm::command c{};
    while (commands.pop(c)) {
        any = true;
        shm::event ev{};
        ev.type = shm::event_type::ack;
        ev.seq = c.seq;
        ev.slot = UINT32_MAX;  // no counter slot: the flow never sees a packet
        if (c.type == shm::command_type::flow_add || c.type == shm::command_type::flow_update) {
            ev.key = c.flow.key;
            ev.cookie = c.flow.cookie;
        } else if (c.type == shm::command_type::flow_del) {
            ev.key = c.key;
        }
        if (!events.push(ev)) {
            die("event ring full");
        }
    }
    return any;
}

daemon::daemon(fake_dataplane& dp) : cfg_(fuzz_config()), dp_(dp) {
    // sbcd's log lines are for operators; thousands of inputs a second would only be slowed
    // down by them (SBCD_FUZZ_TRACE shows the messages instead).
    spdlog::set_level(trace ? spdlog::level::info : spdlog::level::off);
    loop_ = std::make_unique<sip::io_loop>(8);
    sip_ = std::make_unique<cp::sip_service>(*loop_, cfg_);
    media_ = std::make_unique<cp::media::media_manager>(cfg_, dp_.client());
    b2bua_ = std::make_unique<cp::b2bua::b2bua>(*sip_, *media_, cfg_);
    if (cp::status st = media_->open_cdr(); !st) {
        die(st.message());
    }
    b2bua_->attach();
    access_link_.edge = &sip_->access();
    core_link_.edge = &sip_->core();
    core_link_.outbound = 1;
    core_link_.open.insert(1);
    const auto osv = sip::socket_address::from_ip(cfg_.sip_server.nodes[0].address,
                                                  cfg_.sip_server.nodes[0].port);
    core_link_.remote_of[1] = *osv;
    if (cp::status st = sip_->start(access_link_, core_link_, cp::sip_listen::from(cfg_)); !st) {
        die(st.message());
    }
    pump();
}

daemon::~daemon() {
    b2bua_.reset();
    media_.reset();
    sip_.reset();
    while (dp_.ack_all()) {
        dp_.client().poll_events();
    }
    dp_.client().poll_events();
}

std::string daemon::fill_templates(const client_connection& c, std::string_view bytes) const {
    if (bytes.find('$') == std::string_view::npos) {
        return std::string(bytes);
    }
    // $V $F $T $I $S: Via, From, To, Call-ID, CSeq of the last request the daemon sent down
    // this connection (a client answering it); $G: the To tag of the last response and $K the
    // Contact URI of the last response that had one (a client continuing the dialog the daemon
    // answered).
    std::optional<sip::message> req, rsp;
    if (auto r = sip::parse(c.last_request); r) {
        req = std::move(r.value());
    }
    if (auto r = sip::parse(c.last_response); r) {
        rsp = std::move(r.value());
    }
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] != '$' || i + 1 == bytes.size()) {
            out.push_back(bytes[i]);
            continue;
        }
        const char k = bytes[++i];
        switch (k) {
            case 'V':
                out += req ? header_value(*req, sip::header_id::via) : "";
                break;
            case 'F':
                out += req ? header_value(*req, sip::header_id::from) : "";
                break;
            case 'T':
                out += req ? header_value(*req, sip::header_id::to) : "";
                break;
            case 'I':
                out += req ? std::string(req->call_id()) : "";
                break;
            case 'S':
                out += req ? header_value(*req, sip::header_id::cseq) : "";
                break;
            case 'G':
                out += rsp ? std::string(rsp->to().tag()) : "";
                break;
            case 'K':
                out += c.last_contact;
                break;
            default:
                out.push_back('$');
                out.push_back(k);
        }
    }
    return out;
}

void daemon::client_bytes(unsigned slot, unsigned source, std::string_view bytes) {
    client_connection& c = clients_[slot % clients_.size()];
    const sip::transport_limits limits = cp::limits_from(cfg_.sip);
    if (c.id == 0 || !access_link_.is_open(c.id)) {
        // A new connection, admitted the way transport_layer admits one.
        c = client_connection{};
        const auto remote =
            *sip::socket_address::from_ip("10.1.0." + std::to_string(2 + source % 4), next_port_++);
        std::size_t open_from_source = 0;
        for (const auto& [id, r] : access_link_.remote_of) {
            open_from_source += r.ip() == remote.ip() ? 1 : 0;
        }
        if (sip_->dos().on_connection(remote, open_from_source) != sip::source_verdict::accept) {
            return;
        }
        c.id = next_connection_++;
        c.remote = remote;
        c.framer = std::make_unique<sip::stream_framer>(limits.stream());
        access_link_.open.insert(c.id);
        access_link_.remote_of[c.id] = remote;
    }
    c.framer->append(fill_templates(c, bytes));
    for (;;) {
        const sip::stream_frame f = c.framer->next();
        if (f.kind == sip::frame_kind::need_more) {
            break;
        }
        if (f.kind == sip::frame_kind::error) {
            sip_->dos().on_malformed(c.remote);
            client_close(slot);  // the transport answers what it can and closes
            break;
        }
        if (f.kind == sip::frame_kind::message) {
            deliver_access(c, f.bytes);
            if (!access_link_.is_open(c.id)) {
                break;  // the daemon closed it (a blacklisted source)
            }
        }
    }
    pump();
}

void daemon::deliver_access(client_connection& c, std::string_view message) {
    show("client -> sbcd", message);
    const bool request = sip::looks_like_request(message);
    const auto verdict =
        sip_->dos().on_message(c.remote, sip::transport_type::tls,
                               request ? sip::message_kind::request : sip::message_kind::response);
    if (verdict != sip::source_verdict::accept) {
        return;
    }
    auto parsed = sip::parse(message, cp::limits_from(cfg_.sip).parse(sip::framing::stream));
    if (!parsed) {
        sip_->dos().on_malformed(c.remote);  // and the transport would answer 400
        return;
    }
    sip::transport_context ctx;
    ctx.type = sip::transport_type::tls;
    ctx.local = *sip::socket_address::from_ip(cfg_.realm.access.signalling_address,
                                              cfg_.realm.access.sip_tls_port);
    ctx.remote = c.remote;
    ctx.connection = c.id;
    sip_->access().deliver(std::move(parsed.value()), ctx);
}

void daemon::client_close(unsigned slot) {
    client_connection& c = clients_[slot % clients_.size()];
    if (c.id == 0 || !access_link_.is_open(c.id)) {
        return;
    }
    access_link_.open.erase(c.id);
    access_link_.remote_of.erase(c.id);
    sip::connection_closed info;
    info.id = c.id;
    info.type = sip::transport_type::tls;
    info.remote = c.remote;
    info.reason = sip::close_reason::peer_closed;
    sip_->access().connection_closed(info);
    c.id = 0;
    pump();
}

void daemon::clients_leave() {
    for (unsigned slot = 0; slot < clients_.size(); ++slot) {
        client_close(slot);
    }
}

void daemon::osv_calls(unsigned which) {
    if (osv_contacts_.empty()) {
        return;
    }
    const std::string& target = osv_contacts_[which % osv_contacts_.size()];
    const std::string n = std::to_string(++osv_calls_);
    auto inv = sip::outgoing_message::request("INVITE", target);
    inv.add("Via", "SIP/2.0/TCP 10.2.0.2:5060;branch=" + sip::make_branch());
    inv.add("Max-Forwards", "69");
    inv.add("From", "<sip:carol@pbx.local>;tag=osv" + n);
    inv.add("To", "<sip:" + target.substr(target.find(':') + 1) + ">");
    inv.add("Call-ID", "osv-call-" + n + "@10.2.0.2");
    inv.add("CSeq", "1 INVITE");
    inv.add("Contact", "<sip:carol@10.2.0.2:5060;transport=tcp>");
    inv.add("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, OPTIONS");
    inv.body("application/sdp", osv_sdp);
    osv_send(inv.serialize());
    pump();
}

void daemon::osv_send(std::string bytes) {
    show("osv -> sbcd", bytes);
    auto parsed = sip::parse(bytes);
    if (!parsed) {
        die("the fake OSV built a message that does not parse:\n" + bytes);
    }
    sip::transport_context ctx;
    ctx.type = sip::transport_type::tcp;
    ctx.local = *sip::socket_address::from_ip(cfg_.realm.core.signalling_address,
                                              cfg_.realm.core.sip_tcp_port);
    ctx.remote = core_link_.remote_of[1];
    ctx.connection = 1;
    sip_->core().deliver(std::move(parsed.value()), ctx);
}

void daemon::osv_receive(const sent& s) {
    auto parsed = sip::parse(s.bytes);
    if (!parsed) {
        return;  // the oracle reports it
    }
    const sip::message& m = parsed.value();
    if (!m.is_request()) {
        // Answers to OSV's own INVITEs: a 2xx is acknowledged (RFC 3261 §13.2.2.4).
        if (m.cseq().method == "INVITE" && m.status_code() >= 200 && m.status_code() < 300) {
            auto ack = sip::outgoing_message::request(
                "ACK", m.contacts().ok() && !m.contacts()->empty()
                           ? std::string(m.contacts()->front().addr.uri_text)
                           : std::string("sip:sbc@10.2.0.1:5060;transport=tcp"));
            ack.add("Via", "SIP/2.0/TCP 10.2.0.2:5060;branch=" + sip::make_branch());
            ack.add("Max-Forwards", "70");
            ack.add("From", header_value(m, sip::header_id::from));
            ack.add("To", header_value(m, sip::header_id::to));
            ack.add("Call-ID", std::string(m.call_id()));
            ack.add("CSeq", std::to_string(m.cseq().number) + " ACK");
            osv_send(ack.serialize());
        }
        return;
    }
    const auto method = m.method_kind();
    if (method == sip::sip_method::ack) {
        return;
    }
    const std::string tag = "osv-" + std::string(m.call_id().substr(0, 8));
    auto answer = [&](std::uint16_t code, std::string_view reason, std::string_view sdp = {}) {
        auto r = sip::response_for(m, code, reason,
                                   code > 100 ? std::string_view(tag) : std::string_view{});
        if (code > 100 && code < 300) {
            r.add("Contact", "<sip:bob@10.2.0.2:5060;transport=tcp>");
        }
        if (!sdp.empty()) {
            r.body("application/sdp", sdp);
        }
        return r.serialize();
    };
    if (osv_mode_ == osv_mode::silent && method != sip::sip_method::options) {
        return;
    }
    if (osv_mode_ == osv_mode::unavailable && method != sip::sip_method::options) {
        osv_send(answer(503, "Service Unavailable"));
        return;
    }
    switch (method) {
        case sip::sip_method::register_: {
            if (osv_mode_ == osv_mode::refuse) {
                osv_send(answer(403, "Forbidden"));
                return;
            }
            if (osv_mode_ != osv_mode::no_challenge &&
                m.find(sip::header_id::authorization) == nullptr) {
                auto r = sip::response_for(m, 401, "Unauthorized", tag);
                r.add("WWW-Authenticate", R"(Digest realm="pbx.local", nonce="n0nce", qop="auth")");
                osv_send(r.serialize());
                return;
            }
            auto r = sip::response_for(m, 200, "OK", tag);
            if (m.contacts().ok()) {
                for (const auto& c : *m.contacts()) {
                    if (c.star) {
                        continue;
                    }
                    const std::uint32_t e =
                        c.expires().value_or(m.expires().ok() ? *m.expires() : 3600);
                    r.add("Contact", "<" + std::string(c.addr.uri_text) + ">;expires=" +
                                         std::to_string(std::min<std::uint32_t>(e, 3600)));
                    if (e != 0 && osv_contacts_.size() < 64) {
                        osv_contacts_.emplace_back(c.addr.uri_text);
                    }
                }
            }
            osv_send(r.serialize());
            return;
        }
        case sip::sip_method::invite:
            if (osv_mode_ == osv_mode::refuse) {
                osv_send(answer(486, "Busy Here"));
                return;
            }
            osv_send(answer(100, "Trying"));
            if (osv_mode_ == osv_mode::early) {
                osv_send(
                    answer(183, "Session Progress", m.sdp_body() ? osv_sdp : std::string_view{}));
            } else {
                osv_send(answer(180, "Ringing"));
            }
            osv_send(answer(200, "OK", osv_sdp));
            return;
        default:
            osv_send(answer(200, "OK"));
            return;
    }
}

void daemon::pump() {
    // Bounded: each round answers what the last one sent; a daemon that kept talking to itself
    // for 256 rounds would be a finding of its own.
    for (int round = 0; round < 256; ++round) {
        bool busy = dp_.ack_all();
        busy = dp_.client().poll_events([&](const cp::dp_event& ev) {
            sip_->guard().run(cp::guarded_entry::dataplane_event, "dataplane event",
                              [&] { media_->on_event(ev); });
        }) != 0 ||
               busy;
        std::vector<sent> to_osv = std::move(core_link_.out);
        core_link_.out.clear();
        for (const sent& s : to_osv) {
            show("sbcd -> osv", s.bytes);
            core_seen_.push_back(s);
            osv_receive(s);
            busy = true;
        }
        std::vector<sent> to_clients = std::move(access_link_.out);
        access_link_.out.clear();
        for (const sent& s : to_clients) {
            show("sbcd -> client", s.bytes);
            for (auto& c : clients_) {
                if (c.id == 0 || c.id != s.to.connection) {
                    continue;
                }
                (s.response ? c.last_response : c.last_request) = s.bytes;
                if (auto r = sip::parse(s.bytes); r && s.response && r.value().contacts().ok() &&
                                                  !r.value().contacts()->empty()) {
                    c.last_contact = std::string(r.value().contacts()->front().addr.uri_text);
                }
            }
        }
        if (!busy) {
            return;
        }
    }
    die("the daemon did not settle within 256 rounds");
}

void daemon::advance(std::chrono::milliseconds by) {
    loop_->timers().advance(by);
    media_->tick(loop_->now());
    pump();
}

std::vector<sent> daemon::take_core() {
    return std::exchange(core_seen_, {});
}

}  // namespace sbc::fuzz
