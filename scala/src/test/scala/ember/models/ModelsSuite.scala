package ember.models

import java.util.Random

import ember.io.ModelFile
import ember.nn._
import ember.tensor.{Activity, RandomGenerator, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * The reference models: parameter counts against the published architectures (each count's source is in
 * the test name and the model's Scaladoc), and for each a forward/backward pass and a few SGD steps on a
 * fixed batch after which the loss (measured in evaluation mode, so dropout does not add noise) is lower,
 * plus a model-file round trip.
 */
class ModelsSuite extends AnyFunSuite {
  private def normal(rng: Random, shape: Int*) = Tensor.normal(rng, 0f, 1f, shape: _*)
  private def ids(rng: Random, n: Int, shape: Int*) = Tensor(shape: _*).apply1(_ => rng.nextInt(n).toFloat)
  private def labels(rng: Random, n: Int, classes: Int) = ids(rng, classes, n)

  private def loss(m: Module, x: Activity, y: Tensor, crit: Criterion): Float = {
    m.evaluate()
    val l = crit.forward(m.forward(x), y)
    m.training()
    l
  }

  /** Trains `steps` plain SGD steps on one batch; returns (loss before, loss after). */
  private def train(m: Module, x: Activity, y: Tensor, crit: Criterion, lr: Float, steps: Int): (Float, Float) = {
    val before = loss(m, x, y, crit)
    val (w, g) = m.getParameters()
    m.training()
    for (_ <- 0 until steps) {
      g.zero()
      val out = m.forward(x)
      crit.forward(out, y)
      val gi = m.backward(x, crit.backward(out, y))
      assert(leaves(gi).zip(leaves(x)).forall { case (a, b) => a.sameShape(b) },
        "the input gradient must have the input's shapes")
      assert(!g.hasNaNOrInf, "NaN or infinite gradient")
      w.add(-lr, g)
    }
    (before, loss(m, x, y, crit))
  }

  private def leaves(a: Activity): Seq[Tensor] = a match {
    case t: Tensor => Seq(t)
    case t: Table  => t.items.toSeq.flatMap(leaves)
    case _         => Nil
  }

  private def checkTrainsAndReloads(name: String, m: Module, x: Activity, y: Tensor, crit: Criterion, lr: Float,
      steps: Int = 5): Unit = {
    val (before, after) = train(m, x, y, crit, lr, steps)
    assert(after < before, s"$name: loss did not decrease ($before -> $after)")
    m.evaluate()
    val out = leaves(m.forward(x)).map(_.clone())
    val back = ModelFile.fromBytes(ModelFile.toBytes(m)).evaluate()
    assert(back.toString == m.toString)
    leaves(back.forward(x)).zip(out).foreach { case (a, b) => assert(a.almostEqual(b, 0, 0), s"$name: reload changed the output") }
  }

  test("LeNet-5: 22,278 parameters, the same as Ember's LeNet-5 example; trains") {
    RandomGenerator.setSeed(1)
    val m = LeNet5(10)
    assert(m.parameterCount == 22278 && m.parameterCount == ember.examples.LeNet5.model(10).parameterCount)
    val rng = new Random(1)
    checkTrainsAndReloads("LeNet5", m, normal(rng, 8, 784), labels(rng, 8, 10), new ClassNLLCriterion(), 0.05f)
  }

  test("ResNet-20 (He et al. 2016, CIFAR-10): 269,722 parameters (0.27M); a Graph with shortcuts; trains") {
    RandomGenerator.setSeed(2)
    val m = ResNet(10, 20)
    assert(m.isInstanceOf[Graph])
    assert(m.parameterCount == 269722)
    assert(ResNet(10, 32).parameterCount > m.parameterCount)
    val rng = new Random(2)
    checkTrainsAndReloads("ResNet-20", m, normal(rng, 4, 3, 32, 32), labels(rng, 4, 10), new ClassNLLCriterion(), 0.05f, 3)
    intercept[IllegalArgumentException](ResNet(10, 21))
  }

  test("ResNet-20 with in-place ReLUs and additions computes exactly what it computes without them") {
    val rng = new Random(6)
    val (x, y) = (normal(rng, 4, 3, 32, 32), labels(rng, 4, 10))
    val x2 = normal(rng, 4, 3, 32, 32)
    val grads = Seq(true, false).map { inPlace =>
      RandomGenerator.setSeed(6)
      val m = ResNet(10, 20, inPlaceRelu = inPlace)
      val crit = new ClassNLLCriterion()
      m.zeroGradParameters()
      var out: Tensor = null
      for (input <- Seq(x2, x)) { // two passes: buffers reused across iterations must not leak stale values
        out = m.forward(input.clone()).toTensor
        crit.forward(out, y)
        m.backward(input.clone(), crit.backward(out, y))
      }
      (out.clone(), m.namedParameters.map(_._2.grad.clone()))
    }
    assert(grads(0)._1.almostEqual(grads(1)._1, 0, 0))
    for ((a, b) <- grads(0)._2.zip(grads(1)._2)) assert(a.almostEqual(b, 0, 0), "parameter gradients differ")
  }

  test("VGG-16 (Simonyan and Zisserman 2015, configuration D): 138,357,544 parameters for 224x224 and 1000 classes") {
    RandomGenerator.setSeed(3)
    assert(Vgg16(1000, 224, 4096).parameterCount == 138357544L)
  }

  test("VGG-16 scaled to 32x32 images trains") {
    RandomGenerator.setSeed(3)
    val rng = new Random(3)
    val m = Vgg16(10, 32, 64)
    checkTrainsAndReloads("VGG-16/32", m, normal(rng, 4, 3, 32, 32), labels(rng, 4, 10), new ClassNLLCriterion(), 0.02f, 3)
  }

  test("Inception-v1 (Szegedy et al. 2015, table 1, no auxiliary classifiers): 6,998,552 parameters; trains on 64x64") {
    RandomGenerator.setSeed(4)
    val full = InceptionV1(1000)
    assert(full.parameterCount == 6998552)
    val rng = new Random(4)
    val m = InceptionV1(10)
    checkTrainsAndReloads("Inception-v1", m, normal(rng, 2, 3, 64, 64), labels(rng, 2, 10), new ClassNLLCriterion(), 0.01f, 3)
  }

  test("Inception-v1 at 224x224: output [batch, classes]") {
    RandomGenerator.setSeed(4)
    val out = InceptionV1(10).evaluate().forward(normal(new Random(4), 1, 3, 224, 224)).toTensor
    assert(out.shape.toSeq == Seq(1, 10) && !out.hasNaNOrInf)
  }

  test("text CNN (BigDL's text-classification example): 243,144 parameters for 1000 tokens of 100-d, 20 classes; trains") {
    RandomGenerator.setSeed(5)
    assert(TextCNN(20, 100, 1000).parameterCount == 243144)
    assert(TextCNN(20, 100, 1000, vocabSize = 500).parameterCount == 243144 + 500 * 100)
    val rng = new Random(5)
    val m = TextCNN(5, 16, 150, vocabSize = 50)
    checkTrainsAndReloads("TextCNN", m, ids(rng, 50, 4, 150), labels(rng, 4, 5), new ClassNLLCriterion(), 0.05f)
  }

  test("LSTM text classifier (BigDL's example): 132,168 parameters for 100-d input, 128 hidden, 20 classes; trains") {
    RandomGenerator.setSeed(6)
    assert(LstmClassifier(20, 100, 128).parameterCount == 4 * 128 * (100 + 128 + 1) + 128 * 100 + 100 + 100 * 20 + 20)
    assert(LstmClassifier(20, 100, 128).parameterCount == 132168)
    val rng = new Random(6)
    val m = LstmClassifier(5, 16, 32, vocabSize = 50)
    checkTrainsAndReloads("LstmClassifier", m, ids(rng, 50, 6, 12), labels(rng, 6, 5), new ClassNLLCriterion(), 0.2f)
  }

  test("sequence-to-sequence encoder-decoder: parameters as its formula; trains with teacher forcing") {
    RandomGenerator.setSeed(7)
    val (sv, tv, e, h) = (20, 15, 16, 32)
    val m = Seq2Seq(sv, tv, e, h)
    assert(m.parameterCount == sv * e + tv * e + 2 * 4 * h * (e + h + 1) + (h + 1) * tv)
    val rng = new Random(7)
    val src = ids(rng, sv, 4, 6)
    val tgt = ids(rng, tv, 4, 5)
    val y = ids(rng, tv, 4, 5)
    checkTrainsAndReloads("Seq2Seq", m, Table(src, tgt), y, new TimeDistributedCriterion(new ClassNLLCriterion(), true), 0.5f)
  }

  test("NeuralCF (He et al. 2017, NeuMF; MovieLens-1M sizes): 392,665 parameters; trains") {
    RandomGenerator.setSeed(8)
    val full = NeuralCF(6040, 3706, 5)
    assert(full.parameterCount == 6040 * (20 + 20) + 3706 * (20 + 20) + (40 * 40 + 40) + (40 * 20 + 20) + (20 * 10 + 10) +
      (20 + 10) * 5 + 5)
    assert(full.parameterCount == 392665)
    assert(NeuralCF(6040, 3706, 5, includeMF = false).parameterCount == 392665 - (6040 + 3706) * 20 - 20 * 5)
    val rng = new Random(8)
    val x = Tensor(16, 2)
    for (r <- 0 until 16) { x.setValue(rng.nextInt(30).toFloat, r, 0); x.setValue(rng.nextInt(20).toFloat, r, 1) }
    checkTrainsAndReloads("NeuralCF", NeuralCF(30, 20, 5), x, labels(rng, 16, 5), new ClassNLLCriterion(), 0.1f)
  }
}
