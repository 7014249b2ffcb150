package ember.nn.quantized

import java.nio.file.Files
import java.util.Random

import ember.io.{ModelFile, ModelFileException}
import ember.models.{LeNet5, ResNet}
import ember.nn.{Linear, Module, ReLU, Reshape, Sequential, SpatialBatchNormalization, SpatialConvolution}
import ember.nn.quantized.{Linear => QLinear, SpatialConvolution => QConv}
import ember.tensor.{Conv2d, Conv2dShape, Conv2dWorkspace, Int8Kernels, RandomGenerator, Tensor}
import ember.tensor.dnn.Dnn
import org.scalatest.funsuite.AnyFunSuite

/**
 * Int8 inference (`Module.quantize`): the int8 kernels against an independent float reference computed from
 * the same integers, oneDNN's int8 primitives against the JVM kernels, quantized models against their float
 * originals (explicit tolerances below), the model file round trip, and bad input.
 */
class QuantizerSuite extends AnyFunSuite {
  private def randn(rng: Random, shape: Int*): Tensor = { val t = Tensor(shape: _*); t.apply1(_ => rng.nextGaussian().toFloat); t }

  private def maxAbsDiff(a: Tensor, b: Tensor): Float = {
    assert(a.sameShape(b), s"${a.shapeString} vs ${b.shapeString}")
    a.toArray.zip(b.toArray).map { case (x, y) => math.abs(x - y) }.max
  }

  private def dequantized(q: QuantizedLayer): Tensor = {
    val w = q.weight.clone()
    val per = w.nElement / q.weightScale.nElement
    val a = w.storage
    for (i <- 0 until w.nElement) a(i) *= q.weightScale.storage(i / per)
    w
  }

  /** The modules of `m` with chains opened (one level). */
  private def flat(m: Module): Seq[Module] = m.children.flatMap { case c: Chain => c.children; case x => Seq(x) }

  /** Gives every batch normalisation in `m` non-trivial inference statistics and affine parameters. */
  private def randomizeBatchNorms(m: Module, rng: Random): Unit = {
    m match {
      case b: SpatialBatchNormalization =>
        b.runningMean.apply1(_ => 0.2f * rng.nextGaussian().toFloat); b.runningVar.apply1(_ => 0.5f + rng.nextFloat())
        b.weight.apply1(_ => 0.5f + rng.nextFloat()); b.bias.apply1(_ => 0.2f * rng.nextGaussian().toFloat)
      case _ =>
    }
    m.children.foreach(randomizeBatchNorms(_, rng))
  }

  /** A conv-BN-ReLU block with "same" padding and stride 2 (u8 inputs after the ReLU) and a linear head. */
  private def convNet(): Module = new Sequential()
    .add(new SpatialConvolution(3, 8, 3, 3, 1, 1, -1, -1)).add(new SpatialBatchNormalization(8)).add(new ReLU())
    .add(new SpatialConvolution(8, 6, 3, 3, 2, 2, 1, 1, false)).add(new ReLU())
    .add(new Reshape(Array(6 * 4 * 4))).add(new Linear(96, 5))

  test("the JVM int8 kernels equal a float computation on the same integers") {
    val rng = new Random(1)
    val (rows, k, nOut) = (4, 19, 7)
    val lin = new QLinear(k, nOut, true, 0.02f, false).setFloatWeights(randn(rng, nOut, k), randn(rng, nOut))
    val x = randn(rng, rows, k)
    val got = Dnn.withKernels(Dnn.JvmKernels)(lin.forward(x.clone()).clone())
    val xq = new Array[Byte](rows * k)
    Int8Kernels.quantize(x.toArray, 0, rows * k, 0.02f, unsigned = false, xq, 0)
    val xd = Tensor.fromArray(xq.map(_ * 0.02f), rows, k)
    val want = Tensor(rows, nOut).addmm(0f, 1f, xd, dequantized(lin).t())
    for (r <- 0 until rows) want.select(0, r).add(lin.bias)
    assert(maxAbsDiff(got, want) < 1e-4f, "int8 Linear vs float on the same integers")

    val conv = new QConv(3, 4, 3, 2, 2, 1, 1, 0, true, 0.01f, true).setFloatWeights(randn(rng, 4, 3, 2, 3), randn(rng, 4))
    val img = randn(rng, 2, 3, 6, 7).abs()
    val y = Dnn.withKernels(Dnn.JvmKernels)(conv.forward(img.clone()).clone())
    val iq = new Array[Byte](img.nElement)
    Int8Kernels.quantize(img.toArray, 0, img.nElement, 0.01f, unsigned = true, iq, 0)
    val imgD = Tensor.fromArray(iq.map(b => (b & 0xff) * 0.01f), 2, 3, 6, 7)
    val shape = Conv2dShape(3, 6, 7, 4, 2, 3, 1, 2, 0, 1, 5, 4)
    val ref = Tensor(2, 4, 5, 4)
    Conv2d.forward(shape, imgD, dequantized(conv), conv.bias, ref, new Conv2dWorkspace())
    assert(maxAbsDiff(y, ref) < 1e-4f, "int8 convolution vs float on the same integers")
  }

