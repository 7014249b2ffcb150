package ember.nn

import java.util.Random

import scala.collection.mutable.ArrayBuffer

import ember.tensor.{Activity, RandomGenerator, Table, Tensor}

/**
 * Numerical gradient checks by central differences, computed in Double on Float32 data.
 *
 * For a module the scalar checked is L(x, params) = sum(output * R) for a fixed random R, whose analytic
 * gradient is `backward(x, R)`. Each perturbed coordinate v is set to fl(v + eps) and fl(v - eps) and the
 * difference quotient divides by the actual Float32 step (fl(v + eps) - fl(v - eps)), not by 2 eps, so the
 * rounding of the perturbation itself adds no error. Every forward gets fresh copies of the input (in-place
 * layers overwrite theirs). Tolerances and their rationale: [[GradCheck]].
 */
object GradientCheck {

  final case class Mismatch(what: String, index: Int, analytic: Double, numeric: Double) {
    override def toString: String = f"$what[$index]: analytic $analytic%.6g vs numerical $numeric%.6g"
  }

  def leaves(a: Activity): Seq[Tensor] = a match {
    case t: Tensor => Seq(t)
    case t: Table  => t.items.toSeq.flatMap(leaves)
    case other     => throw new IllegalArgumentException(s"unknown activity ${other.getClass}")
  }

  def copyOf(a: Activity): Activity = a match {
    case t: Tensor => t.clone()
    case t: Table  => Table(t.items.toSeq.map(copyOf): _*)
    case other     => throw new IllegalArgumentException(s"unknown activity ${other.getClass}")
  }

  private def randomLike(a: Activity, rng: Random): Activity = a match {
    case t: Tensor => Tensor(t.shape.toIndexedSeq: _*).apply1(_ => rng.nextGaussian().toFloat)
    case t: Table  => Table(t.items.toSeq.map(randomLike(_, rng)): _*)
    case other     => throw new IllegalArgumentException(s"unknown activity ${other.getClass}")
  }

  private def dot(a: Activity, b: Activity): Double =
    leaves(a).zip(leaves(b)).map { case (x, y) =>
      val (xs, ys) = (x.toArray, y.toArray)
      var s = 0.0; var i = 0
      while (i < xs.length) { s += xs(i).toDouble * ys(i); i += 1 }
      s
    }.sum

  /** Coordinates to perturb: all of them, or `max` distinct ones at random. */
  private def coords(n: Int, max: Int, rng: Random): Seq[Int] =
    if (n <= max) 0 until n else rng.ints(0, n).distinct().limit(max.toLong).toArray.toSeq.sorted

  /** Perturbs element k of a contiguous tensor by +-eps, evaluating `f` at both points; restores it. */
  private def centralDifference(t: Tensor, k: Int, eps: Double)(f: => Double): Double = {
    require(t.isContiguous, "gradient check needs contiguous tensors")
    val o = t.offset + k
    val v = t.storage(o)
    val (up, down) = ((v + eps).toFloat, (v - eps).toFloat)
    t.storage(o) = up; val fUp = f
    t.storage(o) = down; val fDown = f
    t.storage(o) = v
    (fUp - fDown) / (up.toDouble - down.toDouble)
  }

  private def compare(what: String, analytic: Tensor, k: Int, numeric: Double, c: GradCheck, out: ArrayBuffer[Mismatch]): Unit = {
    val a = analytic.toArray.apply(k).toDouble
    if (!(math.abs(a - numeric) <= c.atol + c.rtol * math.max(math.abs(a), math.abs(numeric)))) out += Mismatch(what, k, a, numeric)
  }

  /** Input- and parameter-gradient mismatches of a module case (empty when the check passes). */
  def module(mc: ModuleCase, seed: Long = 1234L): Seq[Mismatch] = {
    RandomGenerator.setSeed(seed)
    val rng = new Random(seed)
    val m = mc.make()
    val x0 = mc.input(rng)
    def forward(x: Activity): Activity = { mc.prepare(m); m.forward(copyOf(x)) }
    val r = randomLike(forward(x0), rng)
    def loss(x: Activity): Double = dot(forward(x), r)

    m.zeroGradParameters()
    val xIn = copyOf(x0)
    mc.prepare(m)
    m.forward(xIn)
    val gradIn = copyOf(m.backward(xIn, copyOf(r)))
    val gradParams = m.namedParameters.map { case (n, p) => n -> p.grad.clone() }

    val bad = ArrayBuffer.empty[Mismatch]
    for (((xt, gt), i) <- leaves(x0).zip(leaves(gradIn)).zipWithIndex if mc.check.checkInput;
         k <- coords(xt.nElement, mc.check.maxCoords, rng)) {
      val num = centralDifference(xt, k, mc.check.eps)(loss(x0))
      compare(s"input$i", gt, k, num, mc.check, bad)
    }
    for (((name, p), (_, g)) <- m.namedParameters.zip(gradParams); k <- coords(p.value.nElement, mc.check.maxCoords, rng)) {
      val num = centralDifference(p.value, k, mc.check.eps)(loss(x0))
      compare(name, g, k, num, mc.check, bad)
    }
    bad.toSeq
  }

  /** Input-gradient mismatches of a criterion case. */
  def criterion(cc: CriterionCase, seed: Long = 1234L): Seq[Mismatch] = {
    val rng = new Random(seed)
    val c = cc.make()
    val x0 = cc.input(rng)
    val target = cc.target(rng)
    val grad = copyOf(c.backward(copyOf(x0), target))
    val bad = ArrayBuffer.empty[Mismatch]
    for (((xt, gt), i) <- leaves(x0).zip(leaves(grad)).zipWithIndex; k <- coords(xt.nElement, cc.check.maxCoords, rng)) {
      val num = centralDifference(xt, k, cc.check.eps)(c.forward(copyOf(x0), target).toDouble)
      compare(s"input$i", gt, k, num, cc.check, bad)
    }
    bad.toSeq
  }
}
