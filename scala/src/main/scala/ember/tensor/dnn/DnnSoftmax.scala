package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.{SoftMaxKernel, Tensor}

/**
 * Softmax and log-softmax on oneDNN (`softmax_forward` / `softmax_backward` with `softmax_accurate` /
 * `softmax_log`), forward and backward, over the middle dimension of a contiguous tensor seen as
 * [outer, n, inner] ([[ember.tensor.SoftMaxKernel.Dims]]: the features of [batch, n], the channels of
 * [N, C, H, W]), the JVM kernel [[ember.tensor.SoftMaxKernel]] staying the fallback. Which layers use it by
 * default: [[DnnOps]]. Only over the innermost dimension ([[supports]]: inner = 1, the features of [batch, n]):
 * over the channels of an NCHW image oneDNN runs a reference loop, 7x slower than the JVM kernel ([128, 16, 32, 32]:
 * 324 ms against 48 ms forward + backward). The backward pass reads the forward's output, as the JVM kernel does. The batch-sized
 * native buffers are slots 0-2 of the thread's [[DnnMemory.Arena]]; primitives are built once per (dims, log)
 * and thread.
 */
object DnnSoftmax {
  private final case class Key(d: SoftMaxKernel.Dims, log: Boolean)
  private val plans = ThreadLocal.withInitial[java.util.HashMap[Key, SoftmaxPlan]](() => new java.util.HashMap())

  private def plan(d: SoftMaxKernel.Dims, log: Boolean): SoftmaxPlan = {
    val m = plans.get()
    val k = Key(d, log)
    var p = m.get(k)
    if (p == null) { p = new SoftmaxPlan(d, log); m.put(k, p) }
    p
  }

  /** Whether this kernel serves `d` (the JVM kernel does otherwise). */
  def supports(d: SoftMaxKernel.Dims): Boolean = d.inner == 1

  private def empty(d: SoftMaxKernel.Dims) = d.outer == 0 || d.n == 0 || d.inner == 0

  /**
   * y = (log-)softmax(x) over the middle dimension of `d`; contiguous tensors. False, with nothing written, when x
   * holds a NaN: oneDNN's max skips it and gives numbers where PyTorch and the JVM kernel give a row of NaN, so the
   * caller runs its JVM kernel then (the check is one vectorised pass).
   */
  def forward(d: SoftMaxKernel.Dims, x: Tensor, y: Tensor, log: Boolean): Boolean =
    if (DnnOps.hasNaN(x.storage, x.offset, x.nElement)) false else { if (!empty(d)) plan(d, log).forward(x, y); true }

  /** gradInput from the forward output `y` and gradOutput (gradInput may be gradOutput). */
  def backward(d: SoftMaxKernel.Dims, y: Tensor, gradOutput: Tensor, gradInput: Tensor, log: Boolean): Unit =
    if (!empty(d)) plan(d, log).backward(y, gradOutput, gradInput)
}

/** The primitives of one softmax geometry on one thread. */
private final class SoftmaxPlan(d: SoftMaxKernel.Dims, log: Boolean) {
  import DnnMemory._

  Dnn.enter() // this thread's OpenMP team size, before the first primitive
  private val eng = Dnn.engine
  private val data = desc(Seq(d.outer, d.n, d.inner), memory.format_tag.abc)
  private val alg = if (log) api.algorithm.softmax_log.value else api.algorithm.softmax_accurate.value
  private val fwdPd = new softmax_forward.primitive_desc(eng, api.prop_kind.forward_training.value, alg, data, data, 1, attr(), false)
  private val fwd = new PlainCall(new softmax_forward(fwdPd), fwdPd, Seq(api.DNNL_ARG_SRC -> data), api.DNNL_ARG_DST -> data)
  private lazy val bwd = {
    val pd = new softmax_backward.primitive_desc(eng, alg, data, data, data, 1, fwdPd, attr(), false)
    new PlainCall(new softmax_backward(pd), pd, Seq(api.DNNL_ARG_DST -> data, api.DNNL_ARG_DIFF_DST -> data), api.DNNL_ARG_DIFF_SRC -> data)
  }

  def forward(x: Tensor, y: Tensor): Unit = fwd.run(y, x)

  def backward(y: Tensor, g: Tensor, gi: Tensor): Unit = bwd.run(gi, y, g)
}
