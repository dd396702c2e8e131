#include "services/commands/usersig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>
#include <zlib.h>

#include "absl/strings/escaping.h"
#include "common/json_writer.h"
#include "common/strings.h"

namespace friendgate::commands {

namespace {

constexpr size_t kMaxUserSigBytes = 4096;
constexpr size_t kMaxInflatedBytes = 16384;

std::string Base64(std::string_view bytes) {
  std::string out;
  absl::Base64Escape(ToAbsl(bytes), &out);
  return out;
}

absl::Status Inflate(std::string_view in, std::string* out) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return absl::InternalError("inflateInit failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  out->assign(kMaxInflatedBytes + 1, '\0');
  stream.next_out = reinterpret_cast<Bytef*>(out->data());
  stream.avail_out = static_cast<uInt>(out->size());
  const int rc = inflate(&stream, Z_FINISH);
  const size_t produced = out->size() - stream.avail_out;
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) {
    return absl::InvalidArgumentError(produced > kMaxInflatedBytes ? "usersig: inflates too far"
                                                                   : "usersig: not zlib data");
  }
  out->resize(produced);
  return absl::OkStatus();
}

}  // namespace

std::string UserSigContent(std::string_view identifier, uint64_t sdk_app_id, int64_t time,
                           int64_t expire) {
  return StrCat("TLS.identifier:", identifier, "\n", "TLS.sdkappid:", sdk_app_id, "\n",
                "TLS.time:", time, "\n", "TLS.expire:", expire, "\n");
}

std::string UserSigHmac(std::string_view secret_key, std::string_view identifier,
                        uint64_t sdk_app_id, int64_t time, int64_t expire) {
  const std::string content = UserSigContent(identifier, sdk_app_id, time, expire);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_key.data(), static_cast<int>(secret_key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest, &length);
  return Base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string GenerateUserSig(uint64_t sdk_app_id, std::string_view identifier,
                            std::string_view secret_key, int64_t time, int64_t expire) {
  // Field order as in the reference implementations.
  std::string json;
  JsonWriter w(json);
  w.BeginObject();
  w.Key("TLS.ver").String("2.0");
  w.Key("TLS.identifier").String(identifier);
  w.Key("TLS.sdkappid").Int(static_cast<int64_t>(sdk_app_id));
  w.Key("TLS.expire").Int(expire);
  w.Key("TLS.time").Int(time);
  w.Key("TLS.sig").String(UserSigHmac(secret_key, identifier, sdk_app_id, time, expire));
  w.EndObject();

  uLongf compressed_size = compressBound(json.size());
  std::string compressed(compressed_size, '\0');
  compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
            reinterpret_cast<const Bytef*>(json.data()), json.size(), Z_DEFAULT_COMPRESSION);
  compressed.resize(compressed_size);

  std::string sig = Base64(compressed);
  for (char& c : sig) {
    if (c == '+')
      c = '*';
    else if (c == '/')
      c = '-';
    else if (c == '=')
      c = '_';
  }
  return sig;
}

absl::StatusOr<UserSigFields> DecodeUserSig(std::string_view usersig) {
  if (usersig.empty() || usersig.size() > kMaxUserSigBytes) {
    return absl::InvalidArgumentError("usersig: empty or too long");
  }
  std::string b64(usersig);
  for (char& c : b64) {
    if (c == '*')
      c = '+';
    else if (c == '-')
      c = '/';
    else if (c == '_')
      c = '=';
  }
  std::string compressed;
  if (!absl::Base64Unescape(ToAbsl(b64), &compressed)) {
    return absl::InvalidArgumentError("usersig: not base64");
  }
  std::string json;
  if (absl::Status s = Inflate(compressed, &json); !s.ok()) return s;

  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json).get_object().get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: not a JSON object");
  }
  UserSigFields fields;
  std::string_view text;
  int64_t number = 0;
  uint64_t unsigned_number = 0;
  if (object["TLS.ver"].get_string().get(text) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.ver missing");
  }
  fields.version = std::string(text);
  if (object["TLS.identifier"].get_string().get(text) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.identifier missing");
  }
  fields.identifier = std::string(text);
  if (object["TLS.sdkappid"].get_uint64().get(unsigned_number) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.sdkappid missing");
  }
  fields.sdk_app_id = unsigned_number;
  if (object["TLS.time"].get_int64().get(number) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.time missing");
  }
  fields.time = number;
  if (object["TLS.expire"].get_int64().get(number) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.expire missing");
  }
  fields.expire = number;
  if (object["TLS.sig"].get_string().get(text) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("usersig: TLS.sig missing");
  }
  fields.sig = std::string(text);
  return fields;
}

absl::Status VerifyUserSig(std::string_view usersig, std::string_view secret_key,
                           uint64_t sdk_app_id, std::string_view identifier, absl::Time now) {
  absl::StatusOr<UserSigFields> fields = DecodeUserSig(usersig);
  if (!fields.ok()) return absl::UnauthenticatedError(fields.status().message());
  if (fields->version != "2.0") return absl::UnauthenticatedError("usersig: not version 2.0");
  if (fields->sdk_app_id != sdk_app_id) {
    return absl::UnauthenticatedError("usersig: sdkappid mismatch");
  }
  if (fields->identifier != identifier) {
    return absl::UnauthenticatedError("usersig: identifier mismatch");
  }
  if (now >= absl::FromUnixSeconds(fields->time) + absl::Seconds(fields->expire)) {
    return absl::DeadlineExceededError("usersig: expired");
  }
  const std::string expected =
      UserSigHmac(secret_key, fields->identifier, fields->sdk_app_id, fields->time, fields->expire);
  if (fields->sig.size() != expected.size() ||
      CRYPTO_memcmp(fields->sig.data(), expected.data(), expected.size()) != 0) {
    return absl::UnauthenticatedError("usersig: signature mismatch");
  }
  return absl::OkStatus();
}

UserSigCache::UserSigCache(uint64_t sdk_app_id, std::string identifier, std::string secret_key,
                           absl::Duration ttl, Clock* clock)
    : sdk_app_id_(sdk_app_id),
      identifier_(std::move(identifier)),
      secret_key_(std::move(secret_key)),
      ttl_(ttl),
      clock_(clock) {}

std::string UserSigCache::Get() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (sig_.empty() || now >= renew_at_) {
    const int64_t t = absl::ToUnixSeconds(now);
    sig_ = GenerateUserSig(sdk_app_id_, identifier_, secret_key_, t, absl::ToInt64Seconds(ttl_));
    renew_at_ = absl::FromUnixSeconds(t) + ttl_ / 2;
    ++generated_;
  }
  return sig_;
}

void UserSigCache::Invalidate() {
  absl::MutexLock lock(&mu_);
  sig_.clear();
}

int64_t UserSigCache::generated() const {
  absl::MutexLock lock(&mu_);
  return generated_;
}

}  // namespace friendgate::commands
