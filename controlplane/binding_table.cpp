#include "controlplane/binding_table.hpp"

#include <cassert>

#include "sip/ids.hpp"

namespace sbc::cp {

namespace {

constexpr std::string_view token_prefix = "sbcf";
constexpr std::size_t token_random = 20;

}  // namespace

std::string binding_table::make_token() {
    std::string t(token_prefix);
    t += sip::random_token(token_random);
    return t;
}

bool binding_table::looks_like_token(std::string_view user) {
    return user.size() == token_prefix.size() + token_random && user.starts_with(token_prefix);
}

binding& binding_table::create(std::string aor, std::string instance, std::string contact) {
    std::string token;
    do {
        token = make_token();
    } while (by_token_.count(token) != 0);
    return insert(std::move(token), std::move(aor), std::move(instance), std::move(contact));
}

binding* binding_table::adopt(std::string token, std::string aor, std::string instance,
                              std::string contact) {
    const std::string_view id = instance.empty() ? std::string_view(contact) : instance;
    if (by_token_.count(token) != 0 || by_key_.count(key{aor, id}) != 0) {
        return nullptr;
    }
    return &insert(std::move(token), std::move(aor), std::move(instance), std::move(contact));
}

binding& binding_table::insert(std::string token, std::string aor, std::string instance,
                               std::string contact) {
    auto b = std::make_unique<binding>();
    b->token = std::move(token);
    b->aor = std::move(aor);
    b->instance = std::move(instance);
    b->contact = std::move(contact);
    binding& ref = *b;
    const std::string_view id = ref.token;
    by_token_.emplace(id, std::move(b));
    by_key_.emplace(key_of(ref), &ref);
    by_aor_.emplace(std::string_view(ref.aor), &ref);
    return ref;
}

void binding_table::erase(binding& b) {
    if (b.connection != 0) {
        set_connection(b, 0);
    }
    if (b.state == binding_state::active) {
        --active_;
        count_source(b, -1);
    }
    by_key_.erase(key_of(b));
    auto range = by_aor_.equal_range(std::string_view(b.aor));
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == &b) {
            by_aor_.erase(it);
            break;
        }
    }
    by_token_.erase(std::string_view(b.token));  // destroys b
}

binding* binding_table::find(std::string_view aor, std::string_view instance,
                             std::string_view contact) {
    auto it = by_key_.find(key{aor, instance.empty() ? contact : instance});
    return it == by_key_.end() ? nullptr : it->second;
}

binding* binding_table::by_token(std::string_view token) {
    auto it = by_token_.find(token);
    return it == by_token_.end() ? nullptr : it->second.get();
}

std::vector<binding*> binding_table::by_aor(std::string_view aor) {
    std::vector<binding*> out;
    auto range = by_aor_.equal_range(aor);
    for (auto it = range.first; it != range.second; ++it) {
        out.push_back(it->second);
    }
    return out;
}

std::vector<binding*> binding_table::on_connection(sip::connection_id id) {
    std::vector<binding*> out;
    auto range = by_connection_.equal_range(id);
    for (auto it = range.first; it != range.second; ++it) {
        out.push_back(it->second);
    }
    return out;
}

void binding_table::set_connection(binding& b, sip::connection_id id) {
    if (b.connection == id) {
        return;
    }
    if (b.connection != 0) {
        auto range = by_connection_.equal_range(b.connection);
        for (auto it = range.first; it != range.second; ++it) {
            if (it->second == &b) {
                by_connection_.erase(it);
                break;
            }
        }
    }
    b.connection = id;
    if (id != 0) {
        by_connection_.emplace(id, &b);
    }
}

void binding_table::mark_active(binding& b) {
    if (b.state != binding_state::active) {
        b.state = binding_state::active;
        ++active_;
        count_source(b, +1);
    }
}

void binding_table::set_remote(binding& b, const sip::socket_address& remote) {
    if (b.state == binding_state::active) {
        count_source(b, -1);
    }
    b.remote = remote;
    if (b.state == binding_state::active) {
        count_source(b, +1);
    }
}

void binding_table::count_source(const binding& b, int delta) {
    if (!b.remote.valid()) {
        return;
    }
    const std::string k = b.remote.ip_key();
    if (delta > 0) {
        ++active_by_source_[k];
        return;
    }
    auto it = active_by_source_.find(k);
    if (it != active_by_source_.end() && --it->second == 0) {
        active_by_source_.erase(it);
    }
}

std::size_t binding_table::on_node(node_index n) const {
    std::size_t count = 0;
    for (const auto& [k, b] : by_token_) {
        if (b->state == binding_state::active && b->node == n) {
            ++count;
        }
    }
    return count;
}

}  // namespace sbc::cp
