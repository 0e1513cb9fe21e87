// WipingArena: a bump allocator for parsed requests that zeroes everything it handed out.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/json/memory_resource.hpp>
#include <boost/json/value.hpp>

namespace credd {

// Requests carry secrets (credential.add) and responses tokens (token.get); the JSON
// values built from them are allocated here, and `reset()` after each request wipes
// every byte before reuse, so no plaintext lingers in freed heap. Blocks are kept
// between requests (the common request fits the first one), so the hot path does
// not allocate. Owned by one Session; not thread-safe.
class WipingArena final : public boost::json::memory_resource {
public:
    explicit WipingArena(std::size_t first_block = 8192);
    ~WipingArena() override;

    // Wipes all used memory and makes it available again. Values allocated here must
    // be gone before this is called.
    void reset() noexcept;

private:
    struct Block {
        std::unique_ptr<std::byte[]> data;
        std::size_t size = 0;
        std::size_t used = 0;
    };

    void* do_allocate(std::size_t n, std::size_t align) override;
    void do_deallocate(void*, std::size_t, std::size_t) override {}
    bool do_is_equal(const memory_resource& other) const noexcept override {
        return this == &other;
    }

    std::vector<Block> m_blocks;
    std::size_t m_current = 0;
};

// `text` parsed as one JSON value allocated in `arena` (which must outlive it), the
// parser's scratch space wiped too: for bodies that hold tokens. Null, with `ec` set,
// when it is not JSON.
boost::json::value parse_wiping(WipingArena& arena, std::string_view text,
                                boost::system::error_code& ec);

} // namespace credd
