package ember.tensor.dnn

import org.bytedeco.javacpp.Pointer
import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/**
 * Training-time chain of a convolution, its batch normalisation and (optionally) a ReLU on oneDNN, the
 * convolution's output never leaving oneDNN's (blocked, e.g. nChw16c) layout: forward = convolution
 * (forward_training) -> batch norm (training statistics) with the ReLU fused into it (`fuse_norm_relu`: the
 * ReLU's mask goes into the batch norm's workspace), and only the chain's result is reordered and copied to the
 * JVM; backward = batch norm's backward (the ReLU's mask applied from the workspace) whose input gradient, in
 * the blocked layout, is the output gradient both convolution backward primitives read as it is. Against the
 * layers one by one this saves, per chain and step, the convolution output's reorder and copy out, the batch
 * norm's input and output gradient crossing to the JVM and back, the ReLU's two passes, and the JVM batch
 * norm's passes (oneDNN's batch norm on blocked memory is vectorised per 16 channels).
 *
 * Semantics are [[ember.tensor.BatchNorm]]'s in training mode (batch mean, biased variance for the
 * normalisation; running statistics moved towards the mean and the unbiased variance); what the forward keeps
 * for the backward (the convolution's output, the workspace, the batch statistics) lives in a [[DnnConvBn.State]]
 * its caller owns (one per layer: batch-sized, native). Primitives are built once per geometry and thread; the
 * transient batch-sized buffers are slots of the thread's [[DnnMemory.Arena]].
 *
 * In bf16 mixed precision ([[MixedPrecision.active]] when the forward runs) the convolution computes as
 * [[DnnConv]] does there: bf16 input and weights (converted by the reorders that already bring them in, also from
 * a linked chain's kept result), float32 output; the batch norm and its backward stay float32 on the blocked
 * output, and its input gradient is reordered once to bf16 for both convolution backward primitives (bf16 output
 * gradient, float32 input and weight gradients). Plans are kept per precision; a backward (and a store) runs
 * with the plan of its forward.
 *
 * Two chains in a row (a ResNet block's conv-BN-ReLU feeding its second convolution) link in oneDNN's memory too:
 * the first keeps its result in its state (`keep`, nothing copied to the JVM) and the second reads it from there
 * (`xFrom`) in its forward and for its weight gradient; in the backward the second writes its input gradient into
 * the first's hand-off buffer (`gradInputTo`, an arena buffer of the thread: the first chain's backward must be
 * the next chain backward on the thread) and the first reads it from there (`gradOutput` null).
 */
object DnnConvBn {

  /** One chain's geometry: the convolution, batch norm's eps and affine flag, whether a ReLU follows. */
  final case class Key(conv: ConvSpec, eps: Float, affine: Boolean, relu: Boolean)

  /** What a forward leaves for its backward, per layer: native, batch-sized (see [[DnnConvBn]]). */
  final class State {
    private[dnn] var key: Key = _
    private[dnn] var precision: MixedPrecision.Mode = _
    private[dnn] var convDst, workspace, out: memory = _
    private[dnn] var mean, variance: DnnMemory = _
    private[dnn] var plan: ChainPlan = _
    private[dnn] var bnFwdArgs, convFwdArgs: IntMemoryMap = _
    // argument maps and reorders by the memories they bind (rebuilt for another plan)
    private[dnn] val maps = new java.util.HashMap[(Int, Long), IntMemoryMap]()
    private[dnn] val reorders = new java.util.HashMap[(Long, Long), DnnMemory.Reorder]()
    /** Whether a forward ran since the state was (re)built: a backward needs one. */
    var ready = false
    /** Whether the last forward kept its result here (`keep`), not in the JVM. */
    var kept = false

    private[dnn] def map(id: Int, m: memory)(build: => IntMemoryMap): IntMemoryMap =
      maps.computeIfAbsent((id, if (m == null) 0L else m.address()), _ => build)
    private[dnn] def reorder(from: memory, to: memory): DnnMemory.Reorder =
      reorders.computeIfAbsent((from.address(), to.address()), _ => DnnMemory.Reorder(from, to))
  }

