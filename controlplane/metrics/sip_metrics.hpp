#pragma once
// The SIP side's metrics (sip_service and its parts) on a page: transport and transaction
// families per realm, SIP requests by method and responses by class, limits toward the core, the
// registrar with its refusals and relay-time histogram, the DoS guard and OSV node health.

#include "controlplane/metrics/exposition.hpp"
#include "controlplane/sip_service.hpp"

namespace sbc::cp {

void sip_metrics(metrics::exposition& e, sip_service& sip);

}  // namespace sbc::cp
