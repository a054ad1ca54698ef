#include "sip/transport/io_loop.hpp"

#include <poll.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <memory>
#include <system_error>

namespace sbc::sip {

namespace {

constexpr std::uint64_t ignore_user_data = 0;  // cancel and poll-remove requests

std::uint64_t user_data_of(std::uint32_t index, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | (std::uint64_t{index} + 1);
}

}  // namespace

io_loop::io_loop(unsigned queue_depth) : wheel_(sip_clock::now()) {
    wheel_.set_guard(&guard_);
    io_uring_params params{};
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
    int rc = io_uring_queue_init_params(queue_depth, &ring_, &params);
    if (rc == -EINVAL) {
        params = io_uring_params{};
        rc = io_uring_queue_init_params(queue_depth, &ring_, &params);
    }
    if (rc < 0) {
        throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init");
    }
}

io_loop::~io_loop() {
    // Cancel whatever is still in the kernel and wait (bounded) for it to come back, so no
    // operation writes into a buffer that its owner frees below. Callbacks do not run.
    if (in_flight_ > 0) {
        if (io_uring_sqe* sqe = get_sqe()) {
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
            io_uring_sqe_set_data64(sqe, ignore_user_data);
        }
        for (int i = 0; i < 100 && in_flight_ > 0; ++i) {
            __kernel_timespec ts{0, 10'000'000};
            io_uring_cqe* cqe = nullptr;
            io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
            unsigned head;
            unsigned seen = 0;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                const std::uint64_t ud = io_uring_cqe_get_data64(cqe);
                if (ud == ignore_user_data) {
                    continue;
                }
                const auto index = static_cast<std::uint32_t>((ud & 0xffffffffu) - 1);
                const bool final = !(cqe->flags & IORING_CQE_F_MORE);
                if (index < slots_.size() && slots_[index].kind != slot_kind::free && final) {
                    slots_[index].kind = slot_kind::free;
                    --in_flight_;
                }
            }
            io_uring_cq_advance(&ring_, seen);
        }
    }
    // Owners' destructors may call back into the loop (cancel a timer, unwatch): let them
    // find nothing.
    auto slots = std::move(slots_);
    slots_.clear();
    slots.clear();
    periodics_.clear();
    posted_.clear();
    io_uring_queue_exit(&ring_);
}

io_uring_sqe* io_loop::get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
        io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
    }
    assert(sqe != nullptr);
    return sqe;
}

std::pair<op_id, io_uring_sqe*> io_loop::start_op(completion done, const char* label) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    slot& s = slots_[index];
    s.kind = slot_kind::op;
    s.done = std::move(done);
    s.label = label;
    s.unwatched = false;
    ++in_flight_;
    io_uring_sqe* sqe = get_sqe();
    const std::uint64_t ud = user_data_of(index, s.generation);
    io_uring_sqe_set_data64(sqe, ud);
    return {op_id{ud}, sqe};
}

void io_loop::release(std::uint32_t index) {
    slot& s = slots_[index];
    s.kind = slot_kind::free;
    s.done = nullptr;
    s.ready = nullptr;
    ++s.generation;
    free_.push_back(index);
    --in_flight_;
}

io_loop::slot* io_loop::find(op_id id, std::uint32_t& index) {
    if (!id) {
        return nullptr;
    }
    index = static_cast<std::uint32_t>((id.value & 0xffffffffu) - 1);
    if (index >= slots_.size()) {
        return nullptr;
    }
    slot& s = slots_[index];
    if (s.kind == slot_kind::free || s.generation != static_cast<std::uint32_t>(id.value >> 32)) {
        return nullptr;
    }
    return &s;
}

op_id io_loop::recv(int fd, void* buf, std::size_t len, int flags, completion done) {
    auto [id, sqe] = start_op(std::move(done), "recv completion");
    io_uring_prep_recv(sqe, fd, buf, len, flags);
    return id;
}

