package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** The full LeNet-5 of BigDL's tutorial (0-based labels), trained by hand with plain SGD on one batch. */
class LeNetSuite extends AnyFunSuite {

  /** LeNet-5 exactly as in BigDL's Python example (see shared/BIGDL.md). */
  private def leNet5(): Sequential = new Sequential()
    .add(new Reshape(Array(1, 28, 28)))
    .add(new SpatialConvolution(1, 6, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new SpatialConvolution(6, 12, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new Reshape(Array(12 * 4 * 4))).add(new Linear(12 * 4 * 4, 100)).add(new Tanh())
    .add(new Linear(100, 10)).add(new LogSoftMax())

  test("LeNet-5: shapes, parameter count, and hand-written SGD steps reduce the loss on a fixed batch") {
    RandomGenerator.setSeed(2024)
    val model = leNet5()
    val criterion = new ClassNLLCriterion()
    val rng = new Random(5)
    // learnable synthetic digits: one random prototype image per class plus noise
    val prototypes = Tensor.uniform(rng, 0f, 1f, 10, 784)
    val y = Tensor(32).apply1(_ => rng.nextInt(10).toFloat)
    val x = Tensor(32, 784)
    for (i <- 0 until 32) x.select(0, i).copy(prototypes.select(0, y(i).toInt)).add(Tensor.normal(rng, 0f, 0.3f, 784))
    val (weights, grads) = model.getParameters()
    assert(weights.nElement == (6 * 25 + 6) + (12 * 6 * 25 + 12) + (192 * 100 + 100) + (100 * 10 + 10))
    val out = model.forward(x).toTensor
    assert(out.shape.toSeq == Seq(32, 10))

    val lr = 0.2f
    val losses = (0 until 10).map { _ =>
      grads.zero()
      val o = model.forward(x).toTensor
      val loss = criterion.forward(o, y)
      model.backward(x, criterion.backward(o, y))
      weights.add(-lr, grads)
      loss
    }
    val finalLoss = criterion.forward(model.forward(x).toTensor, y)
    assert(losses.head > 2.0 && losses.head < 2.6, s"initial loss ${losses.head} should be near ln(10)")
    assert(losses.zip(losses.tail).forall { case (a, b) => b < a }, s"loss not decreasing: ${losses.mkString(", ")}")
    // plain SGD on tanh LeNet-5 moves slowly at first (2.31 -> 2.10 in these 10 steps); a wrong gradient would not
    assert(finalLoss < losses.head - 0.1, s"losses ${losses.mkString(", ")}, final $finalLoss")
  }

  test("LeNet-5: the flat gradient matches the directional derivative of the loss along it") {
    RandomGenerator.setSeed(7)
    val model = leNet5()
    val criterion = new ClassNLLCriterion()
    val rng = new Random(8)
    val x = Tensor.uniform(rng, 0f, 1f, 16, 784)
    val y = Tensor(16).apply1(_ => rng.nextInt(10).toFloat)
    val (weights, grads) = model.getParameters()
    grads.zero()
    val o = model.forward(x).toTensor
    criterion.forward(o, y)
    model.backward(x, criterion.backward(o, y))
    val d = grads.clone()
    val h = 1e-2 / d.norm2() // a step of length 0.01 along the gradient
    def lossAt(t: Double): Double = {
      val w0 = weights.clone()
      weights.add(t.toFloat, d)
      val l = criterion.forward(model.forward(x).toTensor, y).toDouble
      weights.copy(w0)
      l
    }
    val numeric = (lossAt(h) - lossAt(-h)) / (2 * h)
    val analytic = d.sumSquares()
    assert(math.abs(numeric - analytic) <= 0.02 * analytic, s"directional derivative $numeric vs |grad|^2 = $analytic")
  }

  test("LeNet-5 works on a single unbatched image and survives a save/load round trip") {
    RandomGenerator.setSeed(1)
    val model = leNet5()
    val x = Tensor.uniform(new Random(1), 0f, 1f, 784)
    val y = model.forward(x).toTensor
    assert(y.shape.toSeq == Seq(10))
    val back = ember.io.ModelFile.fromBytes(ember.io.ModelFile.toBytes(model))
    assert(back.forward(x).toTensor.almostEqual(y.clone(), 0, 0))
  }
}
