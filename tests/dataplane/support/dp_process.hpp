#pragma once
// Starts sbc-dataplane as a child process for tests, and stops it with SIGTERM. Every wait is
// bounded; the destructor kills a child that is still running (SIGKILL after 5 s).

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sbc::test {

// The build tree: SBC_BINARY_DIR, else the nearest parent of this test binary that holds
// dataplane/sbc-dataplane (ctest may not pass SBC_BINARY_DIR, see the report).
inline std::string binary_dir() {
    if (const char* d = std::getenv("SBC_BINARY_DIR"); d != nullptr && *d != '\0') {
        return d;
    }
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string dir(exe, static_cast<size_t>(n));
        while (dir.size() > 1) {
            dir = dir.substr(0, dir.rfind('/'));
            if (dir.empty()) {
                break;
            }
            if (access((dir + "/dataplane/sbc-dataplane").c_str(), X_OK) == 0) {
                return dir;
            }
        }
    }
    return ".";
}
inline std::string source_dir() {
    const char* d = std::getenv("SBC_SOURCE_DIR");
    return d ? d : ".";
}

// A unique instance name per test so parallel ctest runs do not collide.
inline std::string unique_instance(const std::string& tag) {
    return "t" + std::to_string(getpid()) + "-" + tag;
}

class dp_process {
  public:
    dp_process() = default;
    dp_process(const dp_process&) = delete;
    dp_process& operator=(const dp_process&) = delete;
    ~dp_process() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            if (wait_exit(std::chrono::seconds(5)) < -1) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
            }
        }
    }

    // Starts the binary with `args`; stderr and stdout go to `log_path`. Call it from a thread
    // that lives as long as the child: PR_SET_PDEATHSIG fires when the *thread* that forked
    // exits, so a child started from a short-lived thread is killed with it.
    bool start(const std::vector<std::string>& args, const std::string& log_path) {
        log_ = log_path;
        const std::string bin = binary_dir() + "/dataplane/sbc-dataplane";
        // Everything the child needs is built before fork(): a test may start the dataplane from
        // a second thread while the first allocates, and a child that calls malloc between fork
        // and exec can block forever on an allocator lock held by a thread that no longer exists
        // (seen under ASan: the child never exec'd, its log stayed empty).
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(bin.c_str()));
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        const pid_t parent = getpid();
        pid_ = fork();
        if (pid_ < 0) {
            return false;
        }
        if (pid_ == 0) {
            // A test killed by its timeout (ctest, CI) never runs the destructor: the dataplane
            // dies with it instead of polling on, a CPU lost to every later test.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) {
                _exit(127);
            }
            const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            execv(bin.c_str(), argv.data());
            _exit(127);
        }
        return true;
    }

    // SIGTERM, then the exit code (-1 killed by a signal, -2 still running at the deadline).
    int stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(10000)) {
        if (pid_ <= 0) {
            return exit_code_;
        }
        kill(pid_, SIGTERM);
        return wait_exit(deadline);
    }

    // Waits for the child to exit by itself.
    int wait_exit(std::chrono::milliseconds deadline) {
        const auto end = std::chrono::steady_clock::now() + deadline;
        while (pid_ > 0) {
            int status = 0;
            const pid_t r = waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = 0;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                return exit_code_;
            }
            if (std::chrono::steady_clock::now() >= end) {
                return -2;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return exit_code_;
    }

    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    std::string log() const {
        std::ifstream f(log_);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }

  private:
    pid_t pid_ = 0;
    int exit_code_ = -3;
    std::string log_;
};

inline bool path_exists(const std::string& p) {
    return access(p.c_str(), F_OK) == 0;
}

// Arguments for a small dataplane on this 2-core machine: one worker that sleeps when idle.
inline std::vector<std::string> base_args(const std::string& instance) {
    return {"--instance",  instance, "--workers",        "1",   "--idle-sleep-us", "200",
            "--max-flows", "1024",   "--mbuf-pool-size", "2047"};
}

}  // namespace sbc::test
