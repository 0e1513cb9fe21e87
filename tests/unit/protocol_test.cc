// The wire protocol: request validation, its limits, and response lines both ways.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>

#include <boost/json/memory_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "protocol.hh"

namespace credd::protocol {
namespace {

namespace json = boost::json;
using namespace std::string_view_literals;

struct Parsed {
    Result<Request> request;
    json::value id;
};

Parsed parse(std::string_view line) {
    json::value id;
    auto request = parse_request(line, id);
    return {std::move(request), std::move(id)};
}

Errc parse_error_code(std::string_view line) {
    const Parsed p = parse(line);
    return p.request ? Errc::ok : p.request.error().code;
}

// A request whose outermost object and `depth - 1` objects nested in its params make
// `depth` levels of nesting.
std::string request_nested(unsigned depth) {
    std::string line = R"({"jsonrpc":"2.0","id":1,"method":"daemon.info","params":)";
    for (unsigned i = 1; i < depth; ++i) {
        line += i + 1 < depth ? R"({"a":)" : "{";
    }
    for (unsigned i = 1; i < depth; ++i) {
        line += '}';
    }
    return line + '}';
}

// The same, nesting arrays inside one params member.
std::string request_nested_arrays(unsigned depth) {
    std::string line = R"({"jsonrpc":"2.0","id":1,"method":"daemon.info","params":{"a":)";
    line += std::string(depth - 2, '[') + std::string(depth - 2, ']');
    return line + "}}";
}

// A valid request of exactly `size` bytes, padded inside a string parameter.
std::string request_of_size(std::size_t size) {
    const std::string head = R"({"jsonrpc":"2.0","id":1,"method":"daemon.info","params":{"pad":")";
    const std::string tail = R"("}})";
    return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

std::string with_name(std::string_view raw_name) {
    return R"({"jsonrpc":"2.0","id":30,"method":"token.get","params":{"name":")" +
           std::string(raw_name) + R"("}})";
}

std::size_t count_newlines(std::string_view s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Counts the allocations made through it.
class CountingResource final : public json::memory_resource {
public:
    std::size_t allocations = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        ++allocations;
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t, std::size_t align) override {
        ::operator delete(p, std::align_val_t(align));
    }
    bool do_is_equal(const memory_resource& other) const noexcept override {
        return this == &other;
    }
};

// parse_request: the envelope

TEST(ProtocolParseRequest, ValidRequest) {
    const Parsed p =
        parse(R"({"jsonrpc":"2.0","id":7,"method":"token.get","params":{"name":"github-work"}})");
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->method, "token.get");
    EXPECT_EQ(p.request->id, json::value(7));
    EXPECT_FALSE(p.request->notification);
    EXPECT_EQ(p.request->params.at("name"), json::value("github-work"));
    EXPECT_EQ(p.id, json::value(7));
}

TEST(ProtocolParseRequest, MemberOrderDoesNotMatter) {
    const Parsed p = parse(R"({"params":{},"method":"daemon.info","id":1,"jsonrpc":"2.0"})");
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->method, "daemon.info");
}

TEST(ProtocolParseRequest, WithoutIdIsANotification) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","method":"daemon.info"})");
    ASSERT_TRUE(p.request);
    EXPECT_TRUE(p.request->notification);
    EXPECT_TRUE(p.request->id.is_null());
}

TEST(ProtocolParseRequest, StringId) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":"req-1","method":"daemon.info"})");
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->id, json::value("req-1"));
    EXPECT_FALSE(p.request->notification);
}

TEST(ProtocolParseRequest, NegativeIntegerId) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":-3,"method":"daemon.info"})");
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->id, json::value(-3));
}

TEST(ProtocolParseRequest, LargestUnsignedId) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"daemon.info"})");
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->id, json::value(UINT64_MAX));
}

TEST(ProtocolParseRequest, NullIdIsARequestNotANotification) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":null,"method":"daemon.info"})");
    ASSERT_TRUE(p.request);
    EXPECT_FALSE(p.request->notification);
    EXPECT_TRUE(p.request->id.is_null());
}

TEST(ProtocolParseRequest, ObjectIdIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":{"n":11},"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, ArrayIdIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":[1],"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, FractionalIdIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":1.5,"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, BooleanIdIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":true,"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, MissingJsonrpcIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"id":6,"method":"daemon.info"})"), Errc::invalid_request);
}

TEST(ProtocolParseRequest, WrongJsonrpcVersionIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"1.0","id":7,"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, NumericJsonrpcIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":2.0,"id":8,"method":"daemon.info"})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, MissingMethodIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":9,"params":{}})"), Errc::invalid_request);
}

