package ember.optim

import ember.io.{ModelFile, ModelFileException}
import ember.nn._
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** L1 / L2 / L1L2 regularizers: analytic and numerical gradients, attachment to layers, model file, training. */
class RegularizerSuite extends AnyFunSuite with BeforeAndAfterAll {
  override def beforeAll(): Unit = Engine.init(2, 2)
  override def afterAll(): Unit = Engine.init(Runtime.getRuntime.availableProcessors())

  private val rng = new java.util.Random(17)
  private def awayFromZero(n: Int): Array[Float] =
    Array.fill(n) { val v = rng.nextGaussian().toFloat; if (v >= 0) v + 0.1f else v - 0.1f }

  test("gradients equal l1 * sign(w) + l2 * w, scaled, and the numerical derivative of the penalty") {
    val w = awayFromZero(23)
    for ((reg, l1, l2) <- Seq((new L1Regularizer(0.3), 0.3, 0.0), (new L2Regularizer(0.2), 0.0, 0.2),
        (new L1L2Regularizer(0.05, 0.7), 0.05, 0.7))) {
      val g0 = Array.fill(23)(rng.nextGaussian().toFloat)
      val grad = Tensor.fromArray(g0.clone(), 23)
      reg.accRegularization(Tensor.fromArray(w.clone(), 23), grad, 0.5)
      for (i <- w.indices) {
        val expected = g0(i) + 0.5 * (l1 * math.signum(w(i)) + l2 * w(i))
        assert(math.abs(grad(i) - expected) < 1e-6, s"$reg element $i: ${grad(i)} vs $expected")
      }
      val penalty = w.map(v => l1 * math.abs(v) + l2 / 2 * v * v).sum
      assert(math.abs(reg.loss(Tensor.fromArray(w.clone(), 23)) - penalty) < 1e-9)
      val analytic = Tensor(23); reg.accRegularization(Tensor.fromArray(w.clone(), 23), analytic, 1.0)
      for (i <- w.indices) {
        val eps = 1e-3
        def at(d: Double) = { val x = w.map(_.toDouble); x(i) += d; x.map(v => l1 * math.abs(v) + l2 / 2 * v * v).sum }
        val numeric = (at(eps) - at(-eps)) / (2 * eps)
        assert(math.abs(analytic(i) - numeric) < 1e-4, s"$reg element $i: ${analytic(i)} vs numerical $numeric")
      }
    }
  }

  test("accRegularization adds into the gradients of the regularized parameters of a whole model, once") {
    RandomGenerator.setSeed(3)
    val (fc1, fc2) = (new Linear(4, 3), new Linear(3, 2))
    fc1.setWRegularizer(new L2Regularizer(0.1)).setBRegularizer(new L1Regularizer(0.01))
    fc2.setRegularizer("weight", new L1L2Regularizer(0.02, 0.03))
    val model = new Sequential().add(fc1).add(new Tanh()).add(fc2)
    model.zeroGradParameters()
    val x = Tensor.normal(rng, 0f, 1f, 5, 4)
    model.forward(x); model.backward(x, Tensor.normal(rng, 0f, 1f, 5, 2))
    val before = model.namedParameters.map { case (n, p) => n -> p.grad.clone() }.toMap
    model.accRegularization()
    def delta(n: String) = model.namedParameters.toMap.apply(n).grad.clone().sub(before(n))
    assert(delta("0.weight").almostEqual(fc1.weight.clone().mul(0.1f), 1e-7, 1e-6))
    assert(delta("0.bias").almostEqual(fc1.bias.clone().apply1(v => 0.01f * math.signum(v)), 1e-7, 1e-6))
    assert(delta("2.weight").almostEqual(fc2.weight.clone().apply1(v => 0.02f * math.signum(v) + 0.03f * v), 1e-7, 1e-6))
    assert(delta("2.bias").almostEqual(Tensor(2), 0, 0))
    val penalty = fc1.weight.sumSquares() * 0.05 + fc1.bias.toArray.map(v => 0.01 * math.abs(v)).sum +
      fc2.weight.toArray.map(v => 0.02 * math.abs(v) + 0.015 * v * v).sum
    assert(math.abs(model.regularizationLoss - penalty) < 1e-6)
  }

  test("regularizers are stored in the model file and survive cloning; removing one works") {
    RandomGenerator.setSeed(4)
    val model = new Sequential().add(new Linear(3, 2).setWRegularizer(new L2Regularizer(1e-4))
      .setBRegularizer(new L1L2Regularizer(0.5, 0.25))).add(new SpatialConvolution(1, 1, 1, 1).setWRegularizer(new L1Regularizer(2)))
    val back = ModelFile.fromBytes(ModelFile.toBytes(model))
    val regs = back.children.map(_.regularizers.map { case (p, r) => p -> r.toString })
    assert(regs == Seq(Seq("weight" -> "L2Regularizer(l2=1.0E-4)", "bias" -> "L1L2Regularizer(l1=0.5, l2=0.25)"),
      Seq("weight" -> "L1Regularizer(l1=2.0)")))
    assert(back.children.head.regularizers.head._2.isInstanceOf[L2Regularizer])
    assert(model.cloneModule().children(1).regularizers.size == 1)
    val lin = back.children.head.setBRegularizer(null)
    assert(lin.regularizers.map(_._1) == Seq("weight"))
  }

  test("bad arguments are rejected with clear messages") {
    assert(intercept[IllegalArgumentException](new L2Regularizer(-1)).getMessage.contains("L2Regularizer: l2 must be a finite value >= 0, got -1.0"))
    assert(intercept[IllegalArgumentException](new L1Regularizer(Double.PositiveInfinity)).getMessage.contains("l1 must be"))
    val e = intercept[IllegalArgumentException](new Tanh().setWRegularizer(new L2Regularizer(1)))
    assert(e.getMessage.contains("Tanh: no parameter 'weight' to regularize; its parameters are: none"))
    assert(intercept[IllegalArgumentException](new Linear(2, 2, false).setBRegularizer(new L2Regularizer(1)))
      .getMessage.contains("its parameters are: weight"))
    val bad = ModelFile.toBytes(new Linear(2, 2).setWRegularizer(new L2Regularizer(1)))
    // a class of the same name length keeps the header length valid
    val s = new String(bad, "ISO-8859-1").replace("ember.nn.L2Regularizer", "ember.nn.GaussianNoise")
    assert(intercept[ModelFileException](ModelFile.fromBytes(s.getBytes("ISO-8859-1"))).getMessage.contains("not a Regularizer"))
  }

  test("training with an L2 regularizer shrinks the weights compared with the same run without") {
    val data = LocalOptimizerSuite.clusters(240, 5)
    def train(reg: Boolean): Double = {
      RandomGenerator.setSeed(9)
      val fc = new Linear(4, 3)
      if (reg) fc.setWRegularizer(new L2Regularizer(0.05))
      val model = new Sequential().add(fc).add(new LogSoftMax())
      val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), 24).setModelReplicas(2)
      opt.setOptimMethod(new SGD(0.5)).setEndWhen(MaxEpoch(10)).optimize()
      fc.weight.sumSquares()
    }
    val (plain, shrunk) = (train(reg = false), train(reg = true))
    assert(shrunk < 0.8 * plain, s"sum of squared weights: $shrunk with L2 vs $plain without")
  }
}
