package ember.optim

import java.nio.file.Files

import ember.nn.Linear
import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/**
 * Adadelta, Adamax, Ftrl and LBFGS against independent Double-precision references written from PyTorch's
 * (Adadelta, Adamax), TensorFlow's (Ftrl) and Torch's (lbfgs) documented updates; state continuity through
 * OptimMethodSpec and checkpoint files, slicing, serialization and argument checks.
 */
class OptimMethodReferencesSuite extends AnyFunSuite {
  private val n = 29
  private val steps = 7

  private def check(method: OptimMethod, atol: Double = 2e-6, rtol: Double = 1e-4)(reference: (Array[Double], Array[Double], Int) => Unit): Unit =
    OptimChecks.againstReference(method, n, steps, seed = 13, atol, rtol)(reference)

  test("Adadelta matches PyTorch's update (learning rate, rho, eps)") {
    val (lr, rho, eps) = (0.5, 0.8, 1e-6)
    val (v, u) = (new Array[Double](n), new Array[Double](n))
    check(new Adadelta(rho, eps, lr)) { (w, g, _) =>
      for (i <- 0 until n) {
        v(i) = rho * v(i) + (1 - rho) * g(i) * g(i)
        val d = math.sqrt(u(i) + eps) / math.sqrt(v(i) + eps) * g(i)
        u(i) = rho * u(i) + (1 - rho) * d * d
        w(i) -= lr * d
      }
    }
  }

  test("Adamax matches PyTorch's update") {
    val (lr, b1, b2, eps) = (0.01, 0.8, 0.95, 1e-8)
    val (m, u) = (new Array[Double](n), new Array[Double](n))
    check(new Adamax(lr, b1, b2, eps)) { (w, g, it) =>
      for (i <- 0 until n) {
        m(i) = b1 * m(i) + (1 - b1) * g(i)
        u(i) = math.max(b2 * u(i), math.abs(g(i)) + eps)
        w(i) -= lr / (1 - math.pow(b1, it + 1)) * m(i) / u(i)
      }
    }
  }

  private def ftrlReference(lr: Double, power: Double, init: Double, l1: Double, l2: Double, shrink: Double) = {
    val accum = Array.fill(n)(init)
    val z = new Array[Double](n)
    (w: Array[Double], g: Array[Double], _: Int) =>
      for (i <- 0 until n) {
        val gs = g(i) + 2 * shrink * w(i)
        val nNew = accum(i) + g(i) * g(i)
        z(i) += gs - (math.pow(nNew, -power) - math.pow(accum(i), -power)) / lr * w(i)
        val quad = math.pow(nNew, -power) / lr + 2 * l2
        w(i) = if (math.abs(z(i)) > l1) (math.signum(z(i)) * l1 - z(i)) / quad else 0.0
        accum(i) = nNew
      }
  }

  test("Ftrl matches TensorFlow's ApplyFtrlV2 update, with and without regularization") {
    check(new Ftrl(0.1))(ftrlReference(0.1, -0.5, 0.1, 0, 0, 0))
    check(new Ftrl(0.05, -0.5, 0.2, 0.01, 0.1, 0.05))(ftrlReference(0.05, -0.5, 0.2, 0.01, 0.1, 0.05))
    check(new Ftrl(0.3, -0.7, 0.5, 0.0, 0.0))(ftrlReference(0.3, -0.7, 0.5, 0, 0, 0))
    // a large l1 makes the solution sparse: most weights become exactly 0
    val w = Tensor(n) // from 0, z = g: the weights with |g| <= l1 stay exactly 0, the others move
    new Ftrl(0.1, -0.5, 0.1, 2.0, 0.0).step(w, Tensor.fromArray(Array.tabulate(n)(i => 0.1f * i), n), TrainingPosition.at(0, 1))
    assert(w.toArray.take(20).forall(_ == 0f) && w.toArray.drop(21).forall(_ < 0f))
  }

