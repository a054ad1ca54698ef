// Feeds random chunkings of the input to the stream framer. Properties: no crash or sanitizer
// report; every framed message respects the limits and ends its head with an empty line; and
// the messages (and whether the stream failed) do not depend on how the bytes were split.
// Oracle (issue 10): a framed message the parser accepts holds no control character in its
// start line or header values and is well_formed() within the framer's limits; the head a
// framing error hands over (for the answer) is whole lines of the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/text.hpp"
#include "sip/transport/stream_framer.hpp"
#include "sip/well_formed.hpp"

namespace {

using sbc::sip::frame_kind;
using sbc::sip::stream_frame;
using sbc::sip::stream_framer;
using sbc::sip::stream_limits;

struct outcome {
    std::vector<std::string> messages;
    bool failed = false;
};

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

void check_parsed(std::string_view bytes, const stream_limits& limits) {
    sbc::sip::parse_options o;
    o.how = sbc::sip::framing::stream;
    o.limits.max_message_bytes = limits.max_message_size;
    o.limits.max_headers = limits.max_headers;
    o.limits.max_line_length = limits.max_line_length;
    auto m = sbc::sip::parse(bytes, o);
    if (!m.ok()) {
        return;
    }
    check(sbc::sip::find_control_char(m->start_line()) == m->start_line().size());
    for (const sbc::sip::header_field& h : m->headers()) {
        check(sbc::sip::find_control_char(h.value) == h.value.size());
    }
    check(sbc::sip::well_formed(*m, o.limits).ok());
}

void drain(stream_framer& f, const stream_limits& limits, outcome& out) {
    for (;;) {
        stream_frame fr = f.next();
        if (fr.kind == frame_kind::need_more) {
            return;
        }
        if (fr.kind == frame_kind::error) {
            // Whole lines (for an answer's Via, From...), within the limits.
            check(fr.head.empty() || fr.head.back() == '\n');
            check(fr.head.size() <= limits.max_message_size);
            out.failed = true;
            return;
        }
        if (fr.kind == frame_kind::message) {
            check(fr.bytes.size() <= limits.max_message_size);
            check(fr.head.size() <= fr.bytes.size());
            check(fr.head.size() >= 1 && fr.head.back() == '\n');
            check_parsed(fr.bytes, limits);
            out.messages.emplace_back(fr.bytes);
        }
    }
}

outcome run(std::string_view data, std::uint32_t seed, const stream_limits& limits) {
    stream_framer f(limits);
    outcome out;
    std::size_t pos = 0;
    while (pos < data.size() && !out.failed) {
        std::size_t chunk = data.size();
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            chunk = 1 + (seed >> 16) % 97;
        }
        chunk = std::min(chunk, data.size() - pos);
        if ((seed >> 8) & 1) {
            auto space = f.prepare(chunk);
            std::copy(data.begin() + static_cast<std::ptrdiff_t>(pos),
                      data.begin() + static_cast<std::ptrdiff_t>(pos + chunk), space.begin());
            f.commit(chunk);
        } else {
            f.append(data.substr(pos, chunk));
        }
        pos += chunk;
        drain(f, limits, out);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    // max_pending >= max_message keeps framing independent of chunking (see stream_framer.hpp).
    stream_limits limits;
    limits.max_message_size = 2048;
    limits.max_headers = 16;
    limits.max_line_length = 256;
    limits.max_pending_bytes = 4096;
    const std::uint32_t seed = 1u + data[0] + 256u * data[1];
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
    const outcome whole = run(bytes, 0, limits);
    const outcome split = run(bytes, seed, limits);
    check(whole.messages == split.messages);
    check(whole.failed == split.failed);
    return 0;
}
