#include "controlplane/registrar_relay.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "controlplane/log_text.hpp"
#include "controlplane/register_messages.hpp"
#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

namespace {

using std::chrono::seconds;

// A challenged first REGISTER keeps its pending binding (token, Call-ID) this long for the
// client's authenticated retry (64 x T1, one transaction timeout).
constexpr seconds pending_linger{32};

std::int64_t seconds_left(sip::time_point at, sip::time_point now) {
    return at > now ? std::chrono::duration_cast<seconds>(at - now).count() : 0;
}

}  // namespace

registrar_relay::registrar_relay(realm_edge& access, realm_edge& core, osv_trunk& trunk,
                                 binding_table& bindings, dos_guard& dos,
                                 const config::remote_subscribers_section& cfg,
                                 const config::push_section& push)
    : access_(access),
      core_(core),
      trunk_(trunk),
      bindings_(bindings),
      dos_(dos),
      throttle_(cfg),
      push_providers_(push.enable ? push.providers : std::vector<std::string>()) {
    access_.on_closed(life_.guard([this](const sip::connection_closed& info) { on_closed(info); }));
    trunk_.on_state_change(
        life_.guard([this](node_index n, node_health h) { on_node_state(n, h); }));
}

registrar_relay::~registrar_relay() {
    life_.end();
}

const sip::message* registrar_relay::client_request(const relay& rl) const {
    return access_.transactions().request_of(rl.server);
}

void registrar_relay::on_register(const inbound_request& req) {
    auto admission = admit(req);
    if (!admission) {
        return;
    }
    register_request& r = admission->request;

    relay rl;
    rl.server = req.txn;
    rl.intent = r.intent;
    rl.requested = r.expires;
    rl.aor = r.aor;
    rl.flow_type = req.ctx.type;
    rl.flow_connection = req.ctx.connection;
    rl.flow_remote = req.ctx.remote;
    rl.subnet = req.subnet;
    if (r.intent == register_intent::bind) {
        rl.user_agent = r.user_agent;
        rl.push = std::move(r.push);
        rl.push_query_caps = std::move(r.push_query_caps);
        rl.contact = r.contact_uri;
        rl.reg_id = r.reg_id;
        rl.outbound = r.outbound;
    }

    if (r.intent == register_intent::unbind) {
        binding* b = admission->existing;
        if (b == nullptr || b->state != binding_state::active) {
            // Nothing to remove: RFC 3261 §10.3 makes this a success listing what is left.
            access_.respond(req.txn, req.msg, 200, "OK",
                            client_headers(nullptr, aor_contacts(r.aor, nullptr)));
            return;
        }
        rl.token = b->token;
    } else if (r.intent == register_intent::bind) {
        binding* b = admission->existing;
        if (b != nullptr && b->state == binding_state::active && answer_locally(*b, r, req)) {
            return;
        }
        if (b == nullptr) {
            b = &bindings_.create(r.aor, std::string(r.instance), std::string(r.contact_uri));
            b->core_call_id = sip::make_call_id();
            b->core_from_tag = sip::make_tag();
            arm_expiry(*b, access_.loop().now() + pending_linger);
        }
        b->call_id = std::string(req.msg.call_id());
        b->cseq = req.msg.cseq().number;
        rl.token = b->token;
        rl.throttled = throttle_.applies(req.ctx.type, r.user_agent);
        rl.osv_requested = throttle_.osv_request(r.expires, rl.throttled);
    } else {
        rl.call_id = sip::make_call_id();
        rl.from_tag = sip::make_tag();
    }
    const std::uint64_t id = next_relay_++;
    rl.received = access_.loop().now();
    relays_.emplace(id, std::move(rl));
    start(id);
}

