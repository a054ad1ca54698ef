// sbcctl trace sip [--aor A] [--call-id C] [--limit N] [--with-keys] [--pcap FILE]: the SIP sbcd
// received and sent on both realms, decrypted, from its trace ring (controlplane/sip_trace.hpp),
// oldest first; as text (peer bytes escaped for the terminal) or as a pcap (mgmt/sip_pcap.hpp).

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"
#include "mgmt/sip_pcap.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

std::string unhex(const std::string& hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        const int hi = nibble(hex[i]);
        const int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            break;
        }
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return out;
}

std::string utc_time(std::int64_t ns) {
    const std::time_t s = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[64];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%06lldZ", static_cast<long long>(ns % 1000000000 / 1000));
    return std::string(buf) + frac;
}

std::string text_of(const nlohmann::json& m, const char* key) {
    return m.contains(key) && m[key].is_string() ? m[key].get<std::string>() : std::string();
}

int write_pcap(const nlohmann::json& messages, const std::string& path) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) {
        std::cerr << "sbcctl: cannot write " << path << "\n";
        return exit_failed;
    }
    sip_pcap_writer pcap(out);
    std::size_t written = 0;
    for (const auto& m : messages) {
        const bool in = text_of(m, "direction") == "in";
        const std::string bytes = unhex(text_of(m, "bytes_hex"));
        const std::string local = text_of(m, "local");
        const std::string remote = text_of(m, "remote");
        pcap_message p{m.value("time_ns", std::int64_t{0}), in ? remote : local,
                       in ? local : remote, bytes};
        written += pcap.write(p) ? 1 : 0;
    }
    out.close();
    if (!out) {
        std::cerr << "sbcctl: writing " << path << " failed\n";
        return exit_failed;
    }
    std::cout << written << " SIP messages written to " << path << "\n";
    return exit_ok;
}

int run_trace_sip(const global_options& g, const command_args& a) {
    nlohmann::json q = {{"limit", a.get<unsigned>("limit")},
                        {"with_keys", a.get<bool>("with-keys")}};
    if (a.has("aor")) {
        q["aor"] = a.get<std::string>("aor");
    }
    if (a.has("call-id")) {
        q["call_id"] = a.get<std::string>("call-id");
    }
    nlohmann::json result;
    if (int rc = call_sbcd(g, "trace_sip", q, result); rc != exit_ok) {
        return rc;
    }
    const nlohmann::json messages = result.value("messages", nlohmann::json::array());
    if (a.has("pcap")) {
        return write_pcap(messages, a.get<std::string>("pcap"));
    }
    if (g.json) {
        print_json(result);
        return exit_ok;
    }
    for (const auto& m : messages) {
        const bool in = text_of(m, "direction") == "in";
        std::cout << utc_time(m.value("time_ns", std::int64_t{0})) << " "
                  << terminal_text(text_of(m, "realm")) << " "
                  << terminal_text(text_of(m, "transport")) << " "
                  << terminal_text(text_of(m, "local")) << (in ? " <- " : " -> ")
                  << terminal_text(text_of(m, "remote")) << "\n"
                  << terminal_text(unhex(text_of(m, "bytes_hex"))) << "\n\n";
    }
    std::cout << result.value("shown", 0) << " of " << result.value("matched", 0)
              << " matching messages shown (" << result.value("held", 0) << " held)"
              << (result.value("masked", true) ? "; digest responses and SDES keys masked" : "")
              << "\n";
    return exit_ok;
}

}  // namespace

std::vector<command_spec> trace_commands() {
    return {command_spec("trace sip",
                         "the SIP sbcd received and sent, decrypted (--aor, --call-id, --pcap "
                         "FILE)",
                         run_trace_sip)
                .explain("The newest messages of sbcd's SIP trace ring (both realms, after TLS), "
                         "oldest first, with their time, realm, transport and addresses. --aor "
                         "keeps messages whose From or To names the AOR, --call-id those with "
                         "that Call-ID. --pcap writes them as SIP over UDP with the real "
                         "addresses and times, for Wireshark or tshark. Digest responses and "
                         "SDES keys are masked unless --with-keys is given, which sbcd logs as an "
                         "audit event.")
                .with_options([](po::options_description& o) {
                    o.add_options()("aor", po::value<std::string>()->value_name("AOR"),
                                    "only messages whose From or To names AOR")(
                        "call-id", po::value<std::string>()->value_name("CALL-ID"),
                        "only messages with this Call-ID")(
                        "limit", po::value<unsigned>()->default_value(200)->value_name("N"),
                        "at most the newest N messages")(
                        "with-keys", po::bool_switch(),
                        "show digest responses and SDES keys (an audit event in sbcd's log)")(
                        "pcap", po::value<std::string>()->value_name("FILE"),
                        "write a pcap instead of printing");
                })};
}

}  // namespace sbc::mgmt
