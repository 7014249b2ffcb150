package ember.bench

import ember.nn._
import ember.tensor.{Blas, Conv2d, Conv2dGrads, Conv2dShape, Conv2dWorkspace, RandomGenerator, Tensor}

/**
 * Layer micro-benchmarks: forward + backward time of convolution, pooling, linear and the whole LeNet-5 on
 * the shapes that matter for the demo. Prints one JSON line per case, `{"name": ..., "ms": ..., ...}`, where
 * `ms` is the median over the timed repetitions (after warm-up) of one forward + backward.
 *
 * {{{ java -cp <ember.jar + spark jars> ember.bench.LayerBench [--quick] [--variants] }}}
 * `--variants` also times the convolution kernel with one GEMM per sample, in groups of 8 samples, with the
 * whole batch in one GEMM and without the column cache (CPU time), to check the defaults against them.
 */
object LayerBench {

  private def median(xs: Seq[Double]): Double = { val s = xs.sorted; s(s.length / 2) }

  /**
   * Median milliseconds of `body` over `reps` runs, after at least `warmup` runs and one second of warm-up
   * (the JIT compiles the kernels' loops in the background; on a busy machine that takes a while).
   */
  def time(warmup: Int, reps: Int)(body: => Unit): Double = {
    var i = 0
    val t0 = System.nanoTime()
    while (i < warmup || System.nanoTime() - t0 < 1000000000L) { body; i += 1 }
    median((0 until reps).map { _ => val t0 = System.nanoTime(); body; (System.nanoTime() - t0) / 1e6 })
  }

  private val threads = java.lang.management.ManagementFactory.getThreadMXBean

  /**
   * Median CPU time of this thread in milliseconds: on a machine shared with other jobs it is much steadier
   * than wall time, which counts the time the thread waits for a core. Only meaningful when BLAS runs in the
   * calling thread (OPENBLAS_NUM_THREADS=1), which is how the bench is meant to compare kernel variants.
   */
  def cpuTime(warmup: Int, reps: Int)(body: => Unit): Double = {
    var i = 0
    val t0 = System.nanoTime()
    while (i < warmup || System.nanoTime() - t0 < 1000000000L) { body; i += 1 }
    median((0 until reps).map { _ =>
      val c0 = threads.getCurrentThreadCpuTime; body; (threads.getCurrentThreadCpuTime - c0) / 1e6
    })
  }

  private def emit(name: String, ms: Double, extra: (String, Any)*): Unit = {
    val fields = (Seq("name" -> s"\"$name\"", "ms" -> f"$ms%.3f") ++ extra.map { case (k, v) =>
      k -> (v match { case s: String => "\"" + s + "\""; case d: Double => f"$d%.3f"; case o => o.toString })
    }).map { case (k, v) => s"\"$k\": $v" }
    println(fields.mkString("{", ", ", "}"))
  }

  private def fwdBwd(m: Module, x: Tensor): () => Unit = {
    val g = m.forward(x).toTensor.clone().fill(0.01f)
    () => { m.forward(x); m.zeroGradParameters(); m.backward(x, g) }
  }

  private final case class ConvCase(name: String, batch: Int, nIn: Int, nOut: Int, k: Int, pad: Int, size: Int)

  private val convCases = Seq(
    ConvCase("conv_lenet1_b128_1x28x28_6x5x5", 128, 1, 6, 5, 0, 28),
    ConvCase("conv_lenet2_b128_6x12x12_12x5x5", 128, 6, 12, 5, 0, 12),
    ConvCase("conv_b32_64x32x32_64x3x3_pad1", 32, 64, 64, 3, 1, 32),
    ConvCase("conv_b128_64x4x4_64x3x3_pad1", 128, 64, 64, 3, 1, 4),
    ConvCase("conv_b128_32x8x8_64x3x3_pad1", 128, 32, 64, 3, 1, 8))

  private def convFlops(c: ConvCase): Double = {
    val out = c.size + 2 * c.pad - c.k + 1
    2.0 * c.batch * c.nOut * c.nIn * c.k * c.k * out * out * 3 // forward, gradInput, gradWeight
  }

