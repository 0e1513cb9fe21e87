// Secret: wiping and constant-time comparison.
#include "secret.hh"

#include <cstring>
#include <utility>

namespace credd {

void wipe(void* data, std::size_t size) noexcept {
    if (size == 0) {
        return;
    }
    std::memset(data, 0, size);
    // The barrier tells the compiler the zeroed memory is observed, so the memset stays.
    asm volatile("" : : "r"(data) : "memory");
}

void wipe(std::string& s) noexcept {
    // Wipe the whole capacity: a shorter string may still hold an older, longer secret.
    s.resize(s.capacity());
    wipe(s.data(), s.size());
    s.clear();
}

Secret::Secret(std::string_view bytes) {
    // Reserve first so the bytes are written once, never into a buffer that is then
    // reallocated and freed unwiped.
    m_bytes.reserve(bytes.size());
    m_bytes.assign(bytes.data(), bytes.size());
}

Secret Secret::adopt(std::string& bytes) {
    Secret s(bytes);
    wipe(bytes);
    return s;
}

Secret::~Secret() {
    wipe(m_bytes);
}

Secret::Secret(Secret&& other) noexcept : m_bytes(std::move(other.m_bytes)) {
    wipe(other.m_bytes);
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe(m_bytes);
        m_bytes = std::move(other.m_bytes);
        wipe(other.m_bytes);
    }
    return *this;
}

void Secret::clear() {
    wipe(m_bytes);
}

bool Secret::equals(std::string_view other) const {
    unsigned char diff = m_bytes.size() == other.size() ? 0 : 1;
    const std::size_t n = m_bytes.size() < other.size() ? m_bytes.size() : other.size();
    for (std::size_t i = 0; i < n; ++i) {
        diff |= static_cast<unsigned char>(m_bytes[i] ^ other[i]);
    }
    return diff == 0;
}

} // namespace credd
