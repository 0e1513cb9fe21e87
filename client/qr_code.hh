// render_qr: a QR symbol (from login.start's "qr") drawn with Unicode half blocks.
#pragma once

#include <string>

#include "qr_matrix.hh"

namespace credd {

// Two module rows per text line, one module per column: "█" both dark, "▀" top dark,
// "▄" bottom dark, " " neither, with the quiet zone around. Dark modules are drawn in the
// foreground colour. `colours`: each line is wrapped in SGR black-on-bright-white, so the
// code reads dark-on-light (as scanners expect) whatever the terminal's own colours;
// without, a light-on-dark terminal shows the code inverted, which most scanners accept.
std::string render_qr(const QrMatrix& matrix, bool colours);

} // namespace credd
