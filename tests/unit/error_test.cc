// Error codes: stable names, JSON-RPC numbers and the credd error category.
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "error.hh"

namespace credd {
namespace {

std::vector<Errc> all_errcs() {
    std::vector<Errc> out;
    for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
        out.push_back(static_cast<Errc>(i));
    }
    return out;
}

// JSON-RPC 2.0 reserves -32768…-32000; -32099…-32000 is for the implementation.
bool is_implementation_code(int code) {
    return code >= -32099 && code <= -32000;
}

TEST(Error, CodeNameRoundTripsForEveryErrc) {
    for (const Errc e : all_errcs()) {
        EXPECT_EQ(errc_from_name(code_name(e)), e) << code_name(e);
    }
}

TEST(Error, EveryErrcHasItsOwnName) {
    std::set<std::string_view> names;
    for (const Errc e : all_errcs()) {
        EXPECT_FALSE(code_name(e).empty());
        EXPECT_TRUE(names.insert(code_name(e)).second) << "duplicate name " << code_name(e);
    }
}

TEST(Error, UnknownNameMapsToInternal) {
    EXPECT_EQ(errc_from_name("no_such_code"), Errc::internal);
    EXPECT_EQ(errc_from_name(""), Errc::internal);
    EXPECT_EQ(errc_from_name("NOT_FOUND"), Errc::internal);
}

TEST(Error, UnknownValueIsNamedInternal) {
    EXPECT_EQ(code_name(static_cast<Errc>(999)), "internal");
    EXPECT_EQ(jsonrpc_code(static_cast<Errc>(999)), -32603);
}

TEST(Error, ProtocolCodesHaveTheirDocumentedNames) {
    // credd-protocol(7) promises these strings to plugin authors.
    EXPECT_EQ(code_name(Errc::parse_error), "parse_error");
    EXPECT_EQ(code_name(Errc::invalid_utf8), "invalid_utf8");
    EXPECT_EQ(code_name(Errc::line_too_long), "line_too_long");
    EXPECT_EQ(code_name(Errc::too_deep), "too_deep");
    EXPECT_EQ(code_name(Errc::not_found), "not_found");
    EXPECT_EQ(code_name(Errc::insufficient_validity), "insufficient_validity");
    EXPECT_EQ(code_name(Errc::storage_failed), "storage_failed");
}

TEST(Error, SpecErrorsUseTheSpecJsonRpcCodes) {
    EXPECT_EQ(jsonrpc_code(Errc::parse_error), -32700);
    EXPECT_EQ(jsonrpc_code(Errc::invalid_utf8), -32700);
    EXPECT_EQ(jsonrpc_code(Errc::invalid_request), -32600);
    EXPECT_EQ(jsonrpc_code(Errc::line_too_long), -32600);
    EXPECT_EQ(jsonrpc_code(Errc::too_deep), -32600);
    EXPECT_EQ(jsonrpc_code(Errc::method_not_found), -32601);
    EXPECT_EQ(jsonrpc_code(Errc::invalid_params), -32602);
    EXPECT_EQ(jsonrpc_code(Errc::internal), -32603);
}

TEST(Error, CreddErrorsUseTheImplementationRange) {
    const std::set<Errc> spec{Errc::ok,
                              Errc::parse_error,
                              Errc::invalid_utf8,
                              Errc::invalid_request,
                              Errc::line_too_long,
                              Errc::too_deep,
                              Errc::method_not_found,
                              Errc::invalid_params,
                              Errc::internal};
    for (const Errc e : all_errcs()) {
        if (!spec.contains(e)) {
            EXPECT_TRUE(is_implementation_code(jsonrpc_code(e)))
                << code_name(e) << " " << jsonrpc_code(e);
        }
    }
}

TEST(Error, DocumentedImplementationCodesAreStable) {
    EXPECT_EQ(jsonrpc_code(Errc::too_many_connections), -32001);
    EXPECT_EQ(jsonrpc_code(Errc::idle_timeout), -32002);
    EXPECT_EQ(jsonrpc_code(Errc::not_found), -32010);
    EXPECT_EQ(jsonrpc_code(Errc::expired), -32011);
    EXPECT_EQ(jsonrpc_code(Errc::insufficient_validity), -32012);
    EXPECT_EQ(jsonrpc_code(Errc::needs_login), -32013);
    EXPECT_EQ(jsonrpc_code(Errc::corrupt), -32014);
    EXPECT_EQ(jsonrpc_code(Errc::keyring_unavailable), -32020);
    EXPECT_EQ(jsonrpc_code(Errc::storage_failed), -32023);
}

TEST(Error, OkIsZero) {
    EXPECT_EQ(jsonrpc_code(Errc::ok), 0);
    EXPECT_EQ(static_cast<int>(Errc::ok), 0);
}

TEST(Error, ErrorCodeCategoryIsCredd) {
    const boost::system::error_code ec = make_error_code(Errc::expired);
    EXPECT_STREQ(ec.category().name(), "credd");
    EXPECT_EQ(ec.value(), static_cast<int>(Errc::expired));
    EXPECT_EQ(ec.message(), "expired");
}

TEST(Error, ErrcConvertsImplicitlyToErrorCode) {
    const boost::system::error_code ec = Errc::not_found;
    EXPECT_EQ(ec, make_error_code(Errc::not_found));
    EXPECT_NE(ec, make_error_code(Errc::expired));
    EXPECT_TRUE(ec.failed());
}

TEST(Error, MakeErrorKeepsCodeMessageAndHint) {
    const Error e = make_error(Errc::not_found, "credential x: not found", "cred list");
    EXPECT_TRUE(e == Errc::not_found);
    EXPECT_FALSE(e == Errc::expired);
    EXPECT_EQ(e.message, "credential x: not found");
    EXPECT_EQ(e.hint, "cred list");
}

TEST(Error, DefaultErrorIsInternal) {
    EXPECT_EQ(Error{}.code, Errc::internal);
}

TEST(Error, UncheckedValueAccessThrowsLogicError) {
    const Result<int> r = make_error(Errc::corrupt, "credential x: corrupt");
    EXPECT_THROW((void)r.value(), std::logic_error);
}

} // namespace
} // namespace credd