  private val plans = ThreadLocal.withInitial[java.util.HashMap[(Key, MixedPrecision.Mode), ChainPlan]](() => new java.util.HashMap())

  private def plan(k: Key): ChainPlan = {
    val m = plans.get()
    val key = (k, MixedPrecision.active)
    var p = m.get(key)
    if (p == null) { p = new ChainPlan(k, key._2); m.put(key, p) }
    p
  }

  /** Whether chains can run now: oneDNN on (float32 or bf16 compute). */
  def available: Boolean = Dnn.enabled

  /**
   * out = relu?(bn(conv(x, weight) + bias)) with the batch's statistics; the running statistics move by
   * `momentum` towards the batch mean and unbiased variance. `bias`, `bnWeight`, `bnBias` may be null (no conv
   * bias; not affine). Contiguous tensors of the key's shapes. The input is `x`, or (x null) the result kept by
   * the chain of state `xFrom`; the result goes to `out`, or (`keep`, out null) stays in `st` for a linked chain.
   */
  def forward(k: Key, st: State, x: Tensor, xFrom: State, weight: Tensor, bias: Tensor, bnWeight: Tensor, bnBias: Tensor,
      runningMean: Tensor, runningVar: Tensor, momentum: Double, out: Tensor, keep: Boolean): Unit = {
    require((x == null) != (xFrom == null) && (out == null) == keep, "DnnConvBn.forward: one input and one output")
    require(xFrom == null || (xFrom.kept && xFrom.key.conv.n == k.conv.n), "DnnConvBn.forward: no kept result to read")
    val p = plan(k)
    p.attach(st)
    val c = k.conv.outC
    val (m, v) = (new Array[Float](c), new Array[Float](c))
    st.kept = false
    p.forward(st, x, xFrom, weight, bias, bnWeight, bnBias, out, keep, m, v)
    st.kept = keep
    val count = k.conv.n.toDouble * k.conv.outH * k.conv.outW
    var ch = 0
    while (ch < c) {
      val unbiased = if (count > 1) v(ch) * count / (count - 1) else v(ch).toDouble
      val (rm, rv) = (runningMean.offset + ch, runningVar.offset + ch)
      runningMean.storage(rm) = (momentum * m(ch) + (1 - momentum) * runningMean.storage(rm)).toFloat
      runningVar.storage(rv) = (momentum * unbiased + (1 - momentum) * runningVar.storage(rv)).toFloat
      ch += 1
    }
    st.ready = true
  }

  /**
   * The backward of the last [[forward]] with `st`: gradients with respect to x (overwritten), the conv's
   * weight and bias and batch norm's weight and bias (accumulated); any may be null to skip it. The input is `x`
   * or the result kept by `xFrom`, as in the forward; the output gradient is `gradOutput`, or (null) what the
   * next linked chain handed off; the input gradient goes to `gradInput`, or to the hand-off of the chain of
   * state `gradInputTo` (whose backward must be the next chain backward on this thread).
   */
  def backward(k: Key, st: State, x: Tensor, xFrom: State, gradOutput: Tensor, weight: Tensor, bnWeight: Tensor,
      gradInput: Tensor, gradInputTo: State, gradWeight: Tensor, gradBias: Tensor, gradBnWeight: Tensor, gradBnBias: Tensor): Unit = {
    require(st.ready && st.key == k && st.plan != null, "DnnConvBn.backward: no forward of this geometry to go back through")
    require(xFrom == null || xFrom.kept, "DnnConvBn.backward: the input chain's result is gone")
    require(gradInput == null || gradInputTo == null, "DnnConvBn.backward: one input gradient")
    // the hand-off of the input chain's plan on this thread (its backward runs next, on this thread)
    val to = if (gradInputTo == null) null else gradInputTo.plan.handoff
    val p = st.plan // the forward's, of the precision it ran in
    p.backward(st, x, xFrom, gradOutput, weight, bnWeight, gradInput, to, gradWeight, gradBias, gradBnWeight, gradBnBias)
  }

