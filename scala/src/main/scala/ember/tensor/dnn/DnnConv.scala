package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/**
 * Geometry of a 2-d convolution, or (`transposed`) of the transposed convolution, for oneDNN: batch `n`,
 * input [inC, inH, inW], output [outC, outH, outW], kernel, stride, top/left padding, dilation (1 = none) and
 * channel groups. Weights are [outC, inC / groups, kH, kW] for a convolution (PyTorch's layout) and
 * [inC, outC, kH, kW] for a transposed one (BigDL's and PyTorch's).
 */
final case class ConvSpec(n: Int, inC: Int, inH: Int, inW: Int, outC: Int, outH: Int, outW: Int,
    kH: Int, kW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int,
    dilationH: Int = 1, dilationW: Int = 1, groups: Int = 1, bias: Boolean = true, transposed: Boolean = false) {
  require(groups >= 1 && inC % groups == 0 && outC % groups == 0, s"ConvSpec: $groups groups do not divide $inC -> $outC channels")
  require(!transposed || groups == 1, "ConvSpec: grouped transposed convolution is not supported")

  /** Bottom/right padding that makes oneDNN's size formula give exactly the requested output ("same" padding
   * has one more at the end); for a transposed convolution the formula runs from output to input. */
  private[dnn] def padEnd: (Int, Int) = {
    def end(big: Int, small: Int, k: Int, s: Int, d: Int, p: Int): Int = (small - 1) * s + (k - 1) * d + 1 - big - p
    if (transposed) (end(outH, inH, kH, strideH, dilationH, padH), end(outW, inW, kW, strideW, dilationW, padW))
    else (end(inH, outH, kH, strideH, dilationH, padH), end(inW, outW, kW, strideW, dilationW, padW))
  }
}

/**
 * Convolutions on oneDNN: forward, backward data and backward weights (bias included) for plain, grouped,
 * dilated and transposed 2-d convolutions, with the tensors in Ember's NCHW layout (see [[DnnMemory]] for
 * the copies and reorders). The primitives and their buffers are built once per geometry and thread and
 * reused (layers of the same shape share them: nothing batch-sized is kept per layer); oneDNN picks the
 * blocked layouts and the ISA (AVX2, AVX-512, AMX) itself. Gradients of the parameters are accumulated into
 * the given tensors, like the JVM kernels do. The batch-sized native buffers of all plans of a thread are one
 * set, in the thread's [[DnnMemory.Arena]].
 *
 * In bf16 mixed precision ([[MixedPrecision.active]]) the primitives read bf16 inputs, weights and output
 * gradients (converted from Ember's float32 arrays by the reorders of [[DnnMemory]]) and write float32 outputs
 * and gradients (oneDNN accumulates in float32), as PyTorch's CPU autocast computes a convolution; plans are
 * kept per precision, so switching the mode builds new primitives instead of reusing the other mode's.
 */
object DnnConv {
  // plans by geometry, precision and post-ops (Training for the training plans, see ConvPost)
  private val plans = ThreadLocal.withInitial[java.util.HashMap[(ConvSpec, MixedPrecision.Mode, ConvPost), ConvPlan]](() => new java.util.HashMap())

  private def plan(s: ConvSpec, post: ConvPost = ConvPost.Training): ConvPlan = {
    val m = plans.get()
    val key = (s, MixedPrecision.active, post)
    var p = m.get(key)
    if (p == null) { p = new ConvPlan(s, post); m.put(key, p) }
    p
  }

  /** output = conv(input, weight) + bias (bias may be null); contiguous tensors of the spec's shapes. */
  def forward(s: ConvSpec, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor): Unit =
    plan(s).forward(input, weight, bias, output)

  /**
   * A buffer for the output of [[inferenceChained]] with this geometry and post-ops, in the primitive's own
   * (blocked) layout, that lives on between calls: the next chained convolution reads it as it is, without the
   * copy to the JVM and back and the two reorders. Batch-sized; its owner keeps it (e.g. one per fused group).
   */
  def chainOutput(s: ConvSpec, addend: Boolean, relu: Boolean): ChainedActivation =
    new ChainedActivation(s, (addend, relu), plan(s, ConvPost(addend, relu)).chainOutput())

