#pragma once
// sbcd in one process for the whole-daemon fuzz target (sbcd_fuzz.cpp): sip_service, the media
// manager and the B2BUA wired as sbcd wires them, and stand-ins for what a fuzzer cannot drive:
//
//  * links (controlplane/realm_link.hpp) instead of sockets. Bytes from the fuzzer's clients go
//    the way transport_layer takes them — the DoS guard, the stream framer, the parser — into
//    realm_edge::deliver(); what the daemon sends is recorded, per realm.
//  * a fake OSV node behind the core link that answers whatever reaches it (OPTIONS, REGISTER
//    with a challenge, INVITE with an SDP answer, BYE...). It is a fake because the fuzz target
//    must run thousands of inputs a second without processes; Kamailio is the OSV of the
//    system tests (tests/system).
//  * a fake dataplane: a shared-memory region made in-process and unlinked at once, whose
//    commands are acknowledged as soon as they are read. No DPDK, no packets: media never flows,
//    so answered calls end by media timeout.
//  * a fake clock: the io_loop's timer wheel, advanced by hand; the loop itself never runs.
//
// Nothing here opens a socket or leaves a file behind.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/dataplane_client/dataplane_client.hpp"
#include "controlplane/media/media_manager.hpp"
#include "controlplane/sip_service.hpp"
#include "dataplane/shm/region.hpp"
#include "sip/transport/stream_framer.hpp"

namespace sbc::fuzz {

// What a link was asked to send.
struct sent {
    std::string bytes;
    sip::transport_target to;
    bool response = false;
};

// A realm's stand-in for its transports: records what leaves, knows which connections are open.
class fuzz_link final : public cp::realm_link {
  public:
    sip::send_status send_request(const sip::transport_target& to, std::string bytes,
                                  sip::send_callback done, sip::connection_id* used) override;
    sip::send_status send_response(const sip::transport_context& ctx, const sip::via& top,
                                   std::string bytes, sip::send_callback done) override;
    bool is_open(sip::connection_id id) const override { return open.count(id) != 0; }
    std::size_t close_source(const sip::socket_address& remote) override;

    cp::realm_edge* edge = nullptr;
    // The connection a send to (type, address) without a connection id goes down (the core
    // link's one connection to OSV); 0: none (the access link never opens connections).
    sip::connection_id outbound = 0;
    std::set<sip::connection_id> open;
    std::map<sip::connection_id, sip::socket_address> remote_of;
    std::vector<sent> out;
};

// The in-memory dataplane (see the file comment).
class fake_dataplane {
  public:
    fake_dataplane();
    ~fake_dataplane();
    cp::dataplane_client& client() { return client_; }
    // Acknowledges every command waiting; true when there were any.
    bool ack_all();

  private:
    shm::region region_;
    cp::dataplane_client client_;
};

// A client connection of the access realm as the fuzzer drives it.
struct client_connection {
    sip::connection_id id = 0;
    sip::socket_address remote;
    std::unique_ptr<sip::stream_framer> framer;
    // What the daemon last sent down it, for the fuzzer's templates ($V, $F...).
    std::string last_request, last_response;
    std::string last_contact;  // of the last response that had one
};

class daemon {
  public:
    // The dataplane outlives daemons: one per fuzzing process.
    explicit daemon(fake_dataplane& dp);
    ~daemon();

    // Client `slot` (0..3) from source `source` (0..3) sends `bytes` (templates filled in).
    void client_bytes(unsigned slot, unsigned source, std::string_view bytes);
    // Client `slot` closes its connection.
    void client_close(unsigned slot);
    // Every client closes its connection (the input is over; the transport's idle timeout
    // would close them in the end).
    void clients_leave();
    // OSV calls the `which`th client it holds a registration of.
    void osv_calls(unsigned which);
    // How OSV answers from now on.
    enum class osv_mode : std::uint8_t { normal, no_challenge, unavailable, silent, refuse, early };
    void set_osv_mode(osv_mode m) { osv_mode_ = m; }

    // Runs everything that follows from what happened: acks, OSV's answers, the daemon's reactions.
    void pump();
    // Moves the fake clock, running the timers that come due (and the media tick), then pumps.
    void advance(std::chrono::milliseconds by);

    // Every message that reached OSV since the last call.
    std::vector<sent> take_core();

    const config::appliance& cfg() const { return cfg_; }
    cp::sip_service& sip() { return *sip_; }
    cp::media::media_manager& media() { return *media_; }
    cp::b2bua::b2bua& calls() { return *b2bua_; }

  private:
    void deliver_access(client_connection& c, std::string_view message);
    void osv_receive(const sent& s);
    void osv_send(std::string bytes);
    std::string fill_templates(const client_connection& c, std::string_view bytes) const;

    config::appliance cfg_;
    fake_dataplane& dp_;
    std::unique_ptr<sip::io_loop> loop_;
    fuzz_link access_link_, core_link_;
    std::unique_ptr<cp::sip_service> sip_;
    std::unique_ptr<cp::media::media_manager> media_;
    std::unique_ptr<cp::b2bua::b2bua> b2bua_;
    std::array<client_connection, 4> clients_;
    sip::connection_id next_connection_ = 100;
    std::uint16_t next_port_ = 30000;
    osv_mode osv_mode_ = osv_mode::normal;
    std::vector<std::string> osv_contacts_;  // token Contacts OSV accepted in REGISTERs
    std::vector<sent> core_seen_;
    std::uint64_t osv_calls_ = 0;
};

}  // namespace sbc::fuzz
