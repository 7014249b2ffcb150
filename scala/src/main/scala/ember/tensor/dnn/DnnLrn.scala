package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/**
 * Local response normalisation across channels on oneDNN (`lrn_across_channels`, the formula of
 * [[ember.tensor.CrossMapLRN]]: y = x (k + alpha / size * sum of x^2 over `size` channels)^-beta), forward and
 * backward, on [n, c, h, w] tensors in Ember's NCHW layout. The primitives are built once per geometry and thread.
 *
 * oneDNN's backward reads a workspace its training forward wrote. Plans are shared by every layer of the same
 * shape on a thread, so a second LRN layer's forward could overwrite it before the first one's backward: the
 * backward therefore re-runs the forward on its own input first (an LRN costs little beside the convolutions
 * around it, and nothing batch-sized is kept per layer).
 */
object DnnLrn {
  final case class Spec(n: Int, c: Int, h: Int, w: Int, size: Int, alpha: Float, beta: Float, k: Float)

  private val plans = ThreadLocal.withInitial[java.util.HashMap[Spec, LrnPlan]](() => new java.util.HashMap())

  private def plan(s: Spec): LrnPlan = {
    val m = plans.get()
    var p = m.get(s)
    if (p == null) { p = new LrnPlan(s); m.put(s, p) }
    p
  }

  /** y = lrn(x); contiguous tensors of the spec's shape. */
  def forward(s: Spec, x: Tensor, y: Tensor): Unit = plan(s).forward(x, y)

  /** gradInput = d lrn(x) / dx applied to gradOutput (overwritten). */
  def backward(s: Spec, x: Tensor, gradOutput: Tensor, gradInput: Tensor): Unit = plan(s).backward(x, gradOutput, gradInput)
}

private final class LrnPlan(s: DnnLrn.Spec) {
  import DnnMemory._

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val plain = desc(Seq(s.n, s.c, s.h, s.w), memory.format_tag.nchw)
  private val alg = api.algorithm.lrn_across_channels
  private val fwdPd = new lrn_forward.primitive_desc(eng, api.prop_kind.forward_training, alg, plain, plain,
    s.size.toLong, s.alpha, s.beta, s.k, attr(), false)
  private val fwd = new lrn_forward(fwdPd)
  private val src = new DnnMemory(plain, fwdPd.src_desc())
  private val dst = new DnnMemory(plain, fwdPd.dst_desc())
  private val workspace = new memory(fwdPd.workspace_desc(), eng)
  private val fwdArgs = args(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_DST -> dst.primMem,
    api.DNNL_ARG_WORKSPACE -> workspace, scratchpad(fwdPd))

  private lazy val bwdPd = new lrn_backward.primitive_desc(eng, alg, plain, plain, plain, s.size.toLong, s.alpha, s.beta,
    s.k, fwdPd, attr(), false)
  private lazy val bwd = new lrn_backward(bwdPd)
  private lazy val diffDst = new DnnMemory(plain, bwdPd.diff_dst_desc())
  private lazy val diffSrc = new DnnMemory(plain, bwdPd.diff_src_desc())
  private lazy val bwdArgs = args(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_DIFF_DST -> diffDst.primMem,
    api.DNNL_ARG_DIFF_SRC -> diffSrc.primMem, api.DNNL_ARG_WORKSPACE -> workspace, scratchpad(bwdPd))

  def forward(x: Tensor, y: Tensor): Unit = {
    src.load(strm, x.storage, x.offset)
    fwd.execute(strm, fwdArgs)
    dst.store(strm, y.storage, y.offset)
  }

  def backward(x: Tensor, gradOutput: Tensor, gradInput: Tensor): Unit = {
    src.load(strm, x.storage, x.offset)
    fwd.execute(strm, fwdArgs) // this input's workspace (see DnnLrn)
    diffDst.load(strm, gradOutput.storage, gradOutput.offset)
    bwd.execute(strm, bwdArgs)
    diffSrc.store(strm, gradInput.storage, gradInput.offset)
  }
}
