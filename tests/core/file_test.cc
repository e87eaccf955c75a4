#include "core/file.h"

#include <filesystem>
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

TEST(ResolveOutputTarget, FollowsLinksAndWritesDevicesInPlace) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::WriteTempFile("placeholder", "")).parent_path();
  const fs::path file = dir / "file.csv";
  testing::WriteTempFile("file.csv", "x");
  // A regular file, and a path that does not exist yet: replaced atomically where they are.
  EXPECT_EQ(ResolveOutputTarget(file.string()).path, file.string());
  EXPECT_FALSE(ResolveOutputTarget(file.string()).direct);
  EXPECT_EQ(ResolveOutputTarget((dir / "new.csv").string()).path, (dir / "new.csv").string());
  // A relative link, a link to it, and a dangling link lead to their files, relative to the link's folder.
  fs::remove(dir / "link.csv");
  fs::remove(dir / "link2.csv");
  fs::remove(dir / "dangling.csv");
  fs::create_symlink("file.csv", dir / "link.csv");
  fs::create_symlink(dir / "link.csv", dir / "link2.csv");
  fs::create_symlink("missing.csv", dir / "dangling.csv");
  EXPECT_EQ(fs::path(ResolveOutputTarget((dir / "link.csv").string()).path), file);
  EXPECT_EQ(fs::path(ResolveOutputTarget((dir / "link2.csv").string()).path), file);
  EXPECT_EQ(fs::path(ResolveOutputTarget((dir / "dangling.csv").string()).path), dir / "missing.csv");
  EXPECT_FALSE(ResolveOutputTarget((dir / "link2.csv").string()).direct);
  // Devices and a process's descriptors are written in place.
  EXPECT_TRUE(ResolveOutputTarget("/dev/null").direct);
  EXPECT_TRUE(ResolveOutputTarget("/dev/stdout").direct);
  // A loop of links is opened in place, where open(2) fails, and nothing is renamed over it.
  fs::remove(dir / "loop_a");
  fs::remove(dir / "loop_b");
  fs::create_symlink("loop_b", dir / "loop_a");
  fs::create_symlink("loop_a", dir / "loop_b");
  EXPECT_TRUE(ResolveOutputTarget((dir / "loop_a").string()).direct);
}

}  // namespace
}  // namespace scaleplan
