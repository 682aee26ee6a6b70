// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/signer.hpp"

#include <gtest/gtest.h>

#include "ipp/util/error.hpp"

namespace ipp::wire {
namespace {

// Golden values computed once with /usr/bin/python3:
//   m = hmac.new(kKey, digestmod=getattr(hashlib, name))
//   for p in parts: m.update(p)
//   m.hexdigest()
constexpr std::string_view kKey = "f84aae54-e1022fc2516dd0e58d8076cd";
const std::array<std::string_view, 4> kParts = {R"({"msg_id":"a","msg_type":"t"})", "{}", "{}",
                                                "{\"x\":\"\xc3\xa9\"}"};
constexpr std::string_view kSha256 =
    "7fbc9a777867e776840dd6b77b558329a0cf13f01e9efbd63d0cde473bfafbd4";

TEST(SignerTest, MatchesPythonHmacSha256) {
  const Signer signer(kKey);
  EXPECT_TRUE(signer.enabled());
  EXPECT_EQ(signer.signature_size(), 64u);
  EXPECT_EQ(signer.sign(kParts), kSha256);
}

TEST(SignerTest, MatchesPythonForOtherHashlibSchemes) {
  const std::pair<const char*, const char*> golden[] = {
      {"hmac-sha1", "30d9a3cc619730f2d28dc802bc1c231f01756e40"},
      {"hmac-sha512",
       "e5c4c729f3f643a676eba4cee95acac96aee7db6408dad83985ba76fd4e77f724218a218521335c5f97f5c00"
       "8133f97721df1e0816a0c845daa8fbd27c31dc56"},
      {"hmac-md5", "c88284b8742965f4a96123c4855f778b"},
      {"hmac-sha3_256", "7aa80c49e4de1db40b64fbe120ec37ce7fe72e402d0672659ff85c8eddcce8f9"},
      {"hmac-blake2b",
       "1148c6b6847d70a582481ec8526cecd2acb968d41bed7ebbce56a4cca1ffc2aa5c6bd7b794143e395890f20a"
       "846cd230befda9d4c7f69ddff10ff3b73961a0f1"},
  };
  for (const auto& [scheme, hex] : golden) {
    const Signer signer(kKey, scheme);
    EXPECT_EQ(signer.sign(kParts), hex) << scheme;
    EXPECT_TRUE(signer.verify(hex, kParts)) << scheme;
  }
}

TEST(SignerTest, DefaultSchemeIsSha256) { EXPECT_EQ(Signer(kKey).scheme(), "hmac-sha256"); }

TEST(SignerTest, VerifiesOwnSignature) {
  const Signer signer(kKey);
  EXPECT_TRUE(signer.verify(kSha256, kParts));
}

TEST(SignerTest, RejectsWrongSignature) {
  const Signer signer(kKey);
  std::string wrong(kSha256);
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  EXPECT_FALSE(signer.verify(wrong, kParts));
}

TEST(SignerTest, RejectsTruncatedSignature) {
  const Signer signer(kKey);
  EXPECT_FALSE(signer.verify(kSha256.substr(0, 63), kParts));
  EXPECT_FALSE(signer.verify(kSha256.substr(0, 32), kParts));
}

TEST(SignerTest, RejectsOverlongSignature) {
  const Signer signer(kKey);
  EXPECT_FALSE(signer.verify(std::string(kSha256) + "0", kParts));
}

TEST(SignerTest, RejectsEmptySignature) {
  EXPECT_FALSE(Signer(kKey).verify("", kParts));
}

TEST(SignerTest, RejectsUppercaseHex) {
  // Python compares the hexdigest bytes, which are lowercase.
  std::string upper(kSha256);
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_FALSE(Signer(kKey).verify(upper, kParts));
}

TEST(SignerTest, RejectsChangedPayload) {
  const Signer signer(kKey);
  auto parts = kParts;
  parts[2] = R"({"a":1})";
  EXPECT_FALSE(signer.verify(kSha256, parts));
}

TEST(SignerTest, FrameBoundariesDoNotMatter) {
  // HMAC over the concatenation, as Python's successive update() calls.
  const Signer signer(kKey);
  const std::array<std::string_view, 4> moved = {R"({"msg_id":"a","msg_type":"t"}{})", "", "{}",
                                                 "{\"x\":\"\xc3\xa9\"}"};
  EXPECT_EQ(signer.sign(moved), kSha256);
}

TEST(SignerTest, KeyIsNotHexDecoded) {
  EXPECT_NE(Signer("00ff").sign(kParts), Signer(std::string("\x00\xff", 2)).sign(kParts));
}

TEST(SignerTest, EmptyKeyDisablesSigning) {
  const Signer signer("");
  EXPECT_FALSE(signer.enabled());
  EXPECT_EQ(signer.signature_size(), 0u);
  EXPECT_EQ(signer.sign(kParts), "");
  EXPECT_TRUE(signer.verify("", kParts));
  EXPECT_TRUE(signer.verify("anything", kParts));
}

TEST(SignerTest, UnknownHashThrows) {
  try {
    Signer signer(kKey, "hmac-nosuchhash");
    FAIL() << "no exception";
  } catch (const ipp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hmac-nosuchhash"), std::string::npos) << e.what();
  }
}

TEST(SignerTest, SchemeWithoutHmacPrefixThrows) {
  EXPECT_THROW(Signer(kKey, "sha256"), ipp::Error);
  EXPECT_THROW(Signer(kKey, "hmac-"), ipp::Error);
  EXPECT_THROW(Signer(kKey, ""), ipp::Error);
}

TEST(SignerTest, SchemeCheckedEvenWithEmptyKey) {
  EXPECT_THROW(Signer("", "hmac-nosuchhash"), ipp::Error);
}

TEST(SignerTest, ExtendableOutputHashThrows) {
  EXPECT_THROW(Signer(kKey, "hmac-shake_128"), ipp::Error);
}

TEST(SignerTest, CopiesSignIndependently) {
  const Signer original(kKey);
  Signer copy = original;
  EXPECT_EQ(copy.sign(kParts), kSha256);
  Signer assigned("other");
  assigned = copy;
  EXPECT_EQ(assigned.sign(kParts), kSha256);
  Signer moved = std::move(copy);
  EXPECT_EQ(moved.sign(kParts), kSha256);
  EXPECT_EQ(original.sign(kParts), kSha256);
}

}  // namespace
}  // namespace ipp::wire
