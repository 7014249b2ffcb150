package ember.nn

import ember.tensor.{Activity, DilatedConv2d, DilatedConvShape, FullConv2d, RandomGenerator, Tensor}

/**
 * Transposed 2-d convolution ("full convolution", "deconvolution") over [N, nInputPlane, H, W] (or
 * [nInputPlane, H, W]) input, as BigDL's `SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH,
 * padW, padH, adjW, adjH)` (without groups): the adjoint of `SpatialConvolution` with the same kernel,
 * stride and padding. Output size (in - 1) * stride - 2 pad + k + adj, where adj (< stride) adds rows and
 * columns at the bottom/right to reach sizes a strided convolution maps to the same input size. Weight
 * [nInputPlane, nOutputPlane, kH, kW] (PyTorch's ConvTranspose2d layout) and bias start uniform in
 * +-1/sqrt(nInputPlane * kH * kW). Kernels: [[ember.tensor.FullConv2d]].
 */
class SpatialFullConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kW: Int, val kH: Int, val dW: Int, val dH: Int,
    val padW: Int, val padH: Int, val adjW: Int, val adjH: Int, val withBias: Boolean) extends TensorModule {
  private def name = "SpatialFullConvolution"
  require(nInputPlane > 0 && nOutputPlane > 0, s"$name: plane counts must be positive, got $nInputPlane -> $nOutputPlane")
  require(kW > 0 && kH > 0 && dW > 0 && dH > 0, s"$name: kernel and stride must be positive, got kernel ${kW}x$kH stride ${dW}x$dH")
  require(padW >= 0 && padH >= 0, s"$name: padding must be >= 0, got padW=$padW padH=$padH")
  require(adjW >= 0 && adjH >= 0 && adjW < dW && adjH < dH,
    s"$name: adj must be in [0, stride), got adjW=$adjW adjH=$adjH for stride ${dW}x$dH")

  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int, adjW: Int, adjH: Int) =
    this(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, adjW, adjH, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int) =
    this(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, 0, 0, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int) = this(nInputPlane, nOutputPlane, kW, kH, 1, 1, 0, 0, 0, 0, true)

  val weight: Tensor = Tensor(nInputPlane, nOutputPlane, kH, kW)
  val gradWeight: Tensor = Tensor(nInputPlane, nOutputPlane, kH, kW)
  val bias: Tensor = if (withBias) Tensor(nOutputPlane) else null
  val gradBias: Tensor = if (withBias) Tensor(nOutputPlane) else null
  private val ws = new DilatedConv2d.Workspace()
  reset()

  override def reset(): Unit = {
    val bound = (1.0 / math.sqrt(nInputPlane.toDouble * kH * kW)).toFloat
    val rng = RandomGenerator.random
    weight.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
    if (withBias) bias.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
  }

  /** The convolution this layer is the adjoint of, for input `x` [N, nInputPlane, H, W]. */
  private def geometry(x: Tensor): DilatedConvShape = {
    val (h, w) = (x.size(2), x.size(3))
    val outH = (h - 1) * dH - 2 * padH + kH + adjH
    val outW = (w - 1) * dW - 2 * padW + kW + adjW
    require(outH > 0 && outW > 0, s"$name: output would be ${outH}x$outW for input ${x.shapeString} (padding ${padW}x$padH " +
      s"is too large)")
    FullConv2d.adjointShape(nInputPlane, h, w, nOutputPlane, outH, outW, kH, kW, dH, dW, padH, padW)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = geometry(x)
    val out = outTensor.resize(x.size(0), nOutputPlane, s.inH, s.inW)
    FullConv2d.forward(s, x, weight, bias, out, ws)
    if (input.dim == 3) output = out.view(nOutputPlane, s.inH, s.inW)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    FullConv2d.backward(geometry(x), x, g, weight, gi, null, null, ws)
    if (input.dim == 3) gradInput = gi.view(input.shape)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    FullConv2d.backward(geometry(x), x, gradOutput.contiguous(), weight, null, gradWeight, gradBias, ws)
  }

  /** Skips the input gradient when nothing reads it ([[propagateBack]] false), and the parameters when frozen. */
  override def backward(input: Activity, gradOutput: Activity): Activity = {
    if (propagateBack) updateGradInput(input, gradOutput)
    if (!isFrozen) accGradParameters(input, gradOutput)
    gradInput
  }

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight)) ++ (if (withBias) Seq("bias" -> Parameter(bias, gradBias)) else Nil)

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane, "kW" -> kW,
    "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW, "padH" -> padH, "adjW" -> adjW, "adjH" -> adjH, "withBias" -> withBias)

  override def toString: String = LayerSupport.repr(name, Seq(nInputPlane, nOutputPlane, kW, kH), ("dW", dW, 1), ("dH", dH, 1),
    ("padW", padW, 0), ("padH", padH, 0), ("adjW", adjW, 0), ("adjH", adjH, 0), ("withBias", withBias, true))
}
