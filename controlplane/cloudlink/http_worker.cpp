#include "controlplane/cloudlink/http_worker.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace sbc::cp::cloudlink {

namespace {

std::once_flag curl_init_once;

struct job {
    std::uint64_t id = 0;
    http_request req;
};

struct answer {
    std::uint64_t id = 0;
    http_response resp;
};

// One transfer on the worker thread.
struct transfer {
    std::uint64_t id = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    http_request req;
    http_response resp;
    bool too_big = false;
    char errbuf[CURL_ERROR_SIZE] = {};

    ~transfer() {
        if (headers != nullptr) {
            curl_slist_free_all(headers);
        }
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
    }
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<transfer*>(user);
    const size_t bytes = size * n;
    if (t->resp.body.size() + bytes > t->req.max_body_bytes) {
        t->too_big = true;
        return 0;  // aborts the transfer: CURLE_WRITE_ERROR
    }
    t->resp.body.append(data, bytes);
    return bytes;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

bool header_is(std::string_view line, std::string_view name) {
    if (line.size() <= name.size() || line[name.size()] != ':') {
        return false;
    }
    for (size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
            return false;
        }
    }
    return true;
}

std::optional<std::time_t> http_date(std::string_view v) {
    if (v.size() > 64) {
        return std::nullopt;
    }
    const std::string text(v);
    const time_t t = curl_getdate(text.c_str(), nullptr);
    return t < 0 ? std::nullopt : std::optional<std::time_t>(t);
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<transfer*>(user);
    const size_t bytes = size * n;
    std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
        // A new response (after a proxy's CONNECT answer, or a 100): forget the last one's.
        t->resp.date.reset();
        t->resp.retry_after_s.reset();
        t->resp.content_type.clear();
    } else if (header_is(line, "date")) {
        t->resp.date = http_date(trim(line.substr(5)));
    } else if (header_is(line, "retry-after")) {
        std::string_view v = trim(line.substr(12));
        std::uint64_t secs = 0;
        bool digits = !v.empty() && v.size() <= 9;
        for (char c : v) {
            digits = digits && c >= '0' && c <= '9';
            secs = secs * 10 + std::uint64_t(c - '0');
        }
        if (digits) {
            t->resp.retry_after_s = static_cast<std::uint32_t>(secs);
        } else if (auto when = http_date(v)) {
            const std::time_t now = std::time(nullptr);
            t->resp.retry_after_s = *when > now ? std::uint32_t(*when - now) : 0U;
        }
    } else if (header_is(line, "content-type")) {
        std::string_view v = trim(line.substr(13)).substr(0, 100);
        t->resp.content_type.clear();
        for (char c : v) {
            t->resp.content_type.push_back(c >= ' ' && c <= '~' ? c : '?');
        }
    }
    return bytes;
}

// One line for the operator: what went wrong between us and the server.
void describe_failure(transfer& t, CURLcode rc) {
    http_response& r = t.resp;
    long connect_code = 0;
    curl_easy_getinfo(t.easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
    const std::string detail = t.errbuf[0] != '\0' ? std::string(t.errbuf) : curl_easy_strerror(rc);
    if (!t.req.proxy.url.empty() && connect_code >= 300) {
        r.proxy_failure = true;
        // 407 is the standard answer (RFC 9110 §15.5.8); tinyproxy answers wrong credentials
        // with 401, so both name the credentials.
        r.error =
            "the proxy refused the CONNECT tunnel with " + std::to_string(connect_code) +
            (connect_code == 407 || connect_code == 401 ? " (proxy authentication missing or wrong)"
                                                        : "");
        return;
    }
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            r.error = "no answer within " + std::to_string(t.req.timeout.count()) + " ms";
            return;
        case CURLE_WRITE_ERROR:
            if (t.too_big) {
                r.error = "response body larger than " + std::to_string(t.req.max_body_bytes) +
                          " bytes: refused";
                return;
            }
            break;
        case CURLE_PARTIAL_FILE:
            r.error = "truncated response: the connection closed before the whole body";
            return;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
            r.tls_failure = true;
            r.error = "TLS with the server failed (certificate not trusted?): " + detail;
            return;
        case CURLE_COULDNT_RESOLVE_PROXY:
            r.proxy_failure = true;
            r.error = "cannot resolve the proxy: " + detail;
            return;
        case CURLE_PROXY:
            r.proxy_failure = true;
            r.error = "the proxy failed: " + detail;
            return;
        case CURLE_COULDNT_CONNECT:
            r.proxy_failure = !t.req.proxy.url.empty();
            r.error =
                (r.proxy_failure ? "cannot connect to the proxy: " : "cannot connect: ") + detail;
            return;
        default:
            break;
    }
    r.error = detail;
}

}  // namespace

struct http_worker::shared {
    std::mutex m;
    std::vector<job> inbox;
    std::vector<answer> outbox;
    bool stop = false;
    CURLM* multi = nullptr;
    int event_fd = -1;
    std::thread thread;

    void run();
    void start_transfer(job j, std::map<CURL*, std::unique_ptr<transfer>>& live);
    void finish(std::unique_ptr<transfer> t, CURLcode rc);
};

