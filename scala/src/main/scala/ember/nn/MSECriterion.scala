package ember.nn

import ember.tensor.Tensor

/** Mean (or, without `sizeAverage`, summed) squared error between input and a target of the same size. */
class MSECriterion(val sizeAverage: Boolean) extends TensorCriterion {

  def this() = this(true)

  private def check(input: Tensor, target: Tensor): Unit = Targets.requireSameShape("MSECriterion", input, target)

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    check(input, target)
    val (x, y) = (input.contiguous(), target.contiguous())
    var acc = 0.0
    var i = 0
    while (i < x.nElement) { val d = (x.storage(x.offset + i) - y.storage(y.offset + i)).toDouble; acc += d * d; i += 1 }
    output = (if (sizeAverage) acc / x.nElement else acc).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    check(input, target)
    val (x, y) = (input.contiguous(), target.contiguous())
    val gi = gradInput.toTensor.resize(input.shape)
    val scale = (if (sizeAverage) 2.0 / x.nElement else 2.0).toFloat
    var i = 0
    while (i < x.nElement) { gi.storage(gi.offset + i) = scale * (x.storage(x.offset + i) - y.storage(y.offset + i)); i += 1 }
    gi
  }

  override def config: Seq[(String, Any)] = Seq("sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("sizeAverage" -> true)
}
