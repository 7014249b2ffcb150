package ember.nn

import ember.tensor.{SoftMaxKernel, Tensor}
import ember.tensor.dnn.{DnnOps, DnnSoftmax}

/**
 * Softmax or log-softmax over the feature dimension, as Torch/BigDL choose it: the only dimension of a
 * vector, dimension 1 of [batch, n], and the channel dimension of [C, H, W] or [N, C, H, W] images
 * (per pixel). On oneDNN ([[ember.tensor.dnn.DnnSoftmax]]) when [[ember.tensor.dnn.DnnOps]] selects it (the
 * default with the oneDNN kernels) and the dimension is the innermost one, else on the JVM kernel
 * [[ember.tensor.SoftMaxKernel]].
 */
private[nn] abstract class SoftMaxBase(name: String, log: Boolean) extends TensorModule {
  private def onDnn(d: SoftMaxKernel.Dims) = DnnOps.use(if (log) DnnOps.LogSoftMax else DnnOps.SoftMax) && DnnSoftmax.supports(d)

  private def dims(x: Tensor): SoftMaxKernel.Dims = {
    // an empty batch ([0, n] or [0, C, H, W]) gives an empty output, as in PyTorch
    require(x.dim >= 1 && x.dim <= 4 && (x.nElement > 0 || (x.dim % 2 == 0 && x.size(0) == 0)),
      s"$name: expected input of shape [n], [batch, n], [C, H, W] or [batch, C, H, W], got ${x.shapeString}")
    SoftMaxKernel.dims(x.shape, if (x.dim == 1 || x.dim == 3) 0 else 1)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val d = dims(x)
    if (!(onDnn(d) && DnnSoftmax.forward(d, x, outTensor.resize(x.shape), log))) SoftMaxKernel.forward(x, outTensor.resize(x.shape), d, log)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val d = dims(outTensor)
    if (onDnn(d)) DnnSoftmax.backward(d, outTensor, g, gradInTensor.resize(outTensor.shape), log)
    else SoftMaxKernel.backward(outTensor, g, gradInTensor.resize(outTensor.shape), d, log)
    gradInTensor
  }
}
