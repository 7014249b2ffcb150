package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/** Geometry of a fully connected layer: `n` rows of `in` features to `out` features, with or without bias. */
final case class LinearSpec(n: Int, in: Int, out: Int, bias: Boolean)

/**
 * Linear layers (y = x W^T + b, W [out, in] as Ember and PyTorch keep it) on oneDNN's inner product: forward,
 * backward data and backward weights (bias included), in float32 or, in bf16 mixed precision
 * ([[MixedPrecision.active]]), with bf16 inputs, weights and output gradients and float32 outputs and
 * gradients, like [[DnnConv]]. Plans are built per geometry, precision and thread, the most recent [[MaxPlans]]
 * kept (the LocalOptimizer's chunks of a batch vary in size). Parameter gradients are accumulated.
 *
 * [[preferred]] says when a layer should use it rather than BLAS's sgemm (see there).
 */
object DnnLinear {
  val MaxPlans = 16

  private val plans = ThreadLocal.withInitial[java.util.LinkedHashMap[(LinearSpec, MixedPrecision.Mode), LinearPlan]](() =>
    new java.util.LinkedHashMap[(LinearSpec, MixedPrecision.Mode), LinearPlan](16, 0.75f, true) {
      override def removeEldestEntry(e: java.util.Map.Entry[(LinearSpec, MixedPrecision.Mode), LinearPlan]): Boolean =
        size() > MaxPlans
    })

  private def plan(s: LinearSpec): LinearPlan = {
    val m = plans.get()
    val key = (s, MixedPrecision.active)
    var p = m.get(key)
    if (p == null) { p = new LinearPlan(s); m.put(key, p) }
    p
  }

  /**
   * Whether a Linear layer of this geometry runs on oneDNN rather than BLAS's sgemm, from the thread CPU time of
   * forward + backward in [[ember.bench.LinearBench]] (OpenBLAS 0.3.31 SkylakeX kernels against oneDNN 3.3.4 on
   * the AVX-512/AMX Xeon, one thread; table in bench/NOTES.md). Batches under 32 rows stay on BLAS (oneDNN's
   * copies and reorders cost more than its product saves: 0.2-0.6x). In float32, oneDNN wins for narrow outputs
   * (at most 32 features, classifier heads: 1.6-1.9x at batch 128) and BLAS for wider ones (oneDNN 0.5-0.8x).
   * In bf16 mixed precision every layer of 32 rows or more runs oneDNN's bf16 inner product (1.1-2.0x BLAS's
   * float32 at batch 128, 0.9x for 1024 x 1024).
   */
  def preferred(s: LinearSpec): Boolean = Dnn.enabled && s.n > 0 && (forceBlas match {
    case Some(blas) => !blas
    case None => s.n >= 32 && (MixedPrecision.active == MixedPrecision.BFloat16 || s.out <= 32)
  })

  /** Benchmarks and tests: Some(true) keeps Linear layers on BLAS, Some(false) on oneDNN, None follows the rule. */
  @volatile var forceBlas: Option[Boolean] = None

  /** output = input W^T + b (bias may be null); contiguous tensors of the spec's shapes. */
  def forward(s: LinearSpec, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor): Unit =
    plan(s).forward(input, weight, bias, output)

  /** gradInput = gradOutput W (overwritten). */
  def backwardData(s: LinearSpec, gradOutput: Tensor, weight: Tensor, gradInput: Tensor): Unit =
    plan(s).backwardData(gradOutput, weight, gradInput)

  /** gradWeight += gradOutput^T input, gradBias += column sums of gradOutput (gradBias may be null). */
  def backwardWeights(s: LinearSpec, input: Tensor, gradOutput: Tensor, gradWeight: Tensor, gradBias: Tensor): Unit =
    plan(s).backwardWeights(input, gradOutput, gradWeight, gradBias)
}

/** The primitives and buffers of one inner-product geometry in one precision on one thread. */
private final class LinearPlan(s: LinearSpec) {
  import DnnMemory._

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val dt = MixedPrecision.computeType
  private val srcDims = Seq(s.n, s.in)
  private val wDims = Seq(s.out, s.in)
  private val dstDims = Seq(s.n, s.out)
  private val nc = memory.format_tag.nc
  private val oi = memory.format_tag.oi
  private val biasDesc = if (s.bias) desc(Seq(s.out), memory.format_tag.x) else new memory.desc()