TEST(ProtocolParseRequest, NonStringMethodIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":10,"method":["token.get"]})"),
              Errc::invalid_request);
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":10,"method":42})"), Errc::invalid_request);
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":10,"method":null})"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, ArrayParamsAreInvalidParams) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":13,"method":"token.get","params":["x"]})"),
              Errc::invalid_params);
}

TEST(ProtocolParseRequest, ScalarParamsAreInvalidParams) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":14,"method":"token.get","params":"x"})"),
              Errc::invalid_params);
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":14,"method":"token.get","params":1})"),
              Errc::invalid_params);
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":14,"method":"token.get","params":null})"),
              Errc::invalid_params);
}

TEST(ProtocolParseRequest, MissingParamsAreAnEmptyObject) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":15,"method":"token.get"})");
    ASSERT_TRUE(p.request);
    EXPECT_TRUE(p.request->params.empty());
}

TEST(ProtocolParseRequest, NotJsonIsParseError) {
    EXPECT_EQ(parse_error_code("hello credd, this is not JSON"), Errc::parse_error);
}

TEST(ProtocolParseRequest, EmptyLineIsParseError) {
    EXPECT_EQ(parse_error_code(""), Errc::parse_error);
}

TEST(ProtocolParseRequest, TruncatedJsonIsParseError) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":2,"method":"token.get","params":{"name":)"),
              Errc::parse_error);
}

TEST(ProtocolParseRequest, TrailingGarbageIsParseError) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":3,"method":"daemon.info"} trailing)"),
              Errc::parse_error);
}

TEST(ProtocolParseRequest, TwoObjectsOnOneLineAreParseError) {
    EXPECT_EQ(parse_error_code(R"({"jsonrpc":"2.0","id":1,"method":"daemon.info"})"
                               R"({"jsonrpc":"2.0","id":2,"method":"daemon.info"})"),
              Errc::parse_error);
}

TEST(ProtocolParseRequest, TrailingNulByteIsParseError) {
    EXPECT_EQ(parse_error_code("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"daemon.info\"}\0"sv),
              Errc::parse_error);
}

TEST(ProtocolParseRequest, LoneSurrogateEscapeIsParseError) {
    // Escapes are decoded by the JSON parser: "\ud800" would be an invalid string.
    EXPECT_EQ(parse_error_code(with_name(R"(\ud800)")), Errc::parse_error);
    EXPECT_EQ(parse_error_code(with_name(R"(\udc00x)")), Errc::parse_error);
}

TEST(ProtocolParseRequest, ArrayIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"([{"jsonrpc":"2.0","id":5,"method":"daemon.info"}])"),
              Errc::invalid_request);
}

TEST(ProtocolParseRequest, ScalarIsInvalidRequest) {
    EXPECT_EQ(parse_error_code(R"("daemon.info")"), Errc::invalid_request);
    EXPECT_EQ(parse_error_code("null"), Errc::invalid_request);
}

// parse_request: limits

TEST(ProtocolParseRequest, DepthOfExactly32IsAccepted) {
    EXPECT_TRUE(parse(request_nested(max_json_depth)).request);
    EXPECT_TRUE(parse(request_nested_arrays(max_json_depth)).request);
}

TEST(ProtocolParseRequest, DepthOf33IsTooDeep) {
    EXPECT_EQ(parse_error_code(request_nested(max_json_depth + 1)), Errc::too_deep);
    EXPECT_EQ(parse_error_code(request_nested_arrays(max_json_depth + 1)), Errc::too_deep);
}

