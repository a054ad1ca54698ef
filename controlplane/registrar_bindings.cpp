// The registrar's bindings after OSV accepted them: expiry, death (de-registration at OSV with
// the client's last credentials), flows closing, nodes going down under relays in flight, and
// how `sbcctl registrations` shows them. The relay itself is registrar_relay.cpp.
#include <algorithm>

#include "controlplane/counters_json.hpp"
#include "controlplane/register_messages.hpp"
#include "controlplane/registrar_relay.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

namespace {

using std::chrono::seconds;

std::int64_t seconds_left(sip::time_point at, sip::time_point now) {
    return at > now ? std::chrono::duration_cast<seconds>(at - now).count() : 0;
}

}  // namespace

void registrar_relay::arm_expiry(binding& b, sip::time_point at) {
    access_.loop().cancel_timer(b.expiry_timer);
    b.expiry_timer = access_.loop().run_at(at, life_.guard([this, token = b.token] {
        binding* x = bindings_.by_token(token);
        if (x == nullptr) {
            return;
        }
        x->expiry_timer = {};
        if (x->state == binding_state::pending) {
            bindings_.erase(*x);
        } else {
            binding_died(*x, &registrar_counters::expired);
        }
    }));
}

void registrar_relay::binding_died(binding& b, std::uint64_t registrar_counters::*why) {
    ++(counters_.*why);
    const sip::time_point now = access_.loop().now();
    if (b.state == binding_state::active && b.osv_expires_at > now + seconds(1) &&
        trunk_.usable(b.node)) {
        unbind_at_osv(b);
    }
    access_.loop().cancel_timer(b.expiry_timer);
    drop(b);
}

void registrar_relay::unbind_at_osv(const binding& b) {
    const node_index node = b.node;
    const sip::transport_target& target = trunk_.target(node);
    const std::string via = core_.make_via(target.type, sip::make_branch());
    const std::string contact = token_contact(node, b.token);
    core_leg leg;
    leg.via = via;
    leg.call_id = b.core_call_id;
    leg.from_tag = b.core_from_tag;
    leg.cseq = b.core_cseq + 1;
    leg.contact = contact;
    leg.expires = 0;
    auto parsed = sip::parse(core_unregister(b, leg));
    if (!parsed) {
        ++counters_.osv_unbind_failed;
        return;
    }
    ++counters_.osv_unbind_sent;
    sip::transaction_layer::client_callbacks cb;
    cb.on_response = life_.guard([this](const sip::message& r, const sip::transport_context&) {
        if (r.status_code() < 200) {
            return;
        }
        if (r.status_code() < 300) {
            ++counters_.osv_unbind_accepted;
        } else if (r.status_code() == 401 || r.status_code() == 407) {
            ++counters_.osv_unbind_challenged;
        } else {
            ++counters_.osv_unbind_failed;
        }
    });
    cb.on_failure = life_.guard([this, node, source = b.remote.ip()](sip::client_failure why) {
        ++counters_.osv_unbind_failed;
        trunk_.report(node,
                      why == sip::client_failure::timeout ? node_outcome::timeout
                                                          : node_outcome::transport_error,
                      "de-REGISTER failed", source);
    });
    core_.transactions().start_client(std::move(parsed.value()), target, std::move(cb));
}

void registrar_relay::on_closed(const sip::connection_closed& info) {
    for (binding* b : bindings_.on_connection(info.id)) {
        if (b->has_push()) {
            bindings_.set_connection(*b, 0);
            ++counters_.flow_detached;
        } else {
            binding_died(*b, &registrar_counters::flow_closed);
        }
    }
}

void registrar_relay::on_node_state(node_index n, node_health h) {
    if (h != node_health::down) {
        return;
    }
    std::vector<std::uint64_t> waiting;
    for (const auto& [id, rl] : relays_) {
        if (rl.node == n && id != handling_) {
            waiting.push_back(id);
        }
    }
    for (std::uint64_t id : waiting) {
        auto it = relays_.find(id);
        if (it != relays_.end()) {
            ++it->second.attempt;  // the answer from the dead node, if any, is ignored
            retry_or_give_up(id);
        }
    }
}

nlohmann::json registrar_relay::counters_json() const {
    nlohmann::json j = cp::counters_json(static_cast<const registrar_family&>(counters_));
    for (std::size_t i = 0; i < static_cast<std::size_t>(register_refusal::count_); ++i) {
        j["refused_" + std::string(refusal_name(static_cast<register_refusal>(i)))] =
            counters_.refusals[i];
    }
    return j;
}

nlohmann::json registrar_relay::registrations_table(const nlohmann::json& args) const {
    std::string aor;
    std::size_t limit = 1000;
    bool push_only = false;
    if (args.is_object()) {
        if (args.contains("aor") && args["aor"].is_string()) {
            aor = args["aor"].get<std::string>();
        }
        push_only = args.contains("push") && args["push"].is_boolean() && args["push"].get<bool>();
        if (args.contains("limit") && args["limit"].is_number_integer() &&
            args["limit"].get<std::int64_t>() >= 0) {
            limit = args["limit"].get<std::size_t>();
        }
    }
    std::vector<const binding*> rows;
    bindings_.for_each([&](const binding& b) {
        if (b.state == binding_state::active && (aor.empty() || b.aor == aor) &&
            (!push_only || b.has_push())) {
            rows.push_back(&b);
        }
    });
    const std::size_t total = rows.size();
    std::sort(rows.begin(), rows.end(), [](const binding* a, const binding* b) {
        return a->aor != b->aor ? a->aor < b->aor : a->token < b->token;
    });
    if (rows.size() > limit) {
        rows.resize(limit);
    }
    const sip::time_point now = access_.loop().now();
    nlohmann::json out_rows = nlohmann::json::array();
    for (const binding* b : rows) {
        out_rows.push_back({b->aor, b->remote.to_string(),
                            std::string(sip::transport_name(b->transport)), b->user_agent,
                            seconds_left(b->client_expires_at, now),
                            seconds_left(b->osv_expires_at, now), trunk_.node(b->node).cfg.name,
                            b->throttled, b->live_flow() ? "live" : "none", b->push.summary(),
                            b->instance.empty() ? std::string("-") : b->instance});
    }
    return {{"columns",
             {"aor", "client", "transport", "user_agent", "expires_s", "osv_expires_s", "node",
              "throttled", "flow", "push", "instance"}},
            {"rows", out_rows},
            {"total", total}};
}

}  // namespace sbc::cp
