// Tests for credential names, the record's JSON form and the secrets' binary form.
#include <functional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "credential.hh"

namespace credd {
namespace {

CredentialRecord sample_record() {
    CredentialRecord r;
    r.name = "github-work";
    r.kind = "static";
    r.match = *parse_url("https://alice@github.com:8443/org");
    r.expires_at = 1798675200000;
    r.labels = {{"team", "infra"}, {"env", "prod"}};
    r.params = {{"token_url", "https://idp.example/token"}, {"scopes", {"a", "b"}}};
    r.generation = 7;
    r.created_at = 1700000000000;
    r.updated_at = 1700000001000;
    return r;
}

void expect_same_record(const CredentialRecord& a, const CredentialRecord& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.match.to_string(), b.match.to_string());
    EXPECT_EQ(a.match.username, b.match.username);
    EXPECT_EQ(a.expires_at, b.expires_at);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.generation, b.generation);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
}

TEST(CredentialName, AcceptsLettersDigitsAndSafePunctuation) {
    EXPECT_TRUE(is_valid_name("github-work"));
    EXPECT_TRUE(is_valid_name("a"));
    EXPECT_TRUE(is_valid_name("0"));
    EXPECT_TRUE(is_valid_name("svc.account_1@corp+ci-2"));
}

TEST(CredentialName, AcceptsUpTo128Characters) {
    EXPECT_TRUE(is_valid_name(std::string(128, 'a')));
    EXPECT_FALSE(is_valid_name(std::string(129, 'a')));
}

TEST(CredentialName, RejectsEmpty) {
    EXPECT_FALSE(is_valid_name(""));
}

TEST(CredentialName, RejectsLeadingPunctuation) {
    for (const char* name : {".hidden", "-flag", "_x", "@x", "+x"}) {
        EXPECT_FALSE(is_valid_name(name)) << name;
    }
}

TEST(CredentialName, RejectsSeparatorsAndControlCharacters) {
    for (const char* name :
         {"a b", "a/b", "a:b", "a\nb", "a\tb", "a\"b", "a'b", "a$b", "caf\xc3\xa9"}) {
        EXPECT_FALSE(is_valid_name(name)) << name;
    }
    EXPECT_FALSE(is_valid_name(std::string_view("a\0b", 3)));
}

TEST(CredentialRecordJson, RoundTrips) {
    const CredentialRecord r = sample_record();
    const auto back = record_from_json(record_to_json(r));
    ASSERT_TRUE(back);
    expect_same_record(*back, r);
}

TEST(CredentialRecordJson, RoundTripsThroughText) {
    const CredentialRecord r = sample_record();
    const auto back =
        record_from_json(boost::json::parse(boost::json::serialize(record_to_json(r))));
    ASSERT_TRUE(back);
    expect_same_record(*back, r);
}

TEST(CredentialRecordJson, UrlLeavesTheUsernameToItsOwnMember) {
    const boost::json::object o = record_to_json(sample_record());
    EXPECT_EQ(o.at("url").as_string(), "https://github.com:8443/org");
    EXPECT_EQ(o.at("username").as_string(), "alice");
}

TEST(CredentialRecordJson, AbsentUsernameAndExpiryAreNull) {
    CredentialRecord r = sample_record();
    r.match.username.reset();
    r.expires_at.reset();
    const boost::json::object o = record_to_json(r);
    EXPECT_TRUE(o.at("username").is_null());
    EXPECT_TRUE(o.at("expires_at").is_null());
    const auto back = record_from_json(o);
    ASSERT_TRUE(back);
    expect_same_record(*back, r);
}

