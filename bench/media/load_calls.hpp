#pragma once
// The calls of the media load tool, programmed the way sbcd programs them: the media manager
// (controlplane/media) takes a softphone's SDES SRTP offer and OSV's plain RTP answer and sends
// the same flow_add commands over the dataplane's command ring, acknowledged before the call
// counts. SIP itself is left out: the generator must know every call's keys and SBC ports, and
// the ring is what SIP set-up ends in (bench/controlplane/calls measures the SIP side).

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/media_manager.hpp"
#include "dataplane/shm/contract.hpp"

namespace sbc::bench {

struct load_call {
    uint16_t access_sbc_port = 0;  // the SBC's access leg: SRTP goes here
    uint16_t core_sbc_port = 0;    // the SBC's core leg: RTP goes here
    uint32_t access_ssrc = 0;      // the softphone's stream
    uint32_t core_ssrc = 0;        // OSV's stream
    shm::srtp_key client_key{};    // the softphone's key (a=crypto of the offer)
    shm::srtp_key sbc_key{};       // the SBC's key towards the softphone (of the answer)
};

// Programs `n` calls; the softphone side sends from `access_ip`, OSV from `core_ip`. Returns an
// empty string, or why not (the dataplane nacked, timed out, ran out of ports).
std::string program_calls(cp::media::media_manager& mm, cp::dataplane_client& dp,
                          const config::appliance& cfg, int n, const std::string& access_ip,
                          const std::string& core_ip, std::vector<load_call>& out);

// Removes them again (flows deleted, ports back).
void end_calls(cp::media::media_manager& mm, cp::dataplane_client& dp, int n);

}  // namespace sbc::bench
