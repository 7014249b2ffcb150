package ember.optim

import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/**
 * Each optim method against an independent Double-precision reference written from PyTorch's documented
 * update rules (torch.optim.SGD / Adam / Adagrad / RMSprop), over several steps with fresh gradients.
 */
class OptimMethodsSuite extends AnyFunSuite {
  private val n = 37
  private val steps = 6

  /** Runs `method` and `reference` (w, g, iteration) -> Unit on the same random data; compares weights. */
  private def check(method: OptimMethod, atol: Double = 2e-6, rtol: Double = 1e-4)(reference: (Array[Double], Array[Double], Int) => Unit): Unit = {
    val rng = new java.util.Random(7)
    val w0 = Array.fill(n)(rng.nextGaussian().toFloat)
    val w = Tensor.fromArray(w0.clone(), n)
    val ref = w0.map(_.toDouble)
    for (it <- 0 until steps) {
      val g = Array.fill(n)((rng.nextGaussian() * (1 + it)).toFloat)
      method.step(w, Tensor.fromArray(g.clone(), n), StepContext(it, 1))
      reference(ref, g.map(_.toDouble), it)
      ref.indices.foreach { i =>
        assert(math.abs(w(i) - ref(i)) <= atol + rtol * math.abs(ref(i)), s"$method step $it element $i: ${w(i)} vs reference ${ref(i)}")
      }
    }
  }

  private def sgdReference(lr: Double, decay: Double, wd: Double, mom: Double, damp: Double, nesterov: Boolean) = {
    val buf = new Array[Double](n)
    (w: Array[Double], g: Array[Double], it: Int) => {
      val clr = lr / (1 + it * decay)
      for (i <- 0 until n) {
        var d = g(i) + wd * w(i)
        if (mom != 0) {
          buf(i) = if (it == 0) d else mom * buf(i) + (1 - damp) * d
          d = if (nesterov) d + mom * buf(i) else buf(i)
        }
        w(i) -= clr * d
      }
    }
  }

  test("SGD: plain, with learning-rate decay and weight decay") {
    check(new SGD(0.1, 0.05, 0.01, 0.0))(sgdReference(0.1, 0.05, 0.01, 0, 0, nesterov = false))
  }

  test("SGD: momentum and dampening (PyTorch semantics)") {
    check(new SGD(0.05, 0.0, 0.001, 0.9, 0.3, false))(sgdReference(0.05, 0, 0.001, 0.9, 0.3, nesterov = false))
  }

  test("SGD: BigDL's Double.MaxValue dampening means dampening = momentum") {
    val sgd = new SGD(0.05, 0.0, 0.0, 0.8, Double.MaxValue, false)
    assert(sgd.effectiveDampening == 0.8)
    check(sgd)(sgdReference(0.05, 0, 0, 0.8, 0.8, nesterov = false))
  }

  test("SGD: Nesterov momentum") {
    check(new SGD(0.05, 0.01, 0.0, 0.9, 0.0, true))(sgdReference(0.05, 0.01, 0, 0.9, 0, nesterov = true))
  }

  test("SGD: a learning-rate schedule replaces the default decay") {
    val halving = new LearningRateSchedule {
      override def rate(base: Double, ctx: StepContext): Double = base * math.pow(0.5, ctx.iteration.toDouble)
      override def config: Seq[(String, Any)] = Nil
    }
    val sgd = new SGD(0.2, 0.0, 0.0, 0.0, 0.0, false, halving)
    assert(sgd.learningRate(StepContext(3, 1)) == 0.025)
    check(sgd) { (w, g, it) => for (i <- 0 until n) w(i) -= 0.2 * math.pow(0.5, it) * g(i) }
  }

  test("Adam matches PyTorch's update (with BigDL's learning-rate decay)") {
    val (lr, decay, b1, b2, eps) = (0.01, 0.1, 0.9, 0.999, 1e-8)
    val (m, v) = (new Array[Double](n), new Array[Double](n))
    check(new Adam(lr, decay, b1, b2, eps)) { (w, g, it) =>
      val t = it + 1
      val clr = lr / (1 + it * decay)
      for (i <- 0 until n) {
        m(i) = b1 * m(i) + (1 - b1) * g(i)
        v(i) = b2 * v(i) + (1 - b2) * g(i) * g(i)
        val denom = math.sqrt(v(i)) / math.sqrt(1 - math.pow(b2, t)) + eps
        w(i) -= clr / (1 - math.pow(b1, t)) * m(i) / denom
      }
    }
  }

  test("Adagrad matches PyTorch's update") {
    val (lr, decay, wd) = (0.1, 0.05, 0.01)
    val sum = new Array[Double](n)
    check(new Adagrad(lr, decay, wd)) { (w, g, it) =>
      val clr = lr / (1 + it * decay)
      for (i <- 0 until n) {
        val d = g(i) + wd * w(i)
        sum(i) += d * d
        w(i) -= clr * d / (math.sqrt(sum(i)) + 1e-10)
      }
    }
  }

  test("RMSprop matches PyTorch's update") {
    val (lr, decay, rho, eps) = (0.01, 0.02, 0.9, 1e-6)
    val v = new Array[Double](n)
    check(new RMSprop(lr, decay, rho, eps)) { (w, g, it) =>
      val clr = lr / (1 + it * decay)
      for (i <- 0 until n) {
        v(i) = rho * v(i) + (1 - rho) * g(i) * g(i)
        w(i) -= clr * g(i) / (math.sqrt(v(i)) + eps)
      }
    }
  }

