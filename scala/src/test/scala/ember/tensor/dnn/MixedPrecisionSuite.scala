package ember.tensor.dnn

import scala.collection.mutable.ArrayBuffer

import ember.data.LocalDataSet
import ember.models.{LstmClassifier, ResNet}
import ember.nn.{Cell, ClassNLLCriterion, GRU, LSTM, Linear, Module, Recurrent, SpatialConvolution, TrainingFusion}
import ember.optim.{LocalOptimizer, MaxIteration, SGD}
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.logging.log4j.LogManager
import org.apache.logging.log4j.core.{LogEvent, Logger => CoreLogger}
import org.apache.logging.log4j.core.appender.AbstractAppender
import org.apache.logging.log4j.core.config.Property
import org.scalatest.BeforeAndAfterEach
import org.scalatest.funsuite.AnyFunSuite

/**
 * The bf16 mixed-precision setting: its names, its resolution against the CPU (oneDNN's ISA query, checked here
 * against the kernel's cpuinfo flags as an independent reference), the logged fall-back to float32 where the CPU
 * has no AVX512-BF16/AMX, and what training does in either case.
 */
class MixedPrecisionSuite extends AnyFunSuite with BeforeAndAfterEach {
  import MixedPrecision._

  override def afterEach(): Unit = MixedPrecision.set("fp32") // the setting is JVM-wide

  /** Whether /proc/cpuinfo lists AVX512-BF16 or AMX-BF16 (the reference for oneDNN's own ISA query). */
  private def cpuinfoHasBf16: Boolean = {
    val src = scala.io.Source.fromFile("/proc/cpuinfo")
    try src.getLines().find(_.startsWith("flags")).exists(l => l.split("\\s+").exists(f => f == "avx512_bf16" || f == "amx_bf16"))
    finally src.close()
  }

