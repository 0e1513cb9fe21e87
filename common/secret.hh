// Secret: a byte string that wipes itself and cannot be printed by accident.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace credd {

// Owns secret material (a token, a refresh token, a key). It wipes its buffer when it
// is destroyed, assigned over or moved from, it is move-only so no stray copies live
// on, and it has no operator<< or formatter: the only way to its bytes is the explicit
// `expose()`, which makes every place that handles a plaintext secret greppable.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string_view bytes);
    // Takes over `bytes` and wipes what the source string held.
    static Secret adopt(std::string& bytes);
    ~Secret();

    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;

    // A deliberate copy, for the rare place that must keep two (the in-memory index).
    Secret clone() const { return Secret(expose()); }

    std::string_view expose() const { return m_bytes; }
    bool empty() const { return m_bytes.empty(); }
    std::size_t size() const { return m_bytes.size(); }
    void clear();

    // Constant-time comparison, so a match does not leak through timing.
    bool equals(std::string_view other) const;

private:
    std::string m_bytes;
};

// Overwrites memory in a way the optimiser may not elide.
void wipe(void* data, std::size_t size) noexcept;
void wipe(std::string& s) noexcept;

} // namespace credd
