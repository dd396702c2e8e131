#include "services/policy/text_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <memory>

namespace friendgate::policy {
namespace {

inline char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

void LowerAsciiIn(std::string* s, size_t from) {
  for (size_t i = from; i < s->size(); ++i) (*s)[i] = LowerAscii((*s)[i]);
}

// ICU's singletons, loaded once (thread-safe after construction: the
// normalizer is immutable, and a configured spoof checker's const calls are
// documented thread-safe).
struct Icu {
  const icu::Normalizer2* nfkc_cf = nullptr;
  USpoofChecker* spoof = nullptr;
  std::string error;
  // The skeleton of each ASCII character after case folding: ASCII text is
  // the common case and needs no ICU call.
  std::array<std::string, 128> ascii_skeleton;
  // Bit c: BMP code point c is normalization-inert under NFKC_Casefold (a
  // boundary before and after it, and it maps to itself): copied as it is,
  // no ICU call on the decision path. Most of CJK.
  std::vector<uint64_t> inert = std::vector<uint64_t>(1024);

  Icu() {
    UErrorCode status = U_ZERO_ERROR;
    nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status)) {
      nfkc_cf = nullptr;
      error = std::string("ICU NFKC_Casefold normalizer: ") + u_errorName(status);
      return;
    }
    status = U_ZERO_ERROR;
    spoof = uspoof_open(&status);
    if (U_FAILURE(status)) {
      spoof = nullptr;
      error = std::string("ICU spoof checker: ") + u_errorName(status);
      return;
    }
    for (int c = 0; c < 128; ++c) {
      icu::UnicodeString folded;
      UErrorCode s = U_ZERO_ERROR;
      nfkc_cf->normalize(icu::UnicodeString(static_cast<UChar32>(c)), folded, s);
      icu::UnicodeString skeleton;
      uspoof_getSkeletonUnicodeString(spoof, 0, folded, skeleton, &s);
      if (U_SUCCESS(s)) skeleton.toUTF8String(ascii_skeleton[c]);
      LowerAsciiIn(&ascii_skeleton[c], 0);
    }
    for (UChar32 c = 0x80; c < 0x10000; ++c) {
      if (!U_IS_SURROGATE(c) && nfkc_cf->isInert(c)) inert[c >> 6] |= uint64_t{1} << (c & 63);
    }
  }
};

inline bool BitSet(const std::vector<uint64_t>& bits, UChar32 c) {
  return c < 0x10000 && (bits[c >> 6] >> (c & 63) & 1) != 0;
}

const Icu& GetIcu() {
  static const Icu* icu = new Icu();  // never destroyed: used until exit
  return *icu;
}

// Bit c: inert (above) and its own TR39 skeleton. Computed on first use
// (when a confusables rule compiles), ~65,000 skeletons.
const std::vector<uint64_t>& SkeletonInert(const Icu& icu) {
  static const std::vector<uint64_t>* bits = [&icu] {
    auto* result = new std::vector<uint64_t>(1024);
    icu::UnicodeString one;
    icu::UnicodeString skeleton;
    for (UChar32 c = 0x80; c < 0x10000; ++c) {
      if (!BitSet(icu.inert, c)) continue;
      UErrorCode status = U_ZERO_ERROR;
      one.setTo(c);
      uspoof_getSkeletonUnicodeString(icu.spoof, 0, one, skeleton, &status);
      if (U_SUCCESS(status) && skeleton == one) (*result)[c >> 6] |= uint64_t{1} << (c & 63);
    }
    return result;
  }();
  return *bits;
}

bool IsAscii(std::string_view text) {
  for (char ch : text) {
    if (static_cast<uint8_t>(ch) >= 0x80) return false;
  }
  return true;
}

// Builds NormalizedText segment by segment. A segment is a run of code
// points with a normalization boundary before its first one and none before
// the others (a base character and its combining marks): normalizing the
// segments one by one gives the normalization of the whole text.
class Builder {
 public:
  Builder(const Icu& icu, Folding folding, std::string_view text, NormalizedText* out)
      : icu_(icu),
        folding_(folding),
        text_(text),
        out_(out),
        copied_(folding == Folding::kSkeleton ? SkeletonInert(icu) : icu.inert) {}

