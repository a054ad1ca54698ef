// The whole daemon under a fuzzer (issue 10): bytes from up to four TLS clients of the access
// realm go through the framer, the DoS guard, the parser, the realm edge, the dispatcher, the
// registrar relay, the client relay and the B2BUA with its media manager, against a fake OSV
// node that answers everything and a fake dataplane that acks every command
// (sbcd_fuzz_daemon.hpp says what is faked and why). No sockets, a hand-driven clock.
//
// Input: records of [op u8][arg u8][length u16 le][payload]:
//   op 0-2  client arg&3 (from source (arg>>2)&3) sends the payload; "$V $F $T $I $S" become the
//           Via, From, To, Call-ID, CSeq of the last request sbcd sent that client, "$G" and
//           "$K" the To tag and Contact URI of the last response (so inputs can hold dialogs)
//   op 3    client arg&3 closes its connection
//   op 4    the clock moves (arg+1) x 50 ms
//   op 5    OSV calls the arg-th client it holds a registration for
//   op 6    OSV answers differently from now on (arg % 6: normal, no challenge, 503, silent,
//           403/486, early media)
//   op 7    the mgmt views are read (as sbcctl does)
// The oracle fails (abort, so libFuzzer keeps the input) when:
//   * a message reaching OSV is not well-formed SIP or breaks [sip_server]'s limits, checked here
//     independently of sbcd's own egress check (size, header count, line length, control
//     characters in header lines, SDP line length and bytes);
//   * an entry point caught an exception (the guard keeps sbcd up; the fuzzer reports the bug);
//   * a view or call record cannot be written as JSON;
//   * after every lifetime has run out (80 simulated seconds), anything is left: calls,
//     media sessions, bindings, relays, transactions, pending dataplane commands — state that
//     outlives its input grows without bound over a long run.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mgmt/protocol.hpp"
#include "tests/fuzz/sbcd_fuzz_daemon.hpp"

namespace {

using namespace sbc;

[[noreturn]] void finding(const std::string& what, std::string_view bytes = {}) {
    std::fprintf(stderr, "sbcd_fuzz: %s\n", what.c_str());
    if (!bytes.empty()) {
        std::fwrite(bytes.data(), 1, std::min<std::size_t>(bytes.size(), 4096), stderr);
        std::fputc('\n', stderr);
    }
    std::abort();
}

// RFC 3261 §7 and §25: what OSV may be sent, written without sbcd's code (core_limits.cpp) so
// that a fault there cannot hide itself.
void check_toward_osv(std::string_view bytes, const config::sip_server_section& l) {
    if (bytes.size() > l.max_message_bytes) {
        finding("message to OSV over max_message_bytes", bytes);
    }
    sip::parse_options o;
    o.how = sip::framing::stream;
    auto parsed = sip::parse(bytes, o);
    if (!parsed) {
        finding("message to OSV does not parse: " + std::string(parsed.error().reason()), bytes);
    }
    const std::size_t head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string_view::npos || parsed.value().data().size() != bytes.size()) {
        finding("message to OSV is not one CRLF-framed message", bytes);
    }
    std::string_view head = bytes.substr(0, head_end + 2);
    std::size_t lines = 0, header_bytes = 0;
    while (!head.empty()) {
        const std::size_t eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        for (char ch : line) {
            const auto u = static_cast<unsigned char>(ch);
            if ((u < 0x20 && u != '\t') || u == 0x7f) {
                finding("control character in a line sent to OSV", bytes);
            }
        }
        const bool fold = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        header_bytes = fold ? header_bytes + 2 + line.size() : line.size();
        lines += fold ? 0 : 1;
        if (lines > 1 && header_bytes > l.max_header_bytes) {
            finding("header line to OSV over max_header_bytes", bytes);
        }
    }
    if (lines - 1 > l.max_headers) {
        finding("more headers to OSV than max_headers", bytes);
    }
    if (auto sdp = parsed.value().sdp_body()) {
        std::string_view rest = *sdp;
        while (!rest.empty()) {
            const std::size_t lf = rest.find('\n');
            std::string_view line = rest.substr(0, lf);
            rest = lf == std::string_view::npos ? std::string_view{} : rest.substr(lf + 1);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            if (line.size() > l.max_sdp_line_bytes) {
                finding("SDP line to OSV over max_sdp_line_bytes", bytes);
            }
            if (line.find('\0') != std::string_view::npos ||
                line.find('\r') != std::string_view::npos) {
                finding("NUL or bare CR in an SDP line to OSV", bytes);
            }
        }
    }
}

