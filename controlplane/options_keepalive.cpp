#include "controlplane/options_keepalive.hpp"

#include "sip/builder.hpp"
#include "sip/ids.hpp"

namespace sbc::cp {

std::string_view health_name(peer_health h) {
    switch (h) {
        case peer_health::probing:
            return "probing";
        case peer_health::up:
            return "up";
        case peer_health::down:
            return "down";
    }
    return "?";
}

sip::transport_type transport_of(config::sip_transport t) {
    switch (t) {
        case config::sip_transport::udp:
            return sip::transport_type::udp;
        case config::sip_transport::tcp:
            return sip::transport_type::tcp;
        case config::sip_transport::tls:
            return sip::transport_type::tls;
    }
    return sip::transport_type::tcp;
}

void send_probe(realm_edge& edge, const sip::transport_target& target, const std::string& ruri,
                const std::string& call_id, std::uint32_t cseq, peer_probe& p, const lifetime& life,
                probe_done done) {
    auto req = sip::outgoing_message::request("OPTIONS", ruri);
    req.add("Via", edge.make_via(target.type, sip::make_branch()));
    req.add("Max-Forwards", "70");
    req.add("From",
            in_angles(edge.contact_uri(target.type, "")).append(";tag=").append(sip::make_tag()));
    req.add("To", in_angles(ruri));
    req.add("Call-ID", call_id);
    req.add("CSeq", std::to_string(cseq) + " OPTIONS");
    req.add("Accept", "application/sdp");
    auto parsed = sip::parse(req.serialize());
    if (!parsed) {
        return;
    }
    ++p.options_sent;
    const std::uint32_t round = ++p.probe_round;
    auto shared = std::make_shared<probe_done>(std::move(done));
    sip::transaction_layer::client_callbacks cb;
    cb.on_response =
        life.guard([shared, round](const sip::message& r, const sip::transport_context&) {
            if (r.status_code() < 200) {
                return;
            }
            if (r.status_code() == 503) {
                (*shared)(round, probe_outcome::unavailable, "OPTIONS answered 503");
            } else {
                (*shared)(round, probe_outcome::answered, {});
            }
        });
    cb.on_failure = life.guard([shared, round](sip::client_failure why) {
        const bool timeout = why == sip::client_failure::timeout;
        (*shared)(round, timeout ? probe_outcome::timeout : probe_outcome::transport_error,
                  timeout ? "OPTIONS timed out" : "OPTIONS transport failure");
    });
    // Before start_client: a transport failure may be reported before it returns.
    p.probe_in_flight = true;
    edge.transactions().start_client(std::move(parsed.value()), target, std::move(cb));
    if (!p.probe_in_flight || round != p.probe_round) {
        return;  // already decided
    }
    p.probe_deadline =
        edge.loop().run_after(8 * edge.transactions().timers().t1, life.guard([shared, round] {
            (*shared)(round, probe_outcome::timeout, "OPTIONS unanswered for 8 x T1");
        }));
}

std::optional<probe_verdict> settle_probe(realm_edge& edge, peer_probe& p, std::uint32_t round,
                                          probe_outcome outcome, const std::string& detail,
                                          std::uint32_t failure_threshold,
                                          std::uint32_t recovery_threshold) {
    if (round != p.probe_round || !p.probe_in_flight) {
        return std::nullopt;  // an abandoned probe, or one already decided by its deadline
    }
    edge.loop().cancel_timer(p.probe_deadline);
    p.probe_in_flight = false;
    probe_verdict v;
    if (outcome == probe_outcome::answered) {
        ++p.options_answered;
        p.failures_in_row = 0;
        ++p.successes_in_row;
        if (p.health == peer_health::probing ||
            (p.health == peer_health::down && p.successes_in_row >= recovery_threshold)) {
            v.now = peer_health::up;
        }
        return v;
    }
    ++p.options_failed;
    p.successes_in_row = 0;
    ++p.failures_in_row;
    p.reason = detail;
    if (p.health != peer_health::down &&
        (outcome == probe_outcome::transport_error || p.failures_in_row >= failure_threshold)) {
        v.now = peer_health::down;
    }
    return v;
}

}  // namespace sbc::cp