  void Run() {
    const auto* bytes = reinterpret_cast<const uint8_t*>(text_.data());
    const int32_t length = static_cast<int32_t>(text_.size());
    int32_t i = 0;
    while (i < length) {
      const int32_t start = i;
      if (bytes[i] < 0x80) {
        // ASCII: a boundary before it; pending alone until a combining mark
        // joins it.
        Flush();
        pending_ = Pending::kAscii;
        pending_ascii_ = static_cast<char>(bytes[i]);
        pending_begin_ = start;
        pending_end_ = ++i;
        continue;
      }
      UChar32 c;
      U8_NEXT(bytes, i, length, c);
      if (c < 0) {
        // Ill-formed: a segment of its own that produces nothing.
        Flush();
        Push(start, i);
        continue;
      }
      if (BitSet(copied_, c)) {
        Flush();
        out_->text.append(text_.substr(start, i - start));
        Copied(start, i - start);
        continue;
      }
      if (pending_ == Pending::kNone || icu_.nfkc_cf->hasBoundaryBefore(c)) {
        Flush();
        pending_ = Pending::kSingle;
        pending_begin_ = start;
        chars_.remove();
      } else if (pending_ == Pending::kAscii) {
        pending_ = Pending::kMulti;
        chars_.remove();
        chars_.append(static_cast<UChar32>(static_cast<uint8_t>(pending_ascii_)));
      } else {
        pending_ = Pending::kMulti;
      }
      chars_.append(c);
      pending_end_ = i;
    }
    Flush();
  }

 private:
  enum class Pending { kNone, kAscii, kSingle, kMulti };

  void Push(int32_t begin, int32_t end) {
    out_->segments.push_back({static_cast<uint32_t>(begin), static_cast<uint32_t>(end),
                              static_cast<uint32_t>(out_->text.size()), false});
  }

  // The last `length` bytes of the output are original bytes [begin,
  // begin + length), byte for byte: joined to the run before when adjacent.
  void Copied(int32_t begin, int32_t length) {
    const auto norm_begin = static_cast<uint32_t>(out_->text.size() - length);
    auto& segs = out_->segments;
    if (!segs.empty() && segs.back().bytewise &&
        segs.back().orig_end == static_cast<uint32_t>(begin) &&
        segs.back().norm_begin + (segs.back().orig_end - segs.back().orig_begin) == norm_begin) {
      segs.back().orig_end += length;
      return;
    }
    segs.push_back(
        {static_cast<uint32_t>(begin), static_cast<uint32_t>(begin + length), norm_begin, true});
  }

  // Emits the pending segment, if any.
  void Flush() {
    const Pending pending = pending_;
    if (pending == Pending::kNone) return;
    pending_ = Pending::kNone;
    if (pending == Pending::kAscii) {
      const std::string& skeleton = icu_.ascii_skeleton[static_cast<uint8_t>(pending_ascii_)];
      if (folding_ == Folding::kSkeleton && skeleton.size() != 1) {
        Push(pending_begin_, pending_end_);
        out_->text += skeleton;
        return;
      }
      out_->text.push_back(folding_ == Folding::kSkeleton ? skeleton[0]
                                                          : LowerAscii(pending_ascii_));
      Copied(pending_begin_, 1);
      return;
    }
    Push(pending_begin_, pending_end_);
    const std::string_view original = text_.substr(pending_begin_, pending_end_ - pending_begin_);
    if (folding_ == Folding::kNfkcCasefold && pending == Pending::kSingle &&
        icu_.nfkc_cf->isInert(chars_.char32At(0))) {
      out_->text.append(original);  // most CJK: unchanged
      return;
    }
    UErrorCode status = U_ZERO_ERROR;
    folded_.remove();
    icu_.nfkc_cf->normalize(chars_, folded_, status);
    if (U_FAILURE(status)) {
      out_->text.append(original);
      return;
    }
    if (folding_ == Folding::kSkeleton && !folded_.isEmpty()) {
      skeleton_.remove();
      uspoof_getSkeletonUnicodeString(icu_.spoof, 0, folded_, skeleton_, &status);
      if (U_SUCCESS(status)) {
        const size_t at = out_->text.size();
        skeleton_.toUTF8String(out_->text);
        LowerAsciiIn(&out_->text, at);  // skeletons use capitals ('0' -> 'O')
        return;
      }
    }
    folded_.toUTF8String(out_->text);
  }

