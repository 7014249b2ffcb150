package ember.nn

import ember.tensor.{DilatedConv2d, DilatedConvShape, FullConv2d, OutputSize, Tensor}
import ember.tensor.dnn.{ConvGrads, ConvSpec}

/**
 * Transposed 2-d convolution ("full convolution", "deconvolution") over [N, nInputPlane, H, W] (or
 * [nInputPlane, H, W]) input, as BigDL's `SpatialFullConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH,
 * padW, padH, adjW, adjH)` (without groups): the adjoint of `SpatialConvolution` with the same kernel,
 * stride and padding. Output size (in - 1) * stride - 2 pad + k + adj, where adj (< stride) adds rows and
 * columns at the bottom/right to reach sizes a strided convolution maps to the same input size. Weight
 * [nInputPlane, nOutputPlane, kH, kW] (PyTorch's ConvTranspose2d layout) and bias start uniform in
 * +-1/sqrt(nInputPlane * kH * kW). Kernels: [[ember.tensor.FullConv2d]], or oneDNN's deconvolution when enabled
 * (see [[Conv2dBase]]).
 */
class SpatialFullConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kW: Int, val kH: Int, val dW: Int, val dH: Int,
    val padW: Int, val padH: Int, val adjW: Int, val adjH: Int, val withBias: Boolean)
  extends Conv2dBase("SpatialFullConvolution", nInputPlane, nOutputPlane, Array(nInputPlane, nOutputPlane, kH, kW), withBias) {
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

  @transient private lazy val ws = new DilatedConv2d.Workspace()

  override protected def spec(x: Tensor): ConvSpec = {
    val (h, w) = (x.size(2), x.size(3))
    val outH = OutputSize.transposed(name, "height", h, kH, dH, padH, adjH)
    val outW = OutputSize.transposed(name, "width", w, kW, dW, padW, adjW)
    ConvSpec(x.size(0), nInputPlane, h, w, nOutputPlane, outH, outW, kH, kW, dH, dW, padH, padW, bias = withBias, transposed = true)
  }

  /** The convolution this layer is the adjoint of. */
  private def adjoint(s: ConvSpec): DilatedConvShape =
    FullConv2d.adjointShape(nInputPlane, s.inH, s.inW, nOutputPlane, s.outH, s.outW, kH, kW, dH, dW, padH, padW)

  override protected def jvmForward(s: ConvSpec, x: Tensor, out: Tensor): Unit = FullConv2d.forward(adjoint(s), x, weight, bias, out, ws)

  override protected def jvmBackward(s: ConvSpec, x: Tensor, g: Tensor, grads: ConvGrads): Unit =
    FullConv2d.backward(adjoint(s), x, g, weight, grads.gradInput, grads.gradWeight, grads.gradBias, ws)

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane, "kW" -> kW,
    "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW, "padH" -> padH, "adjW" -> adjW, "adjH" -> adjH, "withBias" -> withBias)

  override def configDefaults: Seq[(String, Any)] =
    Seq("dW" -> 1, "dH" -> 1, "padW" -> 0, "padH" -> 0, "adjW" -> 0, "adjH" -> 0, "withBias" -> true)
}
