#pragma once
// SIP messages for transport tests.

#include <string>

namespace sbc::sip::test {

inline std::string options_request(int n = 1, const std::string& transport = "TCP",
                                   const std::string& body = {}) {
    return "OPTIONS sip:sbc.test SIP/2.0\r\n"
           "Via: SIP/2.0/" +
           transport + " 127.0.0.1:5099;branch=z9hG4bK-" + std::to_string(n) +
           "\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:alice@test>;tag=a" +
           std::to_string(n) +
           "\r\n"
           "To: <sip:sbc.test>\r\n"
           "Call-ID: call-" +
           std::to_string(n) +
           "\r\n"
           "CSeq: " +
           std::to_string(n) +
           " OPTIONS\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string ok_response(int n = 1) {
    return "SIP/2.0 200 OK\r\n"
           "Via: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-" +
           std::to_string(n) +
           "\r\n"
           "From: <sip:alice@test>;tag=a" +
           std::to_string(n) +
           "\r\n"
           "To: <sip:sbc.test>;tag=b\r\n"
           "Call-ID: call-" +
           std::to_string(n) +
           "\r\n"
           "CSeq: " +
           std::to_string(n) +
           " OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n";
}

}  // namespace sbc::sip::test