  /** Torch's lbfgs with one iteration per call and no line search, in Double. */
  private def lbfgsReference(lr: Double, m: Int) = {
    var gOld: Array[Double] = null
    var d: Array[Double] = null
    var t = 0.0
    var hDiag = 1.0
    val hist = scala.collection.mutable.ArrayBuffer.empty[(Array[Double], Array[Double])]
    def dot(a: Array[Double], b: Array[Double]) = a.indices.map(i => a(i) * b(i)).sum
    (w: Array[Double], g: Array[Double], it: Int) => {
      if (it == 0) { d = g.map(-_); t = math.min(1, 1 / g.map(math.abs).sum) * lr }
      else {
        val y = g.indices.map(i => g(i) - gOld(i)).toArray
        val s = d.map(_ * t)
        if (dot(y, s) > 1e-10) { if (hist.length == m) hist.remove(0); hist += ((s, y)); hDiag = dot(y, s) / dot(y, y) }
        val q = g.map(-_)
        val al = new Array[Double](hist.length)
        for (i <- hist.indices.reverse) {
          val (si, yi) = hist(i); al(i) = dot(si, q) / dot(yi, si)
          for (j <- q.indices) q(j) -= al(i) * yi(j)
        }
        val r = q.map(_ * hDiag)
        for (i <- hist.indices) {
          val (si, yi) = hist(i); val be = dot(yi, r) / dot(yi, si)
          for (j <- r.indices) r(j) += si(j) * (al(i) - be)
        }
        d = r; t = lr
      }
      gOld = g.clone()
      for (i <- w.indices) w(i) += t * d(i)
    }
  }

  test("LBFGS matches Torch's lbfgs (one iteration per step, no line search), with a short history") {
    check(new LBFGS(0.1, 3), atol = 1e-5, rtol = 1e-3)(lbfgsReference(0.1, 3))
    check(new LBFGS(0.05), atol = 1e-5, rtol = 1e-3)(lbfgsReference(0.05, 100))
  }

  test("LBFGS minimises a convex quadratic with full gradients far faster than SGD") {
    val k = 12
    val rng = new java.util.Random(5)
    val m = Array.fill(k, k)(rng.nextGaussian())
    val a = Array.tabulate(k, k)((i, j) => (0 until k).map(l => m(i)(l) * m(j)(l)).sum / k + (if (i == j) 0.5 else 0.0))
    val b = Array.fill(k)(rng.nextGaussian())
    def residual(w: Tensor): Array[Double] = Array.tabulate(k)(i => (0 until k).map(j => a(i)(j) * w(j)).sum - b(i))
    def run(method: OptimMethod, iters: Int): Double = {
      val w = Tensor(k)
      for (it <- 0 until iters) method.step(w, Tensor.fromArray(residual(w).map(_.toFloat), k), TrainingPosition.at(it, 1))
      math.sqrt(residual(w).map(x => x * x).sum)
    }
    val (lbfgs, sgd) = (run(new LBFGS(1.0), 40), run(new SGD(0.1), 40))
    assert(lbfgs < 1e-3, s"LBFGS gradient norm after 40 steps: $lbfgs")
    assert(sgd > 100 * lbfgs, s"SGD $sgd vs LBFGS $lbfgs")
  }

  /** [[OptimChecks.stateContinuity]], and the rebuilt method has the very same configuration. */
  private def checkStateContinuity(make: () => OptimMethod): Unit = {
    val (first, resumed) = OptimChecks.stateContinuity(make, n)
    assert(resumed.config == first.config)
  }

  private val makers: Seq[() => OptimMethod] =
    Seq(() => new Adadelta(), () => new Adamax(0.01), () => new Ftrl(0.1, -0.5, 0.1, 0.001, 0.01, 0.0), () => new LBFGS(0.1, 2))

  test("state save/load continues exactly (Adadelta, Adamax, Ftrl, LBFGS)") {
    makers.foreach(checkStateContinuity)
  }

