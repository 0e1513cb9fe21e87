// Worker: a one-thread pool that completes back on the I/O thread.
#include "worker.hh"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace credd {

struct Worker::Impl {
    boost::asio::io_context& io;
    boost::asio::thread_pool pool{1};
};

Worker::Worker(boost::asio::io_context& io) : m_impl(std::make_unique<Impl>(io)) {}

// Finishes queued jobs first: a write the Broker has issued is completed, not dropped.
Worker::~Worker() {
    m_impl->pool.wait();
}

void Worker::submit(std::function<void()> job, std::function<void()> done) {
    // The work guard keeps the I/O loop alive until `done` has been delivered, so a
    // shutdown never drops the answer to a write that has already committed.
    auto guard = boost::asio::make_work_guard(m_impl->io);
    boost::asio::post(m_impl->pool, [job = std::move(job), done = std::move(done),
                                     guard = std::move(guard), &io = m_impl->io]() mutable {
        job();
        boost::asio::post(io, [done = std::move(done), guard = std::move(guard)]() mutable {
            done();
            guard.reset();
        });
    });
}

} // namespace credd
