// An emergency call (call_kind::emergency) on its way to the E911 provider: the INVITE goes to
// the remote endpoint's location domains in order, the next one on timeout, 503 or a transport
// failure (guide 12.1.2.2 step 6), or when a domain says nothing at all within the endpoint's
// failover_timeout_ms (Timer B's 32 s is too long for an emergency call). A call no domain took
// is loud: the caller gets the last domain's error, sbcd logs an error naming the call and every
// domain's answer, and `sbcctl e911` keeps it (location_domains::record_failure).

#include <spdlog/spdlog.h>

#include "controlplane/b2bua/call_table.hpp"
#include "controlplane/b2bua/header_policy.hpp"
#include "controlplane/log_text.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp::b2bua {

namespace {

bool moves_on(e911::domain_outcome o) {
    return o != e911::domain_outcome::answered;
}

}  // namespace

void call::arm_failover_timer() {
    const auto& ep = *ctx_.sip.e911().at(d_.emergency->endpoint).cfg;
    auto& loop = edge_of(side::a).loop();
    loop.cancel_timer(failover_timer_);
    call_table& table = ctx_.table;
    const call_id_t id = d_.id;
    const uint32_t cseq = invite_->out_cseq;
    failover_timer_ = loop.run_after(
        std::chrono::milliseconds(ep.failover_timeout_ms), ctx_.life.guard([&table, id, cseq] {
            table.run(id, [cseq](call& c) {
                if (!c.invite_ || c.invite_->out_cseq != cseq || c.invite_->final_seen ||
                    c.invite_->cancelled || c.state() != call_state::calling) {
                    return;
                }
                // The silent domain's transaction is abandoned (CANCEL once it answers).
                c.edge_of(side::b).transactions().cancel(c.invite_->client);
                c.invite_->final_seen = true;
                const std::string detail =
                    "no answer within failover_timeout_ms " +
                    std::to_string(
                        c.ctx_.sip.e911().at(c.d_.emergency->endpoint).cfg->failover_timeout_ms);
                if (!c.location_domain_failed(e911::domain_outcome::timeout, detail, 408)) {
                    c.respond(side::a, c.invite_->server,
                              c.response(side::a, c.invite_->server, 408, "Request Timeout",
                                         nullptr, {}, false));
                    c.d_.final_status = 408;
                    c.d_.end_reason = "no location domain answered";
                    c.finish();
                }
            });
        }));
}

bool call::location_domain_failed(e911::domain_outcome outcome, std::string detail,
                                  uint16_t status) {
    emergency_route& er = *d_.emergency;
    e911::e911_service& e911 = ctx_.sip.e911();
    e911::location_domains& domains = *e911.at(er.endpoint).domains;
    const std::size_t failed = er.domains[er.attempt];
    domains.report(failed, outcome, detail);
    er.failures.append(er.failures.empty() ? "" : "; ")
        .append(domains.domain(failed).label())
        .append(": ")
        .append(detail);
    edge_of(side::a).loop().cancel_timer(failover_timer_);
    const sip::message* msg = edge_of(side::a).transactions().request_of(invite_->server);
    if (moves_on(outcome) && er.attempt + 1 < er.domains.size() && msg != nullptr &&
        d_.state == call_state::calling) {
        ++er.attempt;
        ++e911.counters().failovers;
        const std::size_t next = er.domains[er.attempt];
        dialog_leg& b = d_.leg(side::b);
        b.next_hop = *domains.domain(next).target;
        b.remote_target = domains.request_uri(next, er.dialled);
        b.remote_address = b.next_hop.address.to_string();
        b.contact = in_angles(edge_of(side::b).contact_uri(b.next_hop.type, "sbc"));
        invite_->out_cseq = ++b.local_cseq;
        invite_->final_seen = false;
        d_.route = "location domain " + domains.domain(next).label() + " (" +
                   std::to_string(er.attempt + 1) + " of " + std::to_string(er.domains.size()) +
                   " of remote_endpoint " + domains.endpoint().name + "; before: " + er.failures +
                   ")";
        domains.tried(next);
        spdlog::warn("emergency call {}: location domain {} failed ({}); trying {}", d_.id,
                     domains.domain(failed).label(), log_text(detail),
                     domains.domain(next).label());
        send_invite(leg_b_invite(*msg));
        if (invite_ && !invite_->final_seen) {
            arm_failover_timer();
        }
        return true;
    }
    // No domain left (or the provider refused the call itself): the caller gets this error.
    ++e911.counters().failed;
    spdlog::error(
        "emergency call {} from {} ({}): no location domain of remote_endpoint {} took it; the "
        "caller gets {}: {}",
        d_.id, log_text(d_.from_aor), log_text(er.dialled), domains.endpoint().name, status,
        log_text(er.failures));
    domains.record_failure({std::chrono::system_clock::now(), d_.id, er.failures, status});
    return false;
}

void call::emergency_answered() {
    edge_of(side::a).loop().cancel_timer(failover_timer_);
    ++ctx_.sip.e911().counters().answered;
}

void call::emergency_over() {
    e911::e911_service& e911 = ctx_.sip.e911();
    auto& active = e911.counters().active;
    active = active > 0 ? active - 1 : 0;
    e911.untrack_call(d_.leg(side::a).realm, d_.leg(side::a).call_id);
    if (d_.emergency_source) {
        e911.track_source(d_.leg(side::a).realm, *d_.emergency_source, -1);
    }
}

}  // namespace sbc::cp::b2bua