  test("state survives a checkpoint file, and the methods are Serializable") {
    val dir = Files.createTempDirectory("ember-optim2").toFile
    try for (make <- makers) {
      val m = make()
      val w = Tensor.fromArray(Array.tabulate(n)(_ * 0.1f), n)
      val g = Tensor.fromArray(Array.tabulate(n)(i => math.sin(i.toDouble).toFloat), n)
      m.step(w, g, TrainingPosition.at(0, 1)); m.step(w, g.clone().mul(0.5f), TrainingPosition.at(1, 1))
      val position = TrainingPosition(epoch = 1, iteration = 2, epochIteration = 2)
      Checkpoint.save(dir.getPath, new Linear(2, 1), m, m.state, position, keepOnlyLatest = true)
      val back = Checkpoint.load(dir.getPath).optimMethod
      val bytes = new java.io.ByteArrayOutputStream()
      new java.io.ObjectOutputStream(bytes).writeObject(m)
      val copy = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject().asInstanceOf[OptimMethod]
      val (w1, w2, w3) = (w.clone(), w.clone(), w.clone())
      m.step(w1, g, TrainingPosition.at(2, 1)); back.step(w2, g, TrainingPosition.at(2, 1)); copy.step(w3, g, TrainingPosition.at(2, 1))
      assert(w1.almostEqual(w2, 0, 0) && w1.almostEqual(w3, 0, 0), m.toString)
    } finally org.apache.commons.io.FileUtils.deleteDirectory(dir)
  }

  test("elementwise methods slice: two slice instances equal the whole-vector method, states merge and split") {
    for (make <- makers.take(3)) {
      val rng = new java.util.Random(3)
      val w = Tensor.fromArray(Array.fill(10)(rng.nextFloat()), 10)
      val (w1, w2) = (w.narrow(0, 0, 4).clone(), w.narrow(0, 4, 6).clone())
      val (a, b, whole) = (make(), make(), make())
      for (it <- 0 until 3) {
        val g = Tensor.fromArray(Array.fill(10)(rng.nextFloat() - 0.5f), 10)
        a.step(w1, g.narrow(0, 0, 4).clone(), TrainingPosition.at(it, 1)); b.step(w2, g.narrow(0, 4, 6).clone(), TrainingPosition.at(it, 1))
        whole.step(w, g, TrainingPosition.at(it, 1))
      }
      assert(w.narrow(0, 0, 4).almostEqual(w1, 0, 0) && w.narrow(0, 4, 6).almostEqual(w2, 0, 0), whole.toString)
      val merged = OptimState.merge(Seq(a.state.get, b.state.get))
      assert(merged.getClass == whole.state.get.getClass && merged.steps == whole.state.get.steps)
      assert(merged.entries.keySet == whole.state.get.entries.keySet)
      merged.entries.foreach { case (k, t) => assert(t.almostEqual(whole.state.get.entries(k), 0, 0), s"$whole: $k") }
      val part = make(); part.loadState(OptimState.slice(merged, 4, 6))
      val (p1, p2) = (w2.clone(), w2.clone()); val g = Tensor.fromArray(Array.fill(6)(0.3f), 6)
      part.step(p1, g.clone(), TrainingPosition.at(3, 1)); b.step(p2, g.clone(), TrainingPosition.at(3, 1))
      assert(p1.almostEqual(p2, 0, 0))
      OptimMethod.requireSliceable(whole, 4)
    }
    val e = intercept[IllegalArgumentException](OptimMethod.requireSliceable(new LBFGS(), 2))
    assert(e.getMessage.contains("LBFGS needs the whole parameter vector (it is not sliceable)") && e.getMessage.contains("LocalOptimizer"))
    OptimMethod.requireSliceable(new LBFGS(), 1)
  }

  test("bad hyper-parameters are rejected with clear messages") {
    def msg(f: => Any): String = intercept[IllegalArgumentException](f).getMessage
    assert(msg(new Adadelta(1.0, 1e-6)).contains("Adadelta: decayRate must be in [0, 1), got 1.0"))
    assert(msg(new Adamax(0.1, 0.9, 1.0, 1e-8)).contains("Adamax: beta2 must be in [0, 1), got 1.0"))
    assert(msg(new Ftrl(0.1, 0.5, 0.1, 0, 0)).contains("Ftrl: learningRatePower must be <= 0, got 0.5"))
    assert(msg(new Ftrl(0.1, -0.5, 0.0, 0, 0)).contains("initialAccumulatorValue must be > 0"))
    assert(msg(new LBFGS(1.0, 0)).contains("LBFGS: nCorrection (the history size) must be > 0, got 0"))
    val lbfgs = new LBFGS(); lbfgs.step(Tensor.fromArray(Array(1f, 2f), 2), Tensor.fromArray(Array(1f, 1f), 2), TrainingPosition.at(0, 1))
    assert(msg(lbfgs.step(Tensor(3), Tensor(3), TrainingPosition.at(1, 1))).contains("freshCopy"))
  }
}
