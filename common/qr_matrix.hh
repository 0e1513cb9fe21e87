// QrMatrix: a QR symbol's modules, as the daemon encodes them and cred draws them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "error.hh"

namespace credd {

// The quiet zone ISO/IEC 18004 asks for around the symbol, in modules.
inline constexpr int qr_quiet_zone = 4;

// The symbol's modules, row by row, without the quiet zone.
struct QrMatrix {
    int width = 0;
    std::vector<std::uint8_t> dark; // width * width; 1 = dark

    bool is_dark(int x, int y) const {
        return x >= 0 && y >= 0 && x < width && y < width &&
               dark[static_cast<std::size_t>(y * width + x)] != 0;
    }
};

// The wire form (login.start's "qr"): one string per row, '1' dark and '0' light.
std::vector<std::string> qr_rows(const QrMatrix& matrix);
// Back from the wire: a square of '0'/'1' rows, at most 177 wide (version 40); anything
// else is Errc::invalid_params.
Result<QrMatrix> qr_from_rows(const std::vector<std::string>& rows);

} // namespace credd