void http_worker::shared::start_transfer(job j, std::map<CURL*, std::unique_ptr<transfer>>& live) {
    auto t = std::make_unique<transfer>();
    t->id = j.id;
    t->req = std::move(j.req);
    t->easy = curl_easy_init();
    CURL* e = t->easy;
    if (e == nullptr) {
        t->resp.error = "cannot create a transfer (out of memory)";
        finish(std::move(t), CURLE_OUT_OF_MEMORY);
        return;
    }
    curl_easy_setopt(e, CURLOPT_URL, t->req.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->req.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<std::int64_t>(t->req.timeout.count(), 5000)));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!t->req.ca_file.empty()) {
        curl_easy_setopt(e, CURLOPT_CAINFO, t->req.ca_file.c_str());
    }
    // Always set: "" means no proxy, and keeps curl from reading the environment itself (the
    // client decides, proxy_policy.cpp, with NO_PROXY entries curl does not understand).
    curl_easy_setopt(e, CURLOPT_PROXY, t->req.proxy.url.c_str());
    if (!t->req.proxy.url.empty() && !t->req.proxy.username.empty()) {
        curl_easy_setopt(e, CURLOPT_PROXYUSERNAME, t->req.proxy.username.c_str());
        curl_easy_setopt(e, CURLOPT_PROXYPASSWORD, t->req.proxy.password.c_str());
        curl_easy_setopt(e, CURLOPT_PROXYAUTH, static_cast<long>(CURLAUTH_ANY));
    }
    for (const auto& h : t->req.headers) {
        t->headers = curl_slist_append(t->headers, h.c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (t->req.method == "POST") {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->req.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->req.body.data());
    } else if (t->req.method != "GET") {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->req.method.c_str());
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    t->resp.sent_at = std::chrono::system_clock::now();
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
        t->resp.error = "cannot start the transfer";
        finish(std::move(t), CURLE_FAILED_INIT);
        return;
    }
    live.emplace(e, std::move(t));
}

void http_worker::shared::finish(std::unique_ptr<transfer> t, CURLcode rc) {
    t->resp.received_at = std::chrono::system_clock::now();
    if (rc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->resp.status = static_cast<int>(status);
    } else if (t->resp.error.empty()) {
        t->resp.status = 0;
        t->resp.body.clear();
        describe_failure(*t, rc);
    }
    {
        std::lock_guard<std::mutex> lock(m);
        outbox.push_back({t->id, std::move(t->resp)});
    }
    const std::uint64_t one = 1;
    (void)!::write(event_fd, &one, sizeof(one));
}

void http_worker::shared::run() {
    std::map<CURL*, std::unique_ptr<transfer>> live;
    for (;;) {
        std::vector<job> jobs;
        bool stopping;
        {
            std::lock_guard<std::mutex> lock(m);
            jobs.swap(inbox);
            stopping = stop;
        }
        if (stopping) {
            break;
        }
        for (auto& j : jobs) {
            start_transfer(std::move(j), live);
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            auto it = live.find(msg->easy_handle);
            const CURLcode rc = msg->data.result;
            if (it == live.end()) {
                continue;
            }
            std::unique_ptr<transfer> t = std::move(it->second);
            live.erase(it);
            curl_multi_remove_handle(multi, t->easy);
            finish(std::move(t), rc);
        }
        curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& [easy, t] : live) {
        curl_multi_remove_handle(multi, easy);
    }
    live.clear();
}

http_worker::http_worker(sip::io_loop& loop) : loop_(loop), shared_(std::make_shared<shared>()) {
    std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    shared_->event_fd = event_fd_;
    shared_->multi = curl_multi_init();
    watch_ = loop_.watch(event_fd_, POLLIN, [this](unsigned) { drain_answers(); });
    // The worker takes no signals: sbcd reads SIGTERM/SIGINT/SIGHUP through a signalfd on the
    // loop thread, which only works while every thread blocks them; a worker started before
    // that (service constructs CloudLink first) would otherwise die of the default action and
    // take sbcd with it. A new thread inherits the mask it is created under.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    shared_->thread = std::thread([s = shared_.get()] { s->run(); });
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

http_worker::~http_worker() {
    {
        std::lock_guard<std::mutex> lock(shared_->m);
        shared_->stop = true;
    }
    curl_multi_wakeup(shared_->multi);
    shared_->thread.join();
    curl_multi_cleanup(shared_->multi);
    loop_.unwatch(watch_);
    ::close(event_fd_);
}

void http_worker::submit(http_request req, done_fn done) {
    const std::uint64_t id = next_id_++;
    pending_[id] = std::move(done);
    ++in_flight_;
    {
        std::lock_guard<std::mutex> lock(shared_->m);
        shared_->inbox.push_back({id, std::move(req)});
    }
    curl_multi_wakeup(shared_->multi);
}

void http_worker::drain_answers() {
    std::uint64_t count = 0;
    while (::read(event_fd_, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
    }
    std::vector<answer> answers;
    {
        std::lock_guard<std::mutex> lock(shared_->m);
        answers.swap(shared_->outbox);
    }
    for (auto& a : answers) {
        auto it = pending_.find(a.id);
        if (it == pending_.end()) {
            continue;
        }
        done_fn done = std::move(it->second);
        pending_.erase(it);
        --in_flight_;
        done(std::move(a.resp));
    }
}

}  // namespace sbc::cp::cloudlink