op_id io_loop::recvmsg(int fd, msghdr* msg, int flags, completion done) {
    auto [id, sqe] = start_op(std::move(done), "recvmsg completion");
    io_uring_prep_recvmsg(sqe, fd, msg, static_cast<unsigned>(flags));
    return id;
}

op_id io_loop::send(int fd, const void* buf, std::size_t len, int flags, completion done) {
    auto [id, sqe] = start_op(std::move(done), "send completion");
    io_uring_prep_send(sqe, fd, buf, len, flags);
    return id;
}

op_id io_loop::sendmsg(int fd, const msghdr* msg, int flags, completion done) {
    auto [id, sqe] = start_op(std::move(done), "sendmsg completion");
    io_uring_prep_sendmsg(sqe, fd, msg, static_cast<unsigned>(flags));
    return id;
}

op_id io_loop::accept(int fd, sockaddr* addr, socklen_t* addrlen, int flags, completion done) {
    auto [id, sqe] = start_op(std::move(done), "accept completion");
    io_uring_prep_accept(sqe, fd, addr, addrlen, flags);
    return id;
}

op_id io_loop::connect(int fd, const sockaddr* addr, socklen_t addrlen, completion done) {
    auto [id, sqe] = start_op(std::move(done), "connect completion");
    io_uring_prep_connect(sqe, fd, addr, addrlen);
    return id;
}

op_id io_loop::poll_once(int fd, unsigned events, completion done) {
    auto [id, sqe] = start_op(std::move(done), "poll completion");
    io_uring_prep_poll_add(sqe, fd, events);
    return id;
}

void io_loop::cancel(op_id id) {
    std::uint32_t index;
    slot* s = find(id, index);
    if (s == nullptr || s->kind != slot_kind::op) {
        return;
    }
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, id.value, 0);
    io_uring_sqe_set_data64(sqe, ignore_user_data);
}

op_id io_loop::watch(int fd, unsigned events, ready_fn ready) {
    std::uint32_t index;
    if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    slot& s = slots_[index];
    s.kind = slot_kind::watch;
    s.ready = std::move(ready);
    s.label = "watch";
    s.unwatched = false;
    s.fd = fd;
    s.events = events;
    ++in_flight_;
    arm_watch(index);
    return op_id{user_data_of(index, s.generation)};
}

void io_loop::arm_watch(std::uint32_t index) {
    const slot& s = slots_[index];
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_poll_multishot(sqe, s.fd, s.events);
    io_uring_sqe_set_data64(sqe, user_data_of(index, s.generation));
}

void io_loop::unwatch(op_id id) {
    std::uint32_t index;
    slot* s = find(id, index);
    if (s == nullptr || s->kind != slot_kind::watch || s->unwatched) {
        return;
    }
    s->unwatched = true;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_poll_remove(sqe, id.value);
    io_uring_sqe_set_data64(sqe, ignore_user_data);
}

void io_loop::dispatch(std::uint64_t user_data, int res, unsigned flags) {
    if (user_data == ignore_user_data) {
        return;
    }
    const auto index = static_cast<std::uint32_t>((user_data & 0xffffffffu) - 1);
    if (index >= slots_.size()) {
        return;
    }
    slot& s = slots_[index];
    if (s.kind == slot_kind::free || s.generation != static_cast<std::uint32_t>(user_data >> 32)) {
        return;
    }
    if (s.kind == slot_kind::op) {
        completion done = std::move(s.done);
        const char* label = s.label;
        release(index);
        guard_.run(label, [&] { done(res); });
        return;
    }
    const bool final = !(flags & IORING_CQE_F_MORE);
    if (s.unwatched) {
        if (final) {
            release(index);
        }
        return;
    }
    if (res < 0 && final) {
        // The fd is gone or the poll failed: report it once as an error, then stop.
        ready_fn ready = std::move(s.ready);
        release(index);
        guard_.run("watch", [&] { ready(POLLERR); });
        return;
    }
    // Copy the callable: it may unwatch (and so clear) its own slot while running, and the
    // slot vector may grow.
    ready_fn ready = s.ready;
    if (res >= 0) {
        guard_.run("watch", [&] { ready(static_cast<unsigned>(res)); });
    }
    if (final) {
        slot& again = slots_[index];
        if (again.unwatched) {
            release(index);
        } else {
            arm_watch(index);
        }
    }
}

