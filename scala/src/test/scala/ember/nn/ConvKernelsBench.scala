package ember.nn

import ember.bench.LayerBench
import ember.tensor.{RandomGenerator, Tensor}

/**
 * Cost of the dilated, full and temporal convolution kernels against the tuned `SpatialConvolution` on the same work: median CPU
 * milliseconds of one forward + backward (batch 32), printed as JSON lines with the ratio to the peer
 * measured in the same run. No assertion: a measurement, run by hand.
 *
 * {{{ OPENBLAS_NUM_THREADS=1 project/sbt "Test/runMain ember.nn.ConvKernelsBench" }}}
 */
object ConvKernelsBench {

  private def fwdBwd(m: Module, x: Tensor): Double = {
    val g = m.forward(x).toTensor.clone().fill(0.01f)
    LayerBench.cpuTime(5, 15) { m.forward(x); m.zeroGradParameters(); m.backward(x, g) }
  }

  def main(args: Array[String]): Unit = {
    RandomGenerator.setSeed(1)
    val rng = new java.util.Random(1)
    val x = Tensor.normal(rng, 0f, 1f, 32, 16, 24, 24)
    val peer = fwdBwd(new SpatialConvolution(16, 32, 3, 3, 1, 1, 1, 1), x)
    val cases = Seq(
      "SpatialDilatedConvolution(16, 32, 3, 3, pad 1, dilation 1)" -> fwdBwd(new SpatialDilatedConvolution(16, 32, 3, 3, 1, 1, 1, 1), x),
      "SpatialDilatedConvolution(16, 32, 3, 3, pad 2, dilation 2)" ->
        fwdBwd(new SpatialDilatedConvolution(16, 32, 3, 3, 1, 1, 2, 2, 2, 2), x),
      // the transposed convolution 32 -> 16 on the conv's output does the same multiply-adds as the conv
      "SpatialFullConvolution(32, 16, 3, 3, pad 1)" -> fwdBwd(new SpatialFullConvolution(32, 16, 3, 3, 1, 1, 1, 1),
        Tensor.normal(rng, 0f, 1f, 32, 32, 24, 24)))
    println(f"""{"name": "SpatialConvolution(16, 32, 3, 3, pad 1) [peer]", "ms": $peer%.2f}""")
    for ((name, ms) <- cases) println(f"""{"name": "$name", "ms": $ms%.2f, "ratio_to_peer": ${ms / peer}%.2f}""")
    val seq = Tensor.normal(rng, 0f, 1f, 32, 100, 64)
    val temporal = fwdBwd(new TemporalConvolution(64, 128, 3), seq)
    val asConv = fwdBwd(new SpatialConvolution(64, 128, 1, 3), seq.transpose(1, 2).contiguous().view(32, 64, 100, 1))
    println(f"""{"name": "TemporalConvolution(64, 128, 3) on [32, 100, 64]", "ms": $temporal%.2f, """ +
      f""""ratio_to_SpatialConvolution_kernel_3x1": ${temporal / asConv}%.2f}""")
  }
}
