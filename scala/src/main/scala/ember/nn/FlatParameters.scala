package ember.nn

import ember.tensor.Tensor

/**
 * Compacts a model's parameters into one flat weight buffer and one flat gradient buffer (Spark ml/ann's
 * `unroll`): each layer's weight and gradient tensors become contiguous views at the same offsets of the
 * two buffers, so optimizers and the AllReduce work on one vector while layers keep their own views.
 */
private[ember] object FlatParameters {

  def compact(module: Module): (Tensor, Tensor) = {
    val params = distinct(module.namedParameters.map(_._2))
    val total = params.map(_.value.nElement.toLong).sum
    require(total <= Int.MaxValue, s"model has $total parameters, more than one flat buffer of 2^31 holds")
    if (isCompact(params)) return flatViews(params, total.toInt)
    val weights = new Array[Float](total.toInt)
    val grads = new Array[Float](total.toInt)
    var offset = 0
    for (p <- params) {
      val shape = p.value.shape
      require(p.grad.nElement == p.value.nElement, s"gradient of shape ${p.grad.shapeString} for weight ${p.value.shapeString}")
      val w = Tensor.view(weights, offset, shape).copy(p.value)
      val g = Tensor.view(grads, offset, shape).copy(p.grad)
      p.value.set(w); p.grad.set(g)
      offset += w.nElement
    }
    flatViews(params, total.toInt)
  }

  /** Parameters by identity (a tensor shared between layers is counted once). */
  private def distinct(ps: Seq[Parameter]): Seq[Parameter] = {
    val seen = new java.util.IdentityHashMap[Tensor, Unit]()
    ps.filter(p => if (seen.containsKey(p.value)) false else { seen.put(p.value, ()); true })
  }

  private def isCompact(ps: Seq[Parameter]): Boolean = ps.nonEmpty && {
    val ws = ps.head.value.storage; val gs = ps.head.grad.storage
    var offset = 0
    ps.forall { p =>
      val ok = (p.value.storage eq ws) && (p.grad.storage eq gs) && p.value.offset == offset &&
        p.grad.offset == offset && p.value.isContiguous && p.grad.isContiguous
      offset += p.value.nElement
      ok
    } && ws.length == offset && gs.length == offset
  }

  private def flatViews(ps: Seq[Parameter], total: Int): (Tensor, Tensor) =
    if (ps.isEmpty) (Tensor(0), Tensor(0))
    else (Tensor.view(ps.head.value.storage, 0, Array(total)), Tensor.view(ps.head.grad.storage, 0, Array(total)))
}