  test("quantize rounds to the nearest step (half to even, as oneDNN) and saturates beyond the calibrated range") {
    val q = new Array[Byte](6)
    Int8Kernels.quantize(Array(0.26f, -0.24f, 100f, -100f, Float.NaN, 12.7f), 0, 6, 0.1f, unsigned = false, q, 0)
    assert(q.toSeq == Seq[Byte](3, -2, 127, -128, 0, 127))
    Int8Kernels.quantize(Array(-1f, 25.5f, 30f, 0.04f, 0.06f, 1f), 0, 6, 0.1f, unsigned = true, q, 0)
    assert(q.map(_ & 0xff).toSeq == Seq(0, 255, 255, 0, 1, 10))
    Int8Kernels.quantize(Array(1.25f, 1.75f, -1.25f, -0.25f), 0, 4, 0.5f, unsigned = false, q, 0)
    assert(q.take(4).toSeq == Seq[Byte](2, 4, -2, 0))
  }

  test("oneDNN's int8 convolution and inner product equal the JVM int8 kernels") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    // signed (s8) and unsigned (u8) inputs, padding, stride 2, with and without bias: the same integers give the
    // same sums, so only the float rescaling may differ
    for ((make, inShape) <- Seq[(() => Module, Seq[Int])]((() => convNet(), Seq(3, 8, 8)), (() => LeNet5(10), Seq(784)))) {
      RandomGenerator.setSeed(3)
      val rng = new Random(3)
      val q = make().quantize(randn(rng, 16 +: inShape: _*))
      val x = randn(rng, 5 +: inShape: _*)
      val jvm = Dnn.withKernels(Dnn.JvmKernels)(q.forward(x.clone()).toTensor.clone())
      val dnn = Dnn.withKernels(Dnn.DnnlKernels)(q.forward(x.clone()).toTensor.clone())
      // a chain requantizes its intermediate in oneDNN's float arithmetic: an intermediate value within float
      // rounding of a half step may round the other way there (one step of the second input, rarely)
      val chained = q.children.exists(_.isInstanceOf[Chain])
      val tol = if (chained) 1e-3 * jvm.toArray.map(math.abs).max else 1e-5
      assert(dnn.almostEqual(jvm, 1e-5, tol), s"oneDNN int8 vs JVM int8: max diff ${maxAbsDiff(dnn, jvm)}")
    }
  }

  for (k <- Seq(Dnn.JvmKernels, Dnn.DnnlKernels)) test(s"quantized models stay close to float32 (${k.name} kernels)") {
    assume(k == Dnn.JvmKernels || Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(k) {
      for ((name, make, inShape) <- Seq[(String, () => Module, Seq[Int])](
        ("LeNet-5", () => LeNet5(10), Seq(28 * 28)), ("conv-BN-ReLU net", () => convNet(), Seq(3, 8, 8)),
        ("ResNet-8 (a Graph)", () => ResNet(10, 8), Seq(3, 32, 32)))) {
        RandomGenerator.setSeed(5)
        val model = make().evaluate()
        val rng = new Random(5)
        randomizeBatchNorms(model, rng)
        val calib = randn(rng, 64 +: inShape: _*)
        val q = model.quantize(calib)
        val x = randn(rng, 32 +: inShape: _*)
        val want = model.forward(x.clone()).toTensor.clone()
        val got = q.forward(x.clone()).toTensor.clone()
        // 8-bit steps: errors of about 1% of the output's range; argmax agrees on nearly every sample
        val range = want.toArray.map(math.abs).max
        assert(maxAbsDiff(got, want) <= 0.03f * range, s"$name: int8 vs float32 max diff ${maxAbsDiff(got, want)}, range $range")
        val agree = want.argmaxRows().zip(got.argmaxRows()).count { case (a, b) => a == b }
        assert(agree >= 30, s"$name: argmax agrees on $agree of 32 samples")
      }
    }
  }

  test("quantize replaces exactly the convolutions and linear layers and leaves the original model alone") {
    RandomGenerator.setSeed(2)
    val model = convNet()
    val before = ModelFile.toBytes(model)
    val q = model.quantize(randn(new Random(2), 8, 3, 8, 8))
    // the batch normalisation folds into the first convolution, the ReLUs become the convolutions' activations,
    // and the two convolutions, one feeding the other, form a chain
    val classes = q.children.map(_.getClass.getName)
    assert(classes == Seq("ember.nn.quantized.Chain", "ember.nn.Identity", "ember.nn.Identity", "ember.nn.Identity",
      "ember.nn.Identity", "ember.nn.Reshape", "ember.nn.quantized.Linear"))
    val layers = flat(q).collect { case l: QuantizedLayer => l }
    assert(layers.map(_.activation) == Seq("relu", "relu", ""))
    assert(java.util.Arrays.equals(ModelFile.toBytes(model), before), "the float model changed")
    assert(!layers.head.inputUnsigned, "the first conv sees signed inputs")
    assert(layers(1).inputUnsigned, "a conv after ReLU takes u8 inputs")
    assert(layers.map(_.parameterCount).sum == 0, "int8 layers train nothing")
    // grouped convolutions stay float32
    val grouped = new Sequential().add(new SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1, 2)).add(new Reshape(Array(64))).add(new Linear(64, 2))
    assert(grouped.quantize(randn(new Random(2), 3, 4, 4, 4)).children.map(_.getClass.getSimpleName) ==
      Seq("SpatialConvolution", "Reshape", "Linear") && grouped.quantize(Tensor.ones(1, 4, 4, 4)).children.last.isInstanceOf[QLinear])
    // a lone layer is quantized too
    assert(new Linear(4, 2).quantize(Tensor.ones(3, 4)).isInstanceOf[QLinear])
  }

  test("in a Graph, batch normalisations and ReLUs that alone read a convolution fold into it; shared ones do not") {
    RandomGenerator.setSeed(6)
    val q = ResNet(10, 8).quantize(randn(new Random(6), 4, 3, 32, 32))
    val kinds = q.children.map(_.getClass.getSimpleName)
    // 7 convolutions with 7 batch normalisations folded, the 4 ReLUs after them fused; the 3 after additions
    // stay; each block's two convolutions form a chain (the stem's output also feeds a shortcut: not chained)
    val convs = flat(q).collect { case c: QConv => c }
    assert(convs.length == 7 && !kinds.contains("SpatialBatchNormalization"), kinds)
    assert(convs.map(_.activation).count(_ == "relu") == 4)
    assert(kinds.count(_ == "Chain") == 3 && kinds.count(_ == "SpatialConvolution") == 1, kinds)
    assert(kinds.count(_ == "ReLU") == 3 && kinds.count(_ == "Identity") == 14, kinds)
    assert(q.children.last.getClass.getSimpleName == "LogSoftMax")
  }

  for (k <- Seq(Dnn.JvmKernels, Dnn.DnnlKernels)) test(s"a quantized layer repacks its weights when they change (${k.name} kernels)") {
    assume(k == Dnn.JvmKernels || Dnn.runtime.isRight, "oneDNN does not load on this platform")
    Dnn.withKernels(k) {
      val rng = new Random(7)
      val (w1, w2, b) = (randn(rng, 6, 3, 3, 3), randn(rng, 6, 3, 3, 3), randn(rng, 6))
      val conv = new QConv(3, 6, 3, 3, 1, 1, 1, 1, true, 0.02f, false, "relu").setFloatWeights(w1, b)
      val x = randn(rng, 2, 3, 5, 5)
      val first = conv.forward(x.clone()).toTensor.clone()
      conv.setFloatWeights(w2, b)
      val fresh = new QConv(3, 6, 3, 3, 1, 1, 1, 1, true, 0.02f, false, "relu").setFloatWeights(w2, b)
      val want = fresh.forward(x.clone()).toTensor.clone()
      assert(conv.forward(x.clone()).toTensor.almostEqual(want, 0, 0) && !first.almostEqual(want, 1e-3, 1e-3))
      assert(want.toArray.forall(_ >= 0f), "the fused ReLU")
      conv.bias.fill(-100f) // a buffer written directly is seen too
      assert(conv.forward(x.clone()).toTensor.toArray.forall(_ == 0f))
    }
  }

  test("a chain of int8 convolutions keeps its intermediate int8 on oneDNN and saves as a container") {
    assume(Dnn.runtime.isRight, "oneDNN does not load on this platform")
    RandomGenerator.setSeed(8)
    val rng = new Random(8)
    val model = new Sequential().add(new SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1)).add(new ReLU())
      .add(new SpatialConvolution(16, 8, 3, 3, 2, 2, 1, 1)).add(new SpatialBatchNormalization(8))
    randomizeBatchNorms(model, rng)
    val q = model.quantize(randn(rng, 32, 3, 12, 12))
    assert(q.children.map(_.getClass.getSimpleName) == Seq("Chain", "Identity", "Identity", "Identity"))
    val x = randn(rng, 4, 3, 12, 12)
    val (a, b) = (q.children.head.children(0), q.children.head.children(1))
    val separate = Dnn.withKernels(Dnn.DnnlKernels)(b.forward(a.forward(x.clone()).toTensor.clone()).toTensor.clone())
    val chained = Dnn.withKernels(Dnn.DnnlKernels)(q.forward(x.clone()).toTensor.clone())
    val jvm = Dnn.withKernels(Dnn.JvmKernels)(q.forward(x.clone()).toTensor.clone())
    val range = separate.toArray.map(math.abs).max
    val close = separate.toArray.zip(chained.toArray).count { case (u, v) => math.abs(u - v) <= 1e-5f * (1 + math.abs(u)) }
    assert(close >= 0.99 * separate.nElement, s"chained vs separate: $close of ${separate.nElement} agree to 1e-5")
    assert(maxAbsDiff(chained, separate) <= 1e-2f * range && maxAbsDiff(chained, jvm) <= 1e-2f * range,
      s"chained vs separate ${maxAbsDiff(chained, separate)}, vs JVM ${maxAbsDiff(chained, jvm)}, range $range")
    assert(maxAbsDiff(chained, model.evaluate().forward(x.clone()).toTensor) <= 0.05f * range, "int8 vs float32")
    val back = ModelFile.fromBytes(ModelFile.toBytes(q))
    assert(back.children.head.isInstanceOf[Chain] && back.forward(x.clone()).toTensor.almostEqual(chained, 0, 0))
    // a batch of one image of rank 3
    assert(q.forward(x.select(0, 0).clone()).toTensor.almostEqual(chained.select(0, 0), 1e-5, 1e-2 * range))
  }

  test("a quantized model saves with I8 weights as format version 2 and loads to the same outputs") {
    RandomGenerator.setSeed(4)
    val rng = new Random(4)
    val q = LeNet5(10).quantize(randn(rng, 32, 784))
    val dir = Files.createTempDirectory("quantized")
    val path = dir.resolve("lenet-int8.ember").toString
    ModelFile.save(q, path, overWrite = false)
    val (meta, tensors) = ModelFile.readTensors(Files.readAllBytes(java.nio.file.Paths.get(path)))
    assert(meta("format_version") == ModelFile.Int8FormatVersion)
    val header = new String(Files.readAllBytes(java.nio.file.Paths.get(path)).slice(8, 4000), "UTF-8")
    assert(header.contains("\"1.weight\":{\"dtype\":\"I8\""), header.take(300))
    assert(tensors("1.weight").toArray.forall(v => v == math.rint(v) && math.abs(v) <= QuantizedLayer.WeightLevels))
    val fp32Size = ModelFile.toBytes(LeNet5(10)).length
    assert(Files.size(java.nio.file.Paths.get(path)) < fp32Size / 2, "int8 weights take a byte each")
    val back = ModelFile.load(path)
    val x = randn(rng, 6, 784)
    assert(back.forward(x.clone()).toTensor.almostEqual(q.forward(x.clone()).toTensor, 0, 0))
    assert(back.toString == q.toString)
    assert(ModelFile.fromBytes(ModelFile.toBytes(LeNet5(10))) != null)
    assert(ModelFile.readTensors(ModelFile.toBytes(LeNet5(10)))._1("format_version") == ModelFile.FormatVersion,
      "float models stay version 1, readable by older Embers")
  }

  test("an unknown format version is refused with a message naming it") {
    val bytes = ModelFile.writeTensors(Nil, Map("format" -> "ember", "format_version" -> "3", "model" -> "{}"))
    val e = intercept[ModelFileException](ModelFile.fromBytes(bytes))
    assert(e.getMessage.contains("unsupported model format version 3"), e.getMessage)
  }

  test("bad input: no, empty or non-finite calibration data, wrong shapes, training a quantized layer") {
    val m = LeNet5(10)
    assert(intercept[IllegalArgumentException](m.quantize(null)).getMessage.contains("calibration data is required"))
    assert(intercept[IllegalArgumentException](m.quantize(Tensor(0, 784))).getMessage.contains("at least one sample"))
    val nan = Tensor.ones(2, 784); nan.storage(5) = Float.NaN
    assert(intercept[IllegalArgumentException](m.quantize(nan)).getMessage.contains("NaN"))
    intercept[IllegalArgumentException](m.quantize(Tensor.ones(2, 10)))
    intercept[IllegalArgumentException](Quantizer.quantize(m, Tensor.ones(2, 784), batchSize = 0))
    val q = m.quantize(Tensor.ones(2, 784)).asInstanceOf[Sequential]
    q.forward(Tensor.ones(2, 784)) // backward checks gradOutput against the last forward's output first
    val e = intercept[UnsupportedOperationException](q.backward(Tensor.ones(2, 784), Tensor.ones(2, 10)))
    assert(e.getMessage.contains("int8 inference layer"), e.getMessage)
    assert(intercept[IllegalArgumentException](q.forward(Tensor.ones(2, 700))).getMessage.contains("700"))
    intercept[IllegalArgumentException](new QLinear(3, 2, true, 0f, false))
  }
}
