package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/**
 * Elementwise activations on oneDNN (`eltwise_forward` / `eltwise_backward`), forward and backward, on
 * contiguous tensors seen as one flat vector. Which layers use them by default: [[DnnOps]].
 *
 * A [[DnnEltwise.Fn]] names oneDNN's algorithm and its constants. Where oneDNN has a `*_use_dst_for_bwd` variant
 * (ReLU with a non-negative slope, tanh, logistic, ELU, clip_v2) the backward pass reads the forward's output,
 * like Ember's layers do (which lets them work in place); otherwise it reads the input. oneDNN's ReLU (slope 0)
 * and clip turn a NaN into a number, where PyTorch and Ember's JVM kernels let it through: for those the forward
 * pass checks the input (a vectorised pass) and leaves a NaN batch to the JVM kernel (it returns false). The batch-sized native
 * buffers are slots 0-2 of the thread's [[DnnMemory.Arena]] (inputs copied in, results copied out per call);
 * the primitives are built once per (function, length) and thread.
 */
object DnnEltwise {
  /**
   * oneDNN's elementwise algorithms that Ember uses, named on Ember's side: a [[Fn]] is built by every
   * activation layer's constructor, also where oneDNN's classes are absent (an executor given only ember.jar
   * falls back to the JVM kernels), so only [[EltwisePlan]] - built when oneDNN runs - touches oneDNN's enum.
   */
  sealed abstract class Alg
  object Alg {
    case object Relu extends Alg
    case object Tanh extends Alg
    case object Logistic extends Alg
    case object Elu extends Alg
    case object Clip extends Alg
    case object SoftRelu extends Alg
  }

  /** oneDNN's algorithm code for `a` (the `*_use_dst_for_bwd` variant where there is one). */
  private[dnn] def code(a: Alg): Int = a match {
    case Alg.Relu => api.algorithm.eltwise_relu_use_dst_for_bwd.value
    case Alg.Tanh => api.algorithm.eltwise_tanh_use_dst_for_bwd.value
    case Alg.Logistic => api.algorithm.eltwise_logistic_use_dst_for_bwd.value
    case Alg.Elu => api.algorithm.eltwise_elu_use_dst_for_bwd.value
    case Alg.Clip => api.algorithm.eltwise_clip_v2_use_dst_for_bwd.value
    case Alg.SoftRelu => api.algorithm.eltwise_soft_relu.value
  }

  /**
   * oneDNN algorithm `alg` with constants `alpha`, `beta`; `useDst`: its backward reads the output; `losesNaN`:
   * oneDNN maps a NaN input to a number.
   */
  final case class Fn(alg: Alg, alpha: Float, beta: Float, useDst: Boolean, losesNaN: Boolean = false)

  /** max(x, slope * x), slope >= 0 (ReLU, LeakyReLU). */
  def relu(slope: Float): Fn = Fn(Alg.Relu, slope, 0f, useDst = true, losesNaN = slope == 0f)
  val tanh: Fn = Fn(Alg.Tanh, 0f, 0f, useDst = true)
  val logistic: Fn = Fn(Alg.Logistic, 0f, 0f, useDst = true)
  def elu(alpha: Float): Fn = Fn(Alg.Elu, alpha, 0f, useDst = true)
  /** x clipped to [lo, hi]; the gradient passes strictly inside (ReLU6). */
  def clip(lo: Float, hi: Float): Fn = Fn(Alg.Clip, lo, hi, useDst = true, losesNaN = true)
  /** log(1 + exp(beta x)) / beta. */
  def softPlus(beta: Float): Fn = Fn(Alg.SoftRelu, beta, 0f, useDst = false)

  private final case class Key(fn: Fn, n: Int)
  private val plans = ThreadLocal.withInitial[java.util.HashMap[Key, EltwisePlan]](() => new java.util.HashMap())

  private def plan(fn: Fn, n: Int): EltwisePlan = {
    val m = plans.get()
    val k = Key(fn, n)
    var p = m.get(k)
    if (p == null) { p = new EltwisePlan(fn, n); m.put(k, p) }
    p
  }

  /**
   * y = f(x); contiguous, the same number of elements (y may be x: in place). False, with nothing written, when
   * `fn` loses NaN and x holds one: the caller runs its JVM kernel (see above).
   */
  def forward(fn: Fn, x: Tensor, y: Tensor): Boolean = {
    require(x.nElement == y.nElement, s"DnnEltwise.forward: ${x.nElement} inputs, ${y.nElement} outputs")
    if (fn.losesNaN && DnnOps.hasNaN(x.storage, x.offset, x.nElement)) false
    else { if (x.nElement > 0) plan(fn, x.nElement).forward(x, y); true }
  }

  /**
   * gradInput = f'(.) * gradOutput, from the forward's output when `fn.useDst`, else from its input (`data`);
   * gradInput may be gradOutput (in place).
   */
  def backward(fn: Fn, data: Tensor, gradOutput: Tensor, gradInput: Tensor): Unit = {
    val n = gradOutput.nElement
    require(data.nElement == n && gradInput.nElement == n,
      s"DnnEltwise.backward: ${data.nElement} data, $n output gradients, ${gradInput.nElement} input gradients")
    if (n > 0) plan(fn, n).backward(data, gradOutput, gradInput)
  }
}

/** The primitives of one elementwise function and length on one thread. */
private final class EltwisePlan(fn: DnnEltwise.Fn, n: Int) {
  import DnnMemory._

  Dnn.enter() // this thread's OpenMP team size, before the first primitive
  private val eng = Dnn.engine
  private val alg = DnnEltwise.code(fn.alg)
  private val flat = desc(Seq(n), memory.format_tag.x)
  private val fwdPd = new eltwise_forward.primitive_desc(eng, api.prop_kind.forward_training.value, alg, flat, flat,
    fn.alpha, fn.beta, attr(), false)
  private val fwd = new PlainCall(new eltwise_forward(fwdPd), fwdPd, Seq(api.DNNL_ARG_SRC -> flat), api.DNNL_ARG_DST -> flat)
  private lazy val bwd = {
    val pd = new eltwise_backward.primitive_desc(eng, alg, flat, flat, flat, fn.alpha, fn.beta, fwdPd, attr(), false)
    val data = if (fn.useDst) api.DNNL_ARG_DST else api.DNNL_ARG_SRC
    new PlainCall(new eltwise_backward(pd), pd, Seq(data -> flat, api.DNNL_ARG_DIFF_DST -> flat), api.DNNL_ARG_DIFF_SRC -> flat)
  }

  def forward(x: Tensor, y: Tensor): Unit = fwd.run(y, x)

  def backward(data: Tensor, g: Tensor, gi: Tensor): Unit = bwd.run(gi, data, g)
}
