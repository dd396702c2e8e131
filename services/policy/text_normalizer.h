#ifndef FRIENDGATE_SERVICES_POLICY_TEXT_NORMALIZER_H_
#define FRIENDGATE_SERVICES_POLICY_TEXT_NORMALIZER_H_

// Unicode normalization for content rules (ICU): the text a content rule
// matches, and the words it looks for, go through the same function, so that
// `ＢＡＤ`, `B<U+200B>AD` and `bad`, or a precomposed and a decomposed `é`,
// are the same text. The normalized text keeps a map back to the original
// bytes, so that a match can be masked in the original.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace friendgate::policy {

enum class Folding {
  // Bytes as written, ASCII case-insensitive (content.normalize: false).
  kAsciiCase,
  // Unicode NFKC_Casefold: compatibility forms (full-width, ligatures,
  // circled letters...) to their plain form, case folded, default-ignorable
  // code points (zero-width space/joiners, soft hyphen, variation selectors,
  // bidi controls) removed. The default.
  kNfkcCasefold,
  // NFKC_Casefold, then each character to its Unicode TR39 skeleton (ICU's
  // spoof checker): look-alikes from other scripts (Cyrillic `а`, Greek
  // `ο`, `0`/`O`, `1`/`l`) become the same text (content.confusables: true).
  kSkeleton,
};

// The text as matched, and where each part came from. Ill-formed UTF-8 is
// never an error: an ill-formed byte sequence adds nothing to `text` (so it
// cannot split a word: `b\xFFad` reads `bad`) and becomes a segment of its
// own with no output.
struct NormalizedText {
  struct Segment {
    // Bytes [orig_begin, orig_end) of the original produced bytes
    // [norm_begin, next segment's norm_begin) of `text`; none when equal.
    uint32_t orig_begin;
    uint32_t orig_end;
    uint32_t norm_begin;
    // A run of characters copied byte for byte (or ASCII lower-cased): byte
    // i of the run came from byte i of the original range. Otherwise one
    // character and its combining marks, or one ill-formed sequence.
    bool bytewise;
  };
  std::string text;
  // Empty when `identity`: then `text` is empty too and the original is
  // matched as it is (ASCII case-insensitively), byte i mapping to byte i.
  std::vector<Segment> segments;
  bool identity = false;

  // The original byte range behind normalized bytes [begin, end) (end >
  // begin): from the first byte of the segment holding `begin` to the last
  // byte of the segment holding `end - 1`.
  std::pair<size_t, size_t> Original(size_t begin, size_t end) const;
};

// Normalizes `text` (a field of an event, or a word of a rule) into `out`
// (reused: its buffers are kept). ASCII text under kNfkcCasefold needs no
// work (identity); everything else costs one pass plus an ICU call per
// character that is not ASCII or normalization-inert (most CJK is inert).
void NormalizeText(std::string_view text, Folding folding, NormalizedText* out);

// The matching form of one word (what NormalizeText produces, as a string;
// ASCII lower-cased for kAsciiCase). Empty when nothing is left (a word of
// zero-width characters only).
std::string NormalizeWord(std::string_view word, Folding folding);

// Whether ICU's data is usable (the normalizer and the spoof checker load);
// the error text otherwise. Called once when content rules compile.
bool UnicodeDataAvailable(std::string* error);

// `original` with the original characters behind the normalized byte ranges
// `spans` replaced by one '*' per character (per segment with output:
// a decomposed `é` is one '*'; zero-width and ill-formed bytes inside a
// masked range are dropped). `spans` need not be sorted and may overlap.
std::string MaskOriginal(std::string_view original, const NormalizedText& normalized,
                         std::vector<std::pair<size_t, size_t>> spans);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_TEXT_NORMALIZER_H_
