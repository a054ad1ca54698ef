// A call's record in the state store (issue 15, durable.hpp): written when the call is confirmed
// and when a refresh moves its session-timer deadline, erased when it ends.
#include <spdlog/spdlog.h>

#include "controlplane/b2bua/durable.hpp"
#include "controlplane/sip_service.hpp"
#include "controlplane/state/state_store.hpp"

namespace sbc::cp::b2bua {

void call::save_durable() {
    if (ctx_.store == nullptr) {
        return;
    }
    durable_call c;
    c.data = d_;
    c.data.node.reset();
    if (d_.node) {
        c.node = ctx_.sip.trunk().node(*d_.node).cfg.name;
    }
    if (const media::media_session* m = ctx_.media.find(d_.media)) {
        c.flows = m->current_plan().install;
    }
    if (cp::status st =
            ctx_.store->put(cp::state::record_kind::call, call_record_id(d_), encode_call(c));
        !st) {
        // The call goes on; only a restart of sbcd would lose it.
        spdlog::error("call {}: not saved: {}", d_.id, st.message());
        return;
    }
    saved_ = true;
}

void call::erase_durable() {
    if (ctx_.store == nullptr || !saved_) {
        return;
    }
    saved_ = false;
    if (cp::status st = ctx_.store->erase(cp::state::record_kind::call, call_record_id(d_)); !st) {
        spdlog::error("call {}: record not erased: {}", d_.id, st.message());
    }
}

}  // namespace sbc::cp::b2bua
