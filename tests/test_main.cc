#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "tests/testing.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Seed the C generator too, for any code that falls back to rand().
  std::srand(static_cast<unsigned>(scaleplan::testing::TestSeed()));
  return RUN_ALL_TESTS();
}
