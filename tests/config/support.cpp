#include "tests/config/support.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sbc::config::test {

const std::string minimal_toml = R"([realm.access]
signalling_address = "192.0.2.1"
sip_tls_port = 5061
media_address = "192.0.2.2"
media_port_min = 40000
media_port_max = 40999
dpdk_port = 0
certificate_profile = "tls"
media_profile = "SRTP"

[realm.core]
signalling_address = "198.51.100.1"
sip_tcp_port = 5060
media_address = "198.51.100.2"
media_port_min = 50000
media_port_max = 50999
dpdk_port = 1
media_profile = "RTP"

[sip_server]
comm_system_type = "simplex"

[[sip_server.node]]
name = "osv1"
address = "198.51.100.10"
transport = "tcp"

[[media_profile]]
name = "SRTP"
protocol = "srtp"
sdes_suites = ["AES_CM_128_HMAC_SHA1_80"]

[[media_profile]]
name = "RTP"
protocol = "rtp"

[[certificate_profile]]
name = "tls"
certificate = "/sbc-test-pki/sbc.crt"
private_key = "/sbc-test-pki/sbc.key"
ca = "/sbc-test-pki/ca.crt"
)";

load_result load(std::string_view text, bool check_files) {
    return load_string(text, "test.toml", {.check_files = check_files});
}

std::string replace(std::string text, std::string_view from, std::string_view to) {
    auto at = text.find(from);
    if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
        ADD_FAILURE() << "'" << from << "' is not in the text exactly once";
        return text;
    }
    return text.replace(at, from.size(), to);
}

place locate(std::string_view text, std::string_view needle, uint32_t offset) {
    auto at = text.find(needle);
    if (at == std::string_view::npos) {
        ADD_FAILURE() << "'" << needle << "' is not in the text";
        return {};
    }
    place p{1, 1};
    for (std::size_t i = 0; i < at; ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    p.column += offset;
    return p;
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string source_dir() {
    const char* dir = std::getenv("SBC_SOURCE_DIR");
    return dir ? dir : ".";
}

std::string describe(const load_result& result) {
    std::string out;
    for (const error& e : result.errors) {
        out += "  " + e.to_string() + "\n";
    }
    return out;
}

void expect_one_error(const load_result& result, std::string_view key, place at,
                      std::string_view rule_part) {
    EXPECT_FALSE(result.config.has_value());
    ASSERT_EQ(result.errors.size(), 1u) << describe(result);
    const error& e = result.errors.front();
    EXPECT_EQ(e.file, "test.toml");
    EXPECT_EQ(e.key, key) << e.to_string();
    EXPECT_EQ(e.line, at.line) << e.to_string();
    EXPECT_EQ(e.column, at.column) << e.to_string();
    EXPECT_NE(e.rule.find(rule_part), std::string::npos)
        << "rule '" << e.rule << "' lacks '" << rule_part << "'";
}

}  // namespace sbc::config::test