TEST(ProtocolParseRequest, VeryDeepNestingIsTooDeep) {
    EXPECT_EQ(parse_error_code(std::string(60'000, '[')), Errc::too_deep);
}

TEST(ProtocolParseRequest, OverlongUtf8IsInvalidUtf8) {
    EXPECT_EQ(parse_error_code(with_name("\xC0\xAF")), Errc::invalid_utf8);
}

TEST(ProtocolParseRequest, Utf8SurrogateIsInvalidUtf8) {
    EXPECT_EQ(parse_error_code(with_name("\xED\xA0\x80")), Errc::invalid_utf8);
}

TEST(ProtocolParseRequest, TruncatedUtf8IsInvalidUtf8) {
    EXPECT_EQ(parse_error_code(with_name("\xE2\x82")), Errc::invalid_utf8);
}

TEST(ProtocolParseRequest, CodePointAbove10FFFFIsInvalidUtf8) {
    EXPECT_EQ(parse_error_code(with_name("\xF4\x90\x80\x80")), Errc::invalid_utf8);
}

TEST(ProtocolParseRequest, InvalidUtf8OutsideStringsIsInvalidUtf8) {
    EXPECT_EQ(parse_error_code("\xFF{}"), Errc::invalid_utf8);
}

TEST(ProtocolParseRequest, ValidMultibyteUtf8IsAccepted) {
    const Parsed p = parse(with_name("gr\xC3\xBC\xC3\x9F-\xF0\x9F\x94\x91"));
    ASSERT_TRUE(p.request);
    EXPECT_EQ(p.request->params.at("name"), json::value("gr\xC3\xBC\xC3\x9F-\xF0\x9F\x94\x91"));
}

TEST(ProtocolParseRequest, LineOfExactlyTheLimitIsAccepted) {
    const std::string line = request_of_size(max_line_bytes);
    ASSERT_EQ(line.size(), 65536u);
    EXPECT_TRUE(parse(line).request);
}

TEST(ProtocolParseRequest, LineOverTheLimitIsLineTooLong) {
    EXPECT_EQ(parse_error_code(request_of_size(max_line_bytes + 1)), Errc::line_too_long);
}

TEST(ProtocolParseRequest, LengthIsCheckedBeforeUtf8) {
    std::string line = request_of_size(max_line_bytes + 1);
    line[100] = '\xFF';
    EXPECT_EQ(parse_error_code(line), Errc::line_too_long);
}

// parse_request: the id for the error response

TEST(ProtocolParseRequest, IdIsRecoveredWhenJsonrpcIsWrong) {
    const Parsed p = parse(R"({"jsonrpc":"1.0","id":5,"method":"daemon.info"})");
    ASSERT_FALSE(p.request);
    EXPECT_EQ(p.id, json::value(5));
}

TEST(ProtocolParseRequest, IdIsRecoveredWhenMethodIsMissing) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":"abc"})");
    ASSERT_FALSE(p.request);
    EXPECT_EQ(p.id, json::value("abc"));
}

TEST(ProtocolParseRequest, IdIsRecoveredWhenParamsAreNotAnObject) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":13,"method":"token.get","params":[]})");
    ASSERT_FALSE(p.request);
    EXPECT_EQ(p.id, json::value(13));
}

TEST(ProtocolParseRequest, IdOfBadTypeIsNotRecovered) {
    const Parsed p = parse(R"({"jsonrpc":"2.0","id":{"n":11},"method":"daemon.info"})");
    ASSERT_FALSE(p.request);
    EXPECT_TRUE(p.id.is_null());
}

TEST(ProtocolParseRequest, IdIsNullWhenTheLineIsNotJson) {
    json::value id = 99;
    EXPECT_FALSE(parse_request(R"({"jsonrpc":"2.0","id":3,)", id));
    EXPECT_TRUE(id.is_null());
}

TEST(ProtocolParseRequest, IdIsNullWhenTooDeep) {
    json::value id = 99;
    EXPECT_FALSE(parse_request(request_nested(max_json_depth + 1), id));
    EXPECT_TRUE(id.is_null());
}

TEST(ProtocolParseRequest, IdIsSetOnSuccessToo) {
    json::value id;
    EXPECT_TRUE(parse_request(R"({"jsonrpc":"2.0","id":"x","method":"daemon.info"})", id));
    EXPECT_EQ(id, json::value("x"));
}

// parse_request: where parsed values live

TEST(ProtocolParseRequest, ParamsAreAllocatedInTheGivenStorage) {
    CountingResource resource;
    json::value id;
    const auto request =
        parse_request(R"({"jsonrpc":"2.0","id":1,"method":"credential.add","params":{"name":"x",)"
                      R"("secret":{"token":"a-token-long-enough-to-need-its-own-allocation"}}})",
                      id, json::storage_ptr(&resource));
    ASSERT_TRUE(request);
    EXPECT_GT(resource.allocations, 0u);
    EXPECT_EQ(request->params.storage().get(), &resource);
    const json::value& token = request->params.at("secret").at("token");
    EXPECT_EQ(token.storage().get(), &resource);
}

TEST(ProtocolParseRequest, EmptyParamsUseTheGivenStorage) {
    CountingResource resource;
    json::value id;
    const auto request = parse_request(R"({"jsonrpc":"2.0","id":1,"method":"daemon.info"})", id,
                                       json::storage_ptr(&resource));
    ASSERT_TRUE(request);
    EXPECT_EQ(request->params.storage().get(), &resource);
}

// Response lines

