# cmake -DIN=file -DOUT=file.cc -DSYMBOL=name -P EmbedFile.cmake
# Writes `namespace scaleplan::embedded { extern const std::string_view SYMBOL; }` holding IN's bytes.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
math(EXPR size "${hex_len} / 2")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN}; do not edit.\n#include <string_view>\n"
  "namespace scaleplan::embedded {\n"
  "static const char k${SYMBOL}Bytes[${size} + 1] = {${bytes} '\\0'};\n"
  "extern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL}(k${SYMBOL}Bytes, ${size});\n"
  "}  // namespace scaleplan::embedded\n")
file(RENAME "${OUT}.tmp" "${OUT}")
