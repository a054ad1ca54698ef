// The trace's pcap as an operator opens it: tshark (Debian's, the real dissector) reads the file
// and finds each SIP message with its addresses, ports, time and a valid UDP checksum, for IPv4
// and IPv6; an address that does not parse writes nothing.
#include "mgmt/sip_pcap.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sbc::mgmt {
namespace {

std::string run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr) {
        out += buf.data();
    }
    ::pclose(p);
    return out;
}

const std::string invite =
    "INVITE sip:bob@pbx.local SIP/2.0\r\n"
    "Via: SIP/2.0/TLS 10.1.0.2:5061;branch=z9hG4bK-1\r\n"
    "From: <sip:alice@pbx.local>;tag=a\r\nTo: <sip:bob@pbx.local>\r\n"
    "Call-ID: pcap-test-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
const std::string ok =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/TCP 10.2.0.1:5060;branch=z9hG4bK-2\r\n"
    "From: <sip:alice@pbx.local>;tag=a\r\nTo: <sip:bob@pbx.local>;tag=b\r\n"
    "Call-ID: pcap-test-2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

TEST(SipPcap, TsharkReadsEveryMessageWithItsAddressesTimeAndChecksum) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("sbc-sip-pcap-" + std::to_string(::getpid()) + ".pcap");
    {
        std::ofstream out(path, std::ios::binary);
        sip_pcap_writer w(out);
        EXPECT_TRUE(w.write({1700000000123456789, "10.1.0.2:40001", "10.1.0.1:65061", invite}));
        EXPECT_TRUE(w.write({1700000000223456789, "10.2.0.2:5060", "10.2.0.1:5060", ok}));
        EXPECT_TRUE(
            w.write({1700000000323456789, "[2001:db8::2]:5062", "[2001:db8::1]:5060", invite}));
        EXPECT_FALSE(w.write({1, "not an address", "10.1.0.1:5060", invite}));
        EXPECT_FALSE(w.write({1, "10.1.0.2:1", "[2001:db8::1]:5060", invite}));
    }
    // 65061 is not SIP's port: an operator says "decode as" (Wireshark) or -d (tshark).
    const std::string fields =
        run("tshark -r " + path.string() +
            " -d udp.port==65061,sip -o udp.check_checksum:TRUE -T fields -E separator=,"
            " -e frame.time_epoch -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e udp.srcport"
            " -e udp.dstport -e udp.checksum.status -e sip.Method -e sip.Status-Code"
            " -e sip.Call-ID 2>&1");
    std::filesystem::remove(path);
    EXPECT_NE(fields.find("1700000000.123456789,10.1.0.2,10.1.0.1,,,40001,65061,1,INVITE,,"
                          "pcap-test-1"),
              std::string::npos)
        << fields;
    EXPECT_NE(fields.find("1700000000.223456789,10.2.0.2,10.2.0.1,,,5060,5060,1,,200,"
                          "pcap-test-2"),
              std::string::npos)
        << fields;
    EXPECT_NE(fields.find("1700000000.323456789,,,2001:db8::2,2001:db8::1,5062,5060,1,INVITE,,"
                          "pcap-test-1"),
              std::string::npos)
        << fields;
}

}  // namespace
}  // namespace sbc::mgmt
