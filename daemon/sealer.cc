// Sealer: AES-256-GCM through OpenSSL 3 EVP; the one place OpenSSL errors are translated.
#include "sealer.hh"

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sys/mman.h>

#include "key_store.hh"

namespace credd {

namespace {

constexpr unsigned char blob_version = 1;
constexpr std::size_t nonce_bytes = 12;
constexpr std::size_t tag_bytes = 16;
constexpr std::size_t overhead_bytes = 1 + nonce_bytes + tag_bytes;

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* bytes_of(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes_of(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data());
}

// Takes the newest reason off OpenSSL's thread-local queue and empties it, so a stale
// reason never shows up in some later, unrelated message.
std::string take_openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown reason";
    }
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    return buf.data();
}

Error openssl_failure(std::string_view step) {
    return make_error(Errc::internal,
                      "sealer: " + std::string(step) + ": " + take_openssl_reason());
}

Error corrupt_blob(std::string_view why) {
    ERR_clear_error();
    return make_error(Errc::corrupt, "sealed secret: " + std::string(why),
                      "it was tampered with, truncated or sealed with another key; replace "
                      "the credential: cred remove NAME, then cred add NAME");
}

bool fits_int(std::size_t n) {
    return n <= static_cast<std::size_t>(INT_MAX);
}

// Creates a context keyed for `encrypt` or decrypt, with the associated data fed in.
Result<CipherCtx> start_cipher(const Secret& key, const unsigned char* nonce,
                               std::string_view associated, bool encrypt) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) {
        return openssl_failure("cannot allocate a cipher context");
    }
    const auto* k = bytes_of(key.expose());
    const int enc = encrypt ? 1 : 0;
    if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_bytes),
                            nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, k, nonce, enc) != 1) {
        return openssl_failure("cannot set up AES-256-GCM");
    }
    int ignored = 0;
    if (!associated.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &ignored, bytes_of(associated),
                                                static_cast<int>(associated.size())) != 1) {
        return openssl_failure("cannot add associated data");
    }
    return ctx;
}

Result<void> check_key(const Secret& key) {
    if (key.size() != data_key_bytes) {
        return make_error(Errc::key_unavailable,
                          "sealer: data key has " + std::to_string(key.size()) +
                              " bytes, expected " + std::to_string(data_key_bytes));
    }
    return {};
}

} // namespace

Sealer::Sealer(Secret key) : m_key(std::move(key)) {
    // The data key opens every secret: keep its page out of swap. Best effort (a small
    // RLIMIT_MEMLOCK may refuse), and never unlocked, since the page may hold other
    // locked keys; the buffer is on the heap and moves with the Secret.
    if (!m_key.empty()) {
        ::mlock(m_key.expose().data(), m_key.size());
    }
}

Result<std::string> Sealer::seal(std::string_view plaintext, std::string_view associated) const {
    if (auto ok = check_key(m_key); !ok) {
        return ok.error();
    }
    if (!fits_int(plaintext.size() + overhead_bytes) || !fits_int(associated.size())) {
        return make_error(Errc::invalid_params, "sealer: secret too large to seal");
    }
    std::string blob(overhead_bytes + plaintext.size(), '\0');
    blob[0] = static_cast<char>(blob_version);
    unsigned char* nonce = bytes_of(blob) + 1;
    // A fresh random nonce per seal: GCM with a repeated (key, nonce) pair leaks the XOR
    // of plaintexts and lets tags be forged, and one key seals every write for years.
    if (RAND_bytes(nonce, static_cast<int>(nonce_bytes)) != 1) {
        return openssl_failure("no random nonce");
    }
    auto ctx = start_cipher(m_key, nonce, associated, true);
    if (!ctx) {
        return ctx.error();
    }
    unsigned char* out = nonce + nonce_bytes;
    int written = 0;
    int final_written = 0;
    if (EVP_EncryptUpdate(ctx->get(), out, &written, bytes_of(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx->get(), out + written, &final_written) != 1 ||
        static_cast<std::size_t>(written + final_written) != plaintext.size()) {
        return openssl_failure("encryption failed");
    }
    if (EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_bytes),
                            out + plaintext.size()) != 1) {
        return openssl_failure("no authentication tag");
    }
    return blob;
}

Result<Secret> Sealer::unseal(std::string_view blob, std::string_view associated) const {
    if (auto ok = check_key(m_key); !ok) {
        return ok.error();
    }
    if (blob.size() < overhead_bytes || !fits_int(blob.size()) || !fits_int(associated.size())) {
        return corrupt_blob("too short");
    }
    if (static_cast<unsigned char>(blob.front()) != blob_version) {
        return corrupt_blob("unknown version");
    }
    const auto* nonce = bytes_of(blob) + 1;
    const std::string_view ciphertext = blob.substr(1 + nonce_bytes, blob.size() - overhead_bytes);
    // OpenSSL wants a mutable tag buffer; the copy is not secret.
    std::array<unsigned char, tag_bytes> tag{};
    const std::string_view tag_text = blob.substr(blob.size() - tag_bytes);
    std::copy(tag_text.begin(), tag_text.end(), tag.begin());

    auto ctx = start_cipher(m_key, nonce, associated, false);
    if (!ctx) {
        return ctx.error();
    }
    // Decrypted straight into a buffer of its final size, which is wiped whatever
    // happens: on an authentication failure it holds unauthenticated plaintext.
    std::string plain(ciphertext.size(), '\0');
    int written = 0;
    int final_written = 0;
    const bool ok =
        EVP_DecryptUpdate(ctx->get(), bytes_of(plain), &written, bytes_of(ciphertext),
                          static_cast<int>(ciphertext.size())) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_bytes),
                            tag.data()) == 1 &&
        EVP_DecryptFinal_ex(ctx->get(), bytes_of(plain) + written, &final_written) == 1 &&
        static_cast<std::size_t>(written + final_written) == plain.size();
    if (!ok) {
        wipe(plain);
        return corrupt_blob("authentication failed");
    }
    return Secret::adopt(plain);
}

} // namespace credd
