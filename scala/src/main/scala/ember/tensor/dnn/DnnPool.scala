package ember.tensor.dnn

import org.bytedeco.javacpp.{BytePointer, Pointer}
import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.{Pool2d, Pool2dShape, Tensor}

/**
 * 2-d max and average pooling on oneDNN (`pooling_forward` / `pooling_backward`), forward and backward, on
 * [n, c, h, w] tensors in Ember's NCHW layout, with the geometry of [[ember.tensor.Pool2dShape]] (the JVM kernels
 * of [[ember.tensor.Pool2d]] stay the fallback). Which layers use them by default: [[DnnOps]].
 *
 * Ceil mode is oneDNN's (and PyTorch's) extra padding at the bottom/right: the right padding is whatever makes
 * oneDNN's floor formula give the requested output size. Average pooling divides as PyTorch does: without
 * `countIncludePad` by the window clipped to the input (`pooling_avg_exclude_padding`); with it by the window
 * clipped to the input plus its padding, which is oneDNN's `pooling_avg_include_padding` (a divisor of kH * kW)
 * as long as no window reaches past the declared padding, and exclude-padding when there is no padding at all.
 * The one case neither covers (padding, count_include_pad and a ceil-mode window past the padding) and sum
 * pooling (`divide = false`) are not supported here: [[supports]] says so and the layers use the JVM kernels.
 *
 * Max pooling's backward reads the workspace (the argmax of each output) its training forward wrote. Plans are
 * shared by all layers of a shape on a thread, so the workspace is the layer's own [[DnnPool.Workspace]] (a
 * byte or int per output, what the JVM kernel keeps as its argmax too); the batch-sized data buffers are slots
 * 0-1 of the thread's [[DnnMemory.Arena]]. In the JVM kernel a NaN wins its window (as in PyTorch); oneDNN's
 * max does not promise it, so the forward pass checks the input for NaN (a vectorised pass) and then runs the
 * window on the JVM kernel instead: [[maxForward]] returns false and the caller must use the JVM backward too.
 */
object DnnPool {
  /** A pooling geometry: batch, channels, [[Pool2dShape]], and max or average (with its divisor rule). */
  final case class Spec(n: Int, c: Int, shape: Pool2dShape, max: Boolean, countIncludePad: Boolean) {
    /** Bottom and right padding that make oneDNN's output size formula give `shape`'s (ceil mode). */
    private[dnn] val padEnd: (Int, Int) = {
      def end(in: Int, out: Int, k: Int, s: Int, p: Int) = math.max(0, (out - 1) * s + k - in - p)
      (end(shape.inH, shape.outH, shape.kH, shape.strideH, shape.padH), end(shape.inW, shape.outW, shape.kW, shape.strideW, shape.padW))
    }

    /** oneDNN's algorithm for this spec (see [[DnnPool]] for the average divisors). */
    private[dnn] def algorithm: Int =
      if (max) api.algorithm.pooling_max.value
      else if (countIncludePad && (shape.padH > 0 || shape.padW > 0)) api.algorithm.pooling_avg_include_padding.value
      else api.algorithm.pooling_avg_exclude_padding.value
  }

  /** Whether oneDNN computes this pooling as the JVM kernel does (see [[DnnPool]]); average: `mode`. */
  def supports(s: Pool2dShape, max: Boolean, mode: Pool2d.AvgMode): Boolean = max || (mode.divide && {
    val hasPad = s.padH > 0 || s.padW > 0
    def past(in: Int, out: Int, k: Int, st: Int, p: Int) = (out - 1) * st + k > in + 2 * p
    !(mode.countIncludePad && hasPad && (past(s.inH, s.outH, s.kH, s.strideH, s.padH) || past(s.inW, s.outW, s.kW, s.strideW, s.padW)))
  })

  /** A max-pooling layer's own workspace: oneDNN's argmax per output, kept from forward to backward. */
  final class Workspace {
    private var buffer: BytePointer = null

    private[dnn] def at(bytes: Long): BytePointer = {
      if (buffer == null || buffer.capacity < bytes) { if (buffer != null) buffer.deallocate(); buffer = new BytePointer(math.max(bytes, 1L)) }
      buffer
    }
  }

