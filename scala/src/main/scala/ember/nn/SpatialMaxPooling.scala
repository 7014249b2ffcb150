package ember.nn

import ember.tensor.{Pool2d, Pool2dShape, Tensor}
import ember.tensor.dnn.{DnnOps, DnnPool}

/**
 * 2-d max pooling over [N, C, H, W] (or [C, H, W]), as BigDL's `SpatialMaxPooling(kW, kH, dW, dH, padW, padH)`
 * with `.ceil()`; `ceilMode` can also be given to the constructor. Padding never wins the max; a NaN does.
 * Runs on oneDNN ([[ember.tensor.dnn.DnnPool]]) when [[ember.tensor.dnn.DnnOps]] selects it (the default with
 * the oneDNN kernel set), else on the JVM kernel [[ember.tensor.Pool2d]].
 */
class SpatialMaxPooling(val kW: Int, val kH: Int, val dW: Int, val dH: Int, val padW: Int, val padH: Int,
    ceilMode: Boolean) extends Pooling2d("SpatialMaxPooling", kW, kH, dW, dH, padW, padH, ceilMode) {

  def this(kW: Int, kH: Int) = this(kW, kH, kW, kH, 0, 0, false)
  def this(kW: Int, kH: Int, dW: Int, dH: Int) = this(kW, kH, dW, dH, 0, 0, false)
  def this(kW: Int, kH: Int, dW: Int, dH: Int, padW: Int, padH: Int) = this(kW, kH, dW, dH, padW, padH, false)

  // index of each output's maximum inside its input plane, for backward (JVM kernel)
  private var argmax: Array[Int] = new Array[Int](0)
  // oneDNN's argmax (its workspace), and whether the last forward pass ran there (its backward must too)
  @transient private lazy val workspace = new DnnPool.Workspace
  private var onDnn = false

  private def spec(s: Pool2dShape, x: Tensor) = DnnPool.Spec(x.size(0), x.size(1), s, max = true, countIncludePad = false)

  override protected def forwardPlanes(s: Pool2dShape, planes: Int, x: Tensor, out: Tensor): Unit = {
    onDnn = x.nElement > 0 && DnnOps.use(DnnOps.MaxPool) && DnnPool.maxForward(spec(s, x), x, out, workspace)
    if (!onDnn) {
      if (argmax.length < planes * s.outArea) argmax = new Array[Int](planes * s.outArea)
      Pool2d.maxForward(s, planes, x, out, argmax)
    }
  }

  override protected def backwardPlanes(s: Pool2dShape, planes: Int, gradOutput: Tensor, gradInput: Tensor): Unit =
    if (onDnn && gradInput.nElement > 0) DnnPool.maxBackward(spec(s, gradInput), gradOutput, gradInput, workspace)
    else Pool2d.maxBackward(s, planes, gradOutput, argmax, gradInput)

  override def config: Seq[(String, Any)] = Seq("kW" -> kW, "kH" -> kH, "dW" -> dW, "dH" -> dH, "padW" -> padW,
    "padH" -> padH, "ceilMode" -> (this: Pooling2d).ceilMode)

  override def configDefaults: Seq[(String, Any)] = Seq("padW" -> 0, "padH" -> 0, "ceilMode" -> false)
}
