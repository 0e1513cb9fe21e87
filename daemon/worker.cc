// Worker: a one-thread pool that completes back on the I/O thread.
#include "worker.hh"

#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace credd {

struct Worker::Impl {
    boost::asio::io_context& io;
    on_exit mode;
    boost::asio::thread_pool pool{1};
};

Worker::Worker(boost::asio::io_context& io, on_exit mode)
    : m_impl(std::make_unique<Impl>(io, mode)) {}

// finish_queued: a write the Broker has issued is completed, not dropped.
Worker::~Worker() {
    if (m_impl->mode == on_exit::drop_queued) {
        m_impl->pool.stop();
    }
    m_impl->pool.wait();
}

void Worker::submit(std::function<void()> job, std::function<void()> done) {
    // The work guard keeps the I/O loop alive until `done` has been delivered, so a
    // shutdown never drops the answer to a write that has already committed. Key store
    // jobs hold none: the loop's own work (sessions, the grace timer) bounds the exit.
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    if (m_impl->mode == on_exit::finish_queued) {
        guard.emplace(m_impl->io.get_executor());
    }
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
