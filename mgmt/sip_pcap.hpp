#pragma once
// SIP messages as a pcap file Wireshark and tshark open: each message one UDP datagram in an
// IPv4 or IPv6 packet (LINKTYPE_RAW) with the addresses and ports it had on the wire and its
// time to the nanosecond. Messages that travelled over TCP or TLS are written as UDP too: the
// trace holds them decrypted and whole, and a SIP-over-UDP pcap is what every SIP tool reads.
// (https://www.tcpdump.org/manpages/pcap-savefile.5.html, LINKTYPE_RAW = 101.)

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace sbc::mgmt {

struct pcap_message {
    std::int64_t time_ns = 0;  // since the Unix epoch
    std::string source;        // "192.0.2.1:5061", "[2001:db8::1]:5060"
    std::string destination;
    std::string_view bytes;
};

class sip_pcap_writer {
  public:
    explicit sip_pcap_writer(std::ostream& out);  // writes the file header
    // False when an address does not parse or the families differ (nothing written).
    bool write(const pcap_message& m);

  private:
    std::ostream& out_;
};

}  // namespace sbc::mgmt
