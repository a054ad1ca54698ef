// sbcctl cloudlink status: the CloudLink link (state, tenant, last contact, last inventory
// report and its result, token, clock offset, proxy, last error) and the push counters.
// sbcctl cloudlink link [--username U] [--password-stdin]: links to the tenant with the admin's
// credentials, prompted (no echo) or read from stdin for scripts; never stored or logged here.
// sbcctl cloudlink unlink: forgets the link (and tells CloudLink).
// sbcctl cloudlink push --aor AOR: a test push to a registered push client's device.

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

std::string text_of(const nlohmann::json& j, const char* key, const char* none = "-") {
    if (!j.contains(key) || j[key].is_null()) {
        return none;
    }
    return j[key].is_string() ? j[key].get<std::string>() : scalar_text(j[key]);
}

std::string render_cloudlink(const nlohmann::json& st) {
    std::ostringstream os;
    os << "state            " << text_of(st, "state") << " (" << text_of(st, "state_text")
       << ")\n";
    if (st.contains("tenant")) {
        os << "tenant           " << text_of(st["tenant"], "name") << " ("
           << text_of(st["tenant"], "id") << "), linked " << text_of(st, "linked_at") << "\n";
    }
    os << "server           " << text_of(st, "base_url") << "\n";
    const auto& proxy = st.value("proxy", nlohmann::json::object());
    os << "proxy            " << text_of(proxy, "proxy") << " (from " << text_of(proxy, "source")
       << ")";
    if (proxy.contains("no_proxy") && !proxy["no_proxy"].empty()) {
        os << ", bypass:";
        for (const auto& e : proxy["no_proxy"]) {
            os << " " << e.get<std::string>();
        }
    }
    os << "\n";
    if (proxy.contains("problems")) {
        for (const auto& p : proxy["problems"]) {
            os << "proxy problem    " << p.get<std::string>() << "\n";
        }
    }
    os << "installation     " << text_of(st, "installation_id") << "\n";
    os << "last contact     " << text_of(st, "last_contact", "never") << "\n";
    const auto& inv = st.value("last_inventory", nlohmann::json::object());
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
    const auto& attempt = st.value("link_attempt", nlohmann::json::object());
    if (text_of(attempt, "result") != "none") {
        os << "link attempt     " << text_of(attempt, "result") << " "
           << text_of(attempt, "message", "") << "\n";
    }
    if (st.contains("last_unlink")) {
        os << "last unlink      " << text_of(st, "last_unlink") << "\n";
    }
    os << "last error       " << text_of(st, "last_error") << "\n";
    const auto& push = st.value("push", nlohmann::json::object());
    nlohmann::json table = {{"columns", {"push counter", "value"}},
                            {"rows", nlohmann::json::array()}};
    for (const auto& [k, v] : push.value("counters", nlohmann::json::object()).items()) {
        table["rows"].push_back({k, v});
    }
    os << "\n" << render_table(table);
    return os.str();
}

int run_status(const global_options& g, const std::vector<std::string>& args) {
    return run_no_args(g, args, "cloudlink_status", render_cloudlink);
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

int run_link(const global_options& g, const std::vector<std::string>& args) {
    po::options_description opts;
    std::string username;
    bool password_stdin = false;
    unsigned wait_s = 60;
    opts.add_options()("username", po::value<std::string>(&username),
                       "CloudLink admin (prompted when not given)")(
        "password-stdin", po::bool_switch(&password_stdin),
        "read the password (and the username, unless given) from stdin, one per line")(
        "wait", po::value<unsigned>(&wait_s)->default_value(60),
        "seconds to wait for CloudLink's answer");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
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
    const auto attempt = started.value("attempt", 0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    nlohmann::json st;
    while (std::chrono::steady_clock::now() < deadline) {
        if (int rc = call_sbcd(g, "cloudlink_status", nlohmann::json::object(), st);
            rc != exit_ok) {
            return rc;
        }
        const auto& a = st["link_attempt"];
        if (a.value("id", 0) == attempt && a.value("result", "") != "pending") {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const auto& a = st["link_attempt"];
    const std::string result = a.value("result", "pending");
    if (g.json) {
        print_json(st);
    } else if (result == "ok") {
        std::cout << a.value("message", "linked") << "\n";
    }
    if (result == "ok") {
        return exit_ok;
    }
    std::cerr << "sbcctl cloudlink link: "
              << (result == "pending" ? "no answer from CloudLink within " +
                                            std::to_string(wait_s) + " s (still trying)"
                                      : result + ": " + a.value("message", ""))
              << "\n";
    return exit_failed;
}

int run_unlink(const global_options& g, const std::vector<std::string>& args) {
    return run_no_args(g, args, "cloudlink_unlink", [](const nlohmann::json& r) {
        std::string out = "state " + text_of(r, "state");
        if (r.contains("tenant")) {
            out += ": unlinked from '" + text_of(r, "tenant") + "'";
        }
        if (r.contains("note")) {
            out += " (" + text_of(r, "note") + ")";
        }
        return out + "\n";
    });
}

int run_push(const global_options& g, const std::vector<std::string>& args) {
    po::options_description opts;
    std::string aor;
    opts.add_options()("aor", po::value<std::string>(&aor)->required(),
                       "address-of-record of a registered push client");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
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
    return {{"cloudlink status", "CloudLink link, inventory, clock, proxy, push counters",
             run_status},
            {"cloudlink link", "link to the CloudLink tenant (--username U, --password-stdin)",
             run_link},
            {"cloudlink unlink", "forget the CloudLink link (and tell CloudLink)", run_unlink},
            {"cloudlink push", "a test push to a push client's device (--aor AOR)", run_push}};
}

}  // namespace sbc::mgmt
