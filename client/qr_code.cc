// render_qr: the half-block renderer.
#include "qr_code.hh"

#include <string>
#include <string_view>

namespace credd {

namespace {

// UTF-8 for the four cells: upper half block, lower half block, full block.
constexpr std::string_view upper_half = "\xe2\x96\x80";
constexpr std::string_view lower_half = "\xe2\x96\x84";
constexpr std::string_view full_block = "\xe2\x96\x88";
// Black foreground on bright white, and back to the terminal's own.
constexpr std::string_view dark_on_light = "\x1b[30;107m";
constexpr std::string_view reset = "\x1b[0m";

} // namespace

std::string render_qr(const QrMatrix& matrix, bool colours) {
    const int size = matrix.width + 2 * qr_quiet_zone;
    std::string out;
    out.reserve(static_cast<std::size_t>((size + 1) / 2) * (size * 3 + 24));
    for (int row = 0; row < size; row += 2) {
        if (colours) {
            out += dark_on_light;
        }
        for (int col = 0; col < size; ++col) {
            const int x = col - qr_quiet_zone;
            const bool top = matrix.is_dark(x, row - qr_quiet_zone);
            const bool bottom = matrix.is_dark(x, row + 1 - qr_quiet_zone);
            out += top && bottom ? full_block : top ? upper_half : bottom ? lower_half : " ";
        }
        if (colours) {
            out += reset;
        }
        out += '\n';
    }
    return out;
}

} // namespace credd
