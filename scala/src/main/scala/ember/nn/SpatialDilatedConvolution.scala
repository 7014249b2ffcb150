package ember.nn

import ember.tensor.{DilatedConv2d, DilatedConvShape, OutputSize, Tensor}
import ember.tensor.dnn.{ConvGrads, ConvSpec}

/**
 * 2-d convolution with dilated ("atrous") kernels over [N, nInputPlane, H, W] (or [nInputPlane, H, W]) input,
 * as BigDL's `SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, dilationW,
 * dilationH)`: kernel tap (i, j) reads the input at offset (i * dilationH, j * dilationW) from the window's
 * corner. Output size floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1. Weight
 * [nOutputPlane, nInputPlane, kH, kW] and bias start uniform in +-1/sqrt(nInputPlane * kH * kW). Computed by
 * im2col + GEMM per sample ([[ember.tensor.DilatedConv2d]]), or by oneDNN when enabled (see [[Conv2dBase]]).
 */
class SpatialDilatedConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kW: Int, val kH: Int, val dW: Int, val dH: Int,
    val padW: Int, val padH: Int, val dilationW: Int, val dilationH: Int)
  extends Conv2dBase("SpatialDilatedConvolution", nInputPlane, nOutputPlane, Array(nOutputPlane, nInputPlane, kH, kW), true) {
  private def name = "SpatialDilatedConvolution"
  require(nInputPlane > 0 && nOutputPlane > 0, s"$name: plane counts must be positive, got $nInputPlane -> $nOutputPlane")
  require(kW > 0 && kH > 0 && dW > 0 && dH > 0, s"$name: kernel and stride must be positive, got kernel ${kW}x$kH stride ${dW}x$dH")
  require(padW >= 0 && padH >= 0, s"$name: padding must be >= 0, got padW=$padW padH=$padH")
  require(dilationW > 0 && dilationH > 0, s"$name: dilation must be positive, got dilationW=$dilationW dilationH=$dilationH")

  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int) =
    this(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, 1, 1)
  def this(nInputPlane: Int, nOutputPlane: Int, kW: Int, kH: Int) = this(nInputPlane, nOutputPlane, kW, kH, 1, 1, 0, 0, 1, 1)

  @transient private lazy val ws = new DilatedConv2d.Workspace()

  override protected def spec(x: Tensor): ConvSpec = {
    val (h, w) = (x.size(2), x.size(3))
    val outH = OutputSize.window(name, "height", h, kH, dH, padH, dilationH)
    val outW = OutputSize.window(name, "width", w, kW, dW, padW, dilationW)
    ConvSpec(x.size(0), nInputPlane, h, w, nOutputPlane, outH, outW, kH, kW, dH, dW, padH, padW, dilationH, dilationW)
  }

  private def shape(s: ConvSpec) = DilatedConvShape(nInputPlane, s.inH, s.inW, nOutputPlane, kH, kW, dH, dW, padH, padW, dilationH, dilationW)

  override protected def jvmForward(s: ConvSpec, x: Tensor, out: Tensor): Unit = DilatedConv2d.forward(shape(s), x, weight, bias, out, ws)

  override protected def jvmBackward(s: ConvSpec, x: Tensor, g: Tensor, grads: ConvGrads): Unit =
    DilatedConv2d.backward(shape(s), x, g, weight, grads.gradInput, grads.gradWeight, grads.gradBias, ws)

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane, "kW" -> kW,
    "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW, "padH" -> padH, "dilationW" -> dilationW, "dilationH" -> dilationH)

  override def configDefaults: Seq[(String, Any)] =
    Seq("dW" -> 1, "dH" -> 1, "padW" -> 0, "padH" -> 0, "dilationW" -> 1, "dilationH" -> 1)
}
