// FormEncoding: form bodies both ways and client_secret_basic.
#include <gtest/gtest.h>

#include "form_encoding.hh"

namespace credd {
namespace {

TEST(FormEncoding, EncodesAllButUnreserved) {
    EXPECT_EQ(form_urlencode("a-b.c_d~e"), "a-b.c_d~e");
    EXPECT_EQ(form_urlencode("a b+c/d:e"), "a%20b%2Bc%2Fd%3Ae");
    EXPECT_EQ(form_urlencode("\xc3\xa9"), "%C3%A9");
}

TEST(FormEncoding, AppendsFieldsWithAmpersands) {
    std::string body;
    append_form_field(body, "grant_type", "refresh_token");
    append_form_field(body, "scope", "openid offline_access");
    EXPECT_EQ(body, "grant_type=refresh_token&scope=openid%20offline_access");
}

TEST(FormEncoding, DecodesPlusAndPercent) {
    auto f = form_decode("a=x+y&b=%2F%3d&c=");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->at("a"), "x y");
    EXPECT_EQ(f->at("b"), "/=");
    EXPECT_EQ(f->at("c"), "");
}

TEST(FormEncoding, RefusesWhatIsNotAForm) {
    EXPECT_FALSE(form_decode("just text"));
    EXPECT_FALSE(form_decode("a=%G1"));
    EXPECT_FALSE(form_decode("a=%4"));
}

TEST(FormEncoding, BasicAuthEncodesIdAndSecretFirst) {
    // RFC 6749 §2.3.1: "client:id" / "s3cr:t é" are form-urlencoded, then joined by ':'.
    // base64("client%3Aid:s3cr%3At%20%C3%A9")
    EXPECT_EQ(basic_authorization("client:id", "s3cr:t \xc3\xa9").expose(),
              "Basic Y2xpZW50JTNBaWQ6czNjciUzQXQlMjAlQzMlQTk=");
    EXPECT_EQ(basic_authorization("app", "pw").expose(), "Basic YXBwOnB3");
}

} // namespace
} // namespace credd
