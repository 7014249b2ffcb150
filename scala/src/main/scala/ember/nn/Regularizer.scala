package ember.nn

import ember.tensor.Tensor

/**
 * A penalty on one parameter tensor, attached to a layer with `Module.setRegularizer` (BigDL's
 * `wRegularizer` / `bRegularizer`). BigDL's semantics: the penalty is
 * {{{
 *   R(w) = l1 * sum |w| + l2 / 2 * sum w^2
 * }}}
 * so its gradient, added into the parameter's gradient by `Module.accRegularization()` once per iteration
 * (the optimizers call it after the backward pass), is `l1 * sign(w) + l2 * w`. The penalty is not part of
 * the reported training loss (as in BigDL); [[loss]] gives it for those who want it.
 *
 * Like optim methods, a regularizer returns its constructor arguments from [[config]], so the model file
 * stores it by class name and arguments.
 */
trait Regularizer extends Serializable {

  /** Adds `scale` times the gradient of the penalty at `weight` into `grad` (same shape). */
  def accRegularization(weight: Tensor, grad: Tensor, scale: Double = 1.0): Unit

  /** The penalty R(weight). */
  def loss(weight: Tensor): Double

  /** Constructor arguments in order (name -> value). */
  def config: Seq[(String, Any)]

  override def toString: String = s"${getClass.getSimpleName}(${config.map { case (k, v) => s"$k=$v" }.mkString(", ")})"
}

/**
 * L1 and L2 penalties together (BigDL `L1L2Regularizer(l1, l2)`): `R(w) = l1 * sum |w| + l2 / 2 * sum w^2`,
 * gradient `l1 * sign(w) + l2 * w` (sign(0) = 0).
 */
class L1L2Regularizer(val l1: Double, val l2: Double) extends Regularizer {
  require(l1 >= 0 && !l1.isInfinite, s"${getClass.getSimpleName}: l1 must be a finite value >= 0, got $l1")
  require(l2 >= 0 && !l2.isInfinite, s"${getClass.getSimpleName}: l2 must be a finite value >= 0, got $l2")

  override def accRegularization(weight: Tensor, grad: Tensor, scale: Double): Unit = {
    require(weight.nElement == grad.nElement,
      s"${getClass.getSimpleName}: gradient of shape ${grad.shapeString} for a weight of shape ${weight.shapeString}")
    if (scale == 0 || (l1 == 0 && l2 == 0)) return
    val (a1, a2) = ((l1 * scale).toFloat, (l2 * scale).toFloat)
    if (weight.isContiguous && grad.isContiguous) {
      val (w, wo, g, go, n) = (weight.storage, weight.offset, grad.storage, grad.offset, weight.nElement)
      var i = 0
      while (i < n) { val v = w(wo + i); g(go + i) += a1 * math.signum(v) + a2 * v; i += 1 }
    } else {
      val w = weight.contiguous().toArray
      val delta = Tensor.fromArray(w.map(v => a1 * math.signum(v) + a2 * v), grad.shape)
      grad.add(delta)
    }
  }

  override def loss(weight: Tensor): Double = {
    val w = weight.contiguous().toArray
    var (s1, s2) = (0.0, 0.0)
    var i = 0
    while (i < w.length) { s1 += math.abs(w(i).toDouble); s2 += w(i).toDouble * w(i); i += 1 }
    l1 * s1 + l2 / 2 * s2
  }

  override def config: Seq[(String, Any)] = Seq("l1" -> l1, "l2" -> l2)
}

/** The L1 penalty `l1 * sum |w|` (BigDL `L1Regularizer(l1)`). */
class L1Regularizer(l1: Double) extends L1L2Regularizer(l1, 0.0) {
  override def config: Seq[(String, Any)] = Seq("l1" -> l1)
}

/** The L2 penalty `l2 / 2 * sum w^2`, gradient `l2 * w` (BigDL `L2Regularizer(l2)`). */
class L2Regularizer(l2: Double) extends L1L2Regularizer(0.0, l2) {
  override def config: Seq[(String, Any)] = Seq("l2" -> l2)
}
