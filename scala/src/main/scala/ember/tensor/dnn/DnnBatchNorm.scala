package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.{BatchNorm, Tensor}

/**
 * Batch normalisation on oneDNN, with the semantics of [[ember.tensor.BatchNorm]] (which stays the JVM
 * fallback): the input viewed as [n, c, s, 1] in NCHW order; training uses the batch mean and biased variance
 * that oneDNN computes, and the running statistics are then moved here towards the mean and the unbiased
 * variance; evaluation uses the running statistics (oneDNN's `use_global_stats`). The forward pass saves the
 * mean and 1/sqrt(var + eps) like the JVM kernel, so that either kernel set can run the backward pass.
 * Primitives and buffers are built once per (shape, eps, affine, training) and thread.
 *
 * Not used by the layers unless [[inLayers]] (`EMBER_DNN_BATCHNORM=1`): on NCHW data in JVM arrays oneDNN can
 * only run its plain-layout (ncsp) batch norm, between a copy in and a copy out of every tensor, and that lost
 * to the JVM loops once those vectorise: ResNet-20's 128x16x32x32 batch norm, forward + backward, 18 ms here
 * against 12 ms on the JVM (Xeon, thread CPU time, bench/NOTES.md). It pays once the data stays in oneDNN's
 * blocked layouts between layers; until then the JVM kernel serves both kernel sets.
 */
object DnnBatchNorm {
  /** Whether [[ember.nn.SpatialBatchNormalization]] and [[ember.nn.BatchNormalization]] run here when oneDNN is on. */
  @volatile var inLayers: Boolean = sys.env.get("EMBER_DNN_BATCHNORM").exists(_.trim == "1")

  /** Runs `body` with [[inLayers]] set to `on`, restoring it after (tests). */
  def withInLayers[T](on: Boolean)(body: => T): T = {
    val before = inLayers
    inLayers = on
    try body finally inLayers = before
  }

  private final case class Key(d: BatchNorm.Dims, eps: Float, affine: Boolean, training: Boolean)
  private val plans = ThreadLocal.withInitial[java.util.HashMap[Key, BnPlan]](() => new java.util.HashMap())

  private def plan(k: Key): BnPlan = {
    val m = plans.get()
    var p = m.get(k)
    if (p == null) { p = new BnPlan(k.d, k.eps, k.affine, k.training); m.put(k, p) }
    p
  }

  /** As [[BatchNorm.forward]]: y from x; batch statistics into `saved` and the running ones when training. */
  def forward(d: BatchNorm.Dims, x: Tensor, y: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
      saved: BatchNorm.Saved, training: Boolean, momentum: Double, eps: Double): Unit = {
    val p = plan(Key(d, eps.toFloat, weight != null, training))
    p.forward(x, y, weight, bias, runningMean, runningVar, saved)
    if (training) {
      val count = d.count.toDouble
      var ch = 0
      while (ch < d.c) {
        val (m, v) = (saved.mean(ch).toDouble, p.variance(ch).toDouble)
        val unbiased = if (count > 1) v * count / (count - 1) else v
        val (rm, rv) = (runningMean.offset + ch, runningVar.offset + ch)
        runningMean.storage(rm) = (momentum * m + (1 - momentum) * runningMean.storage(rm)).toFloat
        runningVar.storage(rv) = (momentum * unbiased + (1 - momentum) * runningVar.storage(rv)).toFloat
        ch += 1
      }
    }
  }

  /** As [[BatchNorm.backward]]: gradInput overwritten, gradWeight/gradBias accumulated; any may be null. */
  def backward(d: BatchNorm.Dims, x: Tensor, g: Tensor, gradInput: Tensor, weight: Tensor, gradWeight: Tensor, gradBias: Tensor,
      saved: BatchNorm.Saved, training: Boolean, eps: Double): Unit =
    plan(Key(d, eps.toFloat, weight != null, training)).backward(x, g, gradInput, weight, gradWeight, gradBias, saved)
}