// Every view as a mgmt answer: the writing must not throw; with `read_back`, the text must
// read back as JSON (the costlier half: done when the input asks for it, op 7).
void check_views(fuzz::daemon& d, bool read_back) {
    const nlohmann::json views[] = {
        d.sip().status(),
        d.sip().counters(),
        d.sip().registrar().registrations_table(nlohmann::json::object()),
        d.sip().dos().blacklist_table(nlohmann::json::object()),
        d.sip().dos().status(),
        d.calls().calls_json(64),
        d.media().counters_json(),
    };
    for (const auto& v : views) {
        std::string line;
        try {
            line = mgmt::encode(mgmt::response{true, v, ""});
        } catch (const std::exception& e) {
            finding(std::string("a view does not write as JSON: ") + e.what());
        }
        mgmt::response back;
        std::string error;
        if (read_back &&
            !mgmt::decode(std::string_view(line).substr(0, line.size() - 1), back, error)) {
            finding("a view does not read back: " + error);
        }
    }
}

void check_guard(fuzz::daemon& d) {
    if (d.sip().guard().caught() != 0) {
        finding("an entry point threw: " + d.sip().guard().status()["last"].get<std::string>());
    }
}

void check_drained(fuzz::daemon& d, fuzz::fake_dataplane& dp) {
    auto& s = d.sip();
    const struct {
        const char* what;
        std::size_t left;
    } tables[] = {
        {"calls", d.calls().active()},
        {"media sessions", d.media().active()},
        {"media programming", d.media().programming()},
        {"bindings", s.bindings().size()},
        {"registrar relays", s.registrar().relays_in_flight()},
        {"client relays", s.clients().in_flight()},
        {"access client transactions", s.access().transactions().client_count()},
        {"access server transactions", s.access().transactions().server_count()},
        {"core client transactions", s.core().transactions().client_count()},
        {"core server transactions", s.core().transactions().server_count()},
        {"dataplane commands", dp.client().pending()},
    };
    for (const auto& t : tables) {
        if (t.left != 0) {
            finding(std::to_string(t.left) + " " + t.what + " left after every lifetime ran out");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 32768) {
        return 0;  // twice the largest message sbcd relays toward OSV: larger says nothing new
    }
    static fuzz::fake_dataplane dp;
    fuzz::daemon d(dp);
    const auto& limits = d.cfg().sip_server;
    auto check_core = [&] {
        for (const auto& s : d.take_core()) {
            check_toward_osv(s.bytes, limits);
        }
    };
    std::size_t pos = 0;
    for (int records = 0; records < 64 && pos + 4 <= size; ++records) {
        const std::uint8_t op = data[pos] % 8;
        const std::uint8_t arg = data[pos + 1];
        const std::size_t len =
            std::min<std::size_t>(data[pos + 2] | (data[pos + 3] << 8), size - pos - 4);
        const std::string_view payload(reinterpret_cast<const char*>(data) + pos + 4, len);
        pos += 4 + len;
        switch (op) {
            case 0:
            case 1:
            case 2:
                d.client_bytes(arg & 3u, (arg >> 2) & 3u, payload);
                break;
            case 3:
                d.client_close(arg & 3u);
                break;
            case 4:
                d.advance(std::chrono::milliseconds(50 * (arg + 1)));
                break;
            case 5:
                d.osv_calls(arg);
                break;
            case 6:
                d.set_osv_mode(static_cast<fuzz::daemon::osv_mode>(arg % 6));
                break;
            default:
                check_views(d, true);
                break;
        }
        check_core();
        check_guard(d);
    }
    check_views(d, false);
    // The clients go away (their connections close: the transport's idle timeout would see
    // to it) and every lifetime runs out: registrations (60 s), calls (their flows closed,
    // media timeout 5 s, no answer 10 s), transactions and 2xx retransmissions (64 x T1 =
    // 6.4 s), pending bindings (32 s).
    d.clients_leave();
    check_core();
    check_guard(d);
    for (int step = 0; step < 16; ++step) {
        d.advance(std::chrono::seconds(5));
        check_core();
        check_guard(d);
    }
    // The keep-alive OPTIONS of the last step is answered; its transaction lingers for Timer K
    // (zero on TCP) until the clock moves once more.
    d.advance(std::chrono::milliseconds(10));
    check_drained(d, dp);
    return 0;
}
