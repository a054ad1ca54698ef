#include "mgmt/protocol.hpp"

#include <gtest/gtest.h>

namespace sbc::mgmt {
namespace {

TEST(MgmtProtocol, RequestRoundTrips) {
    request r{"status", {{"verbose", true}}};
    const std::string line = encode(r);
    ASSERT_EQ(line.back(), '\n');
    request back;
    std::string error;
    ASSERT_TRUE(decode(std::string_view(line).substr(0, line.size() - 1), back, error)) << error;
    EXPECT_EQ(back.command, "status");
    EXPECT_EQ(back.args["verbose"], true);
}

TEST(MgmtProtocol, ResponsesCarryResultOrError) {
    response ok{true, {{"calls", 3}}, ""};
    response back;
    std::string error;
    ASSERT_TRUE(decode(encode(ok), back, error));
    EXPECT_TRUE(back.ok);
    EXPECT_EQ(back.result["calls"], 3);

    response bad{false, {}, "dataplane not attached"};
    ASSERT_TRUE(decode(encode(bad), back, error));
    EXPECT_FALSE(back.ok);
    EXPECT_EQ(back.error, "dataplane not attached");
}

TEST(MgmtProtocol, MalformedRequestsAreRefusedWithAReason) {
    request r;
    std::string error;
    EXPECT_FALSE(decode("not json", r, error));
    EXPECT_EQ(error, "request is not a JSON object");
    EXPECT_FALSE(decode("[1,2]", r, error));
    EXPECT_FALSE(decode(R"({"v":2,"command":"status"})", r, error));
    EXPECT_NE(error.find("protocol version"), std::string::npos);
    EXPECT_FALSE(decode(R"({"v":1})", r, error));
    EXPECT_NE(error.find("command"), std::string::npos);
    EXPECT_FALSE(decode(R"({"v":1,"command":"status","args":[]})", r, error));
    EXPECT_NE(error.find("args"), std::string::npos);
    EXPECT_TRUE(decode(R"({"v":1,"command":"status"})", r, error));
    EXPECT_TRUE(r.args.is_object());
}

TEST(MgmtProtocol, MalformedResponsesAreRefused) {
    response r;
    std::string error;
    EXPECT_FALSE(decode("{", r, error));
    EXPECT_FALSE(decode(R"({"ok":"yes"})", r, error));
    ASSERT_TRUE(decode(R"({"ok":false})", r, error));
    EXPECT_EQ(r.error, "unspecified error");
}

TEST(MgmtProtocol, InvalidUtf8InAnErrorDoesNotThrow) {
    response r{false, {}, std::string("bad \xff byte")};
    std::string line;
    EXPECT_NO_THROW(line = encode(r));
    response back;
    std::string error;
    EXPECT_TRUE(decode(line, back, error));
}

}  // namespace
}  // namespace sbc::mgmt