  /** Steps a method 3 times, saves config + state, rebuilds, and checks 3 more steps match an unbroken run. */
  private def checkStateContinuity(make: () => OptimMethod): Unit = {
    val rng = new java.util.Random(11)
    val grads = Seq.fill(6)(Array.fill(n)(rng.nextGaussian().toFloat))
    val w0 = Array.fill(n)(rng.nextGaussian().toFloat)
    val unbroken = make(); val wa = Tensor.fromArray(w0.clone(), n)
    grads.zipWithIndex.foreach { case (g, i) => unbroken.step(wa, Tensor.fromArray(g.clone(), n), StepContext(i, 1)) }
    val first = make(); val wb = Tensor.fromArray(w0.clone(), n)
    grads.take(3).zipWithIndex.foreach { case (g, i) => first.step(wb, Tensor.fromArray(g.clone(), n), StepContext(i, 1)) }
    val saved = first.state.map { case (k, t) => k -> t.clone() }
    val resumed = OptimMethodSpec.build(OptimMethodSpec.describe(first))
    assert(resumed.getClass == first.getClass && resumed.config.map(_._1) == first.config.map(_._1))
    resumed.loadState(saved)
    grads.drop(3).zipWithIndex.foreach { case (g, i) => resumed.step(wb, Tensor.fromArray(g.clone(), n), StepContext(i + 3, 1)) }
    assert(wb.almostEqual(wa, 0, 0), s"${first.getClass.getSimpleName}: resumed run differs from the unbroken one")
    // and a method that lost its state differs, so the check above is meaningful
    val lost = make(); val wc = wb.clone()
    val wd = wb.clone(); val g = Tensor.fromArray(grads(0).clone(), n)
    lost.step(wc, g.clone(), StepContext(6, 1)); resumed.step(wd, g.clone(), StepContext(6, 1))
    assert(!wc.almostEqual(wd, 0, 0))
  }

  test("state save/load continues exactly (Adam, SGD with momentum, Adagrad, RMSprop)") {
    checkStateContinuity(() => new Adam(0.01))
    checkStateContinuity(() => new SGD(0.1, 0.01, 0.0, 0.9, 0.0, true))
    checkStateContinuity(() => new Adagrad(0.1))
    checkStateContinuity(() => new RMSprop(0.01))
  }

  test("a checkpointed schedule is rebuilt by class name") {
    val sgd = new SGD(0.1, 0.0, 0.0, 0.0, 0.0, false, new DefaultSchedule(0.5))
    val back = OptimMethodSpec.build(OptimMethodSpec.describe(sgd))
    assert(back.learningRate(StepContext(2, 1)) == 0.05)
  }

  test("slice states merge into the whole-vector state and split back") {
    val a = new Adam(0.01); val b = new Adam(0.01); val whole = new Adam(0.01)
    val rng = new java.util.Random(3)
    val w = Tensor.fromArray(Array.fill(10)(rng.nextFloat()), 10); val g = Tensor.fromArray(Array.fill(10)(rng.nextFloat()), 10)
    val (w1, w2) = (w.narrow(0, 0, 4).clone(), w.narrow(0, 4, 6).clone())
    a.step(w1, g.narrow(0, 0, 4).clone(), StepContext(0, 1)); b.step(w2, g.narrow(0, 4, 6).clone(), StepContext(0, 1))
    whole.step(w, g, StepContext(0, 1))
    val merged = OptimState.merge(Seq(a.state, b.state))
    assert(merged("m").almostEqual(whole.state("m"), 0, 0) && merged("v").almostEqual(whole.state("v"), 0, 0))
    assert(OptimState.decodeCount(merged(OptimState.StepKey)) == 1)
    assert(OptimState.slice(merged, 4, 6)("m").almostEqual(b.state("m"), 0, 0))
    assert(OptimState.decodeCount(OptimState.encodeCount(123456789012L)) == 123456789012L)
  }

  test("bad hyper-parameters and mismatched slices are rejected with clear messages") {
    assert(intercept[IllegalArgumentException](new SGD(-1.0)).getMessage.contains("learningRate must be a finite value >= 0, got -1.0"))
    assert(intercept[IllegalArgumentException](new SGD(0.1, 0, 0, 0.0, 0.0, true)).getMessage.contains("nesterov"))
    assert(intercept[IllegalArgumentException](new Adam(0.1, 0, 1.0, 0.999, 1e-8)).getMessage.contains("beta1 must be in [0, 1), got 1.0"))
    assert(intercept[IllegalArgumentException](new RMSprop(0.1, 0, 0.9, 0.0)).getMessage.contains("epsilon must be > 0"))
    assert(intercept[IllegalArgumentException](new Adagrad(0.1, -1, 0)).getMessage.contains("learningRateDecay"))
    val adam = new Adam()
    adam.step(Tensor(4), Tensor(4), StepContext(0, 1))
    assert(intercept[IllegalArgumentException](adam.step(Tensor(5), Tensor(5), StepContext(1, 1))).getMessage.contains("freshCopy"))
  }
}
