package ember.nn

import scala.collection.mutable.ArrayBuffer

import ember.tensor.{Activity, Table}

/**
 * A weighted sum of criterions, each applied to its own entry of a table input (BigDL / Torch
 * `ParallelCriterion`): `loss = sum_i weight_i * criterion_i(input(i), target(i))`; with `repeatTarget`
 * every criterion gets the whole target instead of target(i). Build it with [[add]]; the criterions and
 * weights are constructor arguments too, so the model file and checkpoints store them.
 */
class ParallelCriterion(val repeatTarget: Boolean, criterions: Seq[Criterion], weights: Array[Double]) extends Criterion {
  require(criterions.length == weights.length,
    s"ParallelCriterion: ${criterions.length} criterions but ${weights.length} weights")
  require(criterions.forall(_.isInstanceOf[Criterion]), "ParallelCriterion: every entry must be a Criterion")

  def this(repeatTarget: Boolean) = this(repeatTarget, Nil, Array.emptyDoubleArray)
  def this() = this(false)

  private val name = "ParallelCriterion"
  private val members = ArrayBuffer.from(criterions)
  private val scales = ArrayBuffer.from(weights)

  /** Adds `criterion` with weight `weight` (default 1); returns this. */
  def add(criterion: Criterion, weight: Double = 1.0): this.type = {
    require(criterion != null, s"$name: criterion must not be null")
    require(!weight.isNaN && !weight.isInfinite, s"$name: weight must be finite, got $weight")
    members += criterion; scales += weight; this
  }

  private def parts(input: Activity, target: Activity): Seq[(Criterion, Double, Activity, Activity)] = {
    require(members.nonEmpty, s"$name: no criterion added")
    val in = input match {
      case t: Table if t.length == members.length => t
      case t: Table => throw new IllegalArgumentException(s"$name: ${members.length} criterions but an input table of ${t.length} entries")
      case other => throw new IllegalArgumentException(s"$name: expected a table input, got ${other.getClass.getSimpleName}")
    }
    val targets: Int => Activity = if (repeatTarget) _ => target else target match {
      case t: Table if t.length == members.length => t(_)
      case other => throw new IllegalArgumentException(s"$name: expected a table of ${members.length} targets (or repeatTarget = true), " +
        s"got ${other match { case t: Table => s"a table of ${t.length}"; case o => o.getClass.getSimpleName }}")
    }
    members.indices.map(i => (members(i), scales(i), in(i), targets(i)))
  }

  override def updateOutput(input: Activity, target: Activity): Float = {
    output = parts(input, target).map { case (c, w, x, y) => w * c.forward(x, y) }.sum.toFloat
    output
  }

  override def updateGradInput(input: Activity, target: Activity): Activity = {
    gradInput = Table(parts(input, target).map { case (c, w, x, y) => Activities.scaled(c.backward(x, y), w) }: _*)
    gradInput
  }

  override def averagesOverBatch: Boolean = members.forall(_.averagesOverBatch)

  override def config: Seq[(String, Any)] =
    Seq("repeatTarget" -> repeatTarget, "criterions" -> members.toList, "weights" -> scales.toArray)

  override def toString: String = {
    val items = members.zip(scales).map { case (c, w) => if (w == 1.0) c.toString else s"$w * $c" }
    s"$name(${((if (repeatTarget) Seq("repeatTarget=true") else Nil) ++ items).mkString(", ")})"
  }
}

/** Arithmetic on activities (tensors or nested tables) for the criterion containers. */
private[nn] object Activities {

  /** A new activity: `a` times `w`. */
  def scaled(a: Activity, w: Double): Activity = a match {
    case t: ember.tensor.Tensor => t.clone().mul(w.toFloat)
    case t: Table => Table(t.items.toSeq.map(scaled(_, w)): _*)
    case other => throw new IllegalArgumentException(s"unknown activity ${other.getClass.getSimpleName}")
  }

  /** `acc` + `w` * `a`, in place in `acc` (same structure), returned. */
  def addScaled(acc: Activity, w: Double, a: Activity): Activity = (acc, a) match {
    case (x: ember.tensor.Tensor, y: ember.tensor.Tensor) =>
      require(x.nElement == y.nElement, s"cannot add gradients of shapes ${x.shapeString} and ${y.shapeString}")
      x.add(w.toFloat, y.contiguous().view(x.shape))
    case (x: Table, y: Table) if x.length == y.length =>
      x.items.indices.foreach(i => x(i) = addScaled(x(i), w, y(i))); x
    case _ => throw new IllegalArgumentException("cannot add gradients of different structures")
  }
}
