#pragma once
// The B2BUA's calls: owned here, found by id, by dialog (Call-ID and our tag, per realm), by the
// server transaction of the INVITE they relay (for CANCEL) and by media session (for the media
// timeout). Every event for a call goes through run(), which holds it while the call's media is
// being programmed, so events keep their order.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controlplane/b2bua/call.hpp"

namespace sbc::cp::b2bua {

class call_table {
  public:
    call* find(call_id_t id);
    const call* find(call_id_t id) const;
    call_id_t next_id() { return next_id_++; }

    // Takes the call and indexes its legs and media session.
    call& add(std::unique_ptr<call> c);
    // Unindexes and destroys the call.
    void erase(call_id_t id);
    // CANCEL finds the INVITE (initial or re-INVITE) it cancels by its server transaction.
    void index_invite(realm_id realm, sip::transaction_id server, call_id_t id);

    struct dialog_hit {
        call_id_t id;
        side s;
    };
    std::optional<dialog_hit> by_dialog(realm_id realm, std::string_view call_id,
                                        std::string_view local_tag) const;
    std::optional<call_id_t> by_invite(realm_id realm, sip::transaction_id server) const;
    std::optional<call_id_t> by_media(media::session_id sid) const;

    // Calls held for a push, by push_key(): what a re-REGISTER of that device releases.
    void index_push(const std::string& key, call_id_t id);
    void unindex_push(const std::string& key, call_id_t id);
    std::vector<call_id_t> awaiting_push(const std::string& key) const;
    size_t awaiting_push_count() const { return by_push_.size(); }

    // Runs `fn` on the call now, or after the media programming it waits for.
    void run(call_id_t id, std::function<void(call&)> fn);
    // The same for a message that lives only as long as the callback that hands it over (a
    // response from the transaction layer): a held event gets its own copy.
    void run(call_id_t id, const sip::message& m,
             std::function<void(call&, const sip::message&)> fn);
    // The call's programming is over: what was held runs, in order, until it programs again.
    void release(call_id_t id);

    size_t size() const { return calls_.size(); }
    std::vector<call_id_t> ids() const;  // oldest first

  private:
    static uint64_t server_key(realm_id r, sip::transaction_id t);

    std::unordered_map<call_id_t, std::unique_ptr<call>> calls_;
    std::unordered_map<std::string, dialog_hit> by_dialog_;
    std::unordered_map<uint64_t, call_id_t> by_invite_server_;  // realm<<63 | server txn
    // The keys each call indexed above (its INVITE and re-INVITEs): erase() removes them
    // without walking every call's entries.
    std::unordered_map<call_id_t, std::vector<uint64_t>> invites_of_;
    std::unordered_map<media::session_id, call_id_t> by_media_;
    std::unordered_multimap<std::string, call_id_t> by_push_;
    call_id_t next_id_ = 1;
};

// A Replaces value (header, or inside a Refer-To URI) from a peer on `from`'s realm, mapped onto
// the other leg of the call whose dialog it names (replaces.cpp); unchanged (URI) or "" (header)
// when it names no dialog of ours.
std::string map_replaces(const call_table& table, std::string_view value, realm_id from);

}  // namespace sbc::cp::b2bua
