#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sip/transport/callback_guard.hpp"
#include "sip/transport/timer_wheel.hpp"

namespace sbc::sip {

// Identifies one submitted io_uring operation or readiness watch; 0 is "none".
struct op_id {
    std::uint64_t value = 0;
    explicit operator bool() const { return value != 0; }
};

// A single-threaded io_uring reactor. One per thread, never shared (STYLE.md "share nothing"):
// every method must be called on the thread that runs the loop.
//
// Operations complete through callbacks that get the CQE result (bytes or -errno). Each
// one-shot callback runs exactly once, also after cancel() (then usually with -ECANCELED); the
// buffers an operation names must stay valid until its callback runs — owners capture a
// shared_ptr to themselves for that. Timers run on a timer_wheel driven by the monotonic clock.
//
// Every callback the loop runs (completion, watch, timer, periodic or posted task) runs under the
// loop's callback_guard: an exception is caught, counted (callback_faults()), reported with what
// was running, and the loop goes on with the next callback.
class io_loop {
  public:
    using completion = std::function<void(int result)>;
    using ready_fn = std::function<void(unsigned revents)>;
    using task = std::function<void()>;

    explicit io_loop(unsigned queue_depth = 1024);
    ~io_loop();
    io_loop(const io_loop&) = delete;
    io_loop& operator=(const io_loop&) = delete;

    op_id recv(int fd, void* buf, std::size_t len, int flags, completion done);
    op_id recvmsg(int fd, msghdr* msg, int flags, completion done);
    op_id send(int fd, const void* buf, std::size_t len, int flags, completion done);
    op_id sendmsg(int fd, const msghdr* msg, int flags, completion done);
    op_id accept(int fd, sockaddr* addr, socklen_t* addrlen, int flags, completion done);
    op_id connect(int fd, const sockaddr* addr, socklen_t addrlen, completion done);
    op_id poll_once(int fd, unsigned events, completion done);
    // Asks the kernel to cancel a one-shot operation; its callback still runs once.
    void cancel(op_id id);

    // "Watch this fd": `ready` runs with the poll revents each time the fd becomes ready
    // (multishot poll, re-armed if the kernel ends it) until unwatch(). Like edge-triggered
    // epoll: drain the fd (to EAGAIN) in the callback. No callback runs after unwatch().
    op_id watch(int fd, unsigned events, ready_fn ready);
    void unwatch(op_id id);

    // Timers. The wheel is also what the transaction layer takes as its timer_service.
    timer_wheel& timers() { return wheel_; }
    time_point now() const { return wheel_.now(); }
    timer_id run_at(time_point when, task fn) { return wheel_.schedule_at(when, std::move(fn)); }
    timer_id run_after(milliseconds delay, task fn) {
        return wheel_.schedule_after(delay, std::move(fn));
    }
    bool cancel_timer(timer_id id) { return wheel_.cancel(id); }
    // "Run this every N ms", first after one interval, until cancel_every(). Runs missed while
    // the loop was busy are skipped, not caught up.
    std::uint64_t run_every(milliseconds interval, task fn);
    bool cancel_every(std::uint64_t id);
    // Runs `fn` on the next iteration, before the loop waits again.
    void post(task fn) { posted_.push_back(std::move(fn)); }

    // One iteration: run due timers and posted tasks, submit, wait for at least one completion
    // (at most `max_wait`, or until the next timer), run completions, run due timers again.
    void run_once(std::optional<milliseconds> max_wait = std::nullopt);
    // Iterates until stop() is called (from a callback).
    void run();
    void stop() { stopped_ = true; }
    bool stopping() const { return stopped_; }

    // Operations and watches not yet finished (for tests and shutdown).
    std::size_t in_flight() const { return in_flight_; }

    // Callbacks that threw (and were dropped) since the loop was made: for `sbcctl status`.
    std::uint64_t callback_faults() const { return guard_.faults(); }
    // Where faults are reported (stderr until set; e.g. the daemon's log).
    void set_fault_reporter(callback_guard::reporter r) { guard_.set_reporter(std::move(r)); }
    // The loop's guard, for layers that catch inside a callback and report the same way.
    callback_guard& guard() { return guard_; }

  private:
    enum class slot_kind : std::uint8_t { free, op, watch };
    struct slot {
        completion done;
        ready_fn ready;
        const char* label = "";  // what the callback is, for a fault report
        std::uint32_t generation = 1;
        slot_kind kind = slot_kind::free;
        bool unwatched = false;
        int fd = -1;
        unsigned events = 0;
    };
    struct periodic {
        milliseconds interval;
        task fn;
        timer_id timer;
    };

    io_uring_sqe* get_sqe();
    std::pair<op_id, io_uring_sqe*> start_op(completion done, const char* label);
    void arm_watch(std::uint32_t index);
    void release(std::uint32_t index);
    slot* find(op_id id, std::uint32_t& index);
    void dispatch(std::uint64_t user_data, int res, unsigned flags);
    void run_posted();
    void arm_periodic(std::uint64_t id);

    io_uring ring_{};
    callback_guard guard_;  // before wheel_, which keeps a pointer to it
    timer_wheel wheel_;
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;
    std::vector<task> posted_;
    std::unordered_map<std::uint64_t, periodic> periodics_;
    std::uint64_t next_periodic_ = 1;
    std::size_t in_flight_ = 0;
    bool stopped_ = false;
};

}  // namespace sbc::sip
