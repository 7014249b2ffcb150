package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * 1 / (1 + exp(-x)), elementwise; the backward pass uses the output: dx = dy * y * (1 - y). On oneDNN
 * (`eltwise_logistic`) when [[ember.tensor.dnn.DnnOps]] selects it (the default with the oneDNN kernels).
 */
class Sigmoid() extends TensorModule {

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    if (DnnOps.use(DnnOps.Sigmoid)) { DnnEltwise.forward(DnnEltwise.logistic, x, outTensor.resize(x.shape)); return outTensor }
    Elementwise.map(x, outTensor.resize(x.shape))(v => (1.0 / (1.0 + math.exp(-v.toDouble))).toFloat)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Sigmoid", gradOutput, outTensor)
    val gi = gradInTensor.resize(outTensor.shape)
    if (DnnOps.use(DnnOps.Sigmoid)) { DnnEltwise.backward(DnnEltwise.logistic, outTensor, g, gi); return gi }
    val (gs, ys, out) = (g.storage, outTensor.storage, gi.storage)
    val (go, yo, n) = (g.offset, outTensor.offset, gi.nElement)
    var i = 0
    while (i < n) { val y = ys(yo + i); out(gi.offset + i) = gs(go + i) * y * (1f - y); i += 1 }
    gi
  }
}
