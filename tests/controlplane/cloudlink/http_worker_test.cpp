// The HTTPS worker thread and sbcd's signals: sbcd blocks SIGTERM/SIGINT/SIGHUP on its loop
// thread and reads them through a signalfd, after CloudLink's worker thread already exists. A
// process-directed signal goes to a thread that does not block it, so a worker that took
// signals would die of the default action and take sbcd with it (no clean stop, the mgmt socket
// left behind).
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <ctime>

#include "controlplane/cloudlink/http_worker.hpp"

namespace sbc::cp::cloudlink {
namespace {

TEST(HttpWorker, TheWorkerThreadLeavesSignalsToTheLoopThread) {
    sip::io_loop loop;
    http_worker worker(loop);  // its thread starts before the signals are blocked, as in sbcd
    sigset_t set, before;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);  // terminates by default, like SIGTERM, and is the test's own
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, &before), 0);
    ASSERT_EQ(::kill(::getpid(), SIGUSR1), 0);
    // Still alive here: the signal waits, pending, for the thread that asks for it.
    const timespec wait{5, 0};
    EXPECT_EQ(sigtimedwait(&set, nullptr, &wait), SIGUSR1);
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

}  // namespace
}  // namespace sbc::cp::cloudlink
