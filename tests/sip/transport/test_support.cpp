#include "test_support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sbc::sip::test {

void run_for(io_loop& loop, std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
        loop.run_once(std::chrono::milliseconds(10));
    }
}

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sbc-transport-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

child_process::child_process(std::vector<std::string> argv, std::string output_file)
    : output_file_(std::move(output_file)) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    // The argument vector is built before fork(): no allocation between fork and exec (another
    // thread may hold an allocator lock; see tests/dataplane/support/dp_process.hpp).
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(in[0], 0);
        const int out = ::open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(in[0]);
    stdin_fd_ = in[1];
}

child_process::~child_process() {
    close_stdin();
    if (!exited()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

bool child_process::write_stdin(const std::string& data) {
    if (stdin_fd_ < 0) {
        return false;
    }
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(stdin_fd_, data.data() + off, data.size() - off);
        if (n <= 0) {
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    return true;
}

void child_process::close_stdin() {
    if (stdin_fd_ >= 0) {
        ::close(stdin_fd_);
        stdin_fd_ = -1;
    }
}

bool child_process::exited() {
    if (done_) {
        return true;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        done_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return done_;
}

void child_process::kill(int sig) {
    if (!exited()) {
        ::kill(pid_, sig);
    }
}

std::string child_process::output() const {
    return read_file(output_file_);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

unsigned short free_port(int type) {
    const int fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("free_port: bind failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

unsigned short free_port_tcp_and_udp() {
    // Bounded: the kernel hands out ephemeral TCP ports; one that is also free for UDP is found
    // within a few tries on any host that is not out of ports.
    for (int attempt = 0; attempt < 64; ++attempt) {
        const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
        const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t len = sizeof a;
        const bool ok = ::bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                        ::getsockname(tcp, reinterpret_cast<sockaddr*>(&a), &len) == 0 &&
                        ::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(tcp);
        ::close(udp);
        if (ok)
            return ntohs(a.sin_port);
    }
    throw std::runtime_error("free_port_tcp_and_udp: no port free for both in 64 tries");
}

bool have_program(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace sbc::sip::test
