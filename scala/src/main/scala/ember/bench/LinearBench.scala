package ember.bench

import ember.nn.Linear
import ember.tensor.{RandomGenerator, Tensor}
import ember.tensor.dnn.{Dnn, DnnLinear, MixedPrecision}

/**
 * CPU time of one Linear layer's forward + backward (input gradient and parameter gradients) per shape on
 * BLAS's sgemm, on oneDNN's float32 inner product and, where the CPU has bf16, on oneDNN's bf16 inner product:
 * the measurement behind [[ember.tensor.dnn.DnnLinear.preferred]]. One JSON line per shape; the thread's CPU
 * time (median of the repetitions), so run it with one native thread:
 * {{{ OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 java -cp <ember.jar + spark jars> ember.bench.LinearBench [--quick] }}}
 */
object LinearBench {
  /** (batch, in, out): LeNet-5's and ResNet-20's heads, the LSTM classifier's, MLP layers, a large square one. */
  val shapes: Seq[(Int, Int, Int)] = Seq((1, 192, 100), (8, 192, 100), (16, 192, 100), (128, 192, 100), (16, 100, 10), (32, 100, 10), (128, 100, 10),
    (128, 64, 10), (32, 128, 20), (128, 128, 20), (128, 256, 64), (32, 784, 512), (128, 784, 512), (128, 512, 512), (4, 1024, 1024), (128, 1024, 1024))

  def main(args: Array[String]): Unit = {
    val quick = args.contains("--quick")
    val (warm, reps) = if (quick) (3, 7) else (10, 31)
    require(Dnn.runtime.isRight, s"oneDNN does not load here: ${Dnn.runtime.left.getOrElse("")}")
    Dnn.setKernels(Dnn.DnnlKernels)
    val bf16 = MixedPrecision.cpuHasBf16
    println(s"""{"name": "linear_setup", "isa": "${MixedPrecision.cpuIsa}", "bf16": $bf16, "threads": ${Dnn.threads}}""")
    val rng = new java.util.Random(0)
    RandomGenerator.setSeed(0)
    for ((n, in, out) <- shapes) {
      val layer = new Linear(in, out)
      val x = Tensor.normal(rng, 0f, 1f, n, in)
      val g = Tensor.normal(rng, 0f, 1f, n, out)
      def run(): Unit = { layer.forward(x); layer.backward(x, g) }
      def timed(force: Option[Boolean], mode: String): Double = {
        DnnLinear.forceBlas = force
        MixedPrecision.set(mode)
        try LayerBench.cpuTime(warm, reps)(run()) finally { DnnLinear.forceBlas = None; MixedPrecision.set("fp32") }
      }
      val blas = timed(Some(true), "fp32")
      val dnn = timed(Some(false), "fp32")
      val b16 = if (bf16) timed(Some(false), "bf16") else Double.NaN
      val gflop = 6.0 * n * in * out / 1e9
      println(f"""{"name": "linear_b${n}_${in}x$out", "blas_ms": $blas%.4f, "dnnl_ms": $dnn%.4f, """ +
        f""""dnnl_bf16_ms": ${if (bf16) f"$b16%.4f" else "null"}, "dnnl_over_blas": ${blas / dnn}%.2f, """ +
        f""""bf16_over_blas": ${if (bf16) f"${blas / b16}%.2f" else "null"}, "blas_gflops": ${gflop / blas * 1e3}%.1f, """ +
        f""""rule": "${if (DnnLinear.preferred(ember.tensor.dnn.LinearSpec(n, in, out, true))) "dnnl" else "blas"}"}""")
    }
  }
}
