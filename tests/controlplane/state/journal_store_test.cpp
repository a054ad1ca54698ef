// The embedded state store (issue 15) on a real file in a private temporary directory: records
// survive a reopen, a torn or corrupt tail is cut off with a log line and never crashes, a
// journal of a newer format is refused untouched, the directory and the file are private (SDES
// keys), dead records are compacted away.

#include "controlplane/state/journal_store.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace sbc::cp::state;
namespace fs = std::filesystem;

namespace {

using contents = std::map<std::pair<record_kind, std::string>, std::string>;

class journal_test : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sbc-journal-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        dir_ = root_ + "/state";
        file_ = dir_ + "/state.journal";
        log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
        previous_ = spdlog::default_logger();
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("journal_test", log_));
    }
    void TearDown() override {
        spdlog::set_default_logger(previous_);
        fs::remove_all(root_);
    }

    std::unique_ptr<journal_store> open() {
        auto s = journal_store::open(dir_);
        EXPECT_TRUE(s) << s.error().message();
        return s ? std::move(*s) : nullptr;
    }
    static contents read(const journal_store& s) {
        contents c;
        s.for_each([&](record_kind k, std::string_view id, std::string_view v) {
            EXPECT_TRUE(c.emplace(std::make_pair(k, std::string(id)), std::string(v)).second)
                << "visited twice: " << id;
        });
        return c;
    }
    std::string bytes() const {
        std::ifstream f(file_, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    void write_bytes(const std::string& b) const {
        std::ofstream f(file_, std::ios::binary | std::ios::trunc);
        f << b;
    }
    std::string logged() const {
        std::string all;
        for (const auto& l : log_->last_formatted()) {
            all += l;
        }
        return all;
    }

    std::string root_, dir_, file_;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
    std::shared_ptr<spdlog::logger> previous_;
};

// A call's value with the bytes a careless encoder would trip on.
const std::string hostile_value = std::string("key\0\xff\xfe\r\n\x80 inline:", 17) + "AAAA";

}  // namespace

TEST_F(journal_test, records_survive_a_reopen_replaced_and_erased_ones_as_they_were_left) {
    {
        auto s = open();
        ASSERT_TRUE(s);
        ASSERT_TRUE(s->put(record_kind::binding, "alice@zoom;flow=1", "expires=3600"));
        ASSERT_TRUE(s->put(record_kind::binding, "bob@zoom;flow=2", "expires=60"));
        ASSERT_TRUE(s->put(record_kind::call, "c1@client", hostile_value));
        ASSERT_TRUE(s->put(record_kind::call, "c2@client", "v1"));
        ASSERT_TRUE(s->put(record_kind::call, "c2@client", "v2"));
        ASSERT_TRUE(s->erase(record_kind::binding, "bob@zoom;flow=2"));
        ASSERT_TRUE(s->erase(record_kind::binding, "nobody"));  // absent: nothing to do
        ASSERT_TRUE(s->put(record_kind::emergency, "c1@client", ""));
        // The same id under another kind is another record.
        ASSERT_TRUE(s->put(record_kind::binding, "c1@client", "b"));
        EXPECT_EQ(s->size(), 5u);
    }
    auto s = open();
    ASSERT_TRUE(s);
    const contents want = {{{record_kind::binding, "alice@zoom;flow=1"}, "expires=3600"},
                           {{record_kind::binding, "c1@client"}, "b"},
                           {{record_kind::call, "c1@client"}, hostile_value},
                           {{record_kind::call, "c2@client"}, "v2"},
                           {{record_kind::emergency, "c1@client"}, ""}};
    EXPECT_EQ(read(*s), want);
    EXPECT_EQ(s->stats().records_read, 8u);  // erasing an absent id wrote nothing
    EXPECT_EQ(s->stats().bytes_skipped, 0u);
    EXPECT_EQ(logged().find("skipped"), std::string::npos) << logged();
}

TEST_F(journal_test, a_write_torn_at_the_tail_is_cut_off_with_a_log_line_and_appends_go_on) {
    {
        auto s = open();
        ASSERT_TRUE(s->put(record_kind::call, "kept", "value one"));
        ASSERT_TRUE(s->put(record_kind::call, "torn", std::string(200, 'x')));
    }
    const std::string whole = bytes();
    // Every length the last record can have been cut to, down to its first byte.
    for (size_t cut = 1; cut < 200 + 8 + 4 + 4; cut += 7) {
        write_bytes(whole.substr(0, whole.size() - cut));
        auto s = open();
        ASSERT_TRUE(s) << "cut " << cut;
        EXPECT_EQ(read(*s), (contents{{{record_kind::call, "kept"}, "value one"}})) << cut;
        EXPECT_EQ(s->stats().bytes_skipped, whole.size() - cut - s->stats().file_bytes);
        EXPECT_GT(s->stats().bytes_skipped, 0u);
    }
    EXPECT_NE(logged().find("cut short"), std::string::npos) << logged();
    EXPECT_NE(logged().find("bytes skipped"), std::string::npos) << logged();
    {
        auto s = open();
        ASSERT_TRUE(s->put(record_kind::call, "after", "the crash"));
    }
    auto s = open();
    EXPECT_EQ(read(*s), (contents{{{record_kind::call, "kept"}, "value one"},
                                  {{record_kind::call, "after"}, "the crash"}}));
    EXPECT_EQ(s->stats().bytes_skipped, 0u) << "the torn bytes were cut, not kept";
}