  /** Copies the result a forward kept in `st` (`keep`) into the contiguous tensor `t` of its shape (NCHW). */
  def store(st: State, t: Tensor): Unit = {
    require(st.kept && st.plan != null, "DnnConvBn.store: no kept result")
    st.plan.store(st, t)
  }
}

/** The primitives of one chain geometry on one thread (see [[DnnConvBn]]). */
private final class ChainPlan(k: DnnConvBn.Key, precision: MixedPrecision.Mode) {
  import DnnMemory._

  private val s = k.conv
  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val srcDims = Seq(s.n, s.inC, s.inH, s.inW)
  private val dstDims = Seq(s.n, s.outC, s.outH, s.outW)
  private val (wDims, wTag) =
    if (s.groups == 1) (Seq(s.outC, s.inC, s.kH, s.kW), memory.format_tag.oihw)
    else (Seq(s.groups, s.outC / s.groups, s.inC / s.groups, s.kH, s.kW), memory.format_tag.goihw)
  private val wElems = wDims.product
  private val biasDesc = if (s.bias) desc(Seq(s.outC), memory.format_tag.x) else new memory.desc()
  private val vec = desc(Seq(s.outC), memory.format_tag.x)
  private val strides = longs(s.strideH, s.strideW)
  private val dilation = longs(s.dilationH - 1, s.dilationW - 1)
  private val padL = longs(s.padH, s.padW)
  private val padR = { val (h, w) = s.padEnd; longs(h, w) }
  private val alg = api.algorithm.convolution_direct
  private val nchw = memory.format_tag.nchw
  // what the convolutions read (bf16 in mixed precision); they write float32, and the batch norm is float32
  private val dt = if (precision == MixedPrecision.BFloat16) memory.data_type.bf16 else memory.data_type.f32

  private val convPd = new convolution_forward.primitive_desc(eng, api.prop_kind.forward_training, alg,
    any(srcDims, dt), any(wDims, dt), biasDesc, any(dstDims), strides, dilation, padL, padR, attr(), false)
  private val conv = new convolution_forward(convPd)
  /** The layout of the convolution's output, which the batch norm reads and writes, forward and backward. */
  val data: memory.desc = convPd.dst_desc()
  private val flags = (if (k.affine) api.normalization_flags.use_scale.value | api.normalization_flags.use_shift.value else 0) |
    (if (k.relu) api.normalization_flags.fuse_norm_relu.value else 0)
  private val bnPd = new batch_normalization_forward.primitive_desc(eng, api.prop_kind.forward_training.value, data, data,
    k.eps, flags, attr(), false)
  private val bn = new batch_normalization_forward(bnPd)

  // forward: the input in arena slot 0, the chain's result in slot 1 (blocked, then plain for the copy out)
  private val src = new DnnMemory(desc(srcDims, nchw), convPd.src_desc(), slot = 0)
  private val wgt = new DnnMemory(desc(wDims, wTag), convPd.weights_desc())
  private val biasMem = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
  private val out = new DnnMemory(desc(dstDims, nchw), data, slot = 1)
  private val (scale, shift) = (new DnnMemory(vec, vec), new DnnMemory(vec, vec))
  private val convScratch = scratchpad(convPd)
  private val bnScratch = scratchpad(bnPd)

