// encode_qr: a string as a QR symbol (libqrencode), for device login's verification URL.
#pragma once

#include <string_view>

#include "error.hh"
#include "qr_matrix.hh"

namespace credd {

// 8-bit mode, error correction level L (the smallest symbol; a screen is a clean medium).
// The daemon encodes so that cred stays a static binary (Debian ships no static
// libqrencode) and editor plugins get the same symbol in login.start's "qr".
Result<QrMatrix> encode_qr(std::string_view text);

} // namespace credd