bool registrar_relay::answer_locally(binding& b, const register_request& r,
                                     const inbound_request& req) {
    const sip::transport_context& ctx = req.ctx;
    if (!b.throttled || !throttle_.applies(ctx.type, r.user_agent) ||
        b.call_id != req.msg.call_id() || b.contact != r.contact_uri) {
        return false;
    }
    const bool same_flow = ctx.type == sip::transport_type::udp
                               ? (b.transport == ctx.type && b.remote == ctx.remote)
                               : (b.connection != 0 && b.connection == ctx.connection);
    if (!same_flow || !trunk_.usable(b.node) || trunk_.select(b.node) != b.node) {
        return false;
    }
    const sip::time_point now = access_.loop().now();
    auto grant = throttle_.local_grant(r.expires, now, b.osv_refreshed_at, b.osv_expires_at);
    if (!grant) {
        return false;
    }
    b.cseq = req.msg.cseq().number;
    if (std::string creds = credential_lines(req.msg); !creds.empty()) {
        b.credentials = std::move(creds);
    }
    b.client_expires_at = now + seconds(*grant);
    arm_expiry(b, b.client_expires_at);
    save(b);
    ++b.answered_locally;
    ++counters_.answered_locally;
    std::vector<std::string> contacts{client_contact(b, *grant)};
    auto others = aor_contacts(b.aor, &b);
    contacts.insert(contacts.end(), others.begin(), others.end());
    auto headers = client_headers(nullptr, contacts);
    if (b.outbound) {
        headers.emplace_back("Require", "outbound");
    }
    if (b.has_push()) {
        headers.emplace_back("Feature-Caps", push_feature_caps(b));
    } else if (!r.push_query_caps.empty()) {
        headers.emplace_back("Feature-Caps", r.push_query_caps);
    }
    access_.respond(req.txn, req.msg, 200, "OK", headers);
    return true;
}

void registrar_relay::start(std::uint64_t id) {
    relay& rl = relays_.at(id);
    std::optional<node_index> affinity;
    if (binding* b = rl.token.empty() ? nullptr : bindings_.by_token(rl.token);
        b != nullptr && (b->state == binding_state::active || b->relayed > 0)) {
        // Its node, also while pending: the node that challenged holds the nonce.
        affinity = b->node;
    } else {
        // A user's clients share a node (clustered: their dialogs stay there too).
        for (const binding* other : bindings_.by_aor(rl.aor)) {
            if (other->state == binding_state::active) {
                affinity = other->node;
                break;
            }
        }
    }
    auto node = trunk_.select(affinity);
    if (!node) {
        rl.retried = true;
        retry_or_give_up(id);
        return;
    }
    rl.node = *node;
    send(id);
}

std::string registrar_relay::token_contact(node_index n, std::string_view token) const {
    return in_angles(core_.contact_uri(trunk_.target(n).type, token));
}

void registrar_relay::send(std::uint64_t id) {
    relay& rl = relays_.at(id);
    const sip::message* client = client_request(rl);
    if (client == nullptr) {
        finish(id);
        return;
    }
    const sip::transport_target& target = trunk_.target(rl.node);
    const std::string via = core_.make_via(target.type, sip::make_branch());
    std::string contact;
    core_leg leg;
    leg.via = via;
    binding* b = rl.token.empty() ? nullptr : bindings_.by_token(rl.token);
    if (b != nullptr) {
        leg.call_id = b->core_call_id;
        leg.from_tag = b->core_from_tag;
        leg.cseq = ++b->core_cseq;
        contact = token_contact(rl.node, b->token);
        leg.expires = rl.intent == register_intent::bind ? rl.osv_requested : 0;
        ++b->relayed;
        if (b->state == binding_state::pending) {
            b->node = rl.node;
        }
    } else if (rl.intent == register_intent::bind || rl.intent == register_intent::unbind) {
        finish(id);  // the binding died meanwhile (its connection closed)
        return;
    } else {
        leg.call_id = rl.call_id;
        leg.from_tag = rl.from_tag;
        leg.cseq = rl.attempt + 1;
        if (rl.intent == register_intent::unbind_all) {
            contact = "*";
            leg.expires = 0;
        }
    }
    leg.contact = contact;
    auto parsed = sip::parse(core_register(*client, leg));
    if (!parsed) {
        spdlog::error("registrar: built an unparsable REGISTER ({})",
                      log_text(parsed.error().reason()));
        finish(id);
        return;
    }
    ++counters_.relayed;
    const std::uint32_t attempt = rl.attempt;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response =
        life_.guard([this, id, attempt](const sip::message& r, const sip::transport_context&) {
            on_response(id, attempt, r);
        });
    cb.on_failure = life_.guard([this, id, attempt](sip::client_failure why) {
        if (why == sip::client_failure::timeout) {
            on_failure(id, attempt, node_outcome::timeout, "REGISTER timed out");
        } else {
            on_failure(id, attempt, node_outcome::transport_error, "REGISTER transport failure");
        }
    });
    core_.transactions().start_client(std::move(parsed.value()), target, std::move(cb));
    access_.loop().cancel_timer(rl.deadline);
    rl.deadline = access_.loop().run_after(
        8 * core_.transactions().timers().t1, life_.guard([this, id, attempt] {
            on_failure(id, attempt, node_outcome::timeout, "REGISTER unanswered for 8 x T1");
        }));
}