TEST(ProtocolResponse, ResultLineIsOneLine) {
    std::string out;
    append_result_line(out, 7, json::value{{"token", "a\nb"}, {"n", 1}});
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\n');
    EXPECT_EQ(count_newlines(out), 1u);
}

TEST(ProtocolResponse, ResultLineHasTheJsonRpcShape) {
    std::string out;
    append_result_line(out, "req-1", json::value{{"name", "x"}});
    const json::value v = json::parse(out);
    EXPECT_EQ(v.at("jsonrpc"), json::value("2.0"));
    EXPECT_EQ(v.at("id"), json::value("req-1"));
    EXPECT_EQ(v.at("result").at("name"), json::value("x"));
    EXPECT_FALSE(v.as_object().contains("error"));
}

TEST(ProtocolResponse, ResultLineIsAppended) {
    std::string out = "earlier\n";
    append_result_line(out, 1, nullptr);
    EXPECT_TRUE(out.starts_with("earlier\n{"));
    EXPECT_EQ(count_newlines(out), 2u);
}

TEST(ProtocolResponse, ErrorLineIsOneLine) {
    std::string out;
    append_error_line(out, 3,
                      make_error(Errc::not_found, "credential a\nb: not found", "cred list"));
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\n');
    EXPECT_EQ(count_newlines(out), 1u);
}

TEST(ProtocolResponse, ErrorLineCarriesCodesAndHint) {
    std::string out;
    append_error_line(
        out, 7, make_error(Errc::not_found, "credential github-work: not found", "cred list"));
    const json::value v = json::parse(out);
    EXPECT_EQ(v.at("jsonrpc"), json::value("2.0"));
    EXPECT_EQ(v.at("id"), json::value(7));
    const json::value& error = v.at("error");
    EXPECT_EQ(error.at("code"), json::value(-32010));
    EXPECT_EQ(error.at("message"), json::value("credential github-work: not found"));
    EXPECT_EQ(error.at("data").at("code"), json::value("not_found"));
    EXPECT_EQ(error.at("data").at("hint"), json::value("cred list"));
    EXPECT_FALSE(v.as_object().contains("result"));
}

TEST(ProtocolResponse, ErrorLineWithoutHintHasNoHintMember) {
    std::string out;
    append_error_line(out, 1, make_error(Errc::parse_error, "request is not valid JSON"));
    const json::value v = json::parse(out);
    EXPECT_FALSE(v.at("error").at("data").as_object().contains("hint"));
}

TEST(ProtocolResponse, ErrorLineWithNullId) {
    std::string out;
    append_error_line(out, nullptr, make_error(Errc::idle_timeout, "connection idle too long"));
    EXPECT_TRUE(json::parse(out).at("id").is_null());
}

TEST(ProtocolResponse, ErrorsRoundTripThroughParseResponse) {
    for (int i = 1; i <= static_cast<int>(Errc::internal); ++i) {
        const auto code = static_cast<Errc>(i);
        std::string out;
        append_error_line(out, i, make_error(code, "subject: failed", "run: something"));
        const auto r = parse_response(out);
        ASSERT_FALSE(r) << code_name(code);
        EXPECT_EQ(r.error().code, code) << code_name(code);
        EXPECT_EQ(r.error().message, "subject: failed");
        EXPECT_EQ(r.error().hint, "run: something");
    }
}

TEST(ProtocolResponse, ResultRoundTripsThroughParseResponse) {
    const json::value result{{"name", "github-work"},
                             {"expires_at", 1798675200000},
                             {"labels", {{"team", "infra"}}},
                             {"username", nullptr}};
    std::string out;
    append_result_line(out, 1, result);
    const auto r = parse_response(out);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, result);
}

TEST(ProtocolResponse, NullResultIsASuccess) {
    const auto r = parse_response(R"({"jsonrpc":"2.0","id":1,"result":null})");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_null());
}

TEST(ProtocolResponse, UnknownErrorCodeNameIsInternal) {
    const auto r = parse_response(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32099,"message":"m","data":{"code":"from_the_future"}}})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::internal);
}

TEST(ProtocolResponse, ErrorWithoutDataIsInternal) {
    const auto r =
        parse_response(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"m"}})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::internal);
    EXPECT_EQ(r.error().message, "m");
}

TEST(ProtocolResponse, NotJsonIsParseError) {
    const auto r = parse_response("garbage");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse_error);
}

TEST(ProtocolResponse, NonObjectIsParseError) {
    const auto r = parse_response("[1,2]");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse_error);
}

