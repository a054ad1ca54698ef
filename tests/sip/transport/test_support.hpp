#pragma once
// Helpers for transport tests: bounded loop runs, child processes (openssl, sipp), temp dirs.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "sip/transport/io_loop.hpp"

namespace sbc::sip::test {

// Runs the loop until `done()` or `limit` passes (each iteration waits at most 20 ms).
// Returns done(). Bounded so a broken test fails instead of hanging.
template <typename Pred>
bool run_until(io_loop& loop, Pred done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
        loop.run_once(std::chrono::milliseconds(20));
    }
    return done();
}

// Runs the loop for `span` (to let things that must NOT happen have their chance).
void run_for(io_loop& loop, std::chrono::milliseconds span);

// A temporary directory removed (recursively) on destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// A child process with a pipe to its stdin and stdout+stderr going to a file.
class child_process {
  public:
    child_process(std::vector<std::string> argv, std::string output_file);
    ~child_process();  // kills it (SIGKILL) if still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    bool write_stdin(const std::string& data);
    void close_stdin();
    // Non-blocking: true once it exited; exit_code() then valid (128+signal when killed).
    bool exited();
    int exit_code() const { return code_; }
    void kill(int sig = SIGTERM);
    std::string output() const;  // what it wrote so far
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int code_ = -1;
    bool done_ = false;
    std::string output_file_;
};

// A loopback port that was free a moment ago (for peers that need one on their command line).
unsigned short free_port(int type);

// A port that was free a moment ago for both TCP and UDP on every address, for peers that listen
// on both transports at one port (a stand-in OSV node): a port known free only for TCP may be
// taken for UDP by a parallel test, and the peer's UDP side would then silently be missing.
unsigned short free_port_tcp_and_udp();

// Whether an executable is on PATH.
bool have_program(const std::string& name);

std::string read_file(const std::string& path);

}  // namespace sbc::sip::test
