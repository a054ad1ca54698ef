// The main lcore's side of SRTP keys: deriving a leg's key sets, giving a leg its SRTP record
// the first time it speaks SRTP (keys straight in: no worker can reach the record yet), handing
// later keys to the owning lcores through the mailboxes, and key_roll.

#include "dataplane/core/control.hpp"
#include "dataplane/srtp/master_key.hpp"

namespace sbc::dp {

using shm::nack_reason;

nack_reason control::install_keys(uint32_t slot, const shm::flow_spec& old_spec,
                                  const shm::flow_spec& spec, bool fresh) {
    const bool srtp_now = spec.protocol == shm::media_protocol::srtp;
    const bool srtp_before = !fresh && old_spec.protocol == shm::media_protocol::srtp;
    srtp::key_set_ptr rx, tx;
    if (srtp_now) {
        srtp::key_error err = srtp::key_error::none;
        if (!srtp_before || !srtp::same_key(old_spec.rx, spec.rx)) {
            rx = srtp::make_key_set(spec.rx, srtp::direction::inbound, t_.engine, err);
            if (!rx) {
                return srtp::to_nack_reason(err);
            }
        }
        if (!srtp_before || !srtp::same_key(old_spec.tx, spec.tx)) {
            tx = srtp::make_key_set(spec.tx, srtp::direction::outbound, t_.engine, err);
            if (!tx) {
                return srtp::to_nack_reason(err);
            }
        }
    }
    leg_rt& rt = t_.legs[slot];
    if (fresh) {
        rt.mail.drain();
    }
    if (srtp_now && rt.srtp.load(std::memory_order_relaxed) == no_slot) {
        // The leg's first SRTP: its record is not reachable from any worker until it is named
        // in the runtime line, so the keys go straight in.
        const uint32_t rec = t_.srtp.acquire();
        if (rec == no_slot) {
            return nack_reason::table_full;
        }
        if (rx) {
            t_.srtp[rec].rx.install(std::move(rx));
        }
        if (tx) {
            t_.srtp[rec].tx.install(std::move(tx));
        }
        rt.srtp.store(rec, std::memory_order_release);
        return nack_reason::none;
    }
    if (fresh) {
        return nack_reason::none;  // plain RTP: no SRTP state at all
    }
    if (!srtp_now && srtp_before) {
        key_mailbox::post(t_.legs[slot].mail.rx, clear_keys);
        key_mailbox::post(t_.legs[slot].mail.tx, clear_keys);
    }
    if (rx) {
        key_mailbox::post(t_.legs[slot].mail.rx, rx.release());
    }
    if (tx) {
        key_mailbox::post(t_.legs[slot].mail.tx, tx.release());
    }
    return nack_reason::none;
}

// The SRTP record of a slot no worker can reach (an add that failed, a reclaimed slot) goes back.
void control::drop_record(uint32_t slot) {
    const uint32_t rec = t_.legs[slot].srtp.exchange(no_slot, std::memory_order_relaxed);
    if (rec != no_slot) {
        t_.srtp.release(rec);
    }
}

void control::roll(const shm::command& c, shm::event& ev) {
    ev.key = c.roll.key;
    const uint32_t slot = slot_of(c.roll.key);
    if (slot == no_slot) {
        if (!(c.flags & shm::missing_ok)) {
            ev.type = shm::event_type::nack;
            ev.reason = c.roll.key.local_addr.family == shm::addr_family::ipv6
                            ? nack_reason::unsupported_family
                            : nack_reason::missing;
        }
        return;
    }
    leg_control& lc = legs_[slot];
    ev.cookie = lc.spec.cookie;
    ev.slot = slot;
    if (lc.spec.protocol != shm::media_protocol::srtp) {
        ev.type = shm::event_type::nack;
        ev.reason = nack_reason::bad_spec;
        return;
    }
    const bool rx = c.roll.direction == shm::key_direction::rx;
    srtp::key_error err = srtp::key_error::none;
    srtp::key_set_ptr ks = srtp::make_key_set(
        c.roll.key_material, rx ? srtp::direction::inbound : srtp::direction::outbound, t_.engine,
        err);
    if (!ks) {
        ev.type = shm::event_type::nack;
        ev.reason = srtp::to_nack_reason(err);
        return;
    }
    (rx ? lc.spec.rx : lc.spec.tx) = c.roll.key_material;
    key_mailbox::post(rx ? t_.legs[slot].mail.rx : t_.legs[slot].mail.tx, ks.release());
}

}  // namespace sbc::dp
