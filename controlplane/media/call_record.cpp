#include "controlplane/media/call_record.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include "mgmt/json_text.hpp"

namespace sbc::cp::media {

cdr_writer::~cdr_writer() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

cp::status cdr_writer::open(const std::string& path) {
    path_ = path;
    if (path.empty()) {
        return cp::status::ok();
    }
    file_ = std::fopen(path.c_str(), "ae");
    if (file_ == nullptr) {
        return cp::fail("calls.cdr_path: cannot open " + path + ": " + std::strerror(errno));
    }
    return cp::status::ok();
}

bool cdr_writer::write(const nlohmann::json& record) {
    if (file_ == nullptr) {
        if (!path_.empty()) {
            ++lost_;
        }
        return path_.empty();
    }
    // json_text: the record holds peer strings (From, Call-ID, SDP-derived fields).
    const std::string line = mgmt::json_text(record) + "\n";
    // One line per record, flushed at once: a reader tailing the file sees whole records.
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
        ++lost_;
        return false;
    }
    ++written_;
    return true;
}

nlohmann::json call_record(const call_summary& summary, uint64_t session,
                           std::chrono::system_clock::time_point started,
                           std::chrono::system_clock::time_point ended, bool emergency,
                           nlohmann::json legs) {
    nlohmann::json rec = {
        {"call_id", summary.call_id},
        {"session", session},
        {"from", summary.from},
        {"to", summary.to},
        {"direction", summary.direction},
        {"start", iso8601(started)},
        {"end", iso8601(ended)},
        {"final_status", summary.final_status},
        {"end_reason", summary.end_reason},
        {"emergency", emergency},
        {"legs", std::move(legs)},
    };
    if (summary.answered) {
        rec["answer"] = iso8601(*summary.answered);
        rec["duration_s"] = std::chrono::duration<double>(ended - *summary.answered).count();
    } else {
        rec["duration_s"] = 0;
    }
    return rec;
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

}  // namespace sbc::cp::media
