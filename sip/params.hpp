#pragma once
// Generic parameters (";name=value" in URIs and headers, "name=value, ..." in digest headers),
// kept as the raw text and scanned on lookup: no allocation, and the text serializes untouched.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::sip {

struct param {
    std::string_view name;
    std::string_view value;  // as written: may be a quoted-string (see unquoted())
    bool has_value = false;

    std::string unquoted() const;  // value with quotes and escapes resolved
};

class param_list {
  public:
    param_list() = default;
    // `text` starts at the first separator (";a=b;c") or directly at a name ("a=b;c").
    explicit param_list(std::string_view text, char separator = ';')
        : text_(text), sep_(separator) {}
    // Internal to sip/: `padded` says the text lies in a parsed message's padded buffer, so lookups
    // may read 16 bytes at a time past its end (sip/scan.hpp).
    param_list(std::string_view text, char separator, bool padded)
        : text_(text), sep_(separator), padded_(padded) {}
    // Internal to sip/: also remembers the list's first parameter as the parser read it (views
    // into `text`), so that looking it up (branch, tag) reads nothing again.
    param_list(std::string_view text, char separator, bool padded, const param& first);

    class iterator {
      public:
        iterator() = default;
        iterator(std::string_view rest, char sep, bool padded = false);
        const param& operator*() const { return current_; }
        const param* operator->() const { return &current_; }
        iterator& operator++();
        bool operator==(const iterator& o) const {
            return done_ == o.done_ && (done_ || rest_.data() == o.rest_.data());
        }

      private:
        void load();
        std::string_view rest_;
        param current_{};
        char sep_ = ';';
        bool done_ = true;
        bool padded_ = false;
        std::string_view next_;
    };

    iterator begin() const { return iterator(text_, sep_, padded_); }
    iterator end() const { return iterator(); }

    std::string_view text() const { return text_; }
    bool empty() const { return begin() == end(); }
    // Parameter names compare case-insensitively (RFC 3261 §7.3.1).
    std::optional<param> find(std::string_view name) const;
    bool has(std::string_view name) const { return find(name).has_value(); }
    // The value as written (quotes kept), or nullopt when absent; "" for a flag parameter.
    std::optional<std::string_view> value(std::string_view name) const;
    // The value with quotes stripped (escapes not resolved), or nullopt.
    std::optional<std::string_view> bare_value(std::string_view name) const;

    // Every parameter is `token [= (token / host / quoted-string)]` (used to validate a list).
    bool well_formed() const;

  private:
    std::string_view text_;
    char sep_ = ';';
    bool padded_ = false;
    // The first parameter as offsets into text_ (first_name_size_ == 0: not known).
    uint8_t first_name_at_ = 0;
    uint8_t first_name_size_ = 0;
    uint16_t first_value_at_ = 0;  // 0: no value
    uint16_t first_value_size_ = 0;
};

inline param_list::param_list(std::string_view text, char separator, bool padded,
                              const param& first)
    : text_(text), sep_(separator), padded_(padded) {
    if (first.name.empty()) {
        return;
    }
    const std::size_t name_at = std::size_t(first.name.data() - text.data());
    const std::size_t value_at =
        first.has_value ? std::size_t(first.value.data() - text.data()) : 0;
    if (first.name.size() <= UINT8_MAX && name_at <= UINT8_MAX && value_at <= UINT16_MAX &&
        first.value.size() <= UINT16_MAX) {
        first_name_at_ = uint8_t(name_at);
        first_name_size_ = uint8_t(first.name.size());
        first_value_at_ = uint16_t(value_at);
        first_value_size_ = uint16_t(first.value.size());
    }
}

}  // namespace sbc::sip