  private val plans = ThreadLocal.withInitial[java.util.HashMap[Spec, PoolPlan]](() => new java.util.HashMap())

  private def plan(s: Spec): PoolPlan = {
    val m = plans.get()
    var p = m.get(s)
    if (p == null) { p = new PoolPlan(s); m.put(s, p) }
    p
  }

  /**
   * Max pooling forward into `y`, the argmax into `ws`; false (nothing written) when `x` holds a NaN, which the
   * JVM kernel must then handle, backward included (see [[DnnPool]]).
   */
  def maxForward(s: Spec, x: Tensor, y: Tensor, ws: Workspace): Boolean =
    if (DnnOps.hasNaN(x.storage, x.offset, x.nElement)) false else { plan(s).forward(x, y, ws); true }

  /** Max pooling backward: gradInput (overwritten) from gradOutput and the workspace of the last [[maxForward]]. */
  def maxBackward(s: Spec, gradOutput: Tensor, gradInput: Tensor, ws: Workspace): Unit = plan(s).backward(gradOutput, gradInput, ws)

  /** Average pooling forward (a spec [[supports]] accepted). */
  def avgForward(s: Spec, x: Tensor, y: Tensor): Unit = plan(s).forward(x, y, null)

  /** Average pooling backward: gradInput overwritten. */
  def avgBackward(s: Spec, gradOutput: Tensor, gradInput: Tensor): Unit = plan(s).backward(gradOutput, gradInput, null)
}

/** The primitives of one pooling geometry on one thread. */
private final class PoolPlan(s: DnnPool.Spec) {
  import DnnMemory._

  Dnn.enter() // this thread's OpenMP team size, before the first primitive
  private val eng = Dnn.engine
  private val sh = s.shape
  private val srcDesc = desc(Seq(s.n, s.c, sh.inH, sh.inW), memory.format_tag.nchw)
  private val dstDesc = desc(Seq(s.n, s.c, sh.outH, sh.outW), memory.format_tag.nchw)
  private val strides = Array(sh.strideH.toLong, sh.strideW.toLong)
  private val kernel = Array(sh.kH.toLong, sh.kW.toLong)
  private val dilation = Array(0L, 0L)
  private val padL = Array(sh.padH.toLong, sh.padW.toLong)
  private val padR = Array(s.padEnd._1.toLong, s.padEnd._2.toLong)

  private val fwdPd = new pooling_forward.primitive_desc(eng, api.prop_kind.forward_training.value, s.algorithm,
    srcDesc, dstDesc, strides, kernel, dilation, padL, padR, attr(), false)
  // max pooling's workspace: the calling layer's own buffer (see DnnPool), bound before each call
  private val wsBytes = fwdPd.workspace_desc().get_size()
  private val wsMem = if (s.max) new memory(fwdPd.workspace_desc(), eng, null.asInstanceOf[Pointer]) else null
  private val wsArg = if (s.max) Seq(api.DNNL_ARG_WORKSPACE -> wsMem) else Nil
  private val fwd = new PlainCall(new pooling_forward(fwdPd), fwdPd, Seq(api.DNNL_ARG_SRC -> srcDesc), api.DNNL_ARG_DST -> dstDesc, wsArg)
  private lazy val bwd = {
    val pd = new pooling_backward.primitive_desc(eng, s.algorithm, srcDesc, dstDesc, strides, kernel, dilation, padL, padR,
      fwdPd, attr(), false)
    new PlainCall(new pooling_backward(pd), pd, Seq(api.DNNL_ARG_DIFF_DST -> dstDesc), api.DNNL_ARG_DIFF_SRC -> srcDesc, wsArg)
  }

  def forward(x: Tensor, y: Tensor, ws: DnnPool.Workspace): Unit = { if (s.max) wsMem.set_data_handle(ws.at(wsBytes)); fwd.run(y, x) }

  def backward(g: Tensor, gi: Tensor, ws: DnnPool.Workspace): Unit = { if (s.max) wsMem.set_data_handle(ws.at(wsBytes)); bwd.run(gi, g) }
}