TEST_F(journal_test, a_corrupt_record_ends_the_journal_there_never_a_crash) {
    {
        auto s = open();
        ASSERT_TRUE(s->put(record_kind::binding, "first", "one"));
        ASSERT_TRUE(s->put(record_kind::binding, "second", "two"));
    }
    const std::string whole = bytes();
    std::string flipped = whole;
    flipped.back() ^= 0x01;  // the last value byte: the CRC no longer matches
    write_bytes(flipped);
    {
        auto s = open();
        ASSERT_TRUE(s);
        EXPECT_EQ(read(*s), (contents{{{record_kind::binding, "first"}, "one"}}));
        EXPECT_NE(logged().find("CRC mismatch"), std::string::npos) << logged();
    }
    // Garbage after the records: an impossible length, a length past the end, zeros.
    for (const std::string& tail :
         {std::string("\xff\xff\xff\xff\0\0\0\0", 8), std::string("\x10\0\0\0\0\0\0\0abc", 11),
          std::string(64, '\0'), std::string(3, '\x7f')}) {
        write_bytes(whole + tail);
        auto s = open();
        ASSERT_TRUE(s);
        EXPECT_EQ(read(*s).size(), 2u);
        EXPECT_EQ(s->stats().bytes_skipped, tail.size());
    }
    // A record whose CRC is right but whose fields are not ours (kind 9).
    {
        write_bytes(whole);
        auto s = open();
        ASSERT_TRUE(s->put(record_kind::call, "x", "y"));
    }
    std::string alien = bytes();
    const size_t at = whole.size() + 8 + 1;  // the kind byte of the last record
    alien[at] = 9;
    write_bytes(alien);
    auto s = open();
    ASSERT_TRUE(s);
    EXPECT_EQ(read(*s).size(), 2u);
}

TEST_F(journal_test, a_journal_of_a_newer_format_is_refused_and_left_untouched) {
    {
        auto s = open();
        ASSERT_TRUE(s->put(record_kind::call, "c", "v"));
    }
    std::string b = bytes();
    b[8] = static_cast<char>(journal_format_version + 1);
    write_bytes(b);
    auto s = journal_store::open(dir_);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("format version 2, newer than this sbcd's version 1"),
              std::string::npos)
        << s.error().message();
    EXPECT_NE(s.error().message().find(file_), std::string::npos);
    EXPECT_EQ(bytes(), b);

    write_bytes("GIF89a this is not a journal at all");
    auto other = journal_store::open(dir_);
    ASSERT_FALSE(other);
    EXPECT_NE(other.error().message().find("not an sbc state journal"), std::string::npos);
    EXPECT_EQ(bytes(), "GIF89a this is not a journal at all");
}

TEST_F(journal_test, directory_and_file_are_private_because_they_hold_sdes_keys) {
    {
        auto s = open();
        ASSERT_TRUE(s);
    }
    struct stat st {};
    ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    ASSERT_EQ(::chmod(file_.c_str(), 0644), 0);
    {
        auto s = open();
        ASSERT_TRUE(s);
    }
    ASSERT_EQ(::stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "a readable file is closed again";
    EXPECT_NE(logged().find("made 0600"), std::string::npos) << logged();

    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    auto s = journal_store::open(dir_);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message().find("mode 0755 lets others in"), std::string::npos)
        << s.error().message();
    EXPECT_NE(s.error().message().find("chmod 700 " + dir_), std::string::npos);

    write_bytes("");
    auto not_dir = journal_store::open(file_);
    ASSERT_FALSE(not_dir);
    EXPECT_NE(not_dir.error().message().find("not a directory"), std::string::npos);
}

TEST_F(journal_test, dead_records_are_compacted_away_and_the_live_ones_kept) {
    auto s = open();
    const std::string big(4000, 'k');
    // 1,000 calls set up and ended, one call refreshed 500 times: far more dead than live.
    for (int i = 0; i < 1000; ++i) {
        const std::string id = "call-" + std::to_string(i);
        ASSERT_TRUE(s->put(record_kind::call, id, big));
        if (i % 100 != 0) {
            ASSERT_TRUE(s->erase(record_kind::call, id));
        }
    }
    for (int i = 0; i < 500; ++i) {
        ASSERT_TRUE(s->put(record_kind::call, "long", big + std::to_string(i)));
    }
    EXPECT_GE(s->stats().compactions, 1u);
    EXPECT_LT(s->stats().file_bytes, 2 * s->stats().live_bytes + (2u << 20));
    EXPECT_EQ(s->size(), 11u);
    EXPECT_FALSE(fs::exists(file_ + ".tmp"));
    s.reset();
    auto again = open();
    const contents c = read(*again);
    ASSERT_EQ(c.size(), 11u);
    EXPECT_EQ(c.at({record_kind::call, "long"}), big + "499");
    EXPECT_EQ(c.at({record_kind::call, "call-900"}), big);
    EXPECT_EQ(again->stats().bytes_skipped, 0u);
}

TEST_F(journal_test, an_oversized_record_is_refused_and_nothing_is_written) {
    auto s = open();
    const auto before = s->stats().file_bytes;
    auto st = s->put(record_kind::call, "huge", std::string(journal_store::max_record, 'x'));
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("over the limit"), std::string::npos) << st.message();
    EXPECT_EQ(s->stats().file_bytes, before);
    EXPECT_FALSE(s->put(record_kind::call, std::string(70000, 'i'), "v"));
    EXPECT_EQ(s->size(), 0u);
}
