#include "absl/strings/match.h"
#include "common/strings.h"
#include "gateway/core/callback_adapter.h"

namespace friendgate::gateway {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; in a query, '+' is a space (form encoding, as the
// vendors' URL builders write it), in a path it is literal.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return true;
}

// RFC 9112 3.2.2: a server must accept the absolute form
// ("http://host:port/path?query") and use its path and query.
std::string_view StripAbsoluteForm(std::string_view target) {
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        absl::EqualsIgnoreCase(ToAbsl(target.substr(0, scheme.size())), ToAbsl(scheme))) {
      const std::string_view rest = target.substr(scheme.size());
      const size_t end = rest.find_first_of("/?#");
      if (end == 0) return {};  // no authority
      if (end == std::string_view::npos) return "/";
      return rest.substr(end);  // "?x=1" alone: ParseTarget makes the path "/"
    }
  }
  return target;
}

// "//" is one "/", and a trailing "/" is dropped: OpenIM joins a base URL
// ending in "/" and the command with another "/".
void NormalizePath(std::string* path) {
  std::string out;
  out.reserve(path->size());
  for (char c : *path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  *path = std::move(out);
}

}  // namespace

std::string_view HttpRequest::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return {};
}

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(key), ToAbsl(name))) return value;
  }
  return {};
}

bool ParseTarget(std::string_view target, HttpRequest* request) {
  target = StripAbsoluteForm(target);
  const size_t question = target.find('?');
  std::string_view query;
  if (question != std::string_view::npos) {
    query = target.substr(question + 1);
    target = target.substr(0, question);
  }
  // "http://host?x=1": the path is "/".
  if (target.empty() && question != std::string_view::npos) target = "/";
  if (target.empty() || target.front() != '/') return false;
  if (!PercentDecode(target, /*plus_is_space=*/false, &request->path)) return false;
  NormalizePath(&request->path);
  request->query.clear();
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true, &key)) return false;
    if (eq != std::string_view::npos &&
        !PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true, &value)) {
      return false;
    }
    request->query.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace friendgate::gateway
