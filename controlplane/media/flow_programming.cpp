#include "controlplane/media/flow_programming.hpp"

#include <algorithm>

namespace sbc::cp::media {

dp_errc flow_programmer::submit(uint64_t owner, const flow_plan& plan, clock::time_point deadline,
                                done_fn done) {
    program p;
    p.owner = owner;
    p.deadline = deadline;
    p.done = std::move(done);
    for (const auto& spec : plan.install) {
        const auto r = dp_.flow_add(spec, shm::exist_ok);
        if (!r.ok()) {
            return r.error;
        }
        p.seqs.push_back(r.seq);
    }
    for (const auto& key : plan.remove) {
        const auto r = dp_.flow_del(key, shm::missing_ok);
        if (!r.ok()) {
            return r.error;
        }
        p.seqs.push_back(r.seq);
    }
    const uint64_t id = next_program_++;
    for (uint64_t seq : p.seqs) {
        seq_owner_[seq] = id;
    }
    programs_.emplace(id, std::move(p));
    return dp_errc::none;
}

size_t flow_programmer::push(const flow_plan& plan) {
    size_t sent = 0;
    if (!plan.install.empty()) {
        for (const auto& spec : plan.install) {
            sent += dp_.flow_add(spec, shm::exist_ok).ok() ? 1 : 0;
        }
        return sent;
    }
    for (const auto& key : plan.remove) {
        sent += dp_.flow_del(key, shm::missing_ok).ok() ? 1 : 0;
    }
    return sent;
}

bool flow_programmer::on_reply(const dp_event& ev) {
    const auto& raw = ev.raw;
    auto owner = seq_owner_.find(raw.seq);
    if (!ev.matched || owner == seq_owner_.end()) {
        return false;
    }
    const uint64_t id = owner->second;
    seq_owner_.erase(owner);
    auto it = programs_.find(id);
    if (it == programs_.end()) {
        return true;
    }
    program& p = it->second;
    if (raw.type == shm::event_type::nack) {
        ++nacks;
        if (p.nack.empty()) {
            p.nack = ev.nack_text();
        }
    } else if (ev.command == shm::command_type::flow_del) {
        ++flows_removed;
    } else {
        ++flows_programmed;
    }
    p.seqs.erase(std::remove(p.seqs.begin(), p.seqs.end(), raw.seq), p.seqs.end());
    if (p.seqs.empty()) {
        finish(id, p.nack.empty() ? outcome::ok : outcome::nack);
    }
    return true;
}

void flow_programmer::expire(clock::time_point now) {
    std::vector<uint64_t> expired;
    for (const auto& [id, p] : programs_) {
        if (now >= p.deadline) {
            expired.push_back(id);
        }
    }
    for (uint64_t id : expired) {
        finish(id, outcome::timeout);
    }
}

void flow_programmer::drop(uint64_t owner) {
    for (auto it = programs_.begin(); it != programs_.end();) {
        if (it->second.owner != owner) {
            ++it;
            continue;
        }
        for (uint64_t seq : it->second.seqs) {
            seq_owner_.erase(seq);
        }
        it = programs_.erase(it);
    }
}

void flow_programmer::finish(uint64_t program_id, outcome why) {
    auto it = programs_.find(program_id);
    if (it == programs_.end()) {
        return;
    }
    program p = std::move(it->second);
    programs_.erase(it);
    for (uint64_t seq : p.seqs) {
        seq_owner_.erase(seq);
    }
    p.done(why, p.nack);
}

}  // namespace sbc::cp::media
