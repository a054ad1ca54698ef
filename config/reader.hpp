#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "config/enums.hpp"

// Reading a toml++ document into plain values while collecting every error with its position.
// Internal to the loader.

namespace sbc::config::detail {

struct position {
    uint32_t line = 0;
    uint32_t column = 0;
};

position position_of(const toml::source_region& region);

// The errors of one load and the position of every key path read so far, so that rules checked
// after reading (names, ports, files) can still point into the file.
class context {
  public:
    explicit context(std::string file) : file_(std::move(file)) {}

    void fail(position where, std::string key, std::string rule);
    // An error at `key`, or at its nearest ancestor read from the file when `key` was defaulted.
    void fail_at(const std::string& key, std::string rule);

    void record(const std::string& key, position where) { positions_.emplace(key, where); }
    position where(std::string key) const;
    bool has_error_at(const std::string& key) const { return failed_.count(key) != 0; }

    const std::string& file() const { return file_; }
    std::vector<error> take_errors();

  private:
    std::string file_;
    std::vector<error> errors_;
    std::unordered_map<std::string, position> positions_;
    std::set<std::string> failed_;
};

// A value check: `ok` says whether the text is acceptable, `rule` what it must be.
struct string_rule {
    bool (*ok)(std::string_view);
    const char* rule;
};

enum class need : uint8_t { optional, required };

// Reads the keys of one table. Each read marks its key as known; when the reader goes out of
// scope every key nobody asked for is reported as unknown, so the schema is closed everywhere.
class table_reader {
  public:
    table_reader(context& ctx, const toml::table& table, std::string path);
    ~table_reader();
    table_reader(const table_reader&) = delete;
    table_reader& operator=(const table_reader&) = delete;

    context& ctx() { return ctx_; }
    const std::string& path() const { return path_; }
    std::string key_path(std::string_view key) const;

    // Each returns true when the key was present, well-typed and passed its rule; `out` keeps
    // its default otherwise.
    bool string(std::string_view key, std::string& out, need n = need::optional,
                const string_rule* rule = nullptr);
    bool optional_string(std::string_view key, std::optional<std::string>& out,
                         const string_rule* rule = nullptr);
    bool boolean(std::string_view key, bool& out, need n = need::optional);
    template <class T>
    bool integer(std::string_view key, T& out, int64_t min, int64_t max, need n = need::optional) {
        int64_t value = 0;
        if (!integer_value(key, value, min, max, n)) {
            return false;
        }
        out = static_cast<T>(value);
        return true;
    }
    template <named_enum E>
    bool enumeration(std::string_view key, E& out, need n = need::optional) {
        std::string text;
        if (!string(key, text, n)) {
            return false;
        }
        if (auto value = enum_from_string<E>(text)) {
            out = *value;
            return true;
        }
        fail_value(key, one_of(enum_names<E>::names));
        return false;
    }
    bool string_list(std::string_view key, std::vector<std::string>& out, need n = need::optional,
                     const string_rule* rule = nullptr);
    template <named_enum E>
    bool enum_list(std::string_view key, std::vector<E>& out, need n = need::optional) {
        std::vector<std::string> texts;
        std::vector<position> where;
        if (!string_list_with_positions(key, texts, where, n, nullptr)) {
            return false;
        }
        bool ok = true;
        out.clear();
        for (std::size_t i = 0; i < texts.size(); ++i) {
            if (auto value = enum_from_string<E>(texts[i])) {
                out.push_back(*value);
            } else {
                ctx_.fail(where[i], element_path(key, i), one_of(enum_names<E>::names));
                ok = false;
            }
        }
        return ok;
    }

    const toml::table* table(std::string_view key, need n = need::optional);
    // An array of tables: `[[key]]`, or `key = []` for none. Elements that are not tables are
    // reported here; callers skip them.
    const toml::array* table_array(std::string_view key, need n = need::optional);
    // The raw node (for values with more than one accepted type); marks the key as known.
    const toml::node* node(std::string_view key);

    // Errors about the value at `key` (its position) and about a missing key (the table's).
    void fail_value(std::string_view key, std::string rule);
    void fail_missing(std::string_view key, std::string rule = "required key is missing");
    position where(std::string_view key) const;

    std::string element_path(std::string_view key, std::size_t index) const;

  private:
    const toml::node* present(std::string_view key, need n);
    bool integer_value(std::string_view key, int64_t& out, int64_t min, int64_t max, need n);
    bool string_list_with_positions(std::string_view key, std::vector<std::string>& out,
                                    std::vector<position>& where, need n, const string_rule* rule);
    void wrong_type(std::string_view key, const toml::node& node, std::string_view expected);

    template <std::size_t N>
    static std::string one_of(const std::string_view (&names)[N]) {
        std::string rule = "must be one of: ";
        for (std::size_t i = 0; i < N; ++i) {
            rule += i ? ", " : "";
            rule += names[i];
        }
        return rule;
    }

    context& ctx_;
    const toml::table& table_;
    std::string path_;
    std::set<std::string, std::less<>> known_;
};

// `[[key]]` element `index` read as a table (path "key[index]").
std::string index_path(const std::string& path, std::size_t index);

std::string_view type_name(toml::node_type type);

}  // namespace sbc::config::detail