/** The primitives and buffers of one batch-norm geometry on one thread. */
private final class BnPlan(d: BatchNorm.Dims, eps: Float, affine: Boolean, training: Boolean) {
  import DnnMemory._

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val data = desc(Seq(d.n, d.c, d.s, 1), memory.format_tag.nchw)
  private val vec = desc(Seq(d.c), memory.format_tag.x)
  private val flags = (if (affine) api.normalization_flags.use_scale.value | api.normalization_flags.use_shift.value else 0) |
    (if (training) 0 else api.normalization_flags.use_global_stats.value)
  private val prop = if (training) api.prop_kind.forward_training.value else api.prop_kind.forward_inference.value
  private val fwdPd = new batch_normalization_forward.primitive_desc(eng, prop, data, data, eps, flags, attr(), false)
  private val fwd = new batch_normalization_forward(fwdPd)
  private val src = new DnnMemory(data, data)
  private val dst = new DnnMemory(data, data)
  private val (scale, shift, mean, variance) = (new DnnMemory(vec, vec), new DnnMemory(vec, vec), new DnnMemory(vec, vec), new DnnMemory(vec, vec))
  private val fwdArgs = args(Seq(api.DNNL_ARG_SRC -> src.userMem, api.DNNL_ARG_DST -> dst.userMem, api.DNNL_ARG_MEAN -> mean.userMem,
    api.DNNL_ARG_VARIANCE -> variance.userMem, scratchpad(fwdPd)) ++
    (if (affine) Seq(api.DNNL_ARG_SCALE -> scale.userMem, api.DNNL_ARG_SHIFT -> shift.userMem) else Nil): _*)
  private val stats = new Array[Float](d.c)

  /** The last forward's batch variance of channel `ch` (training). */
  def variance(ch: Int): Float = stats(ch)

  def forward(x: Tensor, y: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, saved: BatchNorm.Saved): Unit = {
    saved.ensure(d.c)
    src.load(strm, x.storage, x.offset)
    if (affine) { scale.load(strm, weight.storage, weight.offset); shift.load(strm, bias.storage, bias.offset) }
    if (!training) { mean.load(strm, runningMean.storage, runningMean.offset); variance.load(strm, runningVar.storage, runningVar.offset) }
    fwd.execute(strm, fwdArgs)
    dst.store(strm, y.storage, y.offset)
    if (training) { mean.store(strm, saved.mean, 0); variance.store(strm, stats, 0) }
    else { System.arraycopy(runningMean.storage, runningMean.offset, saved.mean, 0, d.c); System.arraycopy(runningVar.storage, runningVar.offset, stats, 0, d.c) }
    var ch = 0
    while (ch < d.c) { saved.invStd(ch) = (1.0 / math.sqrt(stats(ch).toDouble + eps)).toFloat; ch += 1 }
  }

  private lazy val bwdPd = new batch_normalization_backward.primitive_desc(eng, api.prop_kind.backward.value, data, data, data,
    eps, flags, fwdPd, attr(), false)
  private lazy val bwd = new batch_normalization_backward(bwdPd)
  private lazy val diffDst = new DnnMemory(data, data)
  private lazy val diffSrc = new DnnMemory(data, data)
  private lazy val (diffScale, diffShift) = (new DnnMemory(vec, vec), new DnnMemory(vec, vec))
  private lazy val bwdArgs = args(Seq(api.DNNL_ARG_SRC -> src.userMem, api.DNNL_ARG_MEAN -> mean.userMem,
    api.DNNL_ARG_VARIANCE -> variance.userMem, api.DNNL_ARG_DIFF_DST -> diffDst.userMem, api.DNNL_ARG_DIFF_SRC -> diffSrc.userMem,
    scratchpad(bwdPd)) ++ (if (affine) Seq(api.DNNL_ARG_SCALE -> scale.userMem, api.DNNL_ARG_DIFF_SCALE -> diffScale.userMem,
    api.DNNL_ARG_DIFF_SHIFT -> diffShift.userMem) else Nil): _*)
  private val scratch = new Array[Float](d.c)
  private val varianceNow = new Array[Float](d.c)

  def backward(x: Tensor, g: Tensor, gradInput: Tensor, weight: Tensor, gradWeight: Tensor, gradBias: Tensor, saved: BatchNorm.Saved): Unit = {
    // the statistics of the forward pass that produced `saved` (this plan may have run other layers since)
    var ch = 0
    while (ch < d.c) { val is = saved.invStd(ch).toDouble; varianceNow(ch) = (1.0 / (is * is) - eps).toFloat; ch += 1 }
    src.load(strm, x.storage, x.offset)
    mean.load(strm, saved.mean, 0)
    variance.load(strm, varianceNow, 0)
    if (affine) scale.load(strm, weight.storage, weight.offset)
    diffDst.load(strm, g.storage, g.offset)
    bwd.execute(strm, bwdArgs)
    if (gradInput != null) diffSrc.store(strm, gradInput.storage, gradInput.offset)
    if (gradWeight != null) { diffScale.store(strm, scratch, 0); addInto(scratch, gradWeight) }
    if (gradBias != null) { diffShift.store(strm, scratch, 0); addInto(scratch, gradBias) }
  }

  private def addInto(from: Array[Float], into: Tensor): Unit = {
    var i = 0
    while (i < d.c) { into.storage(into.offset + i) += from(i); i += 1 }
  }
}
