// The hash that records which data a fit saw: FNV-1a 64 over the bytes of the values, in order. Stable across runs
// and machines of the same byte order; not for security.
#ifndef SCALEPLAN_CORE_HASH_H_
#define SCALEPLAN_CORE_HASH_H_

#include <cstdint>
#include <string>

namespace scaleplan {

class ValuesHash {
 public:
  void Add(double value);
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 14695981039346656037ull;  // the FNV-1a 64 offset basis
};

// 16 lower-case hex digits, as saved fits and golden files record a hash.
std::string HashToHex(std::uint64_t hash);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_HASH_H_
