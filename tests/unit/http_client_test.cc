// HttpClient: a name lookup that hangs is bounded by the request deadline, and its late
// answer, after the request and even the client are gone, is dropped harmlessly.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "http_client.hh"
#include "wait_until.hh"

namespace credd {
namespace {

using namespace std::chrono_literals;

// A lookup that blocks until released, as getaddrinfo does with an unreachable resolver.
struct HangingLookup {
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
    std::atomic<int> started{0};
    std::atomic<int> returned{0};

    NameLookup function(std::shared_ptr<HangingLookup> self) {
        return [self](const std::string&) -> Result<std::vector<std::string>> {
            ++self->started;
            std::unique_lock lock(self->mutex);
            self->released_cv.wait(lock, [&] { return self->released; });
            ++self->returned;
            return std::vector<std::string>{"127.0.0.1"};
        };
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        released_cv.notify_all();
    }
};

HttpRequest request_to(const std::string& url) {
    HttpRequest r;
    r.url = url;
    r.body = "grant_type=client_credentials";
    return r;
}

TEST(HttpClient, AHangingNameLookupEndsAtTheRequestDeadline) {
    auto lookup = std::make_shared<HangingLookup>();
    std::optional<HttpResult> result;
    std::chrono::steady_clock::duration took{};
    {
        boost::asio::io_context io;
        HttpClientOptions options;
        options.request_timeout = 300ms;
        options.lookup = lookup->function(lookup);
        HttpClient client(io, std::move(options));
        const auto start = std::chrono::steady_clock::now();
        client.post(request_to("https://idp.example/token"), [&](HttpResult r) {
            took = std::chrono::steady_clock::now() - start;
            result.emplace(std::move(r));
        });
        io.run_for(5s);
    }
    ASSERT_TRUE(result.has_value()) << "the request never finished";
    ASSERT_FALSE(*result);
    EXPECT_EQ(result->error().error_class, ErrorClass::transient);
    EXPECT_NE(result->error().message.find("cannot resolve idp.example: timed out"),
              std::string::npos)
        << result->error().message;
    EXPECT_LT(took, 2s);
    EXPECT_EQ(lookup->started.load(), 1);
    // The client and its io_context are gone; the answer arriving now must touch neither.
    lookup->release();
    EXPECT_TRUE(test::wait_until([&] { return lookup->returned.load() == 1; }, 5s));
    EXPECT_TRUE(test::wait_until([&] { return lookup.use_count() == 1; }, 5s))
        << "the lookup thread did not finish";
}

TEST(HttpClient, AnAnswerAfterTheDeadlineWhileTheClientLivesIsDropped) {
    auto lookup = std::make_shared<HangingLookup>();
    boost::asio::io_context io;
    HttpClientOptions options;
    options.request_timeout = 200ms;
    options.lookup = lookup->function(lookup);
    HttpClient client(io, std::move(options));
    int answers = 0;
    client.post(request_to("https://idp.example/token"), [&](HttpResult) { ++answers; });
    io.run_for(2s);
    ASSERT_EQ(answers, 1);
    lookup->release();
    ASSERT_TRUE(test::wait_until([&] { return lookup->returned.load() == 1; }, 5s));
    io.restart();
    io.run_for(300ms);
    EXPECT_EQ(answers, 1) << "a late answer completed the request twice";
}

TEST(HttpClient, AnAddressLiteralNeedsNoLookup) {
    auto lookup = std::make_shared<HangingLookup>();
    boost::asio::io_context io;
    HttpClientOptions options;
    options.request_timeout = 2s;
    options.lookup = lookup->function(lookup);
    HttpClient client(io, std::move(options));
    std::optional<HttpResult> result;
    // Port 9 on loopback: nothing listens, so the connect is refused at once.
    client.post(request_to("http://127.0.0.1:9/token"),
                [&](HttpResult r) { result.emplace(std::move(r)); });
    io.run_for(5s);
    lookup->release();
    ASSERT_TRUE(result.has_value());
    ASSERT_FALSE(*result);
    EXPECT_NE(result->error().message.find("cannot connect"), std::string::npos)
        << result->error().message;
    EXPECT_EQ(lookup->started.load(), 0);
}

TEST(HttpClient, APortOutOfRangeIsAConfigurationError) {
    boost::asio::io_context io;
    HttpClient client(io, HttpClientOptions{});
    for (const char* url : {"https://idp.example:65536/token", "https://idp.example:0/token",
                            "https://idp.example:99999999999/token"}) {
        std::optional<HttpResult> result;
        client.post(request_to(url), [&](HttpResult r) { result.emplace(std::move(r)); });
        io.restart();
        io.run_for(2s);
        ASSERT_TRUE(result.has_value()) << url;
        ASSERT_FALSE(*result) << url;
        EXPECT_EQ(result->error().error_class, ErrorClass::fix_configuration) << url;
    }
}

} // namespace
} // namespace credd
