// WipingArena: allocation and wiping.
#include "wiping_arena.hh"

#include <algorithm>

#include <boost/json/parser.hpp>

#include "secret.hh"

namespace credd {

WipingArena::WipingArena(std::size_t first_block) {
    m_blocks.push_back({std::make_unique<std::byte[]>(first_block), first_block, 0});
}

WipingArena::~WipingArena() {
    reset();
}

void WipingArena::reset() noexcept {
    for (auto& b : m_blocks) {
        wipe(b.data.get(), b.used);
        b.used = 0;
    }
    // Keep the first block only, so one huge request does not pin memory forever.
    if (m_blocks.size() > 1) {
        m_blocks.resize(1);
    }
    m_current = 0;
}

void* WipingArena::do_allocate(std::size_t n, std::size_t align) {
    for (;;) {
        Block& b = m_blocks[m_current];
        const auto base = reinterpret_cast<std::uintptr_t>(b.data.get());
        const std::size_t offset = ((base + b.used + align - 1) & ~(align - 1)) - base;
        if (offset + n <= b.size) {
            b.used = offset + n;
            return b.data.get() + offset;
        }
        if (m_current + 1 == m_blocks.size()) {
            const std::size_t size = std::max(b.size * 2, n + align);
            m_blocks.push_back({std::make_unique<std::byte[]>(size), size, 0});
        }
        ++m_current;
    }
}

boost::json::value parse_wiping(WipingArena& arena, std::string_view text,
                                boost::system::error_code& ec) {
    unsigned char scratch[1024];
    boost::json::parser p(boost::json::storage_ptr(&arena), {}, scratch, sizeof scratch);
    p.reset(boost::json::storage_ptr(&arena));
    // The whole text at once: parser::write fails on an incomplete text.
    p.write(text.data(), text.size(), ec);
    boost::json::value v = ec ? boost::json::value{} : p.release();
    wipe(scratch, sizeof scratch);
    return v;
}

} // namespace credd