  private val fwdPd = new inner_product_forward.primitive_desc(eng, api.prop_kind.forward_training,
    any(srcDims, dt), any(wDims, dt), biasDesc, any(dstDims), attr(), false)
  private val fwd = new inner_product_forward(fwdPd)
  private val src = new DnnMemory(desc(srcDims, nc), fwdPd.src_desc())
  private val wgt = new DnnMemory(desc(wDims, oi), fwdPd.weights_desc())
  private val dst = new DnnMemory(desc(dstDims, nc), fwdPd.dst_desc())
  private val biasMem = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
  private val fwdArgs = args(Seq(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
    api.DNNL_ARG_DST -> dst.primMem, scratchpad(fwdPd)) ++ (if (s.bias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil): _*)

  def forward(input: Tensor, weight: Tensor, bias: Tensor, output: Tensor): Unit = {
    src.load(strm, input.storage, input.offset)
    wgt.load(strm, weight.storage, weight.offset)
    if (s.bias) biasMem.load(strm, bias.storage, bias.offset)
    fwd.execute(strm, fwdArgs)
    dst.store(strm, output.storage, output.offset)
  }

  private lazy val bwdData = new BwdData
  private final class BwdData {
    val pd = new inner_product_backward_data.primitive_desc(eng, any(srcDims), any(wDims, dt), any(dstDims, dt),
      fwdPd, attr(), false)
    val prim = new inner_product_backward_data(pd)
    val diffDst = new DnnMemory(desc(dstDims, nc), pd.diff_dst_desc())
    val w = new DnnMemory(desc(wDims, oi), pd.weights_desc())
    val diffSrc = new DnnMemory(desc(srcDims, nc), pd.diff_src_desc())
    val map = args(api.DNNL_ARG_DIFF_DST -> diffDst.primMem, api.DNNL_ARG_WEIGHTS -> w.primMem,
      api.DNNL_ARG_DIFF_SRC -> diffSrc.primMem, scratchpad(pd))
  }

  def backwardData(gradOutput: Tensor, weight: Tensor, gradInput: Tensor): Unit = {
    val b = bwdData
    b.diffDst.load(strm, gradOutput.storage, gradOutput.offset)
    b.w.load(strm, weight.storage, weight.offset)
    b.prim.execute(strm, b.map)
    b.diffSrc.store(strm, gradInput.storage, gradInput.offset)
  }

  private lazy val bwdWeights = new BwdWeights
  private final class BwdWeights {
    val pd = new inner_product_backward_weights.primitive_desc(eng, any(srcDims, dt), any(wDims), biasDesc,
      any(dstDims, dt), fwdPd, attr(), false)
    val prim = new inner_product_backward_weights(pd)
    val x = new DnnMemory(desc(srcDims, nc), pd.src_desc())
    val diffDst = new DnnMemory(desc(dstDims, nc), pd.diff_dst_desc())
    val diffW = new DnnMemory(desc(wDims, oi), pd.diff_weights_desc())
    val diffB = if (s.bias) new DnnMemory(biasDesc, biasDesc) else null
    val map = args(Seq(api.DNNL_ARG_SRC -> x.primMem, api.DNNL_ARG_DIFF_DST -> diffDst.primMem,
      api.DNNL_ARG_DIFF_WEIGHTS -> diffW.primMem, scratchpad(pd)) ++
      (if (s.bias) Seq(api.DNNL_ARG_DIFF_BIAS -> diffB.primMem) else Nil): _*)
    val scratch = new Array[Float](s.out * s.in)
  }

  def backwardWeights(input: Tensor, gradOutput: Tensor, gradWeight: Tensor, gradBias: Tensor): Unit = {
    val b = bwdWeights
    b.x.load(strm, input.storage, input.offset)
    b.diffDst.load(strm, gradOutput.storage, gradOutput.offset)
    b.prim.execute(strm, b.map)
    b.diffW.store(strm, b.scratch, 0)
    addInto(b.scratch, s.out * s.in, gradWeight)
    if (s.bias && gradBias != null) { b.diffB.store(strm, b.scratch, 0); addInto(b.scratch, s.out, gradBias) }
  }
}
