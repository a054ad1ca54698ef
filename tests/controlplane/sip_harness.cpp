#include "sip_harness.hpp"

#include <algorithm>
#include <stdexcept>

#include "sip/ids.hpp"

namespace sbc::cp::test {

namespace {

received record(const sip::message& m, const sip::transport_context& ctx) {
    received r;
    r.bytes = std::string(m.data());
    r.ctx = ctx;
    r.ctx.tls = nullptr;
    if (ctx.tls != nullptr) {
        r.tls_subject = ctx.tls->subject;
    }
    return r;
}

}  // namespace

fake_osv::fake_osv(sip::io_loop& loop, const std::string& ip) {
    transports_ = std::make_unique<sip::transport_layer>(
        loop, sip::transport_limits{},
        sip::transport_layer::handlers{[this](sip::message&& m, const sip::transport_context& ctx) {
                                           txns_->receive(std::move(m), ctx);
                                       },
                                       {}});
    binding_ = std::make_unique<sip::transport_binding>(*transports_);
    sip::transaction_layer::handlers h;
    h.on_request = [this](sip::transaction_id id, const sip::message& m,
                          const sip::transport_context& ctx,
                          sip::transaction_id) { on_request(id, m, ctx); };
    h.on_ack = [this](sip::message&& m, const sip::transport_context& ctx) {
        requests.push_back(record(m, ctx));
    };
    txns_ = std::make_unique<sip::transaction_layer>(loop.timers(), *binding_, h);
    const auto port = sip::test::free_port_tcp_and_udp();
    address = *sip::socket_address::from_ip(ip, port);
    if (auto r = transports_->listen_tcp(address); !r)
        throw std::runtime_error("fake_osv tcp: " + r.error());
    if (auto r = transports_->listen_udp(address); !r)
        throw std::runtime_error("fake_osv udp: " + r.error());
}

fake_osv::~fake_osv() = default;

std::size_t fake_osv::count(std::string_view method) const {
    return static_cast<std::size_t>(
        std::count_if(requests.begin(), requests.end(),
                      [&](const auto& r) { return r.msg().method() == method; }));
}

std::vector<received> fake_osv::of(std::string_view method) const {
    std::vector<received> out;
    for (const auto& r : requests) {
        if (r.msg().method() == method) {
            out.push_back(r);
        }
    }
    return out;
}

std::optional<received> fake_osv::final_response() const {
    for (const auto& r : responses) {
        if (r.msg().status_code() >= 200) {
            return r;
        }
    }
    return std::nullopt;
}

void fake_osv::on_request(sip::transaction_id id, const sip::message& m,
                          const sip::transport_context& ctx) {
    requests.push_back(record(m, ctx));
    const bool reg = m.method_kind() == sip::sip_method::register_;
    const mode how = reg                                           ? registers
                     : m.method_kind() == sip::sip_method::options ? options
                                                                   : mode::answer;
    if (how == mode::silent) {
        return;
    }
    if (how == mode::unavailable) {
        auto r = sip::response_for(m, 503, "Service Unavailable", txns_->to_tag_of(id));
        r.add("Retry-After", "120");
        txns_->respond(id, r.serialize());
        return;
    }
    if (!reg) {
        txns_->respond(id, 200, "OK");
        return;
    }
    if (challenge && m.find(sip::header_id::authorization) == nullptr) {
        auto r = sip::response_for(m, 401, "Unauthorized", txns_->to_tag_of(id));
        r.add("WWW-Authenticate", test_challenge);
        r.add("Server", "OSV V10 at 10.9.9.9");
        txns_->respond(id, r.serialize());
        return;
    }
    const auto& cs = m.contacts();
    if (cs.ok()) {
        for (const auto& c : *cs) {
            if (c.star) {
                location.clear();
                continue;
            }
            std::uint32_t e = 3600;
            if (auto p = c.expires()) {
                e = *p;
            } else if (m.expires().ok()) {
                e = *m.expires();
            }
            e = std::min(e, max_expires);
            if (e == 0) {
                location.erase(std::string(c.addr.uri_text));
            } else {
                location[std::string(c.addr.uri_text)] = e;
            }
        }
    }
    auto r = sip::response_for(m, 200, "OK", txns_->to_tag_of(id));
    for (const auto& [uri, e] : location) {
        r.add("Contact", "<" + uri + ">;expires=" + std::to_string(e));
    }
    txns_->respond(id, r.serialize());
}

void fake_osv::send(const std::string& request, const sip::socket_address& sbc) {
    auto parsed = sip::parse(request);
    if (!parsed) {
        return;
    }
    sip::transport_target t;
    t.type = sip::transport_type::tcp;
    t.address = sbc;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response = [this](const sip::message& r, const sip::transport_context& ctx) {
        responses.push_back(record(r, ctx));
    };
    cb.on_failure = [](sip::client_failure) {};
    last_sent = txns_->start_client(std::move(parsed.value()), t, std::move(cb));
}

bool fake_osv::cancel_last() {
    return txns_->cancel(last_sent, {[](const sip::message&, const sip::transport_context&) {},
                                     [](sip::client_failure) {}});
}

sip_client::sip_client(sip::io_loop& loop, const std::string& ip, const std::string& ca_file)
    : transports_(
          loop, sip::transport_limits{},
          sip::transport_layer::handlers{
              [this](sip::message&& m, const sip::transport_context& ctx) {
                  messages.push_back(record(m, ctx));
                  if (!m.is_request() || !answer_requests ||
                      m.method_kind() == sip::sip_method::ack) {
                      return;
                  }
                  const bool invite = m.method_kind() == sip::sip_method::invite;
                  const std::uint16_t code =
                      m.method_kind() == sip::sip_method::cancel ? 200 : answer_code;
                  auto answer = sip::response_for(m, code, {}, "ct1");
                  if (invite) {
                      answer.add("Contact", "<sip:alice@" + source.ip() + ":5061;transport=tls>");
                  }
                  transports_.reply(ctx, answer.serialize());
                  if (m.method_kind() == sip::sip_method::cancel) {
                      // RFC 3261 §9.2: the INVITE it cancels ends with 487.
                      for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
                          auto inv = it->msg();
                          if (inv.is_request() && inv.method_kind() == sip::sip_method::invite &&
                              inv.call_id() == m.call_id()) {
                              transports_.reply(ctx,
                                                sip::response_for(inv, 487, {}, "ct1").serialize());
                              break;
                          }
                      }
                  }
              },
              [this](const sip::connection_closed& c) { closed.push_back(c); }}) {
    source = *sip::socket_address::from_ip(ip, 0);
    transports_.listen_tcp(source);
    auto udp = transports_.listen_udp(source);
    if (udp) {
        source = udp.value();
    }
    sip::tls_profile p;
    p.ca_file = ca_file;
    p.verify_server = true;
    auto ctx = sip::tls_client_context::create(p);
    if (ctx) {
        transports_.set_tls_client(std::move(ctx.value()));
    }
}

