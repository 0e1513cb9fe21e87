// TempDir: a private scratch directory for one test, removed with everything in it.
#pragma once

#include <string>
#include <string_view>

namespace credd::test {

// Created with mkdtemp (mode 0700) under $TMPDIR or /tmp and removed recursively on
// destruction. Owned by the test or fixture that needs it; move-only. The path is kept
// short on purpose: socket paths below it must fit in sun_path (108 bytes).
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return m_path; }
    // `path()/relative`.
    std::string file(std::string_view relative) const;

private:
    void remove();

    std::string m_path;
};

} // namespace credd::test