  /**
   * Inference (no backward follows): out = relu?(conv(input, weight) + bias + addend?), the addition and the
   * ReLU as oneDNN post-ops of a forward_inference primitive (a ResNet block's residual addition and activation,
   * after [[ember.nn]]'s batch-norm folding). The input and the addend (either may be absent) come as JVM
   * tensors or still in oneDNN's memory (a [[ChainedActivation]], the other null); `out` (from [[chainOutput]]
   * with the same arguments) stays native until [[ChainedActivation.store]].
   */
  def inferenceChained(s: ConvSpec, input: Tensor, inputNative: ChainedActivation, weight: Tensor, bias: Tensor,
      addend: Tensor, addendNative: ChainedActivation, relu: Boolean, out: ChainedActivation): Unit = {
    val sum = addend != null || addendNative != null
    require(out.spec == s, "DnnConv.inferenceChained: the output buffer is of another geometry")
    plan(s, ConvPost(sum, relu)).inferenceChained(input, inputNative, weight, bias, addend, addendNative, out.mem)
  }

  /** gradInput (overwritten) and gradWeight/gradBias (accumulated); any may be null to skip it. */
  def backward(s: ConvSpec, input: Tensor, gradOutput: Tensor, weight: Tensor, grads: ConvGrads): Unit =
    plan(s).backward(input, gradOutput, weight, grads)
}

/** A convolution's output kept in oneDNN's memory between fused inference layers (see [[DnnConv.chainOutput]]). */
final class ChainedActivation private[dnn] (val spec: ConvSpec, val post: (Boolean, Boolean), private[dnn] val mem: DnnMemory) {
  /** Dimensions [n, outC, outH, outW]. */
  def shape: Array[Int] = Array(spec.n, spec.outC, spec.outH, spec.outW)

  /** Copies the activation into the contiguous tensor `t` of its shape (NCHW). */
  def store(t: Tensor): Unit = { mem.bind(); mem.store(Dnn.enter(), t.storage, t.offset) }
}

/** What an inference plan appends to the convolution (oneDNN post-ops): a sum with the output's previous
 * contents, then a ReLU. `Training` marks the training plans (forward_training, backward primitives). */
private final case class ConvPost(sum: Boolean, relu: Boolean, training: Boolean = false)
private object ConvPost { val Training: ConvPost = ConvPost(sum = false, relu = false, training = true) }

/** Gradient outputs of [[DnnConv.backward]]; null skips one. */
final case class ConvGrads(gradInput: Tensor, gradWeight: Tensor, gradBias: Tensor)

/** The primitives and buffers of one convolution geometry on one thread. */
private final class ConvPlan(s: ConvSpec, post: ConvPost) {
  import DnnMemory._

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val g = s.groups
  private val srcDims = Seq(s.n, s.inC, s.inH, s.inW)
  private val dstDims = Seq(s.n, s.outC, s.outH, s.outW)
  private val (wDims, wTag) =
    if (s.transposed) (Seq(s.outC, s.inC, s.kH, s.kW), memory.format_tag.iohw)
    else if (g == 1) (Seq(s.outC, s.inC, s.kH, s.kW), memory.format_tag.oihw)
    else (Seq(g, s.outC / g, s.inC / g, s.kH, s.kW), memory.format_tag.goihw)
  private val biasDesc = if (s.bias) desc(Seq(s.outC), memory.format_tag.x) else new memory.desc()
  private val strides = longs(s.strideH, s.strideW)
  private val dilation = longs(s.dilationH - 1, s.dilationW - 1) // oneDNN counts the gaps
  private val padL = longs(s.padH, s.padW)
  private val padR = { val (h, w) = s.padEnd; longs(h, w) }
  private val alg = if (s.transposed) api.algorithm.deconvolution_direct else api.algorithm.convolution_direct
  private val wElems = wDims.product
  private val nchw = memory.format_tag.nchw
  private val dt = MixedPrecision.computeType // of what the primitives read; they write float32

