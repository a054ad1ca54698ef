#include <cstdio>
#include <cstdlib>

#include "config/config.hpp"

namespace sbc::config {

namespace detail {
std::string_view default_toml_text();  // generated from config/default.toml
}

std::string_view embedded_default_toml() {
    return detail::default_toml_text();
}

appliance embedded_default() {
    load_result result =
        load_string(embedded_default_toml(), "<embedded default>", {.check_files = false});
    if (!result.config) {
        for (const error& e : result.errors) {
            std::fprintf(stderr, "%s\n", e.to_string().c_str());
        }
        std::fprintf(stderr, "the embedded default config is invalid\n");
        std::abort();
    }
    return std::move(*result.config);
}

}  // namespace sbc::config
