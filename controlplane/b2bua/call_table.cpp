#include "controlplane/b2bua/call_table.hpp"

#include <algorithm>

namespace sbc::cp::b2bua {

uint64_t call_table::server_key(realm_id r, sip::transaction_id t) {
    return (r == realm_id::core ? (uint64_t{1} << 63) : 0) | t;
}

call* call_table::find(call_id_t id) {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : it->second.get();
}

const call* call_table::find(call_id_t id) const {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : it->second.get();
}

call& call_table::add(std::unique_ptr<call> owned) {
    call& c = *owned;
    calls_.emplace(c.id(), std::move(owned));
    for (side s : {side::a, side::b}) {
        const auto& l = c.leg(s);
        by_dialog_[dialog_key(l.realm, l.call_id, l.local_tag)] = {c.id(), s};
    }
    if (c.data().media != 0) {
        by_media_[c.data().media] = c.id();
    }
    return c;
}

void call_table::erase(call_id_t id) {
    auto it = calls_.find(id);
    if (it == calls_.end()) {
        return;
    }
    const call& c = *it->second;
    for (side s : {side::a, side::b}) {
        const auto& l = c.leg(s);
        auto d = by_dialog_.find(dialog_key(l.realm, l.call_id, l.local_tag));
        if (d != by_dialog_.end() && d->second.id == id) {
            by_dialog_.erase(d);
        }
    }
    if (auto keys = invites_of_.find(id); keys != invites_of_.end()) {
        for (const uint64_t k : keys->second) {
            auto i = by_invite_server_.find(k);
            if (i != by_invite_server_.end() && i->second == id) {
                by_invite_server_.erase(i);
            }
        }
        invites_of_.erase(keys);
    }
    by_media_.erase(c.data().media);
    if (c.data().push) {
        unindex_push(c.data().push->key, id);
    }
    calls_.erase(it);
}

void call_table::index_push(const std::string& key, call_id_t id) {
    by_push_.emplace(key, id);
}

void call_table::unindex_push(const std::string& key, call_id_t id) {
    auto [b, e] = by_push_.equal_range(key);
    for (auto i = b; i != e; ++i) {
        if (i->second == id) {
            by_push_.erase(i);
            return;
        }
    }
}

std::vector<call_id_t> call_table::awaiting_push(const std::string& key) const {
    std::vector<call_id_t> out;
    auto [b, e] = by_push_.equal_range(key);
    for (auto i = b; i != e; ++i) {
        out.push_back(i->second);
    }
    std::sort(out.begin(), out.end());  // oldest call first
    return out;
}

void call_table::index_invite(realm_id realm, sip::transaction_id server, call_id_t id) {
    const uint64_t k = server_key(realm, server);
    by_invite_server_[k] = id;
    invites_of_[id].push_back(k);
}

std::optional<call_table::dialog_hit> call_table::by_dialog(realm_id realm,
                                                            std::string_view call_id,
                                                            std::string_view local_tag) const {
    auto it = by_dialog_.find(dialog_key(realm, call_id, local_tag));
    if (it == by_dialog_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<call_id_t> call_table::by_invite(realm_id realm, sip::transaction_id server) const {
    auto it = by_invite_server_.find(server_key(realm, server));
    if (it == by_invite_server_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::optional<call_id_t> call_table::by_media(media::session_id sid) const {
    auto it = by_media_.find(sid);
    if (it == by_media_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void call_table::run(call_id_t id, std::function<void(call&)> fn) {
    call* c = find(id);
    if (c == nullptr) {
        return;
    }
    if (c->programming()) {
        c->hold([this, id, fn = std::move(fn)]() mutable { run(id, std::move(fn)); });
        return;
    }
    fn(*c);
}

void call_table::run(call_id_t id, const sip::message& m,
                     std::function<void(call&, const sip::message&)> fn) {
    call* c = find(id);
    if (c == nullptr) {
        return;
    }
    if (!c->programming()) {
        fn(*c, m);
        return;
    }
    auto copy = sip::parse(m.data());
    if (!copy) {
        return;
    }
    auto shared = std::make_shared<sip::message>(std::move(copy.value()));
    run(id, [shared, fn = std::move(fn)](call& cl) { fn(cl, *shared); });
}

void call_table::release(call_id_t id) {
    while (call* c = find(id)) {
        auto fn = c->next_held();
        if (!fn) {
            return;
        }
        (*fn)();
    }
}

std::vector<call_id_t> call_table::ids() const {
    std::vector<call_id_t> out;
    out.reserve(calls_.size());
    for (const auto& [id, c] : calls_) {
        out.push_back(id);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace sbc::cp::b2bua