bool sip_client::send(sip::transport_type type, const sip::socket_address& to, std::string bytes) {
    sip::connection_id used = 0;
    const auto st =
        transports_.send(sip::destination{type, to, "sbc.local"}, std::move(bytes), {}, &used);
    if (used != 0) {
        connection = used;
    }
    return st == sip::send_status::ok;
}

std::vector<received> sip_client::responses() const {
    std::vector<received> out;
    for (const auto& m : messages) {
        if (m.msg().is_response()) {
            out.push_back(m);
        }
    }
    return out;
}

std::vector<received> sip_client::requests() const {
    std::vector<received> out;
    for (const auto& m : messages) {
        if (m.msg().is_request()) {
            out.push_back(m);
        }
    }
    return out;
}

std::optional<received> sip_client::last_response() const {
    auto r = responses();
    if (r.empty()) {
        return std::nullopt;
    }
    return r.back();
}

void sip_client::close_all() {
    if (connection != 0) {
        transports_.close(connection);
    }
}

std::string make_register(const sip_client& c, const register_params& p) {
    const std::string host = c.source.ip();
    std::string contact =
        p.contact.empty() ? "sip:" + p.user + "@" + host + ":5061;transport=tls" : p.contact;
    std::string m = "REGISTER sip:pbx.local SIP/2.0\r\n";
    m += "Via: SIP/2.0/" + p.transport + " " + host + ":5061;branch=" + sip::make_branch() +
         ";rport\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: \"Alice\" <sip:" + p.user + "@pbx.local>;tag=ft-" + p.call_id + "\r\n";
    m += "To: <sip:" + p.user + "@pbx.local>\r\n";
    m += "Call-ID: " + p.call_id + "\r\n";
    m += "CSeq: " + std::to_string(p.cseq) + " REGISTER\r\n";
    m += "Contact: <" + contact + ">" + p.contact_params + "\r\n";
    if (p.expires) {
        m += "Expires: " + *p.expires + "\r\n";
    }
    if (!p.user_agent.empty()) {
        m += "User-Agent: " + p.user_agent + "\r\n";
    }
    if (p.credentials) {
        m += "Authorization: " + std::string(test_credentials) + "\r\n";
    }
    m += p.extra;
    m += "Content-Length: 0\r\n\r\n";
    return m;
}