  const Icu& icu_;
  Folding folding_;
  std::string_view text_;
  NormalizedText* out_;
  const std::vector<uint64_t>& copied_;
  Pending pending_ = Pending::kNone;
  char pending_ascii_ = 0;
  int32_t pending_begin_ = 0;
  int32_t pending_end_ = 0;
  icu::UnicodeString chars_;
  icu::UnicodeString folded_;
  icu::UnicodeString skeleton_;
};

}  // namespace

std::pair<size_t, size_t> NormalizedText::Original(size_t begin, size_t end) const {
  if (identity) return {begin, end};
  auto containing = [&](size_t pos) {
    auto it = std::upper_bound(segments.begin(), segments.end(), pos,
                               [](size_t p, const Segment& s) { return p < s.norm_begin; });
    return it - 1;  // segments[0].norm_begin == 0 <= pos
  };
  const auto first = containing(begin);
  const auto last = containing(end - 1);
  return {first->bytewise ? first->orig_begin + (begin - first->norm_begin) : first->orig_begin,
          last->bytewise ? last->orig_begin + (end - last->norm_begin) : last->orig_end};
}

void NormalizeText(std::string_view text, Folding folding, NormalizedText* out) {
  out->text.clear();
  out->segments.clear();
  out->identity = false;
  if (folding == Folding::kAsciiCase || (folding == Folding::kNfkcCasefold && IsAscii(text))) {
    out->identity = true;
    return;
  }
  const Icu& icu = GetIcu();
  if (icu.nfkc_cf == nullptr || icu.spoof == nullptr) {
    out->identity = true;  // unreachable: rules do not compile without ICU
    return;
  }
  out->text.reserve(text.size());
  Builder(icu, folding, text, out).Run();
}

std::string NormalizeWord(std::string_view word, Folding folding) {
  NormalizedText normalized;
  NormalizeText(word, folding, &normalized);
  if (!normalized.identity) return normalized.text;
  std::string result(word);
  for (char& c : result) c = LowerAscii(c);
  return result;
}

bool UnicodeDataAvailable(std::string* error) {
  const Icu& icu = GetIcu();
  if (icu.nfkc_cf != nullptr && icu.spoof != nullptr) return true;
  *error = icu.error;
  return false;
}

std::string MaskOriginal(std::string_view original, const NormalizedText& normalized,
                         std::vector<std::pair<size_t, size_t>> spans) {
  // Original ranges, merged.
  std::vector<std::pair<size_t, size_t>> ranges;
  ranges.reserve(spans.size());
  for (const auto& [b, e] : spans) {
    if (e > b) ranges.push_back(normalized.Original(b, e));
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  std::string result;
  result.reserve(original.size());
  size_t at = 0;
  size_t segment = 0;
  for (const auto& [b, e] : merged) {
    result.append(original.substr(at, b - at));
    if (normalized.identity) {
      for (size_t i = b; i < e; ++i) {
        // One '*' per UTF-8 character: skip continuation bytes.
        if ((static_cast<uint8_t>(original[i]) & 0xC0) != 0x80) result.push_back('*');
      }
    } else {
      const auto& segs = normalized.segments;
      while (segment < segs.size() && segs[segment].orig_end <= b) ++segment;
      for (; segment < segs.size() && segs[segment].orig_begin < e; ++segment) {
        const NormalizedText::Segment& seg = segs[segment];
        if (seg.bytewise) {
          const size_t to = std::min<size_t>(e, seg.orig_end);
          for (size_t i = std::max<size_t>(b, seg.orig_begin); i < to; ++i) {
            if ((static_cast<uint8_t>(original[i]) & 0xC0) != 0x80) result.push_back('*');
          }
          continue;
        }
        const uint32_t next_norm = segment + 1 < segs.size()
                                       ? segs[segment + 1].norm_begin
                                       : static_cast<uint32_t>(normalized.text.size());
        if (next_norm > seg.norm_begin) result.push_back('*');
      }
      // A run may go on past the range.
      if (segment > 0 && segs[segment - 1].orig_end > e) --segment;
    }
    at = e;
  }
  result.append(original.substr(at));
  return result;
}

}  // namespace friendgate::policy
