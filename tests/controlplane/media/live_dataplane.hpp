#pragma once
// A live sbc-dataplane for media manager tests, with the appliance's two media addresses
// (access 10.1.1.1 on port 0, core 10.2.1.1 on port 1) and the pump that feeds its events to the
// manager the way dataplane_link does in sbcd.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/media_manager.hpp"
#include "tests/dataplane/support/dp_process.hpp"

namespace sbc::test {

struct live_dataplane {
    std::string instance;
    dp_process proc;
    cp::dataplane_client client;

    // `vdevs`: two --vdev values (net_null by default).
    bool start(const std::string& tag, std::vector<std::string> vdevs = {},
               std::vector<std::string> extra = {}) {
        instance = unique_instance(tag);
        if (vdevs.empty()) {
            vdevs = {"net_null0", "net_null1"};
        }
        auto args = base_args(instance);
        for (const auto& v : vdevs) {
            args.insert(args.end(), {"--vdev", v});
        }
        args.insert(args.end(), {"--media", "0,10.1.1.1/24", "--media", "1,10.2.1.1/24"});
        args.insert(args.end(), extra.begin(), extra.end());
        if (!proc.start(args, "/tmp/" + instance + ".log")) {
            return false;
        }
        cp::retry_policy p;
        p.deadline = std::chrono::seconds(20);
        return static_cast<bool>(client.attach_with_retry(instance, p));
    }

    // Feeds events to `mm` until `until()` holds or 5 s pass.
    template <class Pred>
    bool pump(cp::media::media_manager& mm, Pred until) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (std::chrono::steady_clock::now() < end) {
            client.poll_events([&](const cp::dp_event& ev) { mm.on_event(ev); });
            if (until()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return false;
    }
    // Feeds events until every programming of `mm` finished and the command ring is answered.
    void settle(cp::media::media_manager& mm) {
        pump(mm, [&] { return mm.programming() == 0 && client.pending() == 0; });
    }

    ~live_dataplane() {
        client.detach();
        proc.stop();
    }
};

}  // namespace sbc::test