TEST(CredentialRecordJson, NotAnObjectIsCorrupt) {
    const auto r = record_from_json(boost::json::array{1, 2});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

struct Damage {
    const char* label;
    std::function<void(boost::json::object&)> apply;
};

class CredentialRecordDamage : public ::testing::TestWithParam<Damage> {};

TEST_P(CredentialRecordDamage, IsCorrupt) {
    boost::json::object o = record_to_json(sample_record());
    GetParam().apply(o);
    const auto r = record_from_json(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

void erase(boost::json::object& o, std::string_view key) {
    o.erase(key);
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, CredentialRecordDamage,
    ::testing::Values(
        Damage{"missing_name", [](auto& o) { erase(o, "name"); }},
        Damage{"invalid_name", [](auto& o) { o["name"] = "../etc"; }},
        Damage{"numeric_name", [](auto& o) { o["name"] = 5; }},
        Damage{"missing_kind", [](auto& o) { erase(o, "kind"); }},
        Damage{"empty_kind", [](auto& o) { o["kind"] = ""; }},
        Damage{"missing_url", [](auto& o) { erase(o, "url"); }},
        Damage{"invalid_url", [](auto& o) { o["url"] = "github.com"; }},
        Damage{"url_with_username", [](auto& o) { o["url"] = "https://bob@github.com"; }},
        Damage{"missing_username", [](auto& o) { erase(o, "username"); }},
        Damage{"empty_username", [](auto& o) { o["username"] = ""; }},
        Damage{"numeric_username", [](auto& o) { o["username"] = 1; }},
        Damage{"missing_expires_at", [](auto& o) { erase(o, "expires_at"); }},
        Damage{"string_expires_at", [](auto& o) { o["expires_at"] = "2026-01-01"; }},
        Damage{"fractional_expires_at", [](auto& o) { o["expires_at"] = 1.5; }},
        Damage{"missing_labels", [](auto& o) { erase(o, "labels"); }},
        Damage{"array_labels", [](auto& o) { o["labels"] = boost::json::array{}; }},
        Damage{"numeric_label",
               [](auto& o) {
                   o["labels"] = {{"team", 1}};
               }},
        Damage{"missing_params", [](auto& o) { erase(o, "params"); }},
        Damage{"string_params", [](auto& o) { o["params"] = "x"; }},
        Damage{"missing_generation", [](auto& o) { erase(o, "generation"); }},
        Damage{"negative_generation", [](auto& o) { o["generation"] = -1; }},
        Damage{"missing_created_at", [](auto& o) { erase(o, "created_at"); }},
        Damage{"huge_created_at", [](auto& o) { o["created_at"] = ~std::uint64_t{0}; }},
        Damage{"null_updated_at", [](auto& o) { o["updated_at"] = nullptr; }}),
    [](const auto& info) { return std::string(info.param.label); });

SecretMaterial sample_secrets() {
    SecretMaterial m;
    m.token = Secret("tok-credential-test-access");
    m.refresh_token = Secret("tok-credential-test-refresh");
    m.client_secret = Secret("tok-credential-test-client");
    return m;
}

TEST(SecretEncoding, RoundTripsEveryField) {
    const Secret encoded = encode_secrets(sample_secrets());
    const auto back = decode_secrets(encoded.expose());
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->token.equals("tok-credential-test-access"));
    EXPECT_TRUE(back->refresh_token.equals("tok-credential-test-refresh"));
    EXPECT_TRUE(back->client_secret.equals("tok-credential-test-client"));
}

TEST(SecretEncoding, AbsentFieldsStayEmpty) {
    SecretMaterial m;
    m.token = Secret("tok-only");
    const auto back = decode_secrets(encode_secrets(m).expose());
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->token.equals("tok-only"));
    EXPECT_TRUE(back->refresh_token.empty());
    EXPECT_TRUE(back->client_secret.empty());
}

TEST(SecretEncoding, BinarySecretsRoundTrip) {
    SecretMaterial m;
    const std::string bytes("\0\xff\x01\n", 4);
    m.token = Secret(bytes);
    const auto back = decode_secrets(encode_secrets(m).expose());
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->token.equals(bytes));
}

TEST(SecretEncoding, NothingEncodesToTheVersionByteAlone) {
    const Secret encoded = encode_secrets(SecretMaterial{});
    EXPECT_EQ(encoded.size(), 1u);
    EXPECT_TRUE(decode_secrets(encoded.expose()));
}

TEST(SecretEncoding, EmptyInputIsCorrupt) {
    const auto r = decode_secrets("");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

TEST(SecretEncoding, UnknownVersionIsCorrupt) {
    std::string bytes(encode_secrets(sample_secrets()).expose());
    bytes[0] = 3;
    const auto r = decode_secrets(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

TEST(SecretEncoding, EveryTruncationInsideAFieldIsCorrupt) {
    const SecretMaterial m = sample_secrets();
    const std::string bytes(encode_secrets(m).expose());
    // Cutting exactly between fields leaves a shorter, well-formed encoding.
    const std::size_t first_end = 1 + 5 + m.token.size();
    const std::size_t second_end = first_end + 5 + m.refresh_token.size();
    for (std::size_t n = 2; n < bytes.size(); ++n) {
        if (n == first_end || n == second_end) {
            continue;
        }
        const auto r = decode_secrets(std::string_view(bytes).substr(0, n));
        ASSERT_FALSE(r) << "length " << n;
        EXPECT_EQ(r.error().code, Errc::corrupt) << "length " << n;
    }
}

TEST(SecretEncoding, UnknownTagIsCorrupt) {
    const std::string bytes("\x01\x09\x01\x00\x00\x00x", 7);
    const auto r = decode_secrets(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

TEST(SecretEncoding, RepeatedFieldIsCorrupt) {
    const std::string bytes("\x01\x01\x01\x00\x00\x00x\x01\x01\x00\x00\x00y", 13);
    const auto r = decode_secrets(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

TEST(SecretEncoding, TheIdTokenRoundTripsInVersionTwo) {
    SecretMaterial m = sample_secrets();
    m.id_token = Secret("eyJ.tok-credential-test-id.sig");
    const Secret encoded = encode_secrets(m);
    EXPECT_EQ(encoded.expose().front(), '\x02');
    const auto back = decode_secrets(encoded.expose());
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->id_token.equals("eyJ.tok-credential-test-id.sig"));
    EXPECT_TRUE(back->refresh_token.equals("tok-credential-test-refresh"));
}

TEST(SecretEncoding, AVersionOneRecordStillDecodes) {
    // What credd before the ID token wrote: version 1, a token and a refresh token.
    const std::string v1("\x01\x01\x02\x00\x00\x00"
                         "at\x02\x02\x00\x00\x00"
                         "rt",
                         15);
    const auto back = decode_secrets(v1);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->token.equals("at"));
    EXPECT_TRUE(back->refresh_token.equals("rt"));
    EXPECT_TRUE(back->id_token.empty());
    // Version 1 had no id_token tag: one there is damage.
    const auto bad = decode_secrets(std::string("\x01\x04\x01\x00\x00\x00x", 7));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::corrupt);
}

TEST(SecretEncoding, EmptyFieldIsCorrupt) {
    const std::string bytes("\x01\x01\x00\x00\x00\x00", 6);
    const auto r = decode_secrets(bytes);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
}

} // namespace
} // namespace credd
