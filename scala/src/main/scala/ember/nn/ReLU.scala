package ember.nn

import ember.tensor.Tensor

/**
 * max(0, x), elementwise. With `ip = true` it works in place (BigDL's argument): the output is the input
 * tensor and the input gradient is written into gradOutput, saving two buffers.
 */
class ReLU(val ip: Boolean) extends TensorModule {
  def this() = this(false)

  override def updateOutput(input: Tensor): Tensor = {
    if (ip && input.isContiguous) {
      output = input
      val (x, off, n) = (input.storage, input.offset, input.nElement)
      var i = 0
      while (i < n) { if (x(off + i) <= 0f) x(off + i) = 0f; i += 1 }
    } else {
      val x = input.contiguous()
      val out = (if (ip) { output = new Tensor(); outTensor } else outTensor).resize(x.shape)
      Elementwise.map(x, out)(v => if (v <= 0f) 0f else v) // NaN passes through, as in PyTorch
    }
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("ReLU", gradOutput, outTensor)
    // the output, not the input: in place, the input has been overwritten by it (same sign pattern)
    if (ip && (g eq gradOutput)) gradInput = g else gradInTensor.resize(outTensor.shape).copy(g)
    val (gi, y, gOff, yOff, n) = (gradInTensor.storage, outTensor.storage, gradInTensor.offset, outTensor.offset, g.nElement)
    var i = 0
    while (i < n) { if (y(yOff + i) <= 0f) gi(gOff + i) = 0f; i += 1 }
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("ip" -> ip)
  override def toString: String = LayerSupport.repr("ReLU", Nil, ("ip", ip, false))
}
