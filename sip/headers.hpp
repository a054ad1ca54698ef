#pragma once
// Typed values of the headers an SBC touches. Each parse_* function takes one header value (after
// the colon, LWS trimmed, folds still inside) or one element of a comma-separated list, and
// returns views into that text. message.hpp calls them lazily and caches the results.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace sbc::sip {

enum class sip_method : uint8_t {
    invite,
    ack,
    bye,
    cancel,
    register_,
    options,
    prack,
    subscribe,
    notify,
    publish,
    info,
    refer,
    message,
    update,
    other
};
// Methods are case-sensitive (RFC 3261 §7.1): "invite" is an extension method, not INVITE.
sip_method classify_method(std::string_view token);
std::string_view method_name(sip_method m);  // "" for other

// Splits a header value at top-level commas: commas inside quoted strings and <...> don't count.
// Empty elements (",,") are skipped. Used for Via, Contact, Route, token lists...
class comma_list {
  public:
    explicit comma_list(std::string_view value) : value_(value) {}
    class iterator {
      public:
        iterator() = default;
        explicit iterator(std::string_view rest) : rest_(rest), done_(false) { load(); }
        std::string_view operator*() const { return current_; }
        iterator& operator++() {
            load();
            return *this;
        }
        bool operator==(const iterator& o) const {
            return done_ == o.done_ && (done_ || rest_.data() == o.rest_.data());
        }

      private:
        void load();
        std::string_view rest_;
        std::string_view current_;
        bool done_ = true;
    };
    iterator begin() const { return iterator(value_); }
    iterator end() const { return iterator(); }

  private:
    std::string_view value_;
};
// Number of top-level elements and whether the quoting/brackets balance.
bool comma_list_balanced(std::string_view value);

// One via-parm (RFC 3261 §20.42, RFC 3581 rport).
struct via {
    std::string_view text;       // this via-parm as written
    std::string_view protocol;   // "SIP"
    std::string_view version;    // "2.0"
    std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS" (as written)
    host_port sent_by;
    param_list params;

    std::string_view branch() const;    // "" when absent
    std::string_view received() const;  // "" when absent
    bool has_rport() const;
    // rport value when the parameter carries one (a response from a proxy that filled it in).
    std::optional<uint16_t> rport() const;
    std::string_view maddr() const;
    std::optional<uint8_t> ttl() const;
    // RFC 3261 §8.1.1.7: a branch starting with the magic cookie was made by a 3261 element.
    bool rfc3261_branch() const;
};
result<via> parse_via(std::string_view element);

// name-addr / addr-spec with header params (From, To, Contact, Route, Record-Route, Path,
// Refer-To, Referred-By, P-Asserted-Identity, P-Preferred-Identity, Geolocation, Reply-To...).
struct name_addr {
    std::string_view text;          // this element as written
    std::string_view display_name;  // as written: a quoted-string keeps its quotes; may be ""
    std::string_view uri_text;      // inside <...>, or the bare addr-spec
    sip::uri uri;
    bool angle_brackets = false;
    param_list params;  // header params after the URI (";tag=x;expires=3")

    std::string_view tag() const;           // "" when absent
    std::string display_name_text() const;  // unquoted, escapes resolved
};
// RFC 3261 §20.10: without <> the URI's own ";params" belong to the header, so they go to params.
result<name_addr> parse_name_addr(std::string_view element);

// A Contact value: `*`, or a name-addr with contact-params.
struct contact {
    bool star = false;
    name_addr addr;

    std::optional<uint32_t> expires() const;
    std::optional<float> q() const;     // 0..1
    std::string_view instance() const;  // +sip.instance value without quotes: "<urn:uuid:...>"
    std::optional<uint32_t> reg_id() const;
    // RFC 8599 push notification parameters (in the URI of a REGISTER Contact).
    std::string_view pn_provider() const;
    std::string_view pn_prid() const;
    std::string_view pn_param() const;
};
result<contact> parse_contact(std::string_view element);

struct cseq {
    uint32_t number = 0;
    std::string_view method;
    sip_method kind = sip_method::other;
};
result<cseq> parse_cseq(std::string_view value);

// Authorization, Proxy-Authorization (credentials) and WWW-/Proxy-Authenticate (challenges):
// a scheme and comma-separated auth-params (RFC 3261 §25.1, RFC 7616).
struct auth_value {
    std::string_view scheme;  // "Digest"
    param_list params;        // separator ','

    // Values without quotes (escapes not resolved; RFC 7616 values hold none in practice).
    std::string_view get(std::string_view name) const;
    std::string_view realm() const { return get("realm"); }
    std::string_view nonce() const { return get("nonce"); }
    std::string_view username() const { return get("username"); }
    std::string_view uri() const { return get("uri"); }
    std::string_view response() const { return get("response"); }
    std::string_view algorithm() const { return get("algorithm"); }
    std::string_view opaque() const { return get("opaque"); }
    std::string_view qop() const { return get("qop"); }
    std::string_view cnonce() const { return get("cnonce"); }
    std::string_view nc() const { return get("nc"); }
    bool stale() const;
};
result<auth_value> parse_auth(std::string_view value);

// Session-Expires (RFC 4028 §4).
enum class refresher : uint8_t { none, uac, uas };
struct session_expires {
    uint32_t delta = 0;
    refresher who = refresher::none;
    param_list params;
};
result<session_expires> parse_session_expires(std::string_view value);

// A delta-seconds value with optional params (Min-SE, Expires, Max-Forwards, RSeq...).
struct delta_seconds {
    uint32_t value = 0;
    param_list params;
};
result<delta_seconds> parse_delta_seconds(std::string_view value);

// RAck (RFC 3262 §7.2).
struct rack {
    uint32_t rseq = 0;
    uint32_t cseq = 0;
    std::string_view method;
};
result<rack> parse_rack(std::string_view value);

// Event (RFC 6665 §8.2.1): package[.template] ;id=...
struct event {
    std::string_view package;
    param_list params;
    std::string_view id() const;
};
result<event> parse_event(std::string_view value);

// Subscription-State (RFC 6665 §8.2.3).
struct subscription_state {
    std::string_view state;  // "active", "pending", "terminated", or an extension
    param_list params;
    std::optional<uint32_t> expires() const;
    std::string_view reason() const;
    std::optional<uint32_t> retry_after() const;
};
result<subscription_state> parse_subscription_state(std::string_view value);

// Retry-After (RFC 3261 §20.33): delta-seconds [comment] *(;params).
struct retry_after {
    uint32_t delta = 0;
    std::string_view comment;  // "(...)" as written, or ""
    param_list params;
    std::optional<uint32_t> duration() const;
};
result<retry_after> parse_retry_after(std::string_view value);

// One Reason value (RFC 3326): protocol ;cause=..;text="..".
struct reason {
    std::string_view protocol;  // "SIP", "Q.850"
    param_list params;
    std::optional<uint32_t> cause() const;
    std::string_view text() const;  // without quotes
};
result<reason> parse_reason(std::string_view element);

// Content-Type / media-type (RFC 3261 §20.15): type/subtype *(;params).
struct media_type {
    std::string_view type;
    std::string_view subtype;
    param_list params;
    bool is(std::string_view t, std::string_view s) const;  // case-insensitive
    std::string_view boundary() const;                      // without quotes
};
result<media_type> parse_media_type(std::string_view value);

// Privacy (RFC 3323 §4.2): priv-values separated by ';'.
std::vector<std::string_view> parse_privacy(std::string_view value);

}  // namespace sbc::sip
