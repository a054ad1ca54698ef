// The appliance's metrics page (`GET /metrics`, metrics_endpoint.hpp): the SIP side
// (sip_metrics.cpp), the B2BUA, media and push families, the call set-up histogram and the
// dataplane's counters from the shared region's tables (dataplane/shm/contract.hpp).
#include <string>

#include "controlplane/metrics/exposition.hpp"
#include "controlplane/metrics/sip_metrics.hpp"
#include "controlplane/service.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::cp {

namespace {

using metrics::exposition;

void dataplane_metrics(exposition& e, const dataplane_client& dp, bool attached) {
    e.sample("sbc_dataplane_attached", counter_kind::gauge,
             "1 while sbcd is attached to sbc-dataplane's shared region", {}, attached ? 1 : 0);
    if (!attached) {
        return;
    }
    const auto lcores = dp.lcores();
    for (std::size_t l = 0; l < lcores.size(); ++l) {
        const std::string lcore = std::to_string(l);
        e.sample("sbc_dataplane_rx_packets_total", counter_kind::counter,
                 "packets a dataplane worker received", {{"lcore", lcore}},
                 static_cast<double>(lcores[l].rx_packets));
        e.sample("sbc_dataplane_tx_packets_total", counter_kind::counter,
                 "packets a dataplane worker sent", {{"lcore", lcore}},
                 static_cast<double>(lcores[l].tx_packets));
        // SRTP authentication and replay failures are the reasons auth_fail and replay.
        for (std::size_t r = 0; r < shm::drop_reason_count; ++r) {
            e.sample("sbc_dataplane_drops_total", counter_kind::counter,
                     "packets the dataplane dropped, by worker and reason (dataplane/README.md)",
                     {{"lcore", lcore}, {"reason", shm::drop_reason_name[r]}},
                     static_cast<double>(lcores[l].drops[r]));
        }
    }
    for (const auto& p : dp.ports()) {
        const std::string port = std::to_string(p.id);
        e.sample("sbc_dataplane_port_rx_kernel_drops_total", counter_kind::counter,
                 "packets the kernel's receive ring dropped before the dataplane read them",
                 {{"port", port}}, static_cast<double>(p.counters.rx_kernel_drops));
        e.sample("sbc_dataplane_port_rx_missed_total", counter_kind::counter,
                 "packets the port missed (its receive queue was full)", {{"port", port}},
                 static_cast<double>(p.counters.rx_missed));
    }
}

}  // namespace

std::string service::metrics_page() {
    exposition e;
    sip_metrics(e, sip_);
    e.family(b2bua_.counters());
    e.histogram("sbc_call_setup_seconds",
                "call set-up time of answered calls: the caller's INVITE to the 2xx relayed to it",
                {}, b2bua_.setup_time());
    e.family(media_.counters());
    e.family(cloudlink_.pushes().counters());
    dataplane_metrics(e, dataplane_.client(), dataplane_.attached());
    if (metrics_) {
        e.family(metrics_->counters());
    }
    return e.text();
}

}  // namespace sbc::cp
