#include "controlplane/cloudlink/link_client.hpp"

#include <ctime>

#include <spdlog/spdlog.h>

namespace sbc::cp::cloudlink {

namespace {

constexpr named_text state_rows[] = {SBC_CLOUDLINK_STATES(SBC_CLOUDLINK_NAMED_TEXT_ROW)};

using std::chrono::milliseconds;
using std::chrono::seconds;

// Refresh when a fifth of the lifetime is left, and at least a minute before expiry (or at
// half of a very short lifetime).
seconds refresh_lead(std::uint32_t lifetime_s) {
    const std::uint32_t lead = std::max<std::uint32_t>(lifetime_s / 5, 60);
    return seconds(std::min(lead, lifetime_s / 2));
}

std::int64_t left_s(const std::optional<std::chrono::steady_clock::time_point>& due,
                    std::chrono::steady_clock::time_point now) {
    if (!due) {
        return -1;
    }
    return *due > now ? std::chrono::duration_cast<seconds>(*due - now).count() : 0;
}

}  // namespace

const char* state_name(link_state s) {
    return state_rows[static_cast<std::size_t>(s)].name;
}

link_client::link_client(sip::io_loop& loop, api& cloud, link_settings settings,
                         inventory_fn inventory)
    : loop_(loop),
      cloud_(cloud),
      settings_(std::move(settings)),
      inventory_(std::move(inventory)) {}

link_client::~link_client() {
    life_.end();
    cancel_timers();
}

std::int64_t link_client::now_s() const {
    return static_cast<std::int64_t>(std::time(nullptr));
}

void link_client::set_state(link_state s, std::string error) {
    if (s != state_) {
        spdlog::info("cloudlink: {} -> {}{}{}", state_name(state_), state_name(s),
                     error.empty() ? "" : ": ", error);
    }
    state_ = s;
    if (!error.empty()) {
        last_error_ = std::move(error);
    }
}

void link_client::cancel_timers() {
    loop_.cancel_timer(refresh_timer_);
    loop_.cancel_timer(inventory_timer_);
    refresh_timer_ = {};
    inventory_timer_ = {};
    refresh_due_.reset();
    inventory_due_.reset();
}

void link_client::start() {
    if (!settings_.enable) {
        set_state(link_state::disabled);
        return;
    }
    const std::string machine = machine_fingerprint(settings_.machine);
    if (machine.empty()) {
        set_state(link_state::failed, "cannot read " + settings_.machine.system_uuid + " or " +
                                          settings_.machine.machine_id +
                                          ": no machine identity to bind the link to");
        return;
    }
    identity_result id = load_or_create_identity(settings_.state_dir, machine);
    if (!id.identity) {
        set_state(link_state::failed, id.error);
        return;
    }
    identity_ = id.identity;
    identity_created_ = id.created;
    if (id.created) {
        spdlog::info("cloudlink: installation identity {} created in {}", identity_->id,
                     settings_.state_dir);
    }
    if (id.cloned) {
        set_state(link_state::identity_conflict,
                  "the installation identity in " + settings_.state_dir +
                      " was created on another machine (a cloned disk image?); its CloudLink "
                      "link is not used here. `sbcctl cloudlink unlink` makes a new identity "
                      "for this machine, then link again (guide 8: do not clone)");
        return;
    }
    auto stored = load_token(settings_.state_dir);
    if (!stored) {
        set_state(link_state::failed, stored.error().message());
        return;
    }
    token_ = std::move(*stored);
    if (!token_) {
        set_state(link_state::unlinked);
        return;
    }
    if (token_->installation_id != identity_->id) {
        token_.reset();
        set_state(link_state::identity_conflict,
                  "the stored token belongs to another installation identity; unlink and link "
                  "again");
        return;
    }
    set_state(link_state::disconnected);  // until the first exchange succeeds
    if (token_->access_expires_at <= now_s() + 60) {
        do_refresh();
    } else {
        schedule_refresh();
        do_inventory();
    }
}

cp::status link_client::link(const std::string& username, const std::string& password) {
    switch (state_) {
        case link_state::disabled:
            return cp::fail("CloudLink is disabled ([cloudlink] enable = false)");
        case link_state::failed:
        case link_state::identity_conflict:
            return cp::fail(last_error_);
        case link_state::linking:
            return cp::fail("a link attempt is already running");
        case link_state::connected:
        case link_state::disconnected:
            return cp::fail("already linked to tenant '" + token_->tenant_name +
                            "': sbcctl cloudlink unlink first");
        case link_state::unlinked:
        case link_state::relink_required:
            break;
    }
    if (username.empty() || password.empty()) {
        return cp::fail("username and password are required");
    }
    ++link_attempt_;
    link_result_ = "pending";
    link_message_.clear();
    set_state(link_state::linking);
    installation_info who = settings_.product;
    who.id = identity_->id;
    who.machine = identity_->machine;
    const std::uint64_t gen = generation_;
    cloud_.link(username, password, who, life_.guard([this, gen](api_result r) {
        if (gen != generation_) {
            return;
        }
        heard(r);
        if (r.result != outcome::ok) {
            link_result_ = outcome_name(r.result);
            link_message_ = r.message;
            if (r.result == outcome::clock_skew && clock_offset_s_) {
                link_message_ += "; measured clock offset " + std::to_string(*clock_offset_s_) +
                                 " s: configure NTP (guide 8.1)";
            }
            set_state(token_ ? link_state::relink_required : link_state::unlinked,
                      std::string("link failed: ") + link_message_);
            return;
        }
        adopt_grant(r.grant, true);
        link_result_ = "ok";
        link_message_ = "linked to tenant '" + token_->tenant_name + "'";
        spdlog::info("cloudlink: linked to tenant {} ({})", token_->tenant_name, token_->tenant_id);
        last_error_.clear();
        set_state(link_state::connected);
        do_inventory();  // guide 8.4: a report on link, then every interval
    }));
    return cp::status::ok();
}

void link_client::adopt_grant(const link_grant& g, bool link) {
    stored_token t = link || !token_ ? stored_token{} : *token_;
    if (link) {
        t.tenant_id = g.tenant_id;
        t.tenant_name = g.tenant_name;
        t.installation_id = identity_->id;
        t.linked_at = iso8601_utc(now_s());
    }
    t.access_token = g.access_token;
    t.refresh_token = g.refresh_token;
    t.access_expires_at = now_s() + g.expires_in_s;
    token_ = t;
    if (cp::status saved = save_token(settings_.state_dir, t); !saved) {
        // The link works until sbcd restarts; the operator must know it will not survive one.
        last_error_ = "token not saved: " + saved.message();
        spdlog::error("cloudlink: {}", last_error_);
    }
    schedule_refresh();
}

nlohmann::json link_client::unlink() {
    nlohmann::json out;
    ++generation_;
    cancel_timers();
    refreshing_ = reporting_ = false;
    reset_backoff();
    quiet_until_.reset();
    if (state_ == link_state::identity_conflict) {
        // The token is the original machine's: telling CloudLink would unlink *that* machine.
        // A token file that cannot be removed is replaced at the next link (write_secret
        // renames over it); the identity below is what must not be the clone's.
        (void)remove_token(settings_.state_dir);
        identity_result id =
            recreate_identity(settings_.state_dir, machine_fingerprint(settings_.machine));
        if (!id.identity) {
            set_state(link_state::failed, id.error);
            return {{"state", state_name(state_)}, {"error", id.error}};
        }
        identity_ = id.identity;
        identity_created_ = true;
        token_.reset();
        last_error_.clear();
        last_unlink_ = "local only (cloned identity replaced; CloudLink not told)";
        set_state(link_state::unlinked);
        return {{"state", state_name(state_)},
                {"installation_id", identity_->id},
                {"cloudlink_told", false},
                {"note", last_unlink_}};
    }
    if (!token_) {
        return {{"state", state_name(state_)}, {"note", "not linked"}};
    }
    const std::string access = token_->access_token;
    const std::string tenant = token_->tenant_name;
    if (cp::status removed = remove_token(settings_.state_dir); !removed) {
        last_error_ = removed.message();
    }
    token_.reset();
    link_result_ = "none";
    last_unlink_ = "unlinked from '" + tenant + "'; telling CloudLink";
    set_state(link_state::unlinked);
    cloud_.unlink(access, life_.guard([this, tenant](api_result r) {
        heard(r);
        last_unlink_ = "unlinked from '" + tenant + "'; " +
                       (r.result == outcome::ok
                            ? std::string("CloudLink told")
                            : "CloudLink not told (" + r.message +
                                  "): remove the SBC from the tenant in Mitel Administration");
    }));
    out = {{"state", state_name(state_)}, {"tenant", tenant}, {"cloudlink_told", "pending"}};
    return out;
}

void link_client::schedule_refresh() {
    loop_.cancel_timer(refresh_timer_);
    if (!token_) {
        return;
    }
    const std::int64_t lifetime_left = token_->access_expires_at - now_s();
    const std::int64_t lead =
        refresh_lead(static_cast<std::uint32_t>(std::max<std::int64_t>(lifetime_left, 0))).count();
    const auto delay = seconds(std::max<std::int64_t>(lifetime_left - lead, 0));
    refresh_due_ = loop_.now() + delay;
    refresh_timer_ = loop_.run_after(delay, life_.guard([this] {
        refresh_timer_ = {};
        do_refresh();
    }));
}

void link_client::do_refresh() {
    if (!token_ || refreshing_) {
        return;
    }
    refreshing_ = true;
    refresh_due_.reset();
    const std::uint64_t gen = generation_;
    cloud_.refresh(token_->refresh_token, identity_->id, life_.guard([this, gen](api_result r) {
        if (gen != generation_) {
            return;
        }
        refreshing_ = false;
        heard(r);
        if (r.result == outcome::ok) {
            ++refreshes_;
            reset_backoff();
            adopt_grant(r.grant, false);
            set_state(link_state::connected);
            if (!inventory_due_ && !reporting_) {
                do_inventory();
            }
            return;
        }
        if (r.result == outcome::refresh_refused || r.result == outcome::conflict) {
            // A clear state, never a loop of retries: the operator must link again.
            cancel_timers();
            set_state(link_state::relink_required, "token refresh refused: " + r.message);
            return;
        }
        std::string why = "token refresh failed: " + r.message;
        if (r.result == outcome::clock_skew && clock_offset_s_) {
            why += "; measured clock offset " + std::to_string(*clock_offset_s_) +
                   " s: configure NTP (guide 8.1)";
        }
        r.message = why;
        failed_exchange(r, true, [this] { do_refresh(); });
    }));
}

void link_client::do_inventory() {
    if (!token_ || reporting_) {
        return;
    }
    reporting_ = true;
    loop_.cancel_timer(inventory_timer_);
    inventory_due_.reset();
    nlohmann::json report = inventory_ ? inventory_() : nlohmann::json::object();
    report["installation"] = {{"id", identity_->id},
                              {"hostname", settings_.product.hostname},
                              {"product", settings_.product.product},
                              {"version", settings_.product.version}};
    report["report_time"] = iso8601_utc(now_s());
    const std::uint64_t gen = generation_;
    cloud_.report_inventory(token_->access_token, report, life_.guard([this, gen](api_result r) {
        if (gen != generation_) {
            return;
        }
        reporting_ = false;
        heard(r);
        last_inventory_at_ = iso8601_utc(now_s());
        last_inventory_result_ = r.result == outcome::ok ? "accepted" : r.message;
        if (r.result == outcome::ok) {
            ++inventory_reports_;
            reset_backoff();
            set_state(link_state::connected);
            inventory_due_ = loop_.now() + settings_.inventory_interval;
            inventory_timer_ = loop_.run_after(settings_.inventory_interval, life_.guard([this] {
                inventory_timer_ = {};
                do_inventory();
            }));
            return;
        }
        if (r.result == outcome::token_rejected) {
            // The access token died early (revoked, server restarted): refresh, then report.
            inventory_due_.reset();
            do_refresh();
            return;
        }
        failed_exchange(r, false, [this] { do_inventory(); });
    }));
}

void link_client::failed_exchange(const api_result& r, bool refresh, std::function<void()> retry) {
    ++failures_;
    const milliseconds delay = next_backoff(r.retry_after_s);
    if (r.result == outcome::rate_limited && r.retry_after_s) {
        slow_down(*r.retry_after_s);
    }
    set_state(link_state::disconnected, r.message);
    spdlog::warn("cloudlink: {} (attempt {}; next in {} ms)", r.message, failures_, delay.count());
    const std::uint64_t gen = generation_;
    // The retry reuses the timer of what failed, so status shows when it comes.
    auto run = life_.guard([this, gen, retry = std::move(retry)] {
        if (gen == generation_) {
            retry();
        }
    });
    if (refresh) {
        loop_.cancel_timer(refresh_timer_);
        refresh_due_ = loop_.now() + delay;
        refresh_timer_ = loop_.run_after(delay, run);
    } else {
        loop_.cancel_timer(inventory_timer_);
        inventory_due_ = loop_.now() + delay;
        inventory_timer_ = loop_.run_after(delay, run);
    }
}

milliseconds link_client::next_backoff(std::optional<std::uint32_t> retry_after_s) {
    const std::uint32_t shift = std::min<std::uint32_t>(failures_ > 0 ? failures_ - 1 : 0, 20);
    const auto full = std::min<std::int64_t>(settings_.backoff_base.count() << shift,
                                             settings_.backoff_cap.count());
    // Equal jitter: half fixed, half random, so synchronized appliances spread out.
    std::uniform_int_distribution<std::int64_t> half(0, full / 2);
    milliseconds delay(full - full / 2 + half(jitter_));
    if (retry_after_s) {
        delay = std::max<milliseconds>(delay, seconds(*retry_after_s));
    }
    return delay;
}

void link_client::heard(const api_result& r) {
    if (r.clock_offset_s) {
        clock_offset_s_ = r.clock_offset_s;
    }
    if (r.http_status != 0) {
        last_contact_ = iso8601_utc(now_s());
    }
}

void link_client::token_rejected() {
    if (!refreshing_ && token_) {
        loop_.cancel_timer(refresh_timer_);
        do_refresh();
    }
}

void link_client::slow_down(std::uint32_t retry_after_s) {
    quiet_until_ = loop_.now() + seconds(std::min<std::uint32_t>(retry_after_s, 3600));
}

cp::result<std::string, link_client::token_refusal> link_client::usable_token() const {
    if (state_ != link_state::connected && state_ != link_state::disconnected) {
        return token_refusal{outcome::rejected,
                             std::string("CloudLink link is ") + state_name(state_) +
                                 (last_error_.empty() ? "" : ": " + last_error_)};
    }
    if (token_->access_expires_at <= now_s()) {
        return token_refusal{
            outcome::token_rejected,
            "the CloudLink access token expired and its refresh has not succeeded" +
                (last_error_.empty() ? std::string() : ": " + last_error_)};
    }
    if (quiet_until_ && *quiet_until_ > loop_.now()) {
        return token_refusal{outcome::rate_limited,
                             "CloudLink asked to slow down for another " +
                                 std::to_string(left_s(quiet_until_, loop_.now())) +
                                 " s (429 Retry-After)"};
    }
    return token_->access_token;
}

nlohmann::json link_client::status() const {
    const auto now = loop_.now();
    nlohmann::json j;
    j["enabled"] = settings_.enable;
    j["state"] = state_name(state_);
    j["state_text"] = state_rows[static_cast<std::size_t>(state_)].text;
    j["linked"] = token_.has_value();
    if (token_) {
        j["tenant"] = {{"id", token_->tenant_id}, {"name", token_->tenant_name}};
        j["linked_at"] = token_->linked_at;
        j["token_expires_in_s"] = token_->access_expires_at - now_s();
    }
    if (identity_) {
        j["installation_id"] = identity_->id;
        j["identity_created_at"] = identity_->created;
    }
    j["last_contact"] = last_contact_.empty() ? nlohmann::json() : nlohmann::json(last_contact_);
    j["last_inventory"] = {
        {"at", last_inventory_at_.empty() ? nlohmann::json() : nlohmann::json(last_inventory_at_)},
        {"result", last_inventory_result_},
        {"reports", inventory_reports_},
        {"interval_s", settings_.inventory_interval.count()}};
    j["next_inventory_in_s"] = left_s(inventory_due_, now);
    j["next_refresh_in_s"] = left_s(refresh_due_, now);
    j["refreshes"] = refreshes_;
    j["consecutive_failures"] = failures_;
    j["last_error"] = last_error_;
    if (clock_offset_s_) {
        j["clock_offset_s"] = *clock_offset_s_;
        const std::int64_t off = *clock_offset_s_;
        if ((off < 0 ? -off : off) > settings_.max_clock_offset_s) {
            j["clock_error"] = "this appliance's clock is " + std::to_string(off < 0 ? -off : off) +
                               " s " + (off < 0 ? "ahead of" : "behind") + " CloudLink (limit " +
                               std::to_string(settings_.max_clock_offset_s) +
                               " s): token creation fails; configure NTP (guide 8.1)";
        }
    } else {
        j["clock_offset_s"] = nullptr;
    }
    j["link_attempt"] = {
        {"id", link_attempt_}, {"result", link_result_}, {"message", link_message_}};
    if (!last_unlink_.empty()) {
        j["last_unlink"] = last_unlink_;
    }
    return j;
}

}  // namespace sbc::cp::cloudlink
