// The registrar's bindings in the state store (issue 15): written when OSV accepts or the
// throttle answers a refresh, erased when they die, read back when sbcd starts again.
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "controlplane/binding_record.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/registrar_relay.hpp"
#include "controlplane/state/state_store.hpp"
#include "controlplane/subscriber_subnets.hpp"

namespace sbc::cp {

using state::record_kind;

void registrar_relay::save(const binding& b) {
    if (store_ == nullptr || b.state != binding_state::active) {
        return;
    }
    const std::string value =
        encode_binding(to_durable(b, trunk_.node(b.node).cfg.name, clock_pair::now()));
    if (cp::status st = store_->put(record_kind::binding, b.token, value); !st) {
        // The binding works on; only a restart would lose it.
        spdlog::error("binding {} of {} not saved: {}", b.token, log_text(b.aor), st.message());
    }
}

void registrar_relay::drop(binding& b) {
    if (store_ != nullptr && b.state == binding_state::active) {
        if (cp::status st = store_->erase(record_kind::binding, b.token); !st) {
            spdlog::error("binding {} not erased from the state store: {}", b.token, st.message());
        }
    }
    bindings_.erase(b);
}

std::size_t registrar_relay::restore(const subscriber_subnets& subnets) {
    if (store_ == nullptr) {
        return 0;
    }
    const clock_pair now = clock_pair::now();
    std::vector<std::string> stale;  // erased after the walk (the store is not changed under it)
    std::size_t restored = 0;
    store_->for_each([&](record_kind kind, std::string_view id, std::string_view value) {
        if (kind != record_kind::binding) {
            return;
        }
        auto skip = [&](const std::string& why) {
            spdlog::warn("state store: binding record '{}' skipped and erased: {}", log_text(id),
                         why);
            stale.emplace_back(id);
        };
        auto d = decode_binding(value);
        if (!d) {
            skip(d.error().message());
            return;
        }
        if (d->token != id) {
            skip("filed under another token");
            return;
        }
        if (d->client_expires_at <= now.wall) {
            skip("expired while sbcd was down");
            return;
        }
        std::optional<node_index> node;
        for (node_index n = 0; n < trunk_.size(); ++n) {
            if (trunk_.node(n).cfg.name == d->node) {
                node = n;
            }
        }
        if (!node) {
            skip("OSV node '" + log_text(d->node) + "' is no longer configured");
            return;
        }
        const auto remote = sip::socket_address::parse(d->remote);
        binding* b = bindings_.adopt(d->token, d->aor, d->instance, d->contact);
        if (b == nullptr || !remote) {
            skip("another binding has its token or its AOR and Contact");
            return;
        }
        b->user_agent = d->user_agent;
        if (!d->pn_provider.empty()) {
            b->push = push_device(d->pn_provider, d->pn_prid, d->pn_param);
        }
        b->call_id = d->call_id;
        b->credentials = d->credentials;
        b->core_call_id = d->core_call_id;
        b->core_from_tag = d->core_from_tag;
        b->transport = d->transport;
        b->client_expires_at = now.to_steady(d->client_expires_at);
        b->osv_refreshed_at = now.to_steady(d->osv_refreshed_at);
        b->osv_expires_at = now.to_steady(d->osv_expires_at);
        b->cseq = d->cseq;
        b->core_cseq = d->core_cseq;
        b->reg_id = d->reg_id;
        b->node = *node;
        b->throttled = d->throttled;
        b->outbound = d->outbound;
        bindings_.set_remote(*b, *remote);
        bindings_.mark_active(*b);
        b->subnet = subnets.match(*remote);
        // No connection: over TCP/TLS the flow died with the sbcd before (RFC 5626 §4.4); the
        // client reconnects and re-registers. Over UDP the address is the flow.
        arm_expiry(*b, b->client_expires_at);
        ++restored;
    });
    for (const std::string& id : stale) {
        (void)store_->erase(record_kind::binding, id);
    }
    if (restored != 0 || !stale.empty()) {
        spdlog::info("state store: restored {} bindings, skipped {}", restored, stale.size());
    }
    return restored;
}

}  // namespace sbc::cp