TEST(ProtocolResponse, NeitherResultNorErrorIsParseError) {
    const auto r = parse_response(R"({"jsonrpc":"2.0","id":1})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse_error);
}

TEST(ProtocolResponse, NonObjectErrorIsParseError) {
    const auto r = parse_response(R"({"jsonrpc":"2.0","id":1,"error":"boom"})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse_error);
}

TEST(ProtocolResponse, TooDeepResponseIsParseError) {
    const auto r = parse_response(std::string(100, '[') + std::string(100, ']'));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse_error);
}

TEST(ProtocolResponse, ResponseLineMayEndInNewline) {
    EXPECT_TRUE(parse_response("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"));
}

// Request lines

TEST(ProtocolRequestLine, IsOneLineThatParsesBack) {
    const json::object params{{"name", "a\"b\nc"}, {"min_valid", 60}};
    const std::string line = make_request_line(42, method::token_get, params);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(count_newlines(line), 1u);
    json::value id;
    const auto request = parse_request(std::string_view(line).substr(0, line.size() - 1), id);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->method, "token.get");
    EXPECT_EQ(request->id, json::value(42));
    EXPECT_EQ(request->params, params);
}

TEST(ProtocolRequestLine, EscapesTheMethod) {
    const std::string line = make_request_line(1, "we\"ird", {});
    json::value id;
    const auto request = parse_request(std::string_view(line).substr(0, line.size() - 1), id);
    ASSERT_TRUE(request);
    EXPECT_EQ(request->method, "we\"ird");
}

// Typed parameters

TEST(ProtocolParams, GetStringReturnsTheValue) {
    const auto r = get_string(json::object{{"name", "x"}}, "name");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "x");
}

TEST(ProtocolParams, GetStringMissingIsInvalidParams) {
    const auto r = get_string(json::object{}, "name");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
}

TEST(ProtocolParams, GetStringOfOtherTypeIsInvalidParams) {
    for (const json::value& v : {json::value(42), json::value(nullptr), json::value(true),
                                 json::value(json::array{"x"}), json::value(json::object{})}) {
        const auto r = get_string(json::object{{"name", v}}, "name");
        ASSERT_FALSE(r) << json::serialize(v);
        EXPECT_EQ(r.error().code, Errc::invalid_params);
    }
}

TEST(ProtocolParams, GetOptionalStringMissingOrNullIsEmpty) {
    const auto missing = get_optional_string(json::object{}, "username");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
    const auto null = get_optional_string(json::object{{"username", nullptr}}, "username");
    ASSERT_TRUE(null);
    EXPECT_FALSE(*null);
}

TEST(ProtocolParams, GetOptionalStringReturnsTheValue) {
    const auto r = get_optional_string(json::object{{"username", "alice"}}, "username");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, "alice");
}

TEST(ProtocolParams, GetOptionalStringOfOtherTypeIsInvalidParams) {
    const auto r = get_optional_string(json::object{{"username", 7}}, "username");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
}

TEST(ProtocolParams, GetOptionalIntMissingOrNullIsEmpty) {
    const auto missing = get_optional_int(json::object{}, "min_valid");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
    const auto null = get_optional_int(json::object{{"min_valid", nullptr}}, "min_valid");
    ASSERT_TRUE(null);
    EXPECT_FALSE(*null);
}

TEST(ProtocolParams, GetOptionalIntReturnsSignedValues) {
    const auto r = get_optional_int(json::object{{"expires_at", -5}}, "expires_at");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, -5);
}

TEST(ProtocolParams, GetOptionalIntAcceptsUnsignedUpToInt64Max) {
    const auto v = json::parse("9223372036854775807");
    const auto r = get_optional_int(json::object{{"expires_at", v}}, "expires_at");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, INT64_MAX);
}

TEST(ProtocolParams, GetOptionalIntAboveInt64MaxIsInvalidParams) {
    const auto v = json::parse("9223372036854775808");
    ASSERT_TRUE(v.is_uint64());
    const auto r = get_optional_int(json::object{{"expires_at", v}}, "expires_at");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
}

TEST(ProtocolParams, GetOptionalIntOfDoubleIsInvalidParams) {
    // JSON "2.0" and "1e3" are doubles: only integers are accepted.
    for (const char* text : {"2.0", "1.5", "1e3"}) {
        const auto r =
            get_optional_int(json::object{{"min_valid", json::parse(text)}}, "min_valid");
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().code, Errc::invalid_params);
    }
}

TEST(ProtocolParams, GetOptionalIntOfStringIsInvalidParams) {
    const auto r = get_optional_int(json::object{{"min_valid", "soon"}}, "min_valid");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_params);
}

} // namespace
} // namespace credd::protocol
