#include <algorithm>
#include <cctype>
#include <string>

#include "config/read.hpp"
#include "config/rules.hpp"

// [[media_profile]], [[user_agent]], [media], [[certificate_profile]].

namespace sbc::config::detail {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

void read_media_profile(table_reader& r, media_profile& out) {
    r.string("name", out.name, need::required, &rules::name);
    bool protocol = r.enumeration("protocol", out.protocol, need::required);
    bool suites = r.enum_list("sdes_suites", out.sdes_suites);
    bool has_suites = r.node("sdes_suites") != nullptr;
    for (std::size_t i = 1; suites && i < out.sdes_suites.size(); ++i) {
        if (std::find(out.sdes_suites.begin(), out.sdes_suites.begin() + static_cast<long>(i),
                      out.sdes_suites[i]) != out.sdes_suites.begin() + static_cast<long>(i)) {
            r.ctx().fail_at(r.element_path("sdes_suites", i), "listed twice");
        }
    }
    if (protocol && out.protocol != media_protocol::rtp) {
        std::string rule =
            "must list at least one suite when protocol is " + std::string(to_string(out.protocol));
        if (!has_suites) {
            r.fail_missing("sdes_suites", rule);
        } else if (suites && out.sdes_suites.empty()) {
            r.fail_value("sdes_suites", rule);
        }
    } else if (protocol && suites && !out.sdes_suites.empty()) {
        r.fail_value("sdes_suites", "must be empty when protocol is rtp");
    }
    r.boolean("keep_sendonly_on_nat", out.keep_sendonly_on_nat);
    r.enumeration("rtcp_mode", out.rtcp_mode);
    r.integer("rtcp_generation_timeout_s", out.rtcp_generation_timeout_s, 1, 3600);
    bool allow = r.boolean("allow_unconfigured_codecs", out.allow_unconfigured_codecs) ||
                 !r.node("allow_unconfigured_codecs");
    bool codecs =
        r.string_list("codecs", out.codecs, need::optional, &rules::codec) || !r.node("codecs");
    for (std::size_t i = 1; codecs && i < out.codecs.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (iequal(out.codecs[i], out.codecs[j])) {
                r.ctx().fail_at(r.element_path("codecs", i), "listed twice");
                break;
            }
        }
    }
    if (allow && codecs && !out.allow_unconfigured_codecs && out.codecs.empty()) {
        r.fail_missing("codecs",
                       "must list at least one codec when allow_unconfigured_codecs "
                       "is false");
    }
}

void read_user_agent(table_reader& r, user_agent& out) {
    r.string("name", out.name, need::required, &rules::name);
    bool match = r.enumeration("match", out.match, need::required);
    if (match && out.match == ua_match::regex) {
        rules::regex(r, "pattern", out.pattern, need::required);
    } else {
        r.string("pattern", out.pattern, need::required, &rules::non_empty);
    }
    r.string("media_profile", out.media_profile, need::required, &rules::name);
}

void read_certificate_profile(table_reader& r, certificate_profile& out) {
    r.string("name", out.name, need::required, &rules::name);
    r.enumeration("service", out.service);
    r.string("certificate", out.certificate, need::required, &rules::absolute_path);
    r.string("private_key", out.private_key, need::required, &rules::absolute_path);
    r.optional_string("ca", out.ca, &rules::absolute_path);
    bool verify = r.boolean("verify_client", out.verify_client);
    if (verify && out.verify_client && !r.node("ca")) {
        r.fail_missing("ca", "required when verify_client = true");
    }
}

}  // namespace

void read_media(table_reader& root, appliance& out) {
    each_table(root, "media_profile", need::required, out.media_profiles, read_media_profile);
    each_table(root, "user_agent", need::optional, out.user_agents, read_user_agent);
    with_table(root, "media", need::optional, [&](table_reader& r) {
        r.boolean("single_port_audio", out.media.single_port_audio);
        r.boolean("resend_srtp_context_on_key_change", out.media.resend_srtp_context_on_key_change);
        r.integer("media_timeout_s", out.media.media_timeout_s, 1, 86400);
    });
    each_table(root, "certificate_profile", need::optional, out.certificate_profiles,
               read_certificate_profile);
}

}  // namespace sbc::config::detail
