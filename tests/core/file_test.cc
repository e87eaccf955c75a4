#include "core/file.h"

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

TEST(ReadWholeFile, ReturnsEveryByte) {
  const std::string bytes("a,b\r\n\0x\xff", 8);  // CR, NUL and a non-UTF-8 byte come back as they are
  EXPECT_EQ(ReadWholeFile(testing::WriteTempFile("bytes.bin", bytes)), bytes);
  EXPECT_EQ(ReadWholeFile(testing::WriteTempFile("empty.csv", "")), "");
}

TEST(ReadWholeFile, NamesThePathAndTheReason) {
  const std::string missing = testing::WriteTempFile("here.csv", "") + ".missing";
  try {
    ReadWholeFile(missing);
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), missing + ": cannot read the file (No such file or directory)");
  }
}

}  // namespace
}  // namespace scaleplan