void io_loop::run_posted() {
    // Tasks posted while running wait for the next round, so a task that re-posts itself
    // cannot starve I/O.
    std::vector<task> batch;
    batch.swap(posted_);
    for (auto& fn : batch) {
        guard_.run("posted task", fn);
    }
}

std::uint64_t io_loop::run_every(milliseconds interval, task fn) {
    const std::uint64_t id = next_periodic_++;
    periodics_.emplace(id, periodic{interval, std::move(fn), timer_id{}});
    arm_periodic(id);
    return id;
}

void io_loop::arm_periodic(std::uint64_t id) {
    auto it = periodics_.find(id);
    // Next run one interval after this one was due; if the loop fell behind (a long callback,
    // a descheduled process), skip the missed runs instead of firing them in a burst.
    time_point next = wheel_.now() + it->second.interval;
    if (const auto real = sip_clock::now(); next <= real) {
        next = real + it->second.interval;
    }
    it->second.timer = wheel_.schedule_at(next, [this, id] {
        auto found = periodics_.find(id);
        if (found == periodics_.end()) {
            return;
        }
        task fn = found->second.fn;  // the task may cancel itself
        arm_periodic(id);
        guard_.run("periodic task", fn);
    });
}

bool io_loop::cancel_every(std::uint64_t id) {
    auto it = periodics_.find(id);
    if (it == periodics_.end()) {
        return false;
    }
    wheel_.cancel(it->second.timer);
    periodics_.erase(it);
    return true;
}

void io_loop::run_once(std::optional<milliseconds> max_wait) {
    wheel_.advance_to(sip_clock::now());
    run_posted();

    std::optional<std::chrono::nanoseconds> wait;
    if (!posted_.empty()) {
        wait = std::chrono::nanoseconds(0);
    } else {
        if (auto next = wheel_.next_wakeup()) {
            auto until = *next - sip_clock::now();
            wait = until < std::chrono::nanoseconds(0) ? std::chrono::nanoseconds(0)
                                                       : std::chrono::nanoseconds(until);
        }
        if (max_wait && (!wait || *max_wait < *wait)) {
            wait = *max_wait;
        }
    }

    io_uring_cqe* cqe = nullptr;
    if (wait) {
        __kernel_timespec ts{};
        ts.tv_sec = static_cast<long long>(wait->count() / 1'000'000'000);
        ts.tv_nsec = static_cast<long long>(wait->count() % 1'000'000'000);
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    } else {
        io_uring_submit_and_wait(&ring_, 1);
    }

    // Copy the completions out first: callbacks submit new work and may re-enter the ring.
    std::array<io_uring_cqe*, 256> cqes;
    std::array<std::uint64_t, 256> ud;
    std::array<int, 256> res;
    std::array<unsigned, 256> fl;
    for (;;) {
        const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes.data(), cqes.size());
        if (n == 0) {
            break;
        }
        for (unsigned i = 0; i < n; ++i) {
            ud[i] = io_uring_cqe_get_data64(cqes[i]);
            res[i] = cqes[i]->res;
            fl[i] = cqes[i]->flags;
        }
        io_uring_cq_advance(&ring_, n);
        for (unsigned i = 0; i < n; ++i) {
            dispatch(ud[i], res[i], fl[i]);
        }
        if (n < cqes.size()) {
            break;
        }
    }
    wheel_.advance_to(sip_clock::now());
}

void io_loop::run() {
    stopped_ = false;
    while (!stopped_) {
        run_once();
    }
    // Flush what the last callbacks submitted (a final send, a cancel).
    io_uring_submit(&ring_);
}

}  // namespace sbc::sip
