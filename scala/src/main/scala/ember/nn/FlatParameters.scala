package ember.nn

import ember.tensor.Tensor

/**
 * Compacts a model's parameters into one flat weight buffer and one flat gradient buffer (Spark ml/ann's
 * `unroll`): each layer's weight and gradient tensors become contiguous views at the same offsets of the
 * two buffers, so optimizers and the AllReduce work on one vector while layers keep their own views.
 *
 * Memory: the layers' own tensors and the flat buffers are never all alive at once, so a model of half the heap
 * still compacts (a model beyond 2 GB, issue 11 point 15). Gradients holding only zeros (a model not trained yet)
 * are let go before the gradient buffer exists; weights move tensor by tensor, each old tensor free once moved;
 * weights that already are one flat buffer (a replica's views of replica 0's weights) stay where they are.
 */
private[ember] object FlatParameters {

  def compact(module: Module): (Tensor, Tensor) = {
    val params = distinct(module.namedParameters.map(_._2))
    val total = params.map(_.value.nElement.toLong).sum
    require(total <= Int.MaxValue, s"model has $total parameters, more than one flat buffer of 2^31 holds")
    if (isCompact(params)) return flatViews(params, total.toInt)
    params.foreach(p => require(p.grad.nElement == p.value.nElement, s"gradient of shape ${p.grad.shapeString} for weight ${p.value.shapeString}"))
    val zero = params.map(p => isZero(p.grad))
    params.zip(zero).foreach { case (p, z) => if (z) p.grad.set(Array.emptyFloatArray, 0, Array(0)) }
    if (!isFlat(params.map(_.value))) {
      val weights = new Array[Float](total.toInt)
      var offset = 0
      for (p <- params) {
        p.value.set(Tensor.view(weights, offset, p.value.shape).copy(p.value))
        offset += p.value.nElement
      }
    }
    val grads = new Array[Float](total.toInt)
    var offset = 0
    for ((p, z) <- params.zip(zero)) {
      val g = Tensor.view(grads, offset, p.value.shape)
      if (!z) g.copy(p.grad)
      p.grad.set(g)
      offset += g.nElement
    }
    flatViews(params, total.toInt)
  }

  /**
   * Lets go of `module`'s flat gradient buffer while it holds only zeros, returning what brings it back (a new zero
   * buffer, the same views): for a holder of the model that never computes gradients for a while (the
   * DistriOptimizer's driver: its tasks do), so that a model of half the heap does not cost twice its size there.
   * None (nothing let go) when the parameters are not compact or the gradient holds anything but zeros.
   */
  def releaseZeroGradient(module: Module): Option[() => Unit] = {
    val params = distinct(module.namedParameters.map(_._2))
    if (!isCompact(params) || !params.forall(p => isZero(p.grad))) return None
    val shapes = params.map(_.grad.shape)
    val total = params.map(_.grad.nElement).sum
    params.foreach(_.grad.set(Array.emptyFloatArray, 0, Array(0)))
    Some { () =>
      val grads = new Array[Float](total)
      var offset = 0
      for ((p, shape) <- params.zip(shapes)) { p.grad.set(grads, offset, shape); offset += p.grad.nElement }
    }
  }

  /** Parameters by identity (a tensor shared between layers is counted once). */
  private def distinct(ps: Seq[Parameter]): Seq[Parameter] = {
    val seen = new java.util.IdentityHashMap[Tensor, Unit]()
    ps.filter(p => if (seen.containsKey(p.value)) false else { seen.put(p.value, ()); true })
  }

  /** Whether `t` is contiguous and holds only zeros (a non-contiguous tensor counts as not zero: it is copied). */
  private def isZero(t: Tensor): Boolean = t.isContiguous && {
    val (s, from, to) = (t.storage, t.offset, t.offset + t.nElement)
    var i = from
    while (i < to && s(i) == 0f) i += 1
    i == to
  }

  /** Whether `ts` are consecutive contiguous views of one storage that they fill exactly. */
  private def isFlat(ts: Seq[Tensor]): Boolean = ts.nonEmpty && {
    val s = ts.head.storage
    var offset = 0
    ts.forall { t => val ok = (t.storage eq s) && t.offset == offset && t.isContiguous; offset += t.nElement; ok } && s.length == offset
  }

  private def isCompact(ps: Seq[Parameter]): Boolean = isFlat(ps.map(_.value)) && isFlat(ps.map(_.grad))

  private def flatViews(ps: Seq[Parameter], total: Int): (Tensor, Tensor) =
    if (ps.isEmpty) (Tensor(0), Tensor(0))
    else (Tensor.view(ps.head.value.storage, 0, Array(total)), Tensor.view(ps.head.grad.storage, 0, Array(total)))
}
