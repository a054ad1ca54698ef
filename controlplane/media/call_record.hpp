#pragma once
// Call detail records: one JSON object per finished call, one per line, appended to
// `calls.cdr_path`. Written when the call ends, with the legs' media counters read from the
// dataplane just before its flows are removed.

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/result.hpp"

namespace sbc::cp::media {

// What the signalling layer knows about a call when it ends.
struct call_summary {
    std::string call_id;    // the caller leg's Call-ID (the SBC's own on the other leg)
    std::string from;       // caller's AOR
    std::string to;         // callee's AOR
    std::string direction;  // "access->core", "core->access"
    std::optional<std::chrono::system_clock::time_point> answered;
    int final_status = 0;    // final response to the initial INVITE (0 = none yet)
    std::string end_reason;  // "bye from a", "cancel", "media timeout", "session timer", ...
};

class cdr_writer {
  public:
    cdr_writer() = default;
    ~cdr_writer();
    cdr_writer(const cdr_writer&) = delete;
    cdr_writer& operator=(const cdr_writer&) = delete;

    // Empty path: records are counted, not written. False (with `error`) when it cannot open.
    cp::status open(const std::string& path);
    // Appends one line; false when the write failed (the record is counted as lost).
    bool write(const nlohmann::json& record);

    uint64_t written() const { return written_; }
    uint64_t lost() const { return lost_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    std::FILE* file_ = nullptr;
    uint64_t written_ = 0;
    uint64_t lost_ = 0;
};

// The record of one call: the signalling's summary, the media session and when it started and
// ended, and its legs (media_manager's view of each, counters read just before the flows went).
nlohmann::json call_record(const call_summary& summary, uint64_t session,
                           std::chrono::system_clock::time_point started,
                           std::chrono::system_clock::time_point ended, bool emergency,
                           nlohmann::json legs);

// ISO 8601 UTC with milliseconds: 2024-05-01T12:00:00.123Z
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace sbc::cp::media
