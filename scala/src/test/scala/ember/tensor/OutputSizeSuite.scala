package ember.tensor

import ember.nn._
import org.scalatest.funsuite.AnyFunSuite

/** Output-size arithmetic in Long: the formulas, their overflow-free results and the layers' messages. */
class OutputSizeSuite extends AnyFunSuite {

  private def message(f: => Any): String = intercept[IllegalArgumentException](f).getMessage.stripPrefix("requirement failed: ")

  test("the formulas agree with PyTorch's rules on small cases") {
    // torch.nn.functional.conv2d / max_pool2d output sizes, computed by hand from PyTorch's documented formulas
    assert(OutputSize.windowLong(28, 5, 1, 0) == 24 && OutputSize.windowLong(7, 3, 2, 1) == 4)
    assert(OutputSize.windowLong(10, 3, 1, 0, dilation = 2) == 6)
    assert(OutputSize.pooledLong(5, 2, 2, 0, ceilMode = true) == 3 && OutputSize.pooledLong(5, 2, 2, 0, ceilMode = false) == 2)
    assert(OutputSize.pooledLong(5, 2, 2, 1, ceilMode = true) == 3) // the last window would start in the right padding
    assert(OutputSize.transposedLong(4, 3, 2, 1, 1) == 8)
  }

  test("sizes that overflow an Int are computed in Long and refused, not wrapped around") {
    val big = Int.MaxValue
    // in Int arithmetic (in + 2 * pad - k) wraps to a negative number; in Long it is the real, huge size
    assert(OutputSize.windowLong(big, 1, 1, big) == 3L * big)
    assert(message(OutputSize.window("L", "width", big, 1, 1, big)) ==
      s"L: output width (in + 2*pad - k)/stride + 1 = ${3L * big} for input $big, kernel 1, stride 1, padding $big " +
        s"exceeds the largest tensor dimension $big")
    // dilation * (k - 1) = 2^31 wraps to Int.MinValue in Int arithmetic and gave a positive "size" of 2^31 + in
    assert(OutputSize.windowLong(5, 3, 1, 0, dilation = 1 << 30) == 5L - (1L << 31))
    assert(message(new SpatialDilatedConvolution(1, 1, 3, 3, 1, 1, 0, 0, 1 << 30, 1).forward(Tensor(1, 1, 5, 5))) ==
      s"SpatialDilatedConvolution: output width (in + 2*pad - dilation*(k - 1) - 1)/stride + 1 = ${5L - (1L << 31)} for " +
        s"input 5, kernel 3, stride 1, padding 0, dilation ${1 << 30}: the input is smaller than the dilated kernel " +
        s"(needs at least ${(1L << 31) + 1} with this padding)")
    assert(message(new SpatialFullConvolution(1, 1, 3, 3, 1 << 30, 1 << 30, 0, 0).forward(Tensor(1, 1, 5, 5))).contains(
      s"SpatialFullConvolution: output height (in - 1)*stride - 2*pad + k + adj = ${4L * (1 << 30) + 3} for input 5"))
    assert(message(new UpSampling2D(Array(1 << 20, 1)).forward(Tensor(1, 1, 1 << 12, 1))) ==
      s"UpSampling2D: output height in * factor = ${1L << 32} for input 4096, factor ${1 << 20} exceeds the largest tensor " +
        s"dimension $big")
  }

  test("each sliding-window layer reports the real size and the cause") {
    assert(message(new SpatialConvolution(1, 1, 9, 9).forward(Tensor(1, 1, 5, 5))) ==
      "SpatialConvolution: output height (in + 2*pad - k)/stride + 1 = -3 for input 5, kernel 9, stride 1, padding 0: " +
        "the input is smaller than the kernel (needs at least 9 with this padding)")
    assert(message(new SpatialConvolution(1, 1, 9, 3, 2, 1, 1, 1).forward(Tensor(1, 1, 5, 5))) ==
      "SpatialConvolution: output width (in + 2*pad - k)/stride + 1 = 0 for input 5, kernel 9, stride 2, padding 1: " +
        "the input is smaller than the kernel (needs at least 7 with this padding)")
    assert(message(new SpatialMaxPooling(4, 4, 2, 2).ceil().forward(Tensor(1, 1, 3, 8))) ==
      "SpatialMaxPooling: output height ceil((in + 2*pad - k)/stride) + 1 = 0 for input 3, kernel 4, stride 2, padding 0: " +
        "the input is smaller than the window (needs at least 4 with this padding)")
    assert(message(new SpatialFullConvolution(1, 1, 3, 3, 1, 1, 2, 2).forward(Tensor(1, 1, 1, 4))) ==
      "SpatialFullConvolution: output height (in - 1)*stride - 2*pad + k + adj = -1 for input 1, kernel 3, stride 1, padding 2, " +
        "adj 0: the padding removes more than the transposed convolution produces")
    assert(message(new TemporalMaxPooling(4, 1).forward(Tensor(2, 3, 5))) ==
      "TemporalMaxPooling: output frames (in + 2*pad - k)/stride + 1 = 0 for input 3, kernel 4, stride 1, padding 0: " +
        "the input is smaller than the kernel (needs at least 4 with this padding)")
    assert(message(new SpatialZeroPadding(0, 0, -3, -2).forward(Tensor(1, 1, 5, 5))) ==
      "SpatialZeroPadding: output height in + before + after = 0 for input 5, padding before -3, after -2: " +
        "the cropping removes the whole input")
  }
}
