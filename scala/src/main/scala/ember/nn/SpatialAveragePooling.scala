package ember.nn

import ember.tensor.{Pool2d, Pool2dShape, Tensor}
import ember.tensor.dnn.{DnnOps, DnnPool}

/**
 * 2-d average pooling over [N, C, H, W] (or [C, H, W]), as BigDL's `SpatialAveragePooling(kW, kH, dW, dH,
 * padW, padH, globalPooling, ceilMode, countIncludePad, divide)`.
 *
 * The divisor follows PyTorch: the window clipped to the padded input (`countIncludePad`) or to the input
 * itself; `divide = false` gives sums instead of averages. `globalPooling` pools each whole plane to 1x1
 * whatever the kernel arguments say. Runs on oneDNN ([[ember.tensor.dnn.DnnPool]]) when
 * [[ember.tensor.dnn.DnnOps]] selects it (the default with the oneDNN kernel set) and oneDNN divides the same way
 * (not sum pooling, nor padding with `countIncludePad` and a ceil-mode window past it), else on the JVM kernel.
 */
class SpatialAveragePooling(val kW: Int, val kH: Int, val dW: Int, val dH: Int, val padW: Int, val padH: Int,
    val globalPooling: Boolean, ceilMode: Boolean, val countIncludePad: Boolean, val divide: Boolean)
    extends Pooling2d("SpatialAveragePooling", kW, kH, dW, dH, padW, padH, ceilMode) {

  def this(kW: Int, kH: Int) = this(kW, kH, 1, 1, 0, 0, false, false, true, true)
  def this(kW: Int, kH: Int, dW: Int, dH: Int) = this(kW, kH, dW, dH, 0, 0, false, false, true, true)
  def this(kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int) =
    this(kW, kH, dW, dH, padW, padH, false, false, true, true)

  private val mode = Pool2d.AvgMode(countIncludePad, divide)

  override protected def window(inH: Int, inW: Int): (Int, Int, Int, Int, Int, Int) =
    if (globalPooling) (inH, inW, 1, 1, 0, 0) else super.window(inH, inW)

  /** The oneDNN geometry for input (or input gradient) `x`, or null for the JVM kernel. */
  private def dnnSpec(s: Pool2dShape, x: Tensor): DnnPool.Spec =
    if (x.nElement > 0 && DnnOps.use(DnnOps.AvgPool) && DnnPool.supports(s, max = false, mode))
      DnnPool.Spec(x.size(0), x.size(1), s, max = false, countIncludePad = countIncludePad)
    else null

  override protected def forwardPlanes(s: Pool2dShape, planes: Int, x: Tensor, out: Tensor): Unit = {
    val d = dnnSpec(s, x)
    if (d != null) DnnPool.avgForward(d, x, out) else Pool2d.avgForward(s, planes, x, out, mode)
  }

  override protected def backwardPlanes(s: Pool2dShape, planes: Int, gradOutput: Tensor, gradInput: Tensor): Unit = {
    val d = dnnSpec(s, gradInput)
    if (d != null) DnnPool.avgBackward(d, gradOutput, gradInput) else Pool2d.avgBackward(s, planes, gradOutput, gradInput, mode)
  }

  override def config: Seq[(String, Any)] = Seq("kW" -> kW, "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW,
    "padH" -> padH, "globalPooling" -> globalPooling, "ceilMode" -> (this: Pooling2d).ceilMode,
    "countIncludePad" -> countIncludePad, "divide" -> divide)

  override def configDefaults: Seq[(String, Any)] =
    Seq("padW" -> 0, "padH" -> 0, "globalPooling" -> false, "ceilMode" -> false, "countIncludePad" -> true, "divide" -> true)
}
