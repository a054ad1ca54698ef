// sbcctl cloudlink status: the CloudLink link (state, tenant, last contact, last inventory
// report and its result, token, clock offset, proxy, last error) and the push counters.
// sbcctl cloudlink link [--username U] [--password-stdin]: links to the tenant with the admin's
// credentials, prompted (no echo) or read from stdin for scripts; never stored or logged here.
// sbcctl cloudlink unlink: forgets the link (and tells CloudLink).
// sbcctl cloudlink push AOR: a test push to a registered push client's device.

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "mgmt/sbcctl/command.hpp"
#include "mgmt/sbcctl/render.hpp"

namespace po = boost::program_options;

namespace sbc::mgmt {

namespace {

std::string render_cloudlink(const nlohmann::json& st) {
    std::ostringstream os;
    os << "state            " << text_of(st, "state") << " (" << text_of(st, "state_text") << ")\n";
    if (st.contains("tenant")) {
        os << "tenant           " << text_of(st["tenant"], "name") << " ("
           << text_of(st["tenant"], "id") << "), linked " << text_of(st, "linked_at") << "\n";
    }
    os << "server           " << text_of(st, "base_url") << "\n";
    const nlohmann::json& proxy = object_of(st, "proxy");
    if (text_of(proxy, "source") == "none") {
        os << "proxy            none (straight to CloudLink)";
    } else {
        os << "proxy            " << text_of(proxy, "proxy") << " (from "
           << text_of(proxy, "source") << ")";
    }
    if (proxy.contains("no_proxy") && proxy["no_proxy"].is_array() && !proxy["no_proxy"].empty()) {
        os << ", bypass:";
        for (const auto& e : proxy["no_proxy"]) {
            os << " " << scalar_text(e);
        }
    }
    os << "\n";
    if (proxy.contains("problems") && proxy["problems"].is_array()) {
        for (const auto& p : proxy["problems"]) {
            os << "proxy problem    " << scalar_text(p) << "\n";
        }
    }
    os << "installation     " << text_of(st, "installation_id") << "\n";
    os << "last contact     " << text_of(st, "last_contact", "never") << "\n";
    const nlohmann::json& inv = object_of(st, "last_inventory");
    os << "last inventory   " << text_of(inv, "at", "never") << ": " << text_of(inv, "result")
       << " (" << text_of(inv, "reports") << " reports, every " << text_of(inv, "interval_s")
       << " s)\n";
    if (st.contains("token_expires_in_s")) {
        os << "token            expires in " << text_of(st, "token_expires_in_s")
           << " s, refresh in " << text_of(st, "next_refresh_in_s") << " s\n";
    }
    os << "clock offset     " << text_of(st, "clock_offset_s", "not measured yet") << " s\n";
    if (st.contains("clock_error")) {
        os << "CLOCK ERROR      " << text_of(st, "clock_error") << "\n";
    }
    const nlohmann::json& attempt = object_of(st, "link_attempt");
    if (text_of(attempt, "result") != "none") {
        os << "link attempt     " << text_of(attempt, "result") << " "
           << text_of(attempt, "message", "") << "\n";
    }
    if (st.contains("last_unlink")) {
        os << "last unlink      " << text_of(st, "last_unlink") << "\n";
    }
    os << "last error       " << text_of(st, "last_error") << "\n";
    const nlohmann::json& push = object_of(st, "push");
    nlohmann::json table = {{"columns", {"push counter", "value"}},
                            {"rows", nlohmann::json::array()}};
    for (const auto& [k, v] : object_of(push, "counters").items()) {
        table["rows"].push_back({k, v});
    }
    os << "\n" << render_table(table);
    return os.str();
}

// Reads a line from the terminal without echo (the password), or plainly from stdin.
bool read_secret(const std::string& prompt, std::string& out, bool from_stdin) {
    if (from_stdin) {
        return static_cast<bool>(std::getline(std::cin, out));
    }
    std::ifstream tty("/dev/tty");
    std::ofstream tty_out("/dev/tty");
    if (!tty || !tty_out) {
        std::cerr << "sbcctl cloudlink link: no terminal to prompt on; use --password-stdin\n";
        return false;
    }
    tty_out << prompt << std::flush;
    termios old{};
    const int fd = ::open("/dev/tty", O_RDONLY | O_CLOEXEC);
    const bool have = fd >= 0 && ::tcgetattr(fd, &old) == 0;
    if (have) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(fd, TCSANOW, &quiet);
    }
    const bool ok = static_cast<bool>(std::getline(tty, out));
    if (have) {
        ::tcsetattr(fd, TCSANOW, &old);
    }
    if (fd >= 0) {
        ::close(fd);
    }
    tty_out << "\n";
    return ok;
}

int run_link(const global_options& g, const command_args& a) {
    std::string username = a.has("username") ? a.get<std::string>("username") : std::string();
    const bool password_stdin = a.get<bool>("password-stdin");
    const unsigned wait_s = a.get<unsigned>("wait");
    std::string password;
    if (username.empty()) {
        if (password_stdin) {
            std::getline(std::cin, username);
        } else {
            std::cerr << "CloudLink admin: " << std::flush;
            std::getline(std::cin, username);
        }
    }
    if (username.empty() || !read_secret("CloudLink password: ", password, password_stdin) ||
        password.empty()) {
        std::cerr << "sbcctl cloudlink link: username and password are required\n";
        return exit_usage;
    }
    nlohmann::json started;
    if (int rc = call_sbcd(g, "cloudlink_link", {{"username", username}, {"password", password}},
                           started);
        rc != exit_ok) {
        return rc;
    }
    password.assign(password.size(), '\0');
    const nlohmann::json attempt =
        started.is_object() && started.contains("attempt") ? started["attempt"] : nlohmann::json();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    nlohmann::json st;
    while (std::chrono::steady_clock::now() < deadline) {
        if (int rc = call_sbcd(g, "cloudlink_status", nlohmann::json::object(), st);
            rc != exit_ok) {
            return rc;
        }
        const nlohmann::json& now = object_of(st, "link_attempt");
        if (now.contains("id") && now["id"] == attempt && text_of(now, "result") != "pending") {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    // Only this attempt's answer counts; an older one's "ok" says nothing about this one.
    const nlohmann::json& last = object_of(st, "link_attempt");
    const bool ours = last.contains("id") && last["id"] == attempt;
    const std::string result = ours ? text_of(last, "result", "pending") : "pending";
    if (g.json) {
        print_json(st);
    } else if (result == "ok") {
        std::cout << text_of(last, "message", "linked") << "\n";
    }
    if (result == "ok") {
        return exit_ok;
    }
    std::cerr << "sbcctl cloudlink link: "
              << (result == "pending" ? "no answer from CloudLink within " +
                                            std::to_string(wait_s) + " s (still trying)"
                                      : result + ": " + text_of(last, "message", ""))
              << "\n";
    return exit_failed;
}

std::string render_unlink(const nlohmann::json& r) {
    std::string out = "state " + text_of(r, "state");
    if (r.contains("tenant")) {
        out += ": unlinked from '" + text_of(r, "tenant") + "'";
    }
    if (r.contains("note")) {
        out += " (" + text_of(r, "note") + ")";
    }
    return out + "\n";
}

int run_push(const global_options& g, const command_args& a) {
    const std::string& aor = a.operands.at(0);
    nlohmann::json r;
    if (int rc = call_sbcd(g, "cloudlink_push", {{"aor", aor}}, r); rc != exit_ok) {
        return rc;
    }
    if (g.json) {
        print_json(r);
    } else {
        std::cout << "push requested for " << text_of(r, "device")
                  << "; the result shows in `sbcctl cloudlink status`\n";
    }
    return exit_ok;
}

}  // namespace

std::vector<command_spec> cloudlink_commands() {
    return {
        ask_sbcd("cloudlink status", "CloudLink link, inventory, clock, proxy, push counters",
                 render_cloudlink),
        command_spec("cloudlink link",
                     "link to the CloudLink tenant (--username U, --password-stdin, --wait S)",
                     run_link)
            .explain("Links this appliance to the CloudLink tenant with the tenant admin's "
                     "credentials. The password is prompted without echo (or read from stdin "
                     "with --password-stdin, for scripts); sbcd passes it to CloudLink once and "
                     "keeps only the token it gets back, in a file only root can read. Waits for "
                     "CloudLink's answer and prints it.")
            .with_options([](po::options_description& o) {
                o.add_options()("username", po::value<std::string>()->value_name("U"),
                                "CloudLink admin (prompted when not given)")(
                    "password-stdin", po::bool_switch(),
                    "read the password (and the username, unless given) from stdin, one per "
                    "line")("wait", po::value<unsigned>()->default_value(60)->value_name("S"),
                            "seconds to wait for CloudLink's answer");
            }),
        ask_sbcd("cloudlink unlink", "forget the CloudLink link (and tell CloudLink)",
                 render_unlink),
        command_spec("cloudlink push", "a test push to a registered push client's device", run_push)
            .takes("AOR", 1, 1)
            .explain("Asks CloudLink to wake the device of AOR's binding that registered RFC "
                     "8599 push parameters (sip:bob@pbx.local), as a call to it would. The "
                     "result shows in `sbcctl cloudlink status`.")};
}

}  // namespace sbc::mgmt
