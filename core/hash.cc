#include "core/hash.h"

#include <cstdio>
#include <cstring>

namespace scaleplan {

void ValuesHash::Add(double value) {
  unsigned char bytes[sizeof(double)];
  std::memcpy(bytes, &value, sizeof value);
  for (unsigned char byte : bytes) {
    hash_ ^= byte;
    hash_ *= 1099511628211ull;  // the FNV-1a 64 prime
  }
}

std::string HashToHex(std::uint64_t hash) {
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace scaleplan
