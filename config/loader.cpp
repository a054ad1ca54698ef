#include <cerrno>
#include <cstring>
#include <fstream>

#include "config/config.hpp"
#include "config/read.hpp"
#include "config/validate.hpp"

namespace sbc::config {

// Config files are written by people; anything this large is a mistake (or /dev/zero).
constexpr std::size_t max_config_bytes = 4 << 20;

std::string error::to_string() const {
    std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    if (!key.empty()) {
        out += key + ": ";
    }
    return out + rule;
}

namespace detail {

void read_appliance(context& ctx, const toml::table& root, appliance& out) {
    table_reader reader(ctx, root, "");
    read_network(reader, out);
    read_media(reader, out);
    read_system(reader, out);
}

}  // namespace detail

load_result load_string(std::string_view toml_text, std::string_view source_name,
                        const load_options& options) {
    std::string file(source_name);
    toml::table document;
    try {
        document = toml::parse(toml_text, std::string_view(file));
    } catch (const toml::parse_error& e) {
        auto where = detail::position_of(e.source());
        return {std::nullopt, {{file, where.line, where.column, "", std::string(e.description())}}};
    }
    detail::context ctx(file);
    appliance config;
    detail::read_appliance(ctx, document, config);
    detail::validate(ctx, config);
    if (options.check_files) {
        detail::check_host(ctx, config);
    }
    detail::fill_defaults(config);
    load_result result{std::nullopt, ctx.take_errors()};
    if (result.errors.empty()) {
        result.config = std::move(config);
    }
    return result;
}

load_result load_file(const std::string& path, const load_options& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return {std::nullopt,
                {{path, 0, 0, "", std::string("cannot open: ") + std::strerror(errno)}}};
    }
    std::string text(max_config_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
        return {std::nullopt,
                {{path, 0, 0, "", std::string("cannot read: ") + std::strerror(errno)}}};
    }
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_config_bytes) {
        return {std::nullopt, {{path, 0, 0, "", "larger than 4 MiB"}}};
    }
    return load_string(text, path, options);
}

}  // namespace sbc::config
