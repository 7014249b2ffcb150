package ember.nn

import ember.tensor.{Activity, Tensor}
import ember.tensor.dnn.{ConvGrads, ConvSpec, Dnn, DnnConv}

/**
 * The shared part of the 2-d convolution family (PyTorch's `_ConvNd`): parameters, their initialisation
 * (uniform in +-1/sqrt(fan-in)), batched or single-image input, the choice of kernels and the backward variants.
 * A subclass says its geometry ([[spec]], from which the output shape follows) and its JVM kernels; with oneDNN
 * enabled ([[ember.tensor.dnn.Dnn]]) every member runs on [[ember.tensor.dnn.DnnConv]] instead.
 *
 * @param weightShape [nOut, nIn, kH, kW] for a convolution, [nIn, nOut, kH, kW] for a transposed one
 */
abstract class Conv2dBase(name: String, nIn: Int, nOut: Int, weightShape: Array[Int], withBias: Boolean) extends TensorModule {
  val weight: Tensor = Tensor(weightShape: _*)
  val gradWeight: Tensor = Tensor(weightShape: _*)
  val bias: Tensor = if (withBias) Tensor(nOut) else null
  val gradBias: Tensor = if (withBias) Tensor(nOut) else null
  reset()

  override def reset(): Unit = // fan-in nIn * kH * kW in both layouts
    initUniform(weight.nElement.toDouble / nOut, Seq(weight) ++ Option.when(withBias)(bias): _*)

  /** Geometry for the contiguous batch `x` [N, nIn, H, W]; checks that the output is not empty. */
  protected def spec(x: Tensor): ConvSpec

  /** The JVM kernels: output from x, and the gradients (null ones skipped; parameter gradients accumulate). */
  protected def jvmForward(s: ConvSpec, x: Tensor, out: Tensor): Unit
  protected def jvmBackward(s: ConvSpec, x: Tensor, gradOutput: Tensor, grads: ConvGrads): Unit

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nIn)
    val s = spec(x)
    val out = outTensor.resize(x.size(0), nOut, s.outH, s.outW)
    // oneDNN rejects an empty batch; the JVM kernels give its empty output
    if (Dnn.enabled && x.size(0) > 0) DnnConv.forward(s, x, weight, bias, out) else jvmForward(s, x, out)
    if (input.dim == 3) output = out.view(nOut, s.outH, s.outW)
    outTensor
  }

  @transient private var foldedWeight, foldedBias: Tensor = _

  /** The weights and bias with batch norm `bn` (evaluation mode) folded in: w' = w g / sqrt(var + eps),
   * b' = (b - mean) g / sqrt(var + eps) + beta; recomputed each call (the weights may have changed). */
  private[nn] def folded(bn: SpatialBatchNormalization): (Tensor, Tensor) = {
    if (foldedWeight == null) { foldedWeight = Tensor(weight.shape.toSeq: _*); foldedBias = Tensor(nOut) }
    val w = weight.contiguous()
    val (wa, wo, fw, fb) = (w.storage, w.offset, foldedWeight.storage, foldedBias.storage)
    val per = weight.nElement / nOut
    var o = 0
    while (o < nOut) {
      val g = if (bn.affine) bn.weight(o).toDouble else 1.0
      val beta = if (bn.affine) bn.bias(o).toDouble else 0.0
      val scale = g / math.sqrt(bn.runningVar(o).toDouble + bn.eps)
      val b = if (bias != null) bias(o).toDouble else 0.0
      fb(o) = ((b - bn.runningMean(o)) * scale + beta).toFloat
      var k = 0
      while (k < per) { fw(o * per + k) = (wa(wo + o * per + k) * scale).toFloat; k += 1 }
      o += 1
    }
    (foldedWeight, foldedBias)
  }

  /** This layer's output buffer, resized (fused inference stores its result there). */
  private[nn] def outputBuffer(shape: Array[Int]): Tensor = outTensor.resize(shape.toSeq: _*)

  /** The shared backward: input gradient and/or parameter gradients in one pass over the batch. */
  private def backwardPass(input: Tensor, gradOutput: Tensor, wantInput: Boolean, wantParams: Boolean): Unit = {
    val x = LayerSupport.batch4d(name, input, nIn)
    val s = spec(x)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = if (wantInput) gradInTensor.resize(x.shape) else null
    val grads = ConvGrads(gi, if (wantParams) gradWeight else null, if (wantParams && withBias) gradBias else null)
    if (Dnn.enabled && x.size(0) > 0) DnnConv.backward(s, x, g, weight, grads) else jvmBackward(s, x, g, grads)
    if (wantInput && input.dim == 3) gradInput = gi.view(input.shape)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, wantInput = true, wantParams = false)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    backwardPass(input, gradOutput, wantInput = false, wantParams = true)

  /** Input and parameter gradients in one pass: the input gradient only when [[propagateBack]], the others unless frozen. */
  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    backwardPass(input.toTensor, gradOutput.toTensor, wantInput, wantParams)

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight)) ++ (if (withBias) Seq("bias" -> Parameter(bias, gradBias)) else Nil)
}