  def main(args: Array[String]): Unit = {
    val quick = args.contains("--quick")
    val (warm, reps) = if (quick) (2, 5) else (5, 20)
    val rng = new java.util.Random(0)
    RandomGenerator.setSeed(0)
    emit("blas", 0.0, "implementation" -> Blas.implementation)
    for (c <- convCases) {
      val conv = new SpatialConvolution(c.nIn, c.nOut, c.k, c.k, 1, 1, c.pad, c.pad)
      val x = Tensor.normal(rng, 0f, 1f, c.batch, c.nIn, c.size, c.size)
      val step = fwdBwd(conv, x)
      val ms = time(warm, reps)(step())
      emit(c.name, ms, "gflops" -> convFlops(c) / ms / 1e6)
      if (args.contains("--variants")) {
        emit(s"${c.name}/layer", cpuTime(warm, reps)(step()), "stat" -> "cpu")
        variants(c, x, conv.weight, warm, reps)
      }
    }
    val pool = fwdBwd(new SpatialMaxPooling(2, 2, 2, 2), Tensor.normal(rng, 0f, 1f, 128, 6, 24, 24))
    emit("maxpool_b128_6x24x24_2x2", time(warm, reps)(pool()))
    val linear = fwdBwd(new Linear(192, 100), Tensor.normal(rng, 0f, 1f, 128, 192))
    emit("linear_b128_192x100", time(warm, reps)(linear()))
    val lenet = leNet5()
    val crit = new ClassNLLCriterion()
    val x = Tensor.uniform(rng, 0f, 1f, 128, 784)
    val y = Tensor(128).apply1(_ => rng.nextInt(10).toFloat)
    val ms = time(warm, reps) {
      val o = lenet.forward(x).toTensor
      crit.forward(o, y)
      lenet.zeroGradParameters()
      lenet.backward(x, crit.backward(o, y))
    }
    emit("lenet5_b128_fwd_bwd", ms, "samples_per_s" -> 128 / ms * 1000)
    lenet.setPropagateBack(false) // as the optimizers train it: no input gradient for the first convolution
    val cpu = cpuTime(warm, reps) {
      val o = lenet.forward(x).toTensor
      crit.forward(o, y)
      lenet.zeroGradParameters()
      lenet.backward(x, crit.backward(o, y))
    }
    emit("lenet5_b128_train_step", cpu, "samples_per_cpu_s" -> 128 / cpu * 1000, "stat" -> "cpu")
    lenet.setPropagateBack(true)
    if (args.contains("--layers")) perLayer(lenet, x, warm, reps)
  }

  /** Forward and backward time of each layer of a Sequential on the inputs it sees inside the model. */
  private def perLayer(model: Sequential, x: Tensor, warm: Int, reps: Int): Unit = {
    val layers = model.children
    val inputs = layers.scanLeft(x: ember.tensor.Activity)((in, m) => m.forward(in).toTensor.clone()).toIndexedSeq
    for ((m, i) <- layers.zipWithIndex) {
      val in = inputs(i)
      val g = inputs(i + 1).toTensor.clone().fill(0.01f)
      val f = cpuTime(warm, reps)(m.forward(in))
      val b = cpuTime(warm, reps) { m.forward(in); m.backward(in, g) } - f
      emit(s"lenet5_layer${i}_${m.getClass.getSimpleName}", f + b, "fwd_ms" -> f, "bwd_ms" -> b, "stat" -> "cpu")
    }
  }

  /** The kernel with one sample per GEMM, groups of 8, the whole batch per GEMM, and without the column cache. */
  private def variants(c: ConvCase, x: Tensor, weight: Tensor, warm: Int, reps: Int): Unit = {
    val out = c.size + 2 * c.pad - c.k + 1
    val s = Conv2dShape(c.nIn, c.size, c.size, c.nOut, c.k, c.k, 1, 1, c.pad, c.pad, out, out)
    val y = Tensor(c.batch, c.nOut, out, out)
    val g = Tensor(c.batch, c.nOut, out, out).fill(0.01f)
    val grads = Conv2dGrads(Tensor(x.shape.toIndexedSeq: _*), Tensor(weight.shape.toIndexedSeq: _*), Tensor(c.nOut))
    for ((label, ws) <- Seq("per_sample" -> new Conv2dWorkspace(1, Long.MaxValue, 1), "no_cache" -> new Conv2dWorkspace(
      Conv2dWorkspace.DefaultGroupElements, 0L), "one_gemm" -> new Conv2dWorkspace(Int.MaxValue, Long.MaxValue, Int.MaxValue),
      "groups_of_8" -> new Conv2dWorkspace(Int.MaxValue, Long.MaxValue, 8 * s.outArea))) {
      val ms = cpuTime(warm, reps) { Conv2d.forward(s, x, weight, null, y, ws); Conv2d.backward(s, x, g, weight, grads, ws) }
      emit(s"${c.name}/$label", ms, "gflops" -> convFlops(c) / ms / 1e6, "stat" -> "cpu")
    }
  }

  /** LeNet-5 as in BigDL's tutorial. */
  def leNet5(): Sequential = new Sequential()
    .add(new Reshape(Array(1, 28, 28)))
    .add(new SpatialConvolution(1, 6, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new SpatialConvolution(6, 12, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new Reshape(Array(12 * 4 * 4))).add(new Linear(12 * 4 * 4, 100)).add(new Tanh())
    .add(new Linear(100, 10)).add(new LogSoftMax())
}
