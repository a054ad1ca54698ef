#pragma once
// From SDES (RFC 4568) to the dataplane: which a=crypto suites the SBC can run, and the
// dataplane key (shm::srtp_key) a peer's key-param becomes. The SIP library parses a=crypto and
// knows nothing of the dataplane; this is where the two meet.

#include <cstddef>
#include <optional>
#include <vector>

#include "common/srtp_suite.hpp"
#include "config/appliance.hpp"
#include "dataplane/shm/contract.hpp"
#include "sip/sdes.hpp"

namespace sbc::cp::media {

// The dataplane key for one key-param of a suite the dataplane runs (the first key-param when
// `index` is 0); nullopt for other suites, a missing key-param or oversize key material.
std::optional<shm::srtp_key> to_srtp_key(const sip::sdp::crypto_attribute& c,
                                         std::size_t index = 0);

// The profile's sdes_suites in its order of preference, those the dataplane runs.
std::vector<srtp_suite> runnable_suites(const config::media_profile& p);

}  // namespace sbc::cp::media