void registrar_relay::on_response(std::uint64_t id, std::uint32_t attempt, const sip::message& r) {
    auto it = relays_.find(id);
    if (it == relays_.end() || it->second.attempt != attempt || r.status_code() < 200) {
        return;
    }
    relay& rl = it->second;
    if (r.status_code() == 503) {
        on_failure(id, attempt, node_outcome::unavailable, "REGISTER answered 503");
        return;
    }
    const sip::message* client = client_request(rl);
    if (client != nullptr) {
        if (r.status_code() < 300) {
            commit(rl, *client, r);
        } else {
            pass_back(rl, r);
        }
    }
    finish(id);
}

void registrar_relay::on_failure(std::uint64_t id, std::uint32_t attempt, node_outcome why,
                                 std::string_view detail) {
    auto it = relays_.find(id);
    if (it == relays_.end() || it->second.attempt != attempt) {
        return;
    }
    // The retry below is this relay's own; the node-down listener must not retry it too.
    ++it->second.attempt;
    handling_ = id;
    trunk_.report(it->second.node, why, detail, it->second.flow_remote.ip());
    handling_ = 0;
    retry_or_give_up(id);
}

void registrar_relay::retry_or_give_up(std::uint64_t id) {
    auto it = relays_.find(id);
    if (it == relays_.end()) {
        return;
    }
    relay& rl = it->second;
    if (!rl.retried) {
        rl.retried = true;
        if (auto alt = trunk_.alternative(rl.node); alt && *alt != rl.node) {
            rl.node = *alt;
            ++rl.attempt;
            ++counters_.failovers;
            send(id);
            return;
        }
    }
    ++counters_.osv_unavailable;
    if (const sip::message* client = client_request(rl)) {
        access_.respond(rl.server, *client, 503, "Service Unavailable (no OSV node answered)",
                        {{"Retry-After", std::to_string(trunk_.retry_after_s())}});
    }
    forget_pending(rl.token);
    finish(id);
}

void registrar_relay::finish(std::uint64_t id) {
    if (auto it = relays_.find(id); it != relays_.end()) {
        relay_time_.observe(access_.loop().now() - it->second.received);
        access_.loop().cancel_timer(it->second.deadline);
        relays_.erase(it);
    }
}

void registrar_relay::forget_pending(const std::string& token) {
    if (token.empty()) {
        return;
    }
    if (binding* b = bindings_.by_token(token);
        b != nullptr && b->state == binding_state::pending) {
        access_.loop().cancel_timer(b->expiry_timer);
        drop(*b);
    }
}

void registrar_relay::pass_back(relay& rl, const sip::message& response) {
    const sip::message* client = client_request(rl);
    const std::uint16_t code = response.status_code();
    if (code == 401 || code == 407) {
        ++counters_.challenges;
        if (binding* b = bindings_.by_token(rl.token);
            b != nullptr && b->state == binding_state::pending) {
            arm_expiry(*b, access_.loop().now() + pending_linger);
        }
    } else {
        ++counters_.rejected;
        forget_pending(rl.token);
    }
    access_.respond(rl.server, *client, code, response.reason_phrase(),
                    client_headers(&response, {}));
}

