#include "controlplane/binding_record.hpp"

#include <algorithm>
#include <cctype>

#include "controlplane/state/record_codec.hpp"

namespace sbc::cp {

namespace {

using state::record_reader;
using state::record_writer;

// Longer than any value sbcd accepts from a REGISTER (register_check.cpp, the SIP size limits),
// far below the journal's record limit.
constexpr size_t max_field = 64 * 1024;

}  // namespace

durable_binding to_durable(const binding& b, std::string_view node_name, const clock_pair& now) {
    durable_binding d;
    d.token = b.token;
    d.aor = b.aor;
    d.instance = b.instance;
    d.contact = b.contact;
    d.user_agent = b.user_agent;
    if (b.has_push()) {  // push_device's views hold only for a device (prid() throws otherwise)
        d.pn_provider = b.push.provider();
        d.pn_prid = b.push.prid();
        d.pn_param = b.push.param();
    }
    d.call_id = b.call_id;
    d.credentials = b.credentials;
    d.core_call_id = b.core_call_id;
    d.core_from_tag = b.core_from_tag;
    d.node = node_name;
    d.remote = b.remote.to_string();
    d.transport = b.transport;
    d.client_expires_at = now.to_wall(b.client_expires_at);
    d.osv_refreshed_at = now.to_wall(b.osv_refreshed_at);
    d.osv_expires_at = now.to_wall(b.osv_expires_at);
    d.cseq = b.cseq;
    d.core_cseq = b.core_cseq;
    d.reg_id = b.reg_id;
    d.throttled = b.throttled;
    d.outbound = b.outbound;
    return d;
}

std::string encode_binding(const durable_binding& d) {
    record_writer w;
    w.u8(binding_record_version);
    for (const std::string* s :
         {&d.token, &d.aor, &d.instance, &d.contact, &d.user_agent, &d.pn_provider, &d.pn_prid,
          &d.pn_param, &d.call_id, &d.credentials, &d.core_call_id, &d.core_from_tag, &d.node,
          &d.remote}) {
        w.str(*s);
    }
    w.u8(static_cast<uint8_t>(d.transport));
    w.wall(d.client_expires_at);
    w.wall(d.osv_refreshed_at);
    w.wall(d.osv_expires_at);
    w.u32(d.cseq);
    w.u32(d.core_cseq);
    w.u32(d.reg_id);
    w.u8(d.throttled ? 1 : 0);
    w.u8(d.outbound ? 1 : 0);
    return w.take();
}

cp::result<durable_binding> decode_binding(std::string_view value) {
    record_reader r(value);
    if (const uint8_t v = r.u8(); r.ok() && v != binding_record_version) {
        return cp::fail("binding record version " + std::to_string(v) + " (this sbcd reads " +
                        std::to_string(binding_record_version) + ")");
    }
    durable_binding d;
    for (std::string* s : {&d.token, &d.aor, &d.instance, &d.contact, &d.user_agent, &d.pn_provider,
                           &d.pn_prid, &d.pn_param, &d.call_id, &d.credentials, &d.core_call_id,
                           &d.core_from_tag, &d.node, &d.remote}) {
        *s = r.str(max_field);
    }
    const uint8_t transport = r.u8();
    if (r.ok() && transport > static_cast<uint8_t>(sip::transport_type::tls)) {
        r.fail("transport " + std::to_string(transport));
    }
    d.transport = static_cast<sip::transport_type>(transport);
    d.client_expires_at = r.wall();
    d.osv_refreshed_at = r.wall();
    d.osv_expires_at = r.wall();
    d.cseq = r.u32();
    d.core_cseq = r.u32();
    d.reg_id = r.u32();
    d.throttled = r.boolean();
    d.outbound = r.boolean();
    if (!r.finished()) {
        return cp::fail("binding record: " + r.why());
    }
    // What restore relies on: a token OSV can route by, an AOR, an address the flow came from.
    if (!binding_table::looks_like_token(d.token) ||
        !std::all_of(d.token.begin(), d.token.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
        return cp::fail("binding record: not a flow token");
    }
    if (d.aor.empty()) {
        return cp::fail("binding record " + d.token + ": no AOR");
    }
    if (!sip::socket_address::parse(d.remote)) {
        return cp::fail("binding record " + d.token + ": client address is not an address");
    }
    // push_device's limits (push_device.hpp): what check_push() accepted when it was written.
    if (!d.pn_provider.empty() && d.pn_prid.empty()) {
        return cp::fail("binding record " + d.token + ": push provider without a device");
    }
    if (d.pn_provider.size() > max_pn_provider_bytes || d.pn_prid.size() > max_pn_prid_bytes ||
        d.pn_param.size() > max_pn_param_bytes) {
        return cp::fail("binding record " + d.token + ": push parameters over their limits");
    }
    return d;
}

}  // namespace sbc::cp
