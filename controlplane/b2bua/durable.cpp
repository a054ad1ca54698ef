#include "controlplane/b2bua/durable.hpp"

#include <sys/socket.h>

#include <cstring>
#include <type_traits>

#include "controlplane/state/record_codec.hpp"

namespace sbc::cp::b2bua {

namespace {

using state::record_reader;
using state::record_writer;

constexpr size_t max_field = 64 * 1024;
constexpr uint32_t max_routes = 64;  // a route set longer than this is not one sbcd built
constexpr uint32_t max_domains = 64;
constexpr uint32_t max_flows = 2;

static_assert(std::is_trivially_copyable_v<shm::flow_spec>);

using state::wall_time;

void put_time(record_writer& w, const std::optional<wall_time>& t) {
    w.u8(t ? 1 : 0);
    w.wall(t.value_or(wall_time{}));
}
std::optional<wall_time> get_time(record_reader& r) {
    const bool has = r.boolean();
    const wall_time t = r.wall();
    return has ? std::optional(t) : std::nullopt;
}

template <class E>
E get_enum(record_reader& r, E last, const char* what) {
    const uint8_t v = r.u8();
    if (r.ok() && v > static_cast<uint8_t>(last)) {
        r.fail(std::string(what) + " " + std::to_string(v));
    }
    return static_cast<E>(v);
}

void put_leg(record_writer& w, const dialog_leg& l) {
    w.u8(static_cast<uint8_t>(l.realm));
    for (const std::string* s :
         {&l.call_id, &l.local_tag, &l.remote_tag, &l.local_party, &l.remote_party,
          &l.remote_target, &l.contact, &l.user_agent, &l.remote_address}) {
        w.str(*s);
    }
    w.u32(l.local_cseq);
    w.u32(l.remote_cseq);
    w.u32(static_cast<uint32_t>(l.route_set.size()));
    for (const std::string& r : l.route_set) {
        w.str(r);
    }
    w.u8(static_cast<uint8_t>(l.next_hop.type));
    // "" for a hop without an address (none of ours has one once the call is confirmed).
    w.str(l.next_hop.address.family() == AF_UNSPEC ? std::string()
                                                   : l.next_hop.address.to_string());
    w.str(l.next_hop.server_name);
    w.u8(l.allows_update ? 1 : 0);
}

void get_leg(record_reader& r, dialog_leg& l) {
    l.realm = get_enum(r, realm_id::core, "realm");
    for (std::string* s : {&l.call_id, &l.local_tag, &l.remote_tag, &l.local_party, &l.remote_party,
                           &l.remote_target, &l.contact, &l.user_agent, &l.remote_address}) {
        *s = r.str(max_field);
    }
    l.local_cseq = r.u32();
    l.remote_cseq = r.u32();
    const uint32_t routes = r.u32();
    if (r.ok() && routes > max_routes) {
        r.fail(std::to_string(routes) + " routes");
    }
    for (uint32_t i = 0; r.ok() && i < routes; ++i) {
        l.route_set.push_back(r.str(max_field));
    }
    l.next_hop.type = get_enum(r, sip::transport_type::tls, "transport");
    const std::string hop = r.str(max_field);
    if (r.ok() && !hop.empty()) {
        if (auto a = sip::socket_address::parse(hop)) {
            l.next_hop.address = *a;
        } else {
            r.fail("a next hop that is not an address");
        }
    }
    l.next_hop.server_name = r.str(max_field);
    l.allows_update = r.boolean();
}

}  // namespace

std::string call_record_id(const call_data& d) {
    const dialog_leg& a = d.leg(side::a);
    return a.call_id + '\n' + a.local_tag;
}

std::string encode_call(const durable_call& c) {
    const call_data& d = c.data;
    record_writer w;
    w.u8(call_record_version);
    w.u32(shm::contract_version);
    w.u64(d.id);
    w.u8(static_cast<uint8_t>(d.kind));
    w.u8(static_cast<uint8_t>(d.state));
    put_leg(w, d.legs[0]);
    put_leg(w, d.legs[1]);
    w.u64(d.media);
    w.str(c.node);
    for (const std::string* s : {&d.route, &d.from_aor, &d.to_aor, &d.end_reason}) {
        w.str(*s);
    }
    w.u32(d.max_forwards);
    put_time(w, d.started);
    put_time(w, d.answered);
    w.u32(static_cast<uint32_t>(d.final_status));
    w.u32(d.reinvites);
    w.u32(d.updates);
    w.u32(d.refreshes);
    w.u32(d.session_interval);
    put_time(w, d.session_deadline);
    w.u8(d.emergency ? 1 : 0);
    if (d.emergency) {
        const emergency_route& e = *d.emergency;
        w.u64(e.endpoint);
        w.u32(static_cast<uint32_t>(e.domains.size()));
        for (std::size_t x : e.domains) {
            w.u64(x);
        }
        w.u64(e.attempt);
        w.str(e.dialled);
        w.str(e.failures);
    }
    w.u32(static_cast<uint32_t>(c.flows.size()));
    for (const shm::flow_spec& f : c.flows) {
        w.str(std::string_view(reinterpret_cast<const char*>(&f), sizeof f));
    }
    return w.take();
}

cp::result<durable_call> decode_call(std::string_view value) {
    record_reader r(value);
    if (const uint8_t v = r.u8(); r.ok() && v != call_record_version) {
        return cp::fail("call record version " + std::to_string(v) + " (this sbcd reads " +
                        std::to_string(call_record_version) + ")");
    }
    if (const uint32_t cv = r.u32(); r.ok() && cv != shm::contract_version) {
        // Flows of another dataplane contract: their bytes mean something else now.
        return cp::fail("call record of dataplane contract " + std::to_string(cv) +
                        " (this sbcd has " + std::to_string(shm::contract_version) + ")");
    }
    durable_call c;
    call_data& d = c.data;
    d.id = r.u64();
    d.kind = get_enum(r, call_kind::emergency, "call kind");
    d.state = get_enum(r, call_state::ending, "call state");
    get_leg(r, d.legs[0]);
    get_leg(r, d.legs[1]);
    d.media = r.u64();
    c.node = r.str(max_field);
    for (std::string* s : {&d.route, &d.from_aor, &d.to_aor, &d.end_reason}) {
        *s = r.str(max_field);
    }
    d.max_forwards = r.u32();
    d.started = get_time(r).value_or(wall_time{});
    d.answered = get_time(r);
    d.final_status = static_cast<int>(r.u32());
    d.reinvites = r.u32();
    d.updates = r.u32();
    d.refreshes = r.u32();
    d.session_interval = r.u32();
    d.session_deadline = get_time(r);
    if (r.boolean()) {
        emergency_route e;
        e.endpoint = r.u64();
        const uint32_t n = r.u32();
        if (r.ok() && n > max_domains) {
            r.fail(std::to_string(n) + " location domains");
        }
        for (uint32_t i = 0; r.ok() && i < n; ++i) {
            e.domains.push_back(r.u64());
        }
        e.attempt = r.u64();
        e.dialled = r.str(max_field);
        e.failures = r.str(max_field);
        d.emergency = std::move(e);
    }
    const uint32_t flows = r.u32();
    if (r.ok() && flows > max_flows) {
        r.fail(std::to_string(flows) + " flows");
    }
    for (uint32_t i = 0; r.ok() && i < flows; ++i) {
        const std::string bytes = r.str(sizeof(shm::flow_spec));
        if (r.ok() && bytes.size() != sizeof(shm::flow_spec)) {
            r.fail("a flow of " + std::to_string(bytes.size()) + " bytes");
        }
        if (r.ok()) {
            shm::flow_spec f{};
            std::memcpy(&f, bytes.data(), sizeof f);
            c.flows.push_back(f);
        }
    }
    if (!r.finished()) {
        return cp::fail("call record: " + r.why());
    }
    if (d.legs[0].call_id.empty() || d.legs[0].local_tag.empty() || d.legs[1].call_id.empty()) {
        return cp::fail("call record: a leg without its dialog");
    }
    if (d.emergency && d.emergency->attempt >= d.emergency->domains.size() &&
        !d.emergency->domains.empty()) {
        return cp::fail("call record: emergency attempt past its domains");
    }
    return c;
}

}  // namespace sbc::cp::b2bua
