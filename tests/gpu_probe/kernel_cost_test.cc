#include "gpu_probe/kernel_cost.h"

#include <gtest/gtest.h>

namespace scaleplan::probe {
namespace {

TEST(KernelCostTest, EncoderGemmFp32) {
  // B = 2, d = 3, n = 5: 2*2*3*5 = 60 flops; inputs 4*(2*3 + 5*3) = 84 bytes, output 4*2*5 = 40 bytes.
  const KernelCost cost = CostOf({KernelKind::ENCODER_GEMM, DType::FP32, 2, 3, 5, 0});
  EXPECT_DOUBLE_EQ(cost.flops, 60.0);
  EXPECT_DOUBLE_EQ(cost.bytes, 124.0);
  EXPECT_DOUBLE_EQ(ArithmeticIntensity(cost), 60.0 / 124.0);
}

TEST(KernelCostTest, EncoderGemmBf16HalvesTheInputBytesOnly) {
  // Inputs 2*(6 + 15) = 42 bytes, fp32 output 40 bytes.
  const KernelCost cost = CostOf({KernelKind::ENCODER_GEMM, DType::BF16, 2, 3, 5, 0});
  EXPECT_DOUBLE_EQ(cost.flops, 60.0);
  EXPECT_DOUBLE_EQ(cost.bytes, 82.0);
  EXPECT_DOUBLE_EQ(CostOf({KernelKind::ENCODER_GEMM, DType::TF32, 2, 3, 5, 0}).bytes, 124.0);
}

TEST(KernelCostTest, TopK) {
  // B = 4, n = 1000, k = 10: 4000 comparisons; 4*4000 bytes read, 8*40 bytes written.
  const KernelCost cost = CostOf({KernelKind::TOPK, DType::FP32, 4, 0, 1000, 10});
  EXPECT_DOUBLE_EQ(cost.flops, 4000.0);
  EXPECT_DOUBLE_EQ(cost.bytes, 16320.0);
}

TEST(KernelCostTest, DecoderGather) {
  // B = 2, d = 8, k = 3: 2*2*3*8 = 96 flops; rows 4*2*3*8 = 192, values+indices 8*6 = 48, output 4*2*8 = 64.
  const KernelCost cost = CostOf({KernelKind::DECODER_GATHER, DType::FP32, 2, 8, 100, 3});
  EXPECT_DOUBLE_EQ(cost.flops, 96.0);
  EXPECT_DOUBLE_EQ(cost.bytes, 304.0);
}

TEST(KernelCostTest, ScatterAdd) {
  // Same shape: rows read and written 8*2*3*8 = 384, gradient rows 4*2*8 = 64, values+indices 48.
  const KernelCost cost = CostOf({KernelKind::SCATTER_ADD, DType::FP32, 2, 8, 100, 3});
  EXPECT_DOUBLE_EQ(cost.flops, 96.0);
  EXPECT_DOUBLE_EQ(cost.bytes, 496.0);
}

TEST(KernelCostTest, TriadAndFma) {
  const KernelCost triad = CostOf({KernelKind::TRIAD, DType::FP32, 0, 0, 1000, 0});
  EXPECT_DOUBLE_EQ(triad.flops, 2000.0);
  EXPECT_DOUBLE_EQ(triad.bytes, 12000.0);
  const KernelCost fma = CostOf({KernelKind::FMA_PEAK, DType::FP32, 0, 0, 1000, 0});
  EXPECT_DOUBLE_EQ(fma.flops, 2000.0);
  EXPECT_DOUBLE_EQ(fma.bytes, 0.0);
  EXPECT_DOUBLE_EQ(ArithmeticIntensity(fma), 0.0);
}

TEST(KernelCostTest, WorkingSets) {
  EXPECT_DOUBLE_EQ(WorkingSetBytes({KernelKind::TRIAD, DType::FP32, 0, 0, 1000, 0}), 12000.0);
  // Dictionary 4*100*8 = 3200, values+indices 48, dense rows 4*2*8 = 64.
  EXPECT_DOUBLE_EQ(WorkingSetBytes({KernelKind::SCATTER_ADD, DType::FP32, 2, 8, 100, 3}), 3312.0);
}

TEST(KernelCostTest, NamesRoundTrip) {
  for (KernelKind kind : {KernelKind::ENCODER_GEMM, KernelKind::TOPK, KernelKind::DECODER_GATHER,
                          KernelKind::SCATTER_ADD, KernelKind::TRIAD, KernelKind::FMA_PEAK}) {
    ASSERT_TRUE(ParseKernelName(KernelName(kind)).has_value());
    EXPECT_EQ(*ParseKernelName(KernelName(kind)), kind);
  }
  EXPECT_EQ(KernelName(KernelKind::DECODER_GATHER), "decoder_gather");
  EXPECT_FALSE(ParseKernelName("gemm").has_value());
  EXPECT_EQ(ParseDTypeName("bf16"), DType::BF16);
  EXPECT_FALSE(ParseDTypeName("fp16").has_value());
}

TEST(KernelCostTest, ShapeProblems) {
  EXPECT_EQ(KernelSpec({KernelKind::TOPK, DType::FP32, 4, 0, 100, 10}).Problem(), "");
  EXPECT_EQ(KernelSpec({KernelKind::TOPK, DType::FP32, 4, 0, 10, 11}).Problem(), "topk needs k <= n");
  EXPECT_EQ(KernelSpec({KernelKind::ENCODER_GEMM, DType::FP32, 0, 8, 8, 0}).Problem(),
            "encoder_gemm needs batch, d and n > 0");
  EXPECT_EQ(KernelSpec({KernelKind::TRIAD, DType::BF16, 0, 0, 8, 0}).Problem(),
            "only encoder_gemm has tf32 and bf16 variants");
  EXPECT_EQ(KernelSpec({KernelKind::DECODER_GATHER, DType::FP32, 2, 8, 100, 3}).Describe(),
            "decoder_gather B=2 d=8 n=100 k=3");
}

}  // namespace
}  // namespace scaleplan::probe
