#pragma once
// The registration relay: REGISTER from a remote subscriber (access realm) to OSV (core realm).
// registrar_relay.cpp relays; registrar_bindings.cpp is what happens to bindings afterwards.
//
//  * Admitted first (register_admission.cpp: the DoS guard, register_check, CSeq order): precise
//    refusals, counted, nothing stored.
//  * Relayed to the node the trunk selects, as a new REGISTER (register_messages): our Via,
//    Call-ID and From tag (stable per binding), our CSeq, Contact <sip:TOKEN@core-address>,
//    the client's credentials untouched. OSV's 401/407 goes back to the client untouched.
//  * A binding is stored only when OSV answers 2xx; until then it is `pending` (not listed, not
//    routable; dropped on any other final answer, or 32 s after a challenge nobody answered).
//  * Refreshes of throttled bindings are answered locally while OSV's binding is fresh
//    (register_throttle). A refresh is always relayed when it changes what OSV knows or where
//    it is: another Call-ID, Contact or flow (connection), a node the trunk would not pick now
//    (failover, or node 1 back in active-standby), or expires 0.
//  * A node that times out, fails in the transport or answers 503 is reported to the trunk and
//    the REGISTER is retried once on the node the trunk picks next; with none left the client
//    gets 503 + Retry-After and no binding is kept that OSV did not accept. "Times out" is the
//    relay's own deadline, 8 x T1 (4 s) per attempt: two attempts end well before the client's
//    own transaction gives up (Timer F, 64 x T1), so the client hears the 503. A relay waiting on a
//    node that the trunk marks down (keep-alive, lost connection) is retried at once too.
//  * Failover of existing registrations happens on the client's next REGISTER (it is relayed
//    to the surviving node; the SBC cannot move them earlier: it has no credentials of its
//    own and OSV challenges every REGISTER). Throttled clients keep their own short refresh
//    interval, so that is within one client refresh interval.
//  * A binding dies by de-registration (expires 0, `*`), by expiry (no refresh in time), or by
//    its connection closing (bindings with push parameters stay, without a flow: the client
//    is woken by push and re-registers). OSV is then told with a REGISTER Expires: 0 carrying
//    the client's last credentials; if OSV challenges that, its binding lapses at its expiry and
//    requests to the dead token get 404 meanwhile.
//
// Bindings expire at the expiry granted to the client; sbcd removes them exactly then (the
// client's refresh is due before, per RFC 3261 §10.2.1).

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/latency_histogram.hpp"
#include "common/lifetime.hpp"
#include "controlplane/binding_table.hpp"
#include "controlplane/dos_guard.hpp"
#include "controlplane/osv_trunk.hpp"
#include "controlplane/realm_edge.hpp"
#include "controlplane/register_check.hpp"
#include "controlplane/register_throttle.hpp"
#include "controlplane/request_dispatcher.hpp"

namespace sbc::cp {

namespace state {
class state_store;
}
class subscriber_subnets;

// X(name, kind, unit, help) (common/counters.hpp)
#define SBC_CP_REGISTRAR_COUNTERS(X)                                                         \
    X(registers, counter, "", "REGISTER requests from clients")                              \
    X(refused, counter, "", "REGISTERs refused before relaying (see refused_*)")             \
    X(relayed, counter, "", "REGISTERs relayed to OSV (retries included)")                   \
    X(answered_locally, counter, "", "refreshes answered by register throttling")            \
    X(challenges, counter, "", "401/407 from OSV passed to the client")                      \
    X(accepted, counter, "", "2xx from OSV")                                                 \
    X(rejected, counter, "", "other final responses from OSV passed to the client")          \
    X(failovers, counter, "", "REGISTERs retried on another node")                           \
    X(osv_unavailable, counter, "", "503 + Retry-After to the client: no OSV node answered") \
    X(bindings_created, counter, "", "bindings OSV accepted the first time")                 \
    X(unbound, counter, "", "bindings removed by the client (expires 0 or *)")               \
    X(expired, counter, "", "bindings that expired without a refresh")                       \
    X(flow_closed, counter, "", "bindings removed because their connection closed")          \
    X(flow_detached, counter, "",                                                            \
      "push bindings kept without a flow after their connection closed")                     \
    X(osv_unbind_sent, counter, "", "de-REGISTERs sent to OSV for bindings that died")       \
    X(osv_unbind_accepted, counter, "", "de-REGISTERs OSV accepted")                         \
    X(osv_unbind_challenged, counter, "",                                                    \
      "de-REGISTERs OSV challenged (its binding lapses at expiry)")                          \
    X(osv_unbind_failed, counter, "", "de-REGISTERs that failed otherwise")

SBC_COUNTER_FAMILY(registrar_family, "registrar", SBC_CP_REGISTRAR_COUNTERS);

// The family plus the refusals by cause (register_check.hpp's table names them).
struct registrar_counters : registrar_family {
    std::uint64_t refusals[static_cast<std::size_t>(register_refusal::count_)] = {};
};

class registrar_relay {
  public:
    registrar_relay(realm_edge& access, realm_edge& core, osv_trunk& trunk, binding_table& bindings,
                    dos_guard& dos, const config::remote_subscribers_section& cfg,
                    const config::push_section& push);
    ~registrar_relay();
    registrar_relay(const registrar_relay&) = delete;
    registrar_relay& operator=(const registrar_relay&) = delete;

    // The dispatcher's REGISTER route on the access realm.
    void on_register(const inbound_request& req);