  private val prop = if (post.training) api.prop_kind.forward_training else api.prop_kind.forward_inference
  private val fwdAttr = {
    val a = attr()
    if (post.sum || post.relu) {
      val po = new post_ops()
      if (post.sum) po.append_sum()
      if (post.relu) po.append_eltwise(api.algorithm.eltwise_relu, 0f, 0f)
      a.set_post_ops(po)
    }
    a
  }
  private val fwdPd: primitive_desc =
    if (s.transposed) new deconvolution_forward.primitive_desc(eng, prop, alg,
      any(srcDims, dt), any(wDims, dt), biasDesc, any(dstDims), strides, dilation, padL, padR, fwdAttr, false)
    else new convolution_forward.primitive_desc(eng, prop, alg,
      any(srcDims, dt), any(wDims, dt), biasDesc, any(dstDims), strides, dilation, padL, padR, fwdAttr, false)
  private val fwd: primitive = if (s.transposed) new deconvolution_forward(fwdPd.asInstanceOf[deconvolution_forward.primitive_desc])
    else new convolution_forward(fwdPd.asInstanceOf[convolution_forward.primitive_desc])
  // the batch-sized buffers live in the thread's arena (DnnMemory): slots 0 and 1 for the forward's input and
  // output, 0 (input), 2 (output gradient) and 3 (input gradient) for the backward; weights and bias are small
  private val src = new DnnMemory(desc(srcDims, nchw), fwdPd.src_desc(), slot = 0)
  private val wgt = new DnnMemory(desc(wDims, wTag), fwdPd.weights_desc())
  private val dst = new DnnMemory(desc(dstDims, nchw), fwdPd.dst_desc(), slot = 1)
  private val biasMem = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
  private val fwdArgs = DnnMemory.args(Seq(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
    api.DNNL_ARG_DST -> dst.primMem, scratchpad(fwdPd)) ++ (if (s.bias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil): _*)

  def forward(input: Tensor, weight: Tensor, bias: Tensor, output: Tensor): Unit = {
    src.bind(); dst.bind()
    src.load(strm, input.storage, input.offset)
    wgt.load(strm, weight.storage, weight.offset)
    if (s.bias) biasMem.load(strm, bias.storage, bias.offset)
    fwd.execute(strm, fwdArgs)
    dst.store(strm, output.storage, output.offset)
  }

  /** An output buffer of this (inference) plan's destination layout that outlives the call (arena slot 4 for
   * its plain side, used when it is stored or an addend is loaded). */
  def chainOutput(): DnnMemory = new DnnMemory(desc(dstDims, nchw), fwdPd.dst_desc(), slot = 4, ownPrim = true)

  // chained inference: reorders from other layouts into the source, and argument maps, by the memories used
  private val reorders = new java.util.HashMap[(Long, Long), DnnMemory.Reorder]()
  private def reorder(from: memory, to: memory): DnnMemory.Reorder =
    reorders.computeIfAbsent((from.address(), to.address()), _ => DnnMemory.Reorder(from, to))
  private val chainArgs = new java.util.HashMap[(Long, Long), IntMemoryMap]()

  def inferenceChained(input: Tensor, inputNative: ChainedActivation, weight: Tensor, bias: Tensor, addend: Tensor,
      addendNative: ChainedActivation, out: DnnMemory): Unit = {
    val srcMem: memory =
      if (inputNative == null) { src.bind(); src.load(strm, input.storage, input.offset); src.primMem }
      else {
        val m = inputNative.mem.primMem
        if (m.get_desc().equals(src.prim)) m
        else { src.bind(); reorder(m, src.primMem).run(strm); src.primMem }
      }
    out.bind()
    if (addend != null) out.load(strm, addend.storage, addend.offset)
    else if (addendNative != null) reorder(addendNative.mem.primMem, out.primMem).run(strm) // a copy when the layouts agree
    wgt.load(strm, weight.storage, weight.offset)
    if (s.bias) biasMem.load(strm, bias.storage, bias.offset)
    val key = (srcMem.address(), out.primMem.address())
    var m = chainArgs.get(key)
    if (m == null) {
      m = DnnMemory.args(Seq(api.DNNL_ARG_SRC -> srcMem, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
        api.DNNL_ARG_DST -> out.primMem, scratchpad(fwdPd)) ++ (if (s.bias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil): _*)
      chainArgs.put(key, m)
    }
    fwd.execute(strm, m)
  }

  private lazy val bwdData = new BackwardData
  private lazy val bwdWeights = new BackwardWeights
  // the output gradient in the layout both backward primitives read, when they agree (they do for the
  // blocked layouts oneDNN picks on AVX2 / AVX-512): copied in and reordered once for both
  private lazy val sharedDiffDst: DnnMemory =
    if (bwdData.diffDstDesc.equals(bwdWeights.diffDstDesc)) new DnnMemory(desc(dstDims, nchw), bwdData.diffDstDesc, slot = 2) else null

  /** Input gradient and/or parameter gradients (see [[DnnConv.backward]]). */
  def backward(input: Tensor, gradOutput: Tensor, weight: Tensor, grads: ConvGrads): Unit = {
    val wantData = grads.gradInput != null
    val wantWeights = grads.gradWeight != null || grads.gradBias != null
    val shared = if (wantData && wantWeights) sharedDiffDst else null
    if (shared != null) shared.bind()
    if (shared != null) shared.load(strm, gradOutput.storage, gradOutput.offset)
    if (wantData) bwdData.run(gradOutput, weight, grads.gradInput, shared)
    if (wantWeights) bwdWeights.run(input, gradOutput, grads.gradWeight, grads.gradBias, shared)
  }

  private final class BackwardData {
    private val pd: primitive_desc =
      if (s.transposed) new deconvolution_backward_data.primitive_desc(eng, alg, any(srcDims), any(wDims, dt), any(dstDims, dt),
        strides, dilation, padL, padR, fwdPd.asInstanceOf[deconvolution_forward.primitive_desc], attr(), false)
      else new convolution_backward_data.primitive_desc(eng, alg, any(srcDims), any(wDims, dt), any(dstDims, dt),
        strides, dilation, padL, padR, fwdPd.asInstanceOf[convolution_forward.primitive_desc], attr(), false)
    private val prim: primitive = if (s.transposed) new deconvolution_backward_data(pd.asInstanceOf[deconvolution_backward_data.primitive_desc])
      else new convolution_backward_data(pd.asInstanceOf[convolution_backward_data.primitive_desc])
    val diffDstDesc: memory.desc = pd.diff_dst_desc()
    private lazy val diffDst = new DnnMemory(desc(dstDims, nchw), diffDstDesc, slot = 2)
    private val w = new DnnMemory(desc(wDims, wTag), pd.weights_desc())
    private val diffSrc = new DnnMemory(desc(srcDims, nchw), pd.diff_src_desc(), slot = 3)
    private val scratch = scratchpad(pd)
    private val argsFor = new java.util.IdentityHashMap[DnnMemory, IntMemoryMap]()

    /** `loaded`: the output gradient already in a memory of [[diffDstDesc]], or null to copy it in here. */
    def run(gradOutput: Tensor, weight: Tensor, gradInput: Tensor, loaded: DnnMemory): Unit = {
      val dd = if (loaded != null) loaded else { diffDst.bind(); diffDst.load(strm, gradOutput.storage, gradOutput.offset); diffDst }
      diffSrc.bind()
      w.load(strm, weight.storage, weight.offset)
      prim.execute(strm, argsFor.computeIfAbsent(dd, m => DnnMemory.args(api.DNNL_ARG_DIFF_DST -> m.primMem,
        api.DNNL_ARG_WEIGHTS -> w.primMem, api.DNNL_ARG_DIFF_SRC -> diffSrc.primMem, scratch)))
      diffSrc.store(strm, gradInput.storage, gradInput.offset)
    }
  }

  private final class BackwardWeights {
    private val pd: primitive_desc =
      if (s.transposed) new deconvolution_backward_weights.primitive_desc(eng, alg, any(srcDims, dt), any(wDims), biasDesc,
        any(dstDims, dt), strides, dilation, padL, padR, fwdPd.asInstanceOf[deconvolution_forward.primitive_desc], attr(), false)
      else new convolution_backward_weights.primitive_desc(eng, alg, any(srcDims, dt), any(wDims), biasDesc,
        any(dstDims, dt), strides, dilation, padL, padR, fwdPd.asInstanceOf[convolution_forward.primitive_desc], attr(), false)
    private val prim: primitive = if (s.transposed) new deconvolution_backward_weights(pd.asInstanceOf[deconvolution_backward_weights.primitive_desc])
      else new convolution_backward_weights(pd.asInstanceOf[convolution_backward_weights.primitive_desc])
    private val x = new DnnMemory(desc(srcDims, nchw), pd.src_desc(), slot = 0)
    val diffDstDesc: memory.desc = pd.diff_dst_desc()
    private lazy val diffDst = new DnnMemory(desc(dstDims, nchw), diffDstDesc, slot = 2)
    private val diffW = new DnnMemory(desc(wDims, wTag), pd.diff_weights_desc())
    private val diffB = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
    private val scratchMem = scratchpad(pd)
    private val argsFor = new java.util.IdentityHashMap[DnnMemory, IntMemoryMap]()
    private val scratch = new Array[Float](wElems)

    /** `loaded`: the output gradient already in a memory of [[diffDstDesc]], or null to copy it in here. */
    def run(input: Tensor, gradOutput: Tensor, gradWeight: Tensor, gradBias: Tensor, loaded: DnnMemory): Unit = {
      x.bind()
      x.load(strm, input.storage, input.offset)
      val dd = if (loaded != null) loaded else { diffDst.bind(); diffDst.load(strm, gradOutput.storage, gradOutput.offset); diffDst }
      prim.execute(strm, argsFor.computeIfAbsent(dd, m => DnnMemory.args(Seq(api.DNNL_ARG_SRC -> x.primMem,
        api.DNNL_ARG_DIFF_DST -> m.primMem, api.DNNL_ARG_DIFF_WEIGHTS -> diffW.primMem, scratchMem) ++
        (if (s.bias) Seq(api.DNNL_ARG_DIFF_BIAS -> diffB.primMem) else Nil): _*)))
      if (gradWeight != null) { diffW.store(strm, scratch, 0); addInto(scratch, wElems, gradWeight) }
      if (gradBias != null && s.bias) { diffB.store(strm, scratch, 0); addInto(scratch, s.outC, gradBias) }
    }
  }
}
