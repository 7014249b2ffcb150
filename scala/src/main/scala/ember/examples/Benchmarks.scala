package ember.examples

import ember.data.LocalDataSet
import ember.bench.LayerBench
import ember.nn.{ClassNLLCriterion, LSTM, Module, Recurrent, SpatialBatchNormalization, SpatialConvolution}
import ember.optim.{LocalOptimizer, MaxIteration, SGD}
import ember.parallel.Engine
import ember.tensor.{Blas, RandomGenerator, Tensor}

/**
 * The JVM side of `bench/run` (run with spark-submit so that Spark's netlib and arpack jars are on the
 * classpath):
 * {{{
 *   spark-submit --class ember.examples.Benchmarks ember.jar gemm 1024 4096
 *   spark-submit --class ember.examples.Benchmarks ember.jar lenet5 <samples> <batch> <warmup iterations>
 *   spark-submit --class ember.examples.Benchmarks ember.jar layers <warmup> <repetitions>
 * }}}
 * Each prints one `RESULT <name> <value>` line per measurement for the Python driver to parse.
 */
object Benchmarks {

  /** Best GFLOP/s of `reps` row-major SGEMMs C = A x B of n x n matrices through [[Blas.gemm]]. */
  def sgemm(n: Int, reps: Int): Double = {
    val rng = new java.util.Random(0)
    val a = Array.fill(n * n)(rng.nextFloat())
    val b = Array.fill(n * n)(rng.nextFloat())
    val c = new Array[Float](n * n)
    // warm-up for two seconds at least (native load, BLAS threads, and the JVM's own start-up compilation,
    // which right after launch competes for the cores: after half a second of warm-up `make bench` still
    // measured 0.51x numpy once, where the same call gives 1.0x in a JVM that has settled)
    val warm = System.nanoTime()
    while (System.nanoTime() - warm < 2000000000L) Blas.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n)
    val best = (1 to reps).map { _ =>
      val t = System.nanoTime()
      Blas.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n)
      (System.nanoTime() - t) / 1e9
    }.min
    2.0 * n * n * n / best / 1e9
  }

  /** CPU seconds used so far by all threads of this JVM (JIT and GC included). */
  def processCpuSeconds(): Double =
    java.lang.management.ManagementFactory.getOperatingSystemMXBean match {
      case os: com.sun.management.OperatingSystemMXBean => os.getProcessCpuTime / 1e9
      case _ => Double.NaN
    }

  /** Throughput of one timed run: samples per wall-clock second and per CPU second of the process. */
  final case class Throughput(samplesPerSecond: Double, samplesPerCpuSecond: Double)

  /**
   * LeNet-5 training with the LocalOptimizer on `samples` generated MNIST-shaped digits, batch `batch`:
   * `warmup` iterations first, then one full epoch timed. Samples per CPU second is the steadier figure on a
   * machine shared with other jobs (wall time there counts the time the threads wait for a core).
   */
  def lenet5(samples: Int, batch: Int, warmup: Int): Throughput = {
    RandomGenerator.setSeed(0L)
    val rng = new java.util.Random(0)
    val x = Array.fill(samples * 784)(rng.nextFloat())
    val y = Array.fill(samples)(rng.nextInt(10).toFloat)
    val data = LocalDataSet.fromArrays(x, Array(1, 28, 28), y)
    val model = LeNet5.model()
    val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), batch)
    opt.setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(warmup))
    opt.optimize()
    val epoch = data.batchesPerEpoch(batch)
    opt.setEndWhen(MaxIteration(warmup + epoch))
    val (t, cpu) = (System.nanoTime(), processCpuSeconds())
    opt.optimize()
    Throughput(samples / ((System.nanoTime() - t) / 1e9), samples / (processCpuSeconds() - cpu))
  }

  /** A layer benchmark case: the module and a batch input (shapes as in bench/torch_layers.py). */
  private def layerCases(): Seq[(String, Module, Tensor)] = {
    val rng = new java.util.Random(0)
    Seq(
      ("conv_b32_64x32x32_64x3x3_pad1", new SpatialConvolution(64, 64, 3, 3, 1, 1, 1, 1),
        Tensor.normal(rng, 0f, 1f, 32, 64, 32, 32)),
      ("batchnorm_b32_64x32x32", new SpatialBatchNormalization(64), Tensor.normal(rng, 0f, 1f, 32, 64, 32, 32)),
      ("lstm_b32_t50_128x128", new Recurrent().add(new LSTM(128, 128)), Tensor.normal(rng, 0f, 1f, 32, 50, 128)))
  }

  /**
   * Forward + backward (input and parameter gradients, training mode) of each layer case on one thread:
   * median wall and thread-CPU milliseconds after warm-up. Ember trains one model replica per core, so the
   * per-core cost of a layer is what decides its training speed; run with OPENBLAS_NUM_THREADS=1.
   */
  def layers(warmup: Int, reps: Int): Seq[(String, Double, Double)] = {
    RandomGenerator.setSeed(0L)
    layerCases().map { case (name, m, x) =>
      m.training()
      val g = m.forward(x).toTensor.clone().fill(0.01f)
      val step = () => { m.forward(x); m.zeroGradParameters(); m.backward(x, g); () }
      val wall = LayerBench.time(warmup, reps)(step())
      val cpu = LayerBench.cpuTime(warmup, reps)(step())
      (name, wall, cpu)
    }
  }

  def main(args: Array[String]): Unit = args.toList match {
    case "layers" :: warmup :: reps :: Nil =>
      layers(warmup.toInt, reps.toInt).foreach { case (name, wall, cpu) =>
        println(f"RESULT $name $wall%.3f")
        println(f"RESULT ${name}_cpu $cpu%.3f")
      }
    case "gemm" :: sizes =>
      println(s"RESULT blas ${Blas.implementation}")
      sizes.map(_.toInt).foreach(n => println(f"RESULT gemm$n ${sgemm(n, if (n >= 4096) 3 else 20)}%.2f"))
    case "lenet5" :: samples :: batch :: warmup :: Nil =>
      println(s"RESULT replicas ${Engine.modelReplicas}")
      val r = lenet5(samples.toInt, batch.toInt, warmup.toInt)
      println(f"RESULT lenet5 ${r.samplesPerSecond}%.1f")
      println(f"RESULT lenet5_per_cpu_s ${r.samplesPerCpuSecond}%.1f")
    case _ =>
      throw new IllegalArgumentException(
        "usage: Benchmarks gemm <n>... | lenet5 <samples> <batch> <warmup> | layers <warmup> <reps>")
  }
}
