package ember.nn

import ember.tensor.{Activity, DilatedConv2d, DilatedConvShape, RandomGenerator, Tensor}

/**
 * 2-d convolution with dilated ("atrous") kernels over [N, nInputPlane, H, W] (or [nInputPlane, H, W]) input,
 * as BigDL's `SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, dilationW,
 * dilationH)`: kernel tap (i, j) reads the input at offset (i * dilationH, j * dilationW) from the window's
 * corner. Output size floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1. Weight
 * [nOutputPlane, nInputPlane, kH, kW] and bias start uniform in +-1/sqrt(nInputPlane * kH * kW). Computed by
 * im2col + GEMM per sample ([[ember.tensor.DilatedConv2d]]).
 */
class SpatialDilatedConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kW: Int, val kH: Int, val dW: Int, val dH: Int,
    val padW: Int, val padH: Int, val dilationW: Int, val dilationH: Int) extends TensorModule {
  private def name = "SpatialDilatedConvolution"
  require(nInputPlane > 0 && nOutputPlane > 0, s"$name: plane counts must be positive, got $nInputPlane -> $nOutputPlane")
  require(kW > 0 && kH > 0 && dW > 0 && dH > 0, s"$name: kernel and stride must be positive, got kernel ${kW}x$kH stride ${dW}x$dH")
  require(padW >= 0 && padH >= 0, s"$name: padding must be >= 0, got padW=$padW padH=$padH")
  require(dilationW > 0 && dilationH > 0, s"$name: dilation must be positive, got dilationW=$dilationW dilationH=$dilationH")

  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int) =
    this(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, 1, 1)
  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int) = this(nInputPlane, nOutputPlane, kW, kH, 1, 1, 0, 0, 1, 1)

  val weight: Tensor = Tensor(nOutputPlane, nInputPlane, kH, kW)
  val gradWeight: Tensor = Tensor(nOutputPlane, nInputPlane, kH, kW)
  val bias: Tensor = Tensor(nOutputPlane)
  val gradBias: Tensor = Tensor(nOutputPlane)
  private val ws = new DilatedConv2d.Workspace()
  reset()

  override def reset(): Unit = {
    val bound = (1.0 / math.sqrt(nInputPlane.toDouble * kH * kW)).toFloat
    val rng = RandomGenerator.random
    weight.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
    bias.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
  }

  private def geometry(x: Tensor): DilatedConvShape = {
    val (h, w) = (x.size(2), x.size(3))
    require(DilatedConvShape.outSize(h, kH, dH, padH, dilationH) > 0 && DilatedConvShape.outSize(w, kW, dW, padW, dilationW) > 0,
      s"$name: input of shape ${x.shapeString} is smaller than the ${kW}x$kH kernel with dilation ${dilationW}x$dilationH " +
        s"and padding ${padW}x$padH")
    DilatedConvShape(nInputPlane, h, w, nOutputPlane, kH, kW, dH, dW, padH, padW, dilationH, dilationW)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = geometry(x)
    val out = outTensor.resize(x.size(0), nOutputPlane, s.outH, s.outW)
    DilatedConv2d.forward(s, x, weight, bias, out, ws)
    if (input.dim == 3) output = out.view(nOutputPlane, s.outH, s.outW)
    outTensor
  }

  private def backwardPass(input: Tensor, gradOutput: Tensor, wantInput: Boolean, wantParams: Boolean): Unit = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = geometry(x)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = if (wantInput) gradInTensor.resize(x.shape) else null
    DilatedConv2d.backward(s, x, g, weight, gi, if (wantParams) gradWeight else null, if (wantParams) gradBias else null, ws)
    if (wantInput && input.dim == 3) gradInput = gi.view(input.shape)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, wantInput = true, wantParams = false)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    backwardPass(input, gradOutput, wantInput = false, wantParams = true)

  /** Input and parameter gradients in one pass: the input gradient only when [[propagateBack]], the others unless frozen. */
  override def backward(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, wantInput = propagateBack, wantParams = !isFrozen)
    gradInTensor
  }

  override def backward(input: Activity, gradOutput: Activity): Activity = backward(input.toTensor, gradOutput.toTensor)

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight), "bias" -> Parameter(bias, gradBias))

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane, "kW" -> kW,
    "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW, "padH" -> padH, "dilationW" -> dilationW, "dilationH" -> dilationH)

  override def toString: String = LayerSupport.repr(name, Seq(nInputPlane, nOutputPlane, kW, kH), ("dW", dW, 1), ("dH", dH, 1),
    ("padW", padW, 0), ("padH", padH, 0), ("dilationW", dilationW, 1), ("dilationH", dilationH, 1))
}