sbc_fixture::sbc_fixture(config::comm_system mode, std::size_t nodes) {
    auto loaded = config::load_string(config::embedded_default_toml(), "<embedded default>",
                                      config::load_options{false});
    cfg = *loaded.config;
    pki = std::make_unique<sip::test::test_pki>(dir.path());
    pki->add_ca("ca");
    const auto leaf = pki->add_leaf("sbc", "ca", {"sbc.local"}, {"127.0.0.1"});
    for (auto& p : cfg.certificate_profiles) {
        p.certificate = leaf.cert;
        p.private_key = leaf.key;
        p.ca = pki->ca("ca").cert;
    }
    cfg.realm.access.signalling_address = "127.0.0.1";
    cfg.realm.core.signalling_address = "127.0.0.1";
    cfg.sip_server.comm_system_type = mode;
    cfg.sip_server.nodes.clear();
    for (std::size_t i = 0; i < nodes; ++i) {
        config::sip_server_node n;
        n.name = "osv" + std::to_string(i + 1);
        n.address = "127.0.0." + std::to_string(2 + i);
        n.transport = config::sip_transport::tcp;
        cfg.sip_server.nodes.push_back(n);
    }
    cfg.remote_subscribers.subnets.clear();
    cfg.remote_subscribers.subnets.push_back({"127.0.0.0/8", "sbc-tls", "SRTP_SDES"});
    cfg.remote_subscribers.throttle_refresh_s = 60;
    // The default's E911 provider sits in the demo's access namespace (10.1.0.10) on fixed
    // ports: a test adds its own endpoint on loopback (tests/controlplane/e911), none other
    // sends to it.
    cfg.remote_endpoints.clear();
}

sbc_fixture::~sbc_fixture() {
    sbc.reset();
    osv.clear();
}

bool sbc_fixture::start() {
    for (auto& n : cfg.sip_server.nodes) {
        osv.push_back(std::make_unique<fake_osv>(loop, n.address));
        n.port = osv.back()->address.port();
    }
    where_ = sip_listen::from(cfg);
    where_.access.tls = sip::test::free_port(SOCK_STREAM);
    where_.access.tcp = 0;
    where_.access.udp = 0;
    where_.core.tcp = sip::test::free_port(SOCK_STREAM);
    where_.core.udp = where_.core.tcp;
    access_tls = *sip::socket_address::from_ip("127.0.0.1", where_.access.tls);
    core = *sip::socket_address::from_ip("127.0.0.1", where_.core.tcp);
    return start_service();
}

bool sbc_fixture::restart() {
    sbc.reset();
    run_for(50ms);  // the peers see their connections close
    return start_service();
}

bool sbc_fixture::start_service() {
    sbc = std::make_unique<sip_service>(loop, cfg);
    if (before_start) {
        before_start(*sbc);
    }
    if (auto st = sbc->start(where_); !st) {
        start_error = st.message();
        return false;
    }
    // Let the first OPTIONS round settle so nodes are up.
    run_until([&] {
        for (std::size_t i = 0; i < sbc->trunk().size(); ++i) {
            if (sbc->trunk().node(static_cast<node_index>(i)).health == node_health::probing) {
                return false;
            }
        }
        return true;
    });
    return true;
}

std::unique_ptr<sip_client> sbc_fixture::client(const std::string& ip) {
    return std::make_unique<sip_client>(loop, ip, pki->ca("ca").cert);
}

bool sbc_fixture::register_client(sip_client& c, register_params p) {
    const std::size_t before = c.response_count();
    p.credentials = false;
    c.send(sip::transport_type::tls, access_tls, make_register(c, p));
    if (!run_until([&] { return c.response_count() > before; })) {
        return false;
    }
    auto r = c.last_response()->msg();
    if (r.status_code() == 401) {
        ++p.cseq;
        p.credentials = true;
        c.send(sip::transport_type::tls, access_tls, make_register(c, p));
        if (!run_until([&] { return c.response_count() > before + 1; })) {
            return false;
        }
        r = c.last_response()->msg();
    }
    return r.status_code() == 200;
}

}  // namespace sbc::cp::test
