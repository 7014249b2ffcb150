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

  private def check(method: OptimMethod, atol: Double = 2e-6, rtol: Double = 1e-4)(reference: (Array[Double], Array[Double], Int) => Unit): Unit =
    OptimChecks.againstReference(method, n, steps, seed = 7, atol, rtol)(reference)

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
      override def rate(base: Double, at: TrainingPosition): Double = base * math.pow(0.5, at.iteration.toDouble)
      override def config: Seq[(String, Any)] = Nil
    }
    val sgd = new SGD(0.2, 0.0, 0.0, 0.0, 0.0, false, halving)
    assert(sgd.learningRate(TrainingPosition.at(3, 1)) == 0.025)
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

  private def checkStateContinuity(make: () => OptimMethod): Unit = OptimChecks.stateContinuity(make, n)

  test("state save/load continues exactly (Adam, SGD with momentum, Adagrad, RMSprop)") {
    checkStateContinuity(() => new Adam(0.01))
    checkStateContinuity(() => new SGD(0.1, 0.01, 0.0, 0.9, 0.0, true))
    checkStateContinuity(() => new Adagrad(0.1))
    checkStateContinuity(() => new RMSprop(0.01))
  }

  test("methods with state are Serializable (Spark ships them) and the copy continues identically") {
    for (make <- Seq(() => new Adam(0.01), () => new SGD(0.1, 0.0, 0.0, 0.9), () => new Adagrad(0.1), () => new RMSprop(0.01))) {
      val m = make()
      val w = Tensor.fromArray(Array.tabulate(n)(_ * 0.1f), n)
      val g = Tensor.fromArray(Array.tabulate(n)(i => math.sin(i.toDouble).toFloat), n)
      m.step(w, g, TrainingPosition.at(0, 1))
      val bytes = new java.io.ByteArrayOutputStream()
      new java.io.ObjectOutputStream(bytes).writeObject(m)
      val copy = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject().asInstanceOf[OptimMethod]
      val (w1, w2) = (w.clone(), w.clone())
      m.step(w1, g, TrainingPosition.at(1, 1)); copy.step(w2, g, TrainingPosition.at(1, 1))
      assert(w1.almostEqual(w2, 0, 0), m.toString)
    }
  }

  test("updates in ranges, in any order, are the whole update bit for bit (weights and state), at any offset") {
    val halving = new LearningRateSchedule {
      override def rate(base: Double, at: TrainingPosition): Double = base * math.pow(0.5, at.iteration.toDouble)
      override def config: Seq[(String, Any)] = Nil
    }
    val methods = Seq[() => OptimMethod](
      () => new SGD(0.1, 0.05, 0.01, 0.0), () => new SGD(0.05, 0.0, 0.001, 0.9, 0.3, false),
      () => new SGD(0.05, 0.01, 0.01, 0.9, 0.0, true), () => new SGD(0.2, 0.0, 0.0, 0.5, 0.0, false, halving),
      () => new Adam(0.01, 0.1), () => new Adagrad(0.1, 0.05, 0.01), () => new RMSprop(0.01, 0.02, 0.9, 1e-6),
      () => new Adadelta(0.9, 1e-6, 0.5), () => new Adamax(0.01), () => new Ftrl(0.1, -0.5, 0.1, 0.01, 0.02, 0.03))
    val size = 1027 // odd, past the vector loops' blocks
    for (make <- methods) {
      val rng = new java.util.Random(17)
      val w0 = Array.fill(size)(rng.nextGaussian().toFloat)
      val (whole, ranged, offset) = (make(), make(), make())
      val (wa, wb) = (w0.clone(), w0.clone())
      val wc = Tensor.fromArray(Array.fill(3)(9f) ++ w0, size + 3).narrow(0, 3, size) // weights and gradients at offset 3
      for (it <- 0 until 5) {
        val g = Array.fill(size)((rng.nextGaussian() * (1 + it)).toFloat)
        val at = TrainingPosition.at(it, 1)
        whole.step(Tensor.fromArray(wa, size), Tensor.fromArray(g.clone(), size), at)
        offset.step(wc, Tensor.fromArray(Array(1f, 2f, 3f) ++ g, size + 3).narrow(0, 3, size), at)
        assert(ranged.beginRanges(size, at), ranged.toString)
        val cuts = (0 +: Seq.fill(6)(rng.nextInt(size + 1)) :+ size).sorted
        val ranges = cuts.zip(cuts.tail)
        scala.util.Random.javaRandomToRandom(rng).shuffle(ranges).foreach { case (from, until) => ranged.stepRange(wb, g, from, until) }
        assert(wb.sameElements(wa) && wc.toArray.sameElements(wa), s"$whole iteration $it: the weights differ")
        assert(Seq(ranged, offset).forall(_.state.isDefined == whole.state.isDefined), s"$whole: state kept by some only")
        val states = Seq(whole, ranged, offset).flatMap(_.state) // none for SGD without momentum
        assert(states.map(_.steps).distinct.size <= 1, s"$whole: step counts ${states.map(_.steps)}")
        for (k <- states.headOption.toSeq.flatMap(_.vectors.indices))
          assert(states.forall(_.vectors(k)._2.sameElements(states.head.vectors(k)._2)), s"$whole iteration $it: state ${states.head.vectors(k)._1}")
      }
    }
    assert(!new LBFGS().beginRanges(10, TrainingPosition.at(0, 1)), "LBFGS needs the whole vector")
    val e = intercept[IllegalArgumentException] { val m = new Adam(); m.beginRanges(4, TrainingPosition.at(0, 1)); m.beginRanges(5, TrainingPosition.at(1, 1)) }
    assert(e.getMessage.contains("freshCopy"), e.getMessage)
  }

  test("a checkpointed schedule is rebuilt by class name") {
    val sgd = new SGD(0.1, 0.0, 0.0, 0.0, 0.0, false, new DefaultSchedule(0.5))
    val back = OptimMethodSpec.build(OptimMethodSpec.describe(sgd))
    assert(back.learningRate(TrainingPosition.at(2, 1)) == 0.05)
  }

  test("slice states merge into the whole-vector state and split back") {
    val a = new Adam(0.01); val b = new Adam(0.01); val whole = new Adam(0.01)
    val rng = new java.util.Random(3)
    val w = Tensor.fromArray(Array.fill(10)(rng.nextFloat()), 10); val g = Tensor.fromArray(Array.fill(10)(rng.nextFloat()), 10)
    val (w1, w2) = (w.narrow(0, 0, 4).clone(), w.narrow(0, 4, 6).clone())
    a.step(w1, g.narrow(0, 0, 4).clone(), TrainingPosition.at(0, 1)); b.step(w2, g.narrow(0, 4, 6).clone(), TrainingPosition.at(0, 1))
    whole.step(w, g, TrainingPosition.at(0, 1))
    val merged = OptimState.merge(Seq(a.state.get, b.state.get)).asInstanceOf[Adam.State]
    val all = whole.state.get.asInstanceOf[Adam.State]
    assert(merged.m.sameElements(all.m) && merged.v.sameElements(all.v) && merged.step == 1)
    assert(OptimState.slice(merged, 4, 6).asInstanceOf[Adam.State].m.sameElements(b.state.get.asInstanceOf[Adam.State].m))
    // the checkpoint entries are the string-keyed format of before (old checkpoints load)
    assert(merged.entries.keySet == Set("m", "v", OptimState.StepKey) && OptimState.decodeCount(merged.entries(OptimState.StepKey)) == 1)
    assert(new Adam(0.01).readState(merged.entries).get.asInstanceOf[Adam.State].v.sameElements(all.v))
    val e = intercept[IllegalArgumentException](new SGD(0.1, 0.0, 0.0, 0.9).loadState(merged))
    assert(e.getMessage.contains("SGD cannot load the state of another method"), e.getMessage)
    assert(intercept[IllegalArgumentException](new Adam(0.01).readState(merged.entries - "v")).getMessage.contains("v missing"))
    assert(OptimState.decodeCount(OptimState.encodeCount(123456789012L)) == 123456789012L)
  }

  test("bad hyper-parameters and mismatched slices are rejected with clear messages") {
    assert(intercept[IllegalArgumentException](new SGD(-1.0)).getMessage.contains("learningRate must be a finite value >= 0, got -1.0"))
    assert(intercept[IllegalArgumentException](new SGD(0.1, 0, 0, 0.0, 0.0, true)).getMessage.contains("nesterov"))
    assert(intercept[IllegalArgumentException](new Adam(0.1, 0, 1.0, 0.999, 1e-8)).getMessage.contains("beta1 must be in [0, 1), got 1.0"))
    assert(intercept[IllegalArgumentException](new RMSprop(0.1, 0, 0.9, 0.0)).getMessage.contains("epsilon must be > 0"))
    assert(intercept[IllegalArgumentException](new Adagrad(0.1, -1, 0)).getMessage.contains("learningRateDecay"))
    val adam = new Adam()
    adam.step(Tensor(4), Tensor(4), TrainingPosition.at(0, 1))
    assert(intercept[IllegalArgumentException](adam.step(Tensor(5), Tensor(5), TrainingPosition.at(1, 1))).getMessage.contains("freshCopy"))
  }
}
