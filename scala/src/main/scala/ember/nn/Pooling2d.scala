package ember.nn

import ember.tensor.{OutputSize, Pool2dShape, Tensor}

/**
 * What max and average pooling share: argument checks, the [N, C, H, W] / [C, H, W] batch view, the
 * output geometry (with BigDL's `ceil()` / `floor()` switches) and the forward/backward plumbing.
 */
private[nn] abstract class Pooling2d(name: String, kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int,
    initialCeilMode: Boolean) extends TensorModule {
  require(kW > 0 && kH > 0, s"$name: kernel size must be positive, got kW=$kW kH=$kH")
  require(dW > 0 && dH > 0, s"$name: stride must be positive, got dW=$dW dH=$dH")
  require(padW >= 0 && padH >= 0 && padW <= kW / 2 && padH <= kH / 2,
    s"$name: padding must be between 0 and half the kernel size, got padW=$padW padH=$padH for a ${kW}x$kH kernel")

  private var _ceilMode = initialCeilMode

  /** Output size rounding: ceil((in + 2 pad - k) / stride) + 1 when true, floor when false. */
  def ceilMode: Boolean = _ceilMode

  /** Switches to ceil rounding of the output size (BigDL's fluent `.ceil()`). */
  def ceil(): this.type = { _ceilMode = true; this }

  /** Switches to floor rounding of the output size (the default). */
  def floor(): this.type = { _ceilMode = false; this }

  /** Kernel, stride and padding actually used for an input of the given height and width. */
  protected def window(inH: Int, inW: Int): (Int, Int, Int, Int, Int, Int) = (kH, kW, dH, dW, padH, padW)

  protected def forwardPlanes(s: Pool2dShape, planes: Int, x: Tensor, out: Tensor): Unit
  protected def backwardPlanes(s: Pool2dShape, planes: Int, gradOutput: Tensor, gradInput: Tensor): Unit

  private def geometry(x: Tensor): Pool2dShape = {
    val (h, w) = (x.size(2), x.size(3))
    val (wkH, wkW, sH, sW, pH, pW) = window(h, w)
    OutputSize.pooled(name, "height", h, wkH, sH, pH, _ceilMode) // checked here for the message, used by Pool2dShape
    OutputSize.pooled(name, "width", w, wkW, sW, pW, _ceilMode)
    Pool2dShape(h, w, wkH, wkW, sH, sW, pH, pW, _ceilMode)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val s = geometry(x)
    val out = outTensor.resize(x.size(0), x.size(1), s.outH, s.outW)
    forwardPlanes(s, x.size(0) * x.size(1), x, out)
    if (input.dim == 3) output = out.view(x.size(1), s.outH, s.outW)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val s = geometry(x)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    backwardPlanes(s, x.size(0) * x.size(1), g, gi)
    if (input.dim == 3) gradInput = gi.view(input.shape)
    gradInTensor
  }
}