  /** Gives `st` buffers of this geometry (a new key rebuilds them) and argument maps for this plan. */
  def attach(st: DnnConvBn.State): Unit = {
    if (st.key != k || st.precision != precision) {
      st.key = k
      st.precision = precision
      st.convDst = new memory(data, eng)
      st.workspace = if (k.relu) new memory(bnPd.workspace_desc(), eng) else null
      st.mean = new DnnMemory(vec, vec)
      st.variance = new DnnMemory(vec, vec)
      st.out = null
      st.plan = null
      st.ready = false
      st.kept = false
    }
    if (st.plan ne this) {
      st.plan = this
      st.maps.clear()
      st.reorders.clear()
      st.convFwdArgs = args(Seq(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
        api.DNNL_ARG_DST -> st.convDst, convScratch) ++ (if (s.bias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil): _*)
      val stats = Seq(api.DNNL_ARG_MEAN -> st.mean.userMem, api.DNNL_ARG_VARIANCE -> st.variance.userMem) ++
        (if (k.relu) Seq(api.DNNL_ARG_WORKSPACE -> st.workspace) else Nil)
      st.bnFwdArgs = args(Seq(api.DNNL_ARG_SRC -> st.convDst, api.DNNL_ARG_DST -> out.primMem, bnScratch) ++ stats ++
        (if (k.affine) Seq(api.DNNL_ARG_SCALE -> scale.userMem, api.DNNL_ARG_SHIFT -> shift.userMem) else Nil): _*)
    }
  }

  /** The memory `from` (another chain's kept result) in layout `want`: itself, or reordered into `via` (bound). */
  private def as(st: DnnConvBn.State, from: memory, want: memory.desc, via: DnnMemory): memory =
    if (from.get_desc().equals(want)) from
    else { via.bind(); st.reorder(from, via.primMem).run(strm); via.primMem }

  /** A hand-off buffer in this chain's data layout (arena buffer 15): the next linked chain's input gradient. */
  lazy val handoff = new ArenaMemory(data, 15)

  def store(st: DnnConvBn.State, y: Tensor): Unit = {
    out.bind()
    st.reorder(st.out, out.userMem).run(strm)
    out.copyOut(y.storage, y.offset)
  }

  def forward(st: DnnConvBn.State, x: Tensor, xFrom: DnnConvBn.State, weight: Tensor, bias: Tensor, bnWeight: Tensor,
      bnBias: Tensor, y: Tensor, keep: Boolean, meanOut: Array[Float], varOut: Array[Float]): Unit = {
    wgt.load(strm, weight.storage, weight.offset)
    if (s.bias) biasMem.load(strm, bias.storage, bias.offset)
    if (x != null) {
      src.bind()
      src.load(strm, x.storage, x.offset)
      conv.execute(strm, st.convFwdArgs)
    } else {
      val in = as(st, xFrom.out, convPd.src_desc(), src)
      conv.execute(strm, st.map(0, in)(args(Seq(api.DNNL_ARG_SRC -> in, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
        api.DNNL_ARG_DST -> st.convDst, convScratch) ++ (if (s.bias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil): _*)))
    }
    if (k.affine) { scale.load(strm, bnWeight.storage, bnWeight.offset); shift.load(strm, bnBias.storage, bnBias.offset) }
    if (keep) {
      if (st.out == null) st.out = new memory(data, eng)
      val stats = Seq(api.DNNL_ARG_MEAN -> st.mean.userMem, api.DNNL_ARG_VARIANCE -> st.variance.userMem) ++
        (if (k.relu) Seq(api.DNNL_ARG_WORKSPACE -> st.workspace) else Nil)
      bn.execute(strm, st.map(1, st.out)(args(Seq(api.DNNL_ARG_SRC -> st.convDst, api.DNNL_ARG_DST -> st.out, bnScratch) ++
        stats ++ (if (k.affine) Seq(api.DNNL_ARG_SCALE -> scale.userMem, api.DNNL_ARG_SHIFT -> shift.userMem) else Nil): _*)))
    } else {
      out.bind()
      bn.execute(strm, st.bnFwdArgs)
      out.store(strm, y.storage, y.offset)
    }
    st.mean.store(strm, meanOut, 0)
    st.variance.store(strm, varOut, 0)
  }

  private lazy val bwd = new Backward

  def backward(st: DnnConvBn.State, x: Tensor, xFrom: DnnConvBn.State, gradOutput: Tensor, weight: Tensor, bnWeight: Tensor,
      gradInput: Tensor, gradInputTo: ArenaMemory, gradWeight: Tensor, gradBias: Tensor, gradBnWeight: Tensor,
      gradBnBias: Tensor): Unit =
    bwd.run(st, x, xFrom, gradOutput, weight, bnWeight, gradInput, gradInputTo, gradWeight, gradBias, gradBnWeight, gradBnBias)

  private final class Backward {
    private val bnBwdPd = new batch_normalization_backward.primitive_desc(eng, api.prop_kind.backward.value, data, data, data,
      k.eps, flags, bnPd, attr(), false)
    private val bnBwd = new batch_normalization_backward(bnBwdPd)
    private val dataPd = new convolution_backward_data.primitive_desc(eng, alg, any(srcDims), any(wDims, dt), any(dstDims, dt),
      strides, dilation, padL, padR, convPd, attr(), false)
    private val dataPrim = new convolution_backward_data(dataPd)
    private val wPd = new convolution_backward_weights.primitive_desc(eng, alg, any(srcDims, dt), any(wDims), biasDesc,
      any(dstDims, dt), strides, dilation, padL, padR, convPd, attr(), false)
    private val wPrim = new convolution_backward_weights(wPd)

    // the chain's output gradient in slot 2 (or the hand-off, buffer 15); batch norm's input gradient = the
    // convolution's output gradient on arena buffer 12 (reordered to buffers 13 / 14 when a convolution backward
    // wants another layout or, in bf16, data type; one reorder for both when they want the same)
    private val diffY = new DnnMemory(desc(dstDims, nchw), data, slot = 2)
    private val diffMid = new ArenaMemory(data, 12)
    private val dataDiffDst = if (dataPd.diff_dst_desc().equals(data)) null else new ArenaMemory(dataPd.diff_dst_desc(), 13)
    private val wSharesData = dataDiffDst != null && wPd.diff_dst_desc().equals(dataPd.diff_dst_desc())
    private val wDiffDst = if (wPd.diff_dst_desc().equals(data)) null else if (wSharesData) dataDiffDst
      else new ArenaMemory(wPd.diff_dst_desc(), 14)
    private val toData = if (dataDiffDst == null) null else DnnMemory.Reorder(diffMid.mem, dataDiffDst.mem)
    private val toW = if (wDiffDst == null) null else if (wSharesData) toData else DnnMemory.Reorder(diffMid.mem, wDiffDst.mem)
    private val (diffScale, diffShift) = (new DnnMemory(vec, vec), new DnnMemory(vec, vec))
    private val bnScratch = scratchpad(bnBwdPd)

    private val w = new DnnMemory(desc(wDims, wTag), dataPd.weights_desc())
    private val diffSrc = new DnnMemory(desc(srcDims, nchw), dataPd.diff_src_desc(), slot = 3)
    private val dataScratch = scratchpad(dataPd)
    private val dataArgs = DnnMemory.args(api.DNNL_ARG_DIFF_DST -> (if (dataDiffDst == null) diffMid.mem else dataDiffDst.mem),
      api.DNNL_ARG_WEIGHTS -> w.primMem, api.DNNL_ARG_DIFF_SRC -> diffSrc.primMem, dataScratch)

    private val xw = new DnnMemory(desc(srcDims, nchw), wPd.src_desc(), slot = 0)
    private val diffW = new DnnMemory(desc(wDims, wTag), wPd.diff_weights_desc())
    private val diffB = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
    private val wScratch = scratchpad(wPd)
    private val wArgs = DnnMemory.args(Seq(api.DNNL_ARG_SRC -> xw.primMem,
      api.DNNL_ARG_DIFF_DST -> (if (wDiffDst == null) diffMid.mem else wDiffDst.mem),
      api.DNNL_ARG_DIFF_WEIGHTS -> diffW.primMem, wScratch) ++
      (if (s.bias) Seq(api.DNNL_ARG_DIFF_BIAS -> diffB.primMem) else Nil): _*)
    private val scratch = new Array[Float](math.max(wElems, s.outC))

    def run(st: DnnConvBn.State, x: Tensor, xFrom: DnnConvBn.State, gradOutput: Tensor, weight: Tensor, bnWeight: Tensor,
        gradInput: Tensor, to: ArenaMemory, gradWeight: Tensor, gradBias: Tensor, gradBnWeight: Tensor,
        gradBnBias: Tensor): Unit = {
      // the output gradient: copied in, or handed off by the next chain (in this chain's data layout)
      val dy: memory =
        if (gradOutput != null) { diffY.bind(); diffY.load(strm, gradOutput.storage, gradOutput.offset); diffY.primMem }
        else { handoff.bind(); handoff.mem }
      diffMid.bind()
      if (k.affine) scale.load(strm, bnWeight.storage, bnWeight.offset)
      bnBwd.execute(strm, st.map(2, dy)(DnnMemory.args(Seq(api.DNNL_ARG_SRC -> st.convDst,
        api.DNNL_ARG_MEAN -> st.mean.userMem, api.DNNL_ARG_VARIANCE -> st.variance.userMem,
        api.DNNL_ARG_DIFF_DST -> dy, api.DNNL_ARG_DIFF_SRC -> diffMid.mem, bnScratch) ++
        (if (k.relu) Seq(api.DNNL_ARG_WORKSPACE -> st.workspace) else Nil) ++
        (if (k.affine) Seq(api.DNNL_ARG_SCALE -> scale.userMem, api.DNNL_ARG_DIFF_SCALE -> diffScale.userMem,
          api.DNNL_ARG_DIFF_SHIFT -> diffShift.userMem) else Nil): _*)))
      if (gradBnWeight != null) { diffScale.store(strm, scratch, 0); addInto(scratch, s.outC, gradBnWeight) }
      if (gradBnBias != null) { diffShift.store(strm, scratch, 0); addInto(scratch, s.outC, gradBnBias) }
      if (gradInput != null || to != null) {
        if (toData != null) { dataDiffDst.bind(); toData.run(strm) }
        w.load(strm, weight.storage, weight.offset)
        if (gradInput != null) {
          diffSrc.bind()
          dataPrim.execute(strm, dataArgs)
          diffSrc.store(strm, gradInput.storage, gradInput.offset)
        } else {
          to.bind()
          if (to.mem.get_desc().equals(dataPd.diff_src_desc()))
            dataPrim.execute(strm, st.map(3, to.mem)(DnnMemory.args(api.DNNL_ARG_DIFF_DST ->
              (if (dataDiffDst == null) diffMid.mem else dataDiffDst.mem), api.DNNL_ARG_WEIGHTS -> w.primMem,
              api.DNNL_ARG_DIFF_SRC -> to.mem, dataScratch)))
          else {
            diffSrc.bind()
            dataPrim.execute(strm, dataArgs)
            st.reorder(diffSrc.primMem, to.mem).run(strm)
          }
        }
      }
      if (gradWeight != null || gradBias != null) {
        // (with a shared layout the data gradient's reorder above made it already)
        if (toW != null && !(wSharesData && (gradInput != null || to != null))) { wDiffDst.bind(); toW.run(strm) }
        val in =
          if (x != null) { xw.bind(); xw.load(strm, x.storage, x.offset); xw.primMem }
          else as(st, xFrom.out, wPd.src_desc(), xw)
        wPrim.execute(strm, if (in eq xw.primMem) wArgs else st.map(4, in)(DnnMemory.args(Seq(api.DNNL_ARG_SRC -> in,
          api.DNNL_ARG_DIFF_DST -> (if (wDiffDst == null) diffMid.mem else wDiffDst.mem),
          api.DNNL_ARG_DIFF_WEIGHTS -> diffW.primMem, wScratch) ++
          (if (s.bias) Seq(api.DNNL_ARG_DIFF_BIAS -> diffB.primMem) else Nil): _*)))
        if (gradWeight != null) { diffW.store(strm, scratch, 0); addInto(scratch, wElems, gradWeight) }
        if (gradBias != null && s.bias) { diffB.store(strm, scratch, 0); addInto(scratch, s.outC, gradBias) }
      }
    }
  }
}

/** A memory of layout `d` on the calling thread's arena buffer `index` (slots of [[DnnMemory]] take 2 * slot and
 * 2 * slot + 1); [[bind]] before each use. */
private final class ArenaMemory(d: memory.desc, index: Int) {
  val mem = new memory(d, Dnn.engine, null.asInstanceOf[Pointer])
  private var bound = 0L
  def bind(): Unit = {
    val b = DnnMemory.arena.get().buffer(index, d.get_size())
    if (b.address + b.position != bound) { mem.set_data_handle(b); bound = b.address + b.position }
  }
}