    // A push client's binding got a live flow again (its REGISTER over a new connection was
    // accepted and answered): calls held for its push go out on it (guide 7.6).
    void on_flow_attached(std::function<void(const binding&)> fn) {
        flow_attached_ = std::move(fn);
    }

    // Issue 15 (registrar_restore.cpp): every binding OSV accepted is written to `store` when it
    // is created or refreshed and erased when it dies, so that a restarted sbcd has it. None (the
    // default): nothing is kept across a restart.
    void use_store(state::state_store* store) { store_ = store; }
    // At start, before the listeners open: the bindings of the sbcd before, as written. Each gets
    // its OSV node by name, its subscriber subnet by address, and no flow over TCP/TLS (the
    // connection died with that sbcd: RFC 5626 §4.4, the client reconnects and re-registers).
    // A record that does not decode, an expired binding or one of a node no longer configured is
    // logged and erased. Returns how many were restored.
    std::size_t restore(const subscriber_subnets& subnets);

    const registrar_counters& counters() const { return counters_; }
    // Relay time: the client's REGISTER to the final answer sbcd sent it (OSV's, or 503 when no
    // node answered). Refreshes answered by register throttling are not relays.
    const latency_histogram& relay_time() const { return relay_time_; }
    const register_throttle& throttle() const { return throttle_; }
    // New throttling settings (sbcctl config apply): the next REGISTER is decided by them; a
    // binding already throttled keeps OSV's expiry it was granted.
    void set_throttle(const config::remote_subscribers_section& cfg) {
        throttle_ = register_throttle(cfg);
    }
    std::size_t relays_in_flight() const { return relays_.size(); }

    nlohmann::json counters_json() const;
    // `sbcctl registrations`: {"columns", "rows", "total"}; args: "aor" (exact), "limit".
    nlohmann::json registrations_table(const nlohmann::json& args) const;

  private:
    struct relay {
        sip::transaction_id server = 0;  // the client's REGISTER (access realm)
        register_intent intent = register_intent::bind;
        std::string token;              // bind/unbind: the binding
        std::string aor;                // unbind_all/query
        std::string call_id, from_tag;  // unbind_all/query: a one-off leg
        std::uint32_t requested = 0;    // what the client asked for (uncapped)
        std::uint32_t osv_requested = 0;
        bool throttled = false;
        bool retried = false;
        node_index node = 0;
        std::uint32_t attempt = 0;
        sip::timer_id deadline;      // this attempt's answer from OSV is due by then
        sip::time_point received{};  // the client's REGISTER, for the relay time
        // where the client's REGISTER came from (the binding's flow once OSV accepts)
        sip::transport_type flow_type = sip::transport_type::tls;
        sip::connection_id flow_connection = 0;
        sip::socket_address flow_remote;
        const subscriber_subnet* subnet = nullptr;
        // what the client's REGISTER said (checked once, kept for the commit)
        std::string user_agent, contact;
        push_device push;
        std::string push_query_caps;  // a push query's Feature-Caps for the 2xx
        std::uint32_t reg_id = 0;
        bool outbound = false;
    };

    // The REGISTER that passed admission, and the binding it names (bind/unbind), if any.
    struct admitted {
        register_request request;
        binding* existing = nullptr;
    };
    // register_admission.cpp: answers every refusal itself.
    std::optional<admitted> admit(const inbound_request& req);
    void refuse(const inbound_request& req, register_refusal why,
                const sip::header_list& extra = {});
    bool answer_locally(binding& b, const register_request& r, const inbound_request& req);
    void start(std::uint64_t id);
    void send(std::uint64_t id);
    void on_response(std::uint64_t id, std::uint32_t attempt, const sip::message& r);
    void on_failure(std::uint64_t id, std::uint32_t attempt, node_outcome why,
                    std::string_view detail);
    void retry_or_give_up(std::uint64_t id);
    void commit(relay& rl, const sip::message& client, const sip::message& ok);
    void pass_back(relay& rl, const sip::message& response);
    void finish(std::uint64_t id);
    void forget_pending(const std::string& token);

    void arm_expiry(binding& b, sip::time_point at);
    // registrar_restore.cpp: the binding into the store (created, refreshed), out of it and out of
    // the table (removed for whatever reason).
    void save(const binding& b);
    void drop(binding& b);
    void binding_died(binding& b, std::uint64_t registrar_counters::*why);
    void unbind_at_osv(const binding& b);
    void on_closed(const sip::connection_closed& info);
    void on_node_state(node_index n, node_health h);

    std::vector<std::string> aor_contacts(std::string_view aor, const binding* except) const;
    std::string token_contact(node_index n, std::string_view token) const;
    const sip::message* client_request(const relay& rl) const;

    realm_edge& access_;
    realm_edge& core_;
    osv_trunk& trunk_;
    binding_table& bindings_;
    dos_guard& dos_;
    register_throttle throttle_;
    std::vector<std::string> push_providers_;  // empty when [push] is disabled
    registrar_counters counters_;
    latency_histogram relay_time_;
    std::unordered_map<std::uint64_t, relay> relays_;
    std::uint64_t next_relay_ = 1;
    std::uint64_t handling_ = 0;  // the relay whose failure is being reported to the trunk
    std::function<void(const binding&)> flow_attached_;
    state::state_store* store_ = nullptr;
    lifetime life_;  // last: callbacks stop first
};

}  // namespace sbc::cp
