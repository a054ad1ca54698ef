#include "standin.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

namespace sbc::cp::cloudlink::test {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

}  // namespace

std::string source_dir() {
    const char* s = std::getenv("SBC_SOURCE_DIR");
    return s != nullptr ? s : ".";
}

standin::standin(const std::string& dir, const std::string& cert) : dir_(dir) {
    const std::string pki = dir_ + "/pki";
    const std::string cmd = source_dir() + "/tools/pki " + pki;
    if (std::system(cmd.c_str()) != 0) {
        return;
    }
    const std::string port_file = dir_ + "/port";
    // Everything the child needs is built before fork(): no allocation between fork and exec
    // (another thread may hold an allocator lock; see tests/dataplane/support/dp_process.hpp).
    const std::string script = source_dir() + "/tools/cloudlink-standin";
    const std::string crt = pki + "/" + cert + ".crt";
    const std::string key = pki + "/" + cert + ".key";
    const std::string ctl = dir_ + "/standin.sock";
    const std::string log = dir_ + "/standin.log";
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        // A test killed by its timeout never runs the destructor: the stand-in dies with it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execl("/usr/bin/python3", "python3", script.c_str(), "--listen", "127.0.0.1:0", "--cert",
                crt.c_str(), "--key", key.c_str(), "--control", ctl.c_str(), "--port-file",
                port_file.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Bounded: 30 s for a loaded machine to start Python.
    for (int i = 0; i < 600 && port_ == 0; ++i) {
        std::ifstream in(port_file);
        unsigned p = 0;
        if (in >> p) {
            port_ = static_cast<std::uint16_t>(p);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

standin::~standin() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

nlohmann::json standin::control(const nlohmann::json& cmd) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/standin.sock";
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return {{"error", "cannot reach the stand-in's control socket"}};
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const std::string line = cmd.dump() + "\n";
    (void)!::write(fd, line.data(), line.size());
    std::string in;
    char buf[65536];
    int read_errno = 0;
    while (in.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            read_errno = n < 0 ? errno : 0;
            break;
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) {
        return {{"error", "bad control answer"},
                {"bytes", in.size()},
                {"errno", read_errno},
                {"log", slurp(dir_ + "/standin.log")}};
    }
    return j;
}

nlohmann::json standin::records(bool clear) const {
    const nlohmann::json answer = control({{"cmd", "records"}, {"clear", clear}});
    if (!answer.contains("records")) {
        // Not "nothing received": a test waiting for a count would read a lost answer as a
        // count going back to zero.
        ADD_FAILURE() << "stand-in records: " << answer.dump();
        return nlohmann::json::array();
    }
    return answer["records"];
}

std::vector<nlohmann::json> standin::requests(const std::string& path) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : records()) {
        if (r.value("path", "") == path) {
            out.push_back(r);
        }
    }
    return out;
}

}  // namespace sbc::cp::cloudlink::test
