#include "tests/controlplane/b2bua/call_harness.hpp"

#include <sys/socket.h>

#include <fstream>
#include <stdexcept>

#include "controlplane/b2bua/dialog_leg.hpp"
#include "sip/ids.hpp"
#include "tests/sip/transport/test_support.hpp"

namespace sbc::cp::test {

sip::message received::msg() const {
    return std::move(sip::parse(bytes).value());
}

std::string header(const sip::message& m, std::string_view name) {
    const auto* h = m.find(name);
    return h == nullptr ? std::string() : std::string(h->value);
}

bool contains(const std::string& hay, std::string_view needle) {
    return hay.find(needle) != std::string::npos;
}

namespace {

received record(const sip::message& m, const sip::transport_context& ctx,
                sip::transaction_id txn = 0) {
    received r;
    r.bytes = std::string(m.data());
    r.ctx = ctx;
    r.ctx.tls = nullptr;
    r.txn = txn;
    return r;
}

std::string with_body(std::string head, const std::string& sdp) {
    if (!sdp.empty()) {
        head += "Content-Type: application/sdp\r\n";
    }
    head += "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp;
    return head;
}

}  // namespace

sip_peer::sip_peer(sip::io_loop& loop, const std::string& ip_, bool fixed_port) : ip(ip_) {
    transports_ = std::make_unique<sip::transport_layer>(
        loop, sip::transport_limits{},
        sip::transport_layer::handlers{[this](sip::message&& m, const sip::transport_context& ctx) {
                                           txns_->receive(std::move(m), ctx);
                                       },
                                       {}});
    binding_ = std::make_unique<sip::transport_binding>(*transports_);
    sip::transaction_layer::handlers h;
    h.on_request = [this](sip::transaction_id id, const sip::message& m,
                          const sip::transport_context& ctx, sip::transaction_id cancelled) {
        requests.push_back(record(m, ctx, id));
        if (!auto_answer) {
            return;
        }
        const auto method = m.method_kind();
        const std::string tag = std::string(txns_->to_tag_of(id));
        if (method == sip::sip_method::invite) {
            if (answer_invites_486) {
                txns_->respond(id, sip::response_for(m, 486, "Busy Here", tag).serialize());
            }
            return;
        }
        if (method == sip::sip_method::register_ && answer_register) {
            auto r = sip::response_for(m, 200, "OK", tag);
            if (const auto& cs = m.contacts(); cs.ok() && !cs->empty()) {
                r.add("Contact", "<" + std::string(cs->front().addr.uri_text) + ">;expires=600");
            }
            txns_->respond(id, r.serialize());
            return;
        }
        if (method == sip::sip_method::cancel) {
            txns_->respond(id, 200, "OK");
            if (const sip::message* inv = txns_->request_of(cancelled)) {
                txns_->respond(cancelled, sip::response_for(*inv, 487, "Request Terminated",
                                                            txns_->to_tag_of(cancelled))
                                              .serialize());
            }
            return;
        }
        const uint16_t code = method == sip::sip_method::refer ? 202 : 200;
        txns_->respond(id, sip::response_for(m, code, {}, tag).serialize());
    };
    h.on_ack = [this](sip::message&& m, const sip::transport_context& ctx) {
        acks.push_back(record(m, ctx));
    };
    txns_ = std::make_unique<sip::transaction_layer>(loop.timers(), *binding_, h);
    const uint16_t port = fixed_port ? sip::test::free_port_tcp_and_udp() : 0;
    auto tcp = transports_->listen_tcp(*sip::socket_address::from_ip(ip, port));
    address = tcp.value();
    if (auto udp = transports_->listen_udp(address); !udp) {
        throw std::runtime_error("scripted peer udp: " + udp.error());
    }
}

sip_peer::~sip_peer() = default;

sip::transaction_id sip_peer::send(const std::string& request, const sip::socket_address& to) {
    auto parsed = sip::parse(request);
    if (!parsed) {
        return 0;
    }
    sip::transport_target t;
    t.type = sip::transport_type::tcp;
    t.address = to;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response = [this](const sip::message& r, const sip::transport_context& ctx) {
        responses.push_back(record(r, ctx));
    };
    cb.on_failure = [](sip::client_failure) {};
    return txns_->start_client(std::move(parsed.value()), t, std::move(cb));
}

void sip_peer::send_raw(const std::string& bytes, const sip::socket_address& to) {
    transports_->send(sip::destination{sip::transport_type::tcp, to, {}}, bytes);
}

bool sip_peer::respond(sip::transaction_id txn, const std::string& response) {
    return txns_->respond(txn, response);
}

bool sip_peer::cancel(sip::transaction_id client_txn) {
    return txns_->cancel(client_txn,
                         {[this](const sip::message& r, const sip::transport_context& ctx) {
                              responses.push_back(record(r, ctx));
                          },
                          [](sip::client_failure) {}});
}

std::vector<received> sip_peer::of(std::string_view method) const {
    std::vector<received> out;
    for (const auto& r : requests) {
        if (r.msg().method() == method) {
            out.push_back(r);
        }
    }
    return out;
}

std::optional<received> sip_peer::last(std::string_view method) const {
    auto v = of(method);
    if (v.empty()) {
        return std::nullopt;
    }
    return v.back();
}

std::vector<received> sip_peer::responses_to(std::string_view method) const {
    std::vector<received> out;
    for (const auto& r : responses) {
        if (r.msg().cseq().method == method) {
            out.push_back(r);
        }
    }
    return out;
}

std::optional<received> sip_peer::final_response(std::string_view method) const {
    for (auto it = responses.rbegin(); it != responses.rend(); ++it) {
        auto m = it->msg();
        if (m.cseq().method == method && m.status_code() >= 200) {
            return *it;
        }
    }
    return std::nullopt;
}

std::string sip_peer::everything() const {
    std::string out;
    for (const auto* v : {&requests, &acks, &responses}) {
        for (const auto& r : *v) {
            out += r.bytes;
        }
    }
    return out;
}

std::string peer_dialog::request(const std::string& method, const std::string& sdp,
                                 const std::string& extra, uint32_t cseq_override) {
    uint32_t n = cseq_override;
    if (n == 0) {
        n = (method == "ACK" || method == "CANCEL") ? cseq : ++cseq;
    }
    std::string m = method + " " + remote_target + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/TCP " + via_host + ";branch=" + sip::make_branch() + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: " + local_uri + ";tag=" + local_tag + "\r\n";
    m += "To: " + remote_uri + (remote_tag.empty() ? "" : ";tag=" + remote_tag) + "\r\n";
    m += "Call-ID: " + call_id + "\r\n";
    m += "CSeq: " + std::to_string(n) + " " + method + "\r\n";
    if (method != "ACK" && method != "CANCEL" && method != "BYE") {
        m += "Contact: " + contact + "\r\n";
    }
    m += extra;
    return with_body(std::move(m), sdp);
}

std::string peer_dialog::response(const sip::message& req, uint16_t code, const std::string& sdp,
                                  const std::string& extra) const {
    auto r = sip::response_for(req, code, {}, local_tag);
    std::string head = r.serialize();
    head.resize(head.find("\r\n\r\n") + 2);
    // serialize() wrote Content-Length: 0; replace it with ours.
    const auto cl = head.find("Content-Length:");
    if (cl != std::string::npos) {
        head.erase(cl, head.find("\r\n", cl) + 2 - cl);
    }
    if (code > 100 && code < 300) {
        head += "Contact: " + contact + "\r\n";
    }
    head += extra;
    return with_body(std::move(head), sdp);
}

peer_dialog peer_dialog::uas(const sip::message& req, const std::string& contact) {
    peer_dialog d;
    d.call_id = std::string(req.call_id());
    d.remote_tag = std::string(req.from().tag());
    d.local_tag = sip::make_tag();
    d.local_uri = b2bua::party_of(req.to());
    d.remote_uri = b2bua::party_of(req.from());
    if (const auto& cs = req.contacts(); cs.ok() && !cs->empty()) {
        d.remote_target = std::string(cs->front().addr.uri_text);
    }
    d.contact = contact;
    d.cseq = 1000;
    return d;
}

void peer_dialog::learn(const sip::message& resp) {
    remote_tag = std::string(resp.to().tag());
    if (const auto& cs = resp.contacts(); cs.ok() && !cs->empty()) {
        remote_target = std::string(cs->front().addr.uri_text);
    }
}

call_fixture::call_fixture() {
    cfg = config::embedded_default();
    instance = sbc::test::unique_instance("b2b");
    cdr_path = "/tmp/" + instance + ".cdr";
    osv = std::make_unique<sip_peer>(loop, "127.0.0.2", true);
    osv2 = std::make_unique<sip_peer>(loop, "127.0.0.3", true);
    phone = std::make_unique<sip_peer>(loop, "127.0.0.5", false);
    const uint16_t access_port = sip::test::free_port(SOCK_STREAM);
    const uint16_t core_port = sip::test::free_port(SOCK_STREAM);
    cfg.realm.access.signalling_address = "127.0.0.1";
    cfg.realm.access.sip_udp_port = 0;
    cfg.realm.access.sip_tcp_port = access_port;
    cfg.realm.access.sip_tls_port = 0;
    cfg.realm.core.signalling_address = "127.0.0.1";
    cfg.realm.core.sip_udp_port = core_port;
    cfg.realm.core.sip_tcp_port = core_port;
    cfg.sip_server.nodes.resize(1);
    cfg.sip_server.nodes[0].address = "127.0.0.2";
    cfg.sip_server.nodes[0].port = osv->address.port();
    cfg.sip_server.nodes[0].transport = config::sip_transport::tcp;
    cfg.calls.cdr_path = cdr_path;
    // The default's E911 provider sits in the demo's access namespace (10.1.0.10) on fixed
    // ports: an emergency test adds its own endpoint on loopback.
    cfg.remote_endpoints.clear();
    access_addr = *sip::socket_address::from_ip("127.0.0.1", access_port);
    core_addr = *sip::socket_address::from_ip("127.0.0.1", core_port);
}

call_fixture::~call_fixture() {
    if (tick_ != 0) {
        loop.cancel_every(tick_);
    }
    phone.reset();
    osv.reset();
    osv2.reset();
    b2bua.reset();
    media.reset();
    sip.reset();
    if (link) {
        link->stop();
        link->client().detach();
    }
    link.reset();
    dataplane.stop();
    std::remove(cdr_path.c_str());
}

bool call_fixture::start() {
    auto args = sbc::test::base_args(instance);
    args.insert(args.end(), {"--vdev", "net_null0", "--vdev", "net_null1", "--media",
                             "0,10.1.1.1/24", "--media", "1,10.2.1.1/24"});
    if (!dataplane.start(args, "/tmp/" + instance + ".log")) {
        error = "cannot start sbc-dataplane";
        return false;
    }
    link = std::make_unique<dataplane_link>(loop, instance);
    retry_policy p;
    p.deadline = std::chrono::seconds(20);
    if (auto st = link->attach_at_startup(p); !st) {
        error = st.message + "\n" + dataplane.log();
        return false;
    }
    sip = std::make_unique<sip_service>(loop, cfg);
    media = std::make_unique<media::media_manager>(cfg, link->client());
    if (auto st = media->open_cdr(); !st) {
        error = st.message();
        return false;
    }
    link->on_event([this](const dp_event& ev) { media->on_event(ev); });
    link->start(std::chrono::milliseconds(1));
    b2bua = std::make_unique<b2bua::b2bua>(*sip, *media, cfg);
    b2bua->attach();
    tick_ = loop.run_every(std::chrono::milliseconds(100),
                           [this] { media->tick(std::chrono::steady_clock::now()); });
    if (auto st = sip->start(sip_listen::from(cfg)); !st) {
        error = st.message();
        return false;
    }
    return true;
}

void call_fixture::add_second_node() {
    cfg.sip_server.comm_system_type = config::comm_system::active_standby;
    config::sip_server_node n = cfg.sip_server.nodes[0];
    n.name = "osv2";
    n.address = "127.0.0.3";
    n.port = osv2->address.port();
    cfg.sip_server.nodes.push_back(n);
}

std::vector<nlohmann::json> call_fixture::records() const {
    std::vector<nlohmann::json> out;
    std::ifstream f(cdr_path);
    std::string line;
    while (std::getline(f, line)) {
        out.push_back(nlohmann::json::parse(line));
    }
    return out;
}

std::string call_fixture::phone_invite(peer_dialog& d, const std::string& sdp,
                                       const std::string& extra, const std::string& request_uri) {
    const std::string host = phone->address.to_string();
    if (d.call_id.empty()) {
        d.call_id = sip::make_call_id("phone");
        d.local_tag = sip::make_tag();
        d.local_uri = "\"Alice\" <sip:alice@pbx.local>";
        d.remote_uri = "<sip:bob@pbx.local>";
        d.remote_target = "sip:bob@pbx.local";
        d.contact = "<sip:alice@" + host + ";transport=tcp>";
        d.via_host = host;
    }
    std::string m = "INVITE " + request_uri + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/TCP " + host + ";branch=" + sip::make_branch() + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: " + d.local_uri + ";tag=" + d.local_tag + "\r\n";
    m += "To: " + d.remote_uri + "\r\n";
    m += "Call-ID: " + d.call_id + "\r\n";
    m += "CSeq: " + std::to_string(d.cseq) + " INVITE\r\n";
    m += "Contact: " + d.contact + "\r\n";
    m += "User-Agent: ZoomPbxPhone_Windows 6.0.0\r\n";
    m += "Supported: 100rel, timer, replaces\r\n";
    m += "Allow: INVITE, ACK, CANCEL, BYE, UPDATE, PRACK, REFER, NOTIFY, OPTIONS, INFO\r\n";
    m += extra;
    return with_body(std::move(m), sdp);
}

std::string call_fixture::register_phone(const std::string& user) {
    osv->answer_register = true;
    const std::string host = phone->address.to_string();
    std::string m = "REGISTER sip:pbx.local SIP/2.0\r\n";
    m += "Via: SIP/2.0/TCP " + host + ";branch=" + sip::make_branch() + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: <sip:" + user + "@pbx.local>;tag=" + sip::make_tag() + "\r\n";
    m += "To: <sip:" + user + "@pbx.local>\r\n";
    m += "Call-ID: " + sip::make_call_id("reg") + "\r\n";
    m += "CSeq: 1 REGISTER\r\n";
    m += "Contact: <sip:" + user + "@" + host + ";transport=tcp>\r\n";
    m += "Expires: 600\r\n";
    m += "User-Agent: ZoomPbxPhone_Mac 6.0.0\r\n";
    m += "Content-Length: 0\r\n\r\n";
    const size_t before = phone->responses.size();
    phone->send(m, access_addr);
    if (!run_until([&] {
            return phone->responses.size() > before &&
                   phone->responses.back().msg().status_code() >= 200;
        })) {
        return {};
    }
    if (phone->responses.back().msg().status_code() != 200) {
        return {};
    }
    auto reg = osv->last("REGISTER");
    if (!reg) {
        return {};
    }
    auto msg = reg->msg();
    return std::string(msg.contacts()->front().addr.uri_text);
}

std::string call_fixture::osv_invite(peer_dialog& d, const std::string& token_contact,
                                     const std::string& sdp, const std::string& extra) {
    const std::string host = osv->address.to_string();
    if (d.call_id.empty()) {
        d.call_id = sip::make_call_id("osv");
        d.local_tag = sip::make_tag();
        d.local_uri = "\"Carol\" <sip:1000@pbx.local>";
        d.remote_uri = "<sip:bob@pbx.local>";
        d.remote_target = token_contact;
        d.contact = "<sip:1000@" + host + ";transport=tcp>";
        d.via_host = host;
    }
    std::string m = "INVITE " + token_contact + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/TCP " + host + ";branch=" + sip::make_branch() + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: " + d.local_uri + ";tag=" + d.local_tag + "\r\n";
    m += "To: " + d.remote_uri + "\r\n";
    m += "Call-ID: " + d.call_id + "\r\n";
    m += "CSeq: " + std::to_string(d.cseq) + " INVITE\r\n";
    m += "Contact: " + d.contact + "\r\n";
    m += "Supported: 100rel, timer\r\n";
    m += extra;
    return with_body(std::move(m), sdp);
}

}  // namespace sbc::cp::test