  /** The messages MixedPrecision logs while `body` runs. */
  private def logged(body: => Unit): Seq[String] = {
    val messages = ArrayBuffer.empty[String]
    val appender = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      override def append(e: LogEvent): Unit = messages.synchronized { messages += s"${e.getLevel} ${e.getMessage.getFormattedMessage}" }
    }
    appender.start()
    val logger = LogManager.getLogger(MixedPrecision.getClass).asInstanceOf[CoreLogger]
    val level = logger.getLevel
    logger.addAppender(appender)
    logger.setLevel(org.apache.logging.log4j.Level.INFO) // after addAppender, which rebuilds the logger's config
    try body finally { logger.removeAppender(appender); logger.setLevel(level); appender.stop() }
    messages.synchronized(messages.toList)
  }

  test("names: bf16 / bfloat16 / fp32 / float32 in any case; anything else is refused naming the value") {
    assert(parse("BF16") == BFloat16 && parse("bfloat16") == BFloat16 && parse(" fp32 ") == Float32 && parse("Float32") == Float32)
    val e = intercept[IllegalArgumentException](parse("fp16"))
    assert(e.getMessage.contains("'fp16'") && e.getMessage.contains("bf16"))
    assert(intercept[IllegalArgumentException](parse(null)).getMessage.contains("null"))
  }

  test("oneDNN's ISA query agrees with the CPU flags about bf16") {
    assume(Dnn.enabled, "oneDNN not in use")
    assert(cpuHasBf16 == cpuinfoHasBf16, s"oneDNN's ISA $cpuIsa against /proc/cpuinfo")
  }

  test("bf16 resolves to bf16 where the CPU has it, else to float32 with a logged warning that says why") {
    val messages = logged { set("bf16") }
    if (cpuHasBf16) {
      assert(active == BFloat16)
      assert(messages.exists(m => m.startsWith("INFO") && m.contains("bf16")), messages)
    } else {
      assert(active == Float32)
      val warn = messages.filter(_.startsWith("WARN"))
      assert(warn.size == 1, messages)
      assert(warn.head.contains("bf16 mixed precision") && warn.head.contains("float32"), warn.head)
      if (Dnn.enabled) assert(warn.head.contains("AVX512-BF16") && warn.head.contains(cpuIsa), warn.head)
    }
    assert(resolve(Float32) == Resolution(Float32, Float32, ""))
  }

  test("Optimizer.setMixedPrecision: training runs; after a fall-back it is float32 to the bit") {
    def train(mode: String): (Array[Float], String) = {
      RandomGenerator.setSeed(3)
      val rng = new java.util.Random(3)
      val data = LocalDataSet.fromArrays(Array.fill(64 * 6)(rng.nextInt(30).toFloat), Array(6), Array.fill(64)(rng.nextInt(4).toFloat))
      val model = LstmClassifier(4, 8, 16, vocabSize = 30)
      val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), 16).setDeterministic(true)
      opt.setMixedPrecision(mode).setOptimMethod(new SGD(0.1)).setEndWhen(MaxIteration(6)).optimize()
      (model.getParameters()._1.toArray, opt.mixedPrecision)
    }
    val (fp32, m32) = train("fp32")
    val (bf16, m16) = train("bf16")
    assert(m32 == "fp32")
    if (cpuHasBf16) {
      assert(m16 == "bf16")
      val diff = fp32.zip(bf16).map { case (a, b) => math.abs(a - b) }.max
      assert(diff < 0.05f, s"bf16 training drifted from float32 by $diff")
    } else {
      assert(m16 == "fp32")
      assert(java.util.Arrays.equals(fp32, bf16), "the float32 fall-back must compute exactly what fp32 does")
    }
  }

  /** (name, value) of the output, input gradient and parameter gradients of one forward + backward of `m`. */
  private def fwdBwd(mode: String, m: Module, x: Tensor, g: Tensor): Seq[(String, Array[Float])] = {
    set(mode)
    m.zeroGradParameters()
    val y = m.forward(x).toTensor.toArray
    val gi = m.backward(x, g).toTensor.toArray
    Seq("output" -> y, "input gradient" -> gi) ++ m.namedParameters.map { case (n, p) => s"gradient of $n" -> p.grad.toArray }
  }

  /** ||a - b|| / ||b||. */
  private def relError(a: Array[Float], b: Array[Float]): Double = {
    val d = math.sqrt(a.indices.map(i => math.pow(a(i) - b(i), 2)).sum)
    d / math.max(1e-30, math.sqrt(b.map(v => v.toDouble * v).sum))
  }

  /**
   * bf16 numerics of the layers it covers against float32 on the same kernels: where the CPU has bf16, every
   * result (output, input gradient, weight and bias gradients) is within bf16's precision of float32 (8 bits of
   * mantissa: relative error ~2^-9 per rounding, accumulated in float32) and differs from it (bf16 really ran);
   * elsewhere the fall-back computes float32 to the bit. LSTM and GRU (oneDNN's bf16 RNN primitives, over
   * sequences of 20 steps, gradients through all of them) also say that their cell ran in bf16.
   */
  for ((name, make, xShape, gShape) <- Seq[(String, () => Module, Seq[Int], Seq[Int])](
    ("SpatialConvolution(8, 16, 3x3, pad 1)", () => new SpatialConvolution(8, 16, 3, 3, 1, 1, 1, 1), Seq(4, 8, 10, 10), Seq(4, 16, 10, 10)),
    ("SpatialConvolution(4, 6, 5x5, stride 2, 2 groups)", () => new SpatialConvolution(4, 6, 5, 5, 2, 2, 0, 0, 2, true),
      Seq(3, 4, 11, 11), Seq(3, 6, 4, 4)),
    ("Linear(96, 40)", () => new Linear(96, 40), Seq(64, 96), Seq(64, 40)),
    ("Linear(50, 10)", () => new Linear(50, 10), Seq(32, 50), Seq(32, 10)),
    ("Recurrent(LSTM(24, 32)), batch 13 x 20 steps", () => new Recurrent().add(new LSTM(24, 32)), Seq(13, 20, 24), Seq(13, 20, 32)),
    ("Recurrent(GRU(24, 32)), batch 16 x 20 steps", () => new Recurrent().add(new GRU(24, 32)), Seq(16, 20, 24), Seq(16, 20, 32))))
    test(s"bf16 $name: within bf16 precision of float32 where the CPU has it, float32 to the bit elsewhere") {
      assume(Dnn.enabled, "oneDNN not in use")
      RandomGenerator.setSeed(5)
      val rng = new java.util.Random(5)
      val m = make()
      val x = Tensor.normal(rng, 0f, 1f, xShape: _*)
      val g = Tensor.normal(rng, 0f, 1f, gShape: _*)
      val fp32 = fwdBwd("fp32", m, x, g)
      val bf16 = fwdBwd("bf16", m, x, g)
      val cells = Module.descendants(m).collect { case c: Cell => c }
      if (cpuHasBf16) assert(cells.forall(_.ranOnDnnBf16), "the recurrent cell did not run in bf16")
      assert(bf16.map(_._1) == fp32.map(_._1) && fp32.length >= 4)
      for (((what, a), (_, b)) <- bf16.zip(fp32)) {
        if (cpuHasBf16) {
          val e = relError(a, b)
          assert(e < 1e-2, s"$what: relative error $e against float32")
          assert(e > 1e-5, s"$what: relative error $e, so bf16 was not used")
        } else assert(java.util.Arrays.equals(a, b), s"$what differs after the float32 fall-back")
      }
    }

  /**
   * Training with convolution + batch norm (+ ReLU) chained on oneDNN (DnnConvBn) in bf16: every convolution of
   * a ResNet runs in the chain (none writes its own output), and each result of the step (output, input
   * gradient, every parameter gradient) is as close to float32 as the unchained bf16 step's (the same bf16
   * convolutions; the batch norm's float32 arithmetic in another order) and not float32 itself; after a
   * fall-back, float32 to the bit.
   */
  test("bf16 ResNet training step chained on oneDNN: as close to float32 as unchained bf16") {
    assume(Dnn.enabled, "oneDNN not in use")
    RandomGenerator.setSeed(7)
    val rng = new java.util.Random(7)
    val m0 = ResNet(10, 8)
    val x = Tensor.normal(rng, 0f, 1f, 4, 3, 32, 32)
    val g = Tensor.normal(rng, 0f, 1f, 4, 10)
    def run(mode: String, chain: Boolean): (Seq[(String, Array[Float])], Boolean) = TrainingFusion.withEnabled(chain) {
      val m = m0.cloneModule()
      val r = fwdBwd(mode, m, x.clone(), g.clone())
      (r, Module.descendants(m).collect { case c: SpatialConvolution => c }.forall(_.output.toTensor.dim != 4))
    }
    val (chained, ranChained) = run("bf16", chain = true)
    val (unchained, ranUnchained) = run("bf16", chain = false)
    val (fp32, _) = run("fp32", chain = true)
    assert(ranChained && !ranUnchained, "every convolution ran in a chain, and none without chaining")
    assert(chained.map(_._1) == fp32.map(_._1) && chained.length > 20)
    for ((((what, a), (_, b)), (_, f)) <- chained.zip(unchained).zip(fp32)) {
      if (cpuHasBf16) {
        // the chain adds no error of its own: as close to float32 as the unchained bf16 step (whose distance, up to
        // ~15% for the image's gradient, where batch norm's backward over 4 images cancels large terms, is bf16's)
        val (cu, cf, uf) = (relError(a, b), relError(a, f), relError(b, f))
        assert(cf > 1e-5 && uf > 1e-5, s"$what: bf16 was not used (relative error to float32 $cf chained, $uf unchained)")
        assert(cf <= 1.5 * uf + 1e-3, s"$what: chained bf16 is $cf from float32, unchained bf16 $uf")
        assert(cu <= math.max(1e-2, uf), s"$what: chained vs unchained bf16 $cu, more than unchained bf16 vs float32 ($uf)")
      } else assert(java.util.Arrays.equals(a, f), s"$what differs after the float32 fall-back")
    }
  }

  test("the mode travels by name: adopt sets what a driver requested (once) and resolves it on this CPU") {
    set("fp32")
    adopt("bf16")
    assert(requested == BFloat16 && active == (if (cpuHasBf16) BFloat16 else Float32))
    assert(logged(adopt("BF16")).isEmpty, "adopting the mode in effect again logs nothing")
    adopt("fp32")
    assert(requested == Float32 && active == Float32)
  }
}
