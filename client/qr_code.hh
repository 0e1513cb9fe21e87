// QrCode: a string as a QR code drawn with Unicode half blocks, for `cred login`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

// Encodes `text` (8-bit mode, error correction level L: the smallest symbol, enough for a
// screen) with libqrencode. The library is loaded with dlopen on first use, so a static
// cred keeps it out of every other command's start-up; Errc::io_error when it is missing.
Result<QrMatrix> encode_qr(std::string_view text);

// Two module rows per text line, one module per column: "█" both dark, "▀" top dark,
// "▄" bottom dark, " " neither, with the quiet zone around. Dark modules are drawn in the
// foreground colour. `colours`: each line is wrapped in SGR black-on-bright-white, so the
// code reads dark-on-light (as scanners expect) whatever the terminal's own colours;
// without, a light-on-dark terminal shows the code inverted, which most scanners accept.
std::string render_qr(const QrMatrix& matrix, bool colours);

} // namespace credd