void registrar_relay::commit(relay& rl, const sip::message& client, const sip::message& ok) {
    ++counters_.accepted;
    const sip::time_point now = access_.loop().now();
    auto respond = [&](const std::vector<std::string>& contacts, bool outbound = false,
                       const binding* pushed = nullptr) {
        auto headers = client_headers(&ok, contacts);
        if (outbound) {
            headers.emplace_back("Require", "outbound");
        }
        if (pushed != nullptr) {
            headers.emplace_back("Feature-Caps", push_feature_caps(*pushed));
        } else if (!rl.push_query_caps.empty()) {
            headers.emplace_back("Feature-Caps", rl.push_query_caps);
        }
        access_.respond(rl.server, client, ok.status_code(), ok.reason_phrase(), headers);
    };

    if (rl.intent == register_intent::unbind_all) {
        for (binding* b : bindings_.by_aor(rl.aor)) {
            ++counters_.unbound;
            access_.loop().cancel_timer(b->expiry_timer);
            drop(*b);
        }
        respond({});
        return;
    }
    if (rl.intent == register_intent::query) {
        respond(aor_contacts(rl.aor, nullptr));
        return;
    }
    binding* b = bindings_.by_token(rl.token);
    if (b == nullptr) {
        respond(aor_contacts(rl.aor, nullptr));
        return;
    }
    if (rl.intent == register_intent::unbind) {
        ++counters_.unbound;
        access_.loop().cancel_timer(b->expiry_timer);
        drop(*b);
        respond(aor_contacts(rl.aor, nullptr));
        return;
    }

    // bind: what OSV granted our token Contact (RFC 3261 §10.3 step 8: per Contact).
    std::uint32_t granted = rl.osv_requested;
    bool listed = false;
    if (const auto& cs = ok.contacts(); cs.ok()) {
        for (const sip::contact& c : *cs) {
            if (token_of(c) == b->token) {
                listed = true;
                if (auto e = c.expires()) {
                    granted = *e;
                } else if (ok.expires().ok()) {
                    granted = *ok.expires();
                }
            }
        }
    }
    if (!listed && ok.expires().ok()) {
        granted = *ok.expires();
    }
    if (granted == 0) {
        // OSV took the binding away at once: nothing to keep.
        ++counters_.unbound;
        access_.loop().cancel_timer(b->expiry_timer);
        drop(*b);
        respond(aor_contacts(rl.aor, nullptr));
        return;
    }

    const bool first = b->state != binding_state::active;
    bindings_.mark_active(*b);
    if (first) {
        ++counters_.bindings_created;
    }
    b->node = rl.node;
    b->throttled = rl.throttled;
    b->osv_refreshed_at = now;
    b->osv_expires_at = now + seconds(granted);
    const std::uint32_t grant = throttle_.client_grant(rl.requested, granted);
    b->client_expires_at = now + seconds(grant);
    b->user_agent = std::move(rl.user_agent);
    b->push = std::move(rl.push);
    b->reg_id = rl.reg_id;
    b->outbound = rl.outbound;
    if (!b->instance.empty()) {
        b->contact = std::move(rl.contact);
    }
    if (std::string creds = credential_lines(client); !creds.empty()) {
        b->credentials = std::move(creds);
    }
    b->transport = rl.flow_type;
    bindings_.set_remote(*b, rl.flow_remote);
    b->subnet = rl.subnet;
    const bool reliable = sip::is_reliable(rl.flow_type);
    if (reliable && !access_.is_open(rl.flow_connection)) {
        // The client's connection closed while OSV was deciding.
        bindings_.set_connection(*b, 0);
        if (!b->has_push()) {
            binding_died(*b, &registrar_counters::flow_closed);
            return;
        }
        ++counters_.flow_detached;
    } else {
        bindings_.set_connection(*b, reliable ? rl.flow_connection : 0);
    }
    arm_expiry(*b, b->client_expires_at);
    save(*b);
    std::vector<std::string> contacts{client_contact(*b, grant)};
    auto others = aor_contacts(b->aor, b);
    contacts.insert(contacts.end(), others.begin(), others.end());
    respond(contacts, b->outbound, b->has_push() ? b : nullptr);
    // RFC 8599 §5.6.2: a request held for the push goes to the UA once its REGISTER has its
    // 2xx. Every accepted REGISTER of a push client with a live flow is told; only calls held
    // for its device are released.
    if (flow_attached_ && b->has_push() && b->connection != 0) {
        flow_attached_(*b);
    }
}

std::vector<std::string> registrar_relay::aor_contacts(std::string_view aor,
                                                       const binding* except) const {
    std::vector<std::string> out;
    const sip::time_point now = access_.loop().now();
    for (const binding* b : const_cast<binding_table&>(bindings_).by_aor(aor)) {
        if (b != except && b->state == binding_state::active) {
            out.push_back(client_contact(
                *b, static_cast<std::uint32_t>(seconds_left(b->client_expires_at, now))));
        }
    }
    return out;
}

}  // namespace sbc::cp
