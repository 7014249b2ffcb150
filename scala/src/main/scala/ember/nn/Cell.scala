package ember.nn

import ember.tensor.{Activity, Table, Tensor}
import ember.tensor.dnn.{Dnn, RnnKernel}

/**
 * Base of the recurrent cells ([[LSTM]], [[GRU]], [[RnnCell]]): the parameters, the time loop and full
 * back-propagation through time. [[Recurrent]] runs a cell over a [time, batch, features] sequence; a cell
 * alone is one step: input Table(x [batch, inputSize], state...) -> output Table(state...), where the
 * state is h (and c for LSTM), each [batch, hiddenSize].
 *
 * Per sequence of T steps and batch B the work is GEMMs over the whole batch: one GEMM projects all T*B
 * inputs at once (X W_ih^T + b), one per step projects the previous hidden state (h W_hh^T), and after the
 * backward time loop three GEMMs accumulate dW_ih, dW_hh and the input gradient over all steps at once.
 * A subclass only supplies the gate nonlinearities of one step ([[stepForward]] / [[stepBackward]]) on
 * contiguous [B, gates * H] and [B, H] slices. Weights are uniform in +-1/sqrt(hiddenSize) (PyTorch).
 *
 * LSTM and GRU run on oneDNN's RNN primitives instead when those are enabled ([[RnnKernel]]; `EMBER_KERNELS=jvm`
 * keeps the loops above): the whole sequence forward, and backward for data and weights, in one call each, in
 * bf16 under bf16 mixed precision. [[Recurrent]]'s batch-first sequences go to oneDNN as they are
 * ([[sequenceForwardBatchFirst]]); the JVM loops run on a time-major copy.
 */
abstract class Cell(val inputSize: Int, val hiddenSize: Int, gates: Int, hiddenBias: Boolean) extends Module {
  require(inputSize > 0, s"${getClass.getSimpleName}: inputSize must be positive, got $inputSize")
  require(hiddenSize > 0, s"${getClass.getSimpleName}: hiddenSize must be positive, got $hiddenSize")

  protected val G: Int = gates * hiddenSize
  val weightIH: Tensor = Tensor(G, inputSize)
  val gradWeightIH: Tensor = Tensor(G, inputSize)
  val weightHH: Tensor = Tensor(G, hiddenSize)
  val gradWeightHH: Tensor = Tensor(G, hiddenSize)
  val bias: Tensor = Tensor(G)
  val gradBias: Tensor = Tensor(G)
  val biasHH: Tensor = if (hiddenBias) Tensor(G) else null
  val gradBiasHH: Tensor = if (hiddenBias) Tensor(G) else null
  reset()

  /** Number of state tensors: 1 (h), or 2 (h, c) for LSTM. */
  def nStates: Int = 1

  override def reset(): Unit = initUniform(hiddenSize.toDouble, Seq(weightIH, weightHH, bias) ++ Option(biasHH): _*)

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight_ih" -> Parameter(weightIH, gradWeightIH), "weight_hh" -> Parameter(weightHH, gradWeightHH),
      "bias" -> Parameter(bias, gradBias)) ++ (if (hiddenBias) Seq("bias_hh" -> Parameter(biasHH, gradBiasHH)) else Nil)

  // ---------------------------------------------------------------- sequence state (kept for backward)
  protected var xs: Tensor = new Tensor()  // [T, B, I] inputs
  protected var pre: Tensor = new Tensor() // [T, B, G] input projections, overwritten by the activated gates
  protected var hw: Tensor = new Tensor()  // [T, B, G] hidden projections
  protected var hs: Tensor = new Tensor()  // [T + 1, B, H] hidden states h_0 .. h_T
  protected var cs: Tensor = new Tensor()  // [T + 1, B, H] cell states (LSTM)
  private var dXW: Tensor = new Tensor()   // [T, B, G] gradient of the input projections
  private var dHW: Tensor = new Tensor()   // [T, B, G] gradient of the hidden projections (GRU), else dXW
  private val ones = new Tensor()

  /** The oneDNN kind of this cell, or null when oneDNN has no primitive for it (the JVM loops run). */
  protected def dnnKind: RnnKernel.Kind = null

  private var dnn: RnnKernel = null
  private var ranDnn = false // whether the last sequenceForward ran on oneDNN
  private var batchFirst = false // whether that oneDNN forward's xs is [B, T, I] (its output then in hOut)
  private val hOut = new Tensor() // [B, T, H] hidden states of a batch-first oneDNN forward
  private val gradX = new Tensor() // [B, T, I] its input gradient
  private var kernelChoice: Option[Boolean] = None

  /** Chooses the kernels of this cell: oneDNN (`true`, where available) or the JVM loops; tests compare the two. */
  private[ember] def useDnn(value: Boolean): this.type = { kernelChoice = Some(value); this }

  /** Whether the last [[sequenceForward]] ran on oneDNN. */
  private[ember] def ranOnDnn: Boolean = ranDnn

  /** Whether the last [[sequenceForward]] ran on oneDNN in bf16 (mixed precision). */
  private[ember] def ranOnDnnBf16: Boolean = ranDnn && dnn.lastRanBf16

  private def dnnKernel: RnnKernel =
    if (dnnKind == null || !kernelChoice.getOrElse(true) || !Dnn.enabled) null
    else { if (dnn == null) dnn = new RnnKernel(dnnKind, inputSize, hiddenSize); dnn }

  private def params: RnnKernel.Params = RnnKernel.Params(weightIH, weightHH, bias, biasHH)

  /** The hidden states h_1 .. h_T of the last [[sequenceForward]], [T, B, H] (a view). */
  def hidden: Tensor = hs.narrow(0, 1, hs.size(0) - 1)

  /** One step's gates: `gate` holds x W_ih^T + b on entry; writes what [[stepBackward]] needs and h, c. */
  protected def stepForward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor): Unit

  /**
   * One step backward: `dh` is the gradient of h; `dc` holds that of c on entry and must hold that of
   * cPrev on exit (LSTM). Writes the gradients of the input projection `dxw`, of the hidden projection
   * `dhw` (same tensor as `dxw` when [[separateHiddenGrad]] is false) and the part of dhPrev that does not
   * go through W_hh into `dhPrev`.
   */
  protected def stepBackward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor,
      dh: Tensor, dc: Tensor, dxw: Tensor, dhw: Tensor, dhPrev: Tensor): Unit

  /** True when the hidden projection's gradient differs from the input projection's (GRU). */
  protected def separateHiddenGrad: Boolean = false

  private def rows(t: Tensor, s: Int): Tensor = t.select(0, s)

  /** Runs the cell over `x` [T, B, I] from states h0 (and c0) [B, H]; the outputs are [[hidden]]. */
  def sequenceForward(x: Tensor, h0: Tensor, c0: Tensor): Unit = {
    require(x.dim == 3 && x.size(2) == inputSize,
      s"${getClass.getSimpleName}: expected input of shape [time, batch, $inputSize], got ${x.shapeString}")
    val (t, b) = (x.size(0), x.size(1))
    xs = x.contiguous()
    batchFirst = false
    val k = if (t == 0 || b == 0) null else dnnKernel // oneDNN rejects empty shapes; the JVM loops handle them
    ranDnn = k != null
    if (ranDnn) dnnForward(k, h0, c0, isTraining) else loopForward(h0, c0)
  }

  /**
   * [[sequenceForward]] of a batch-first sequence `x` [B, T, I]; returns the hidden states [B, T, H] (a tensor
   * the cell reuses). On oneDNN the sequence is handed over in its own layout; the JVM loops run on a transposed
   * copy. Backward with [[sequenceBackwardBatchFirst]].
   */
  def sequenceForwardBatchFirst(x: Tensor, h0: Tensor, c0: Tensor): Tensor = {
    require(x.dim == 3 && x.size(2) == inputSize,
      s"${getClass.getSimpleName}: expected input of shape [batch, time, $inputSize], got ${x.shapeString}")
    val k = if (x.size(0) == 0 || x.size(1) == 0) null else dnnKernel
    if (k == null) {
      sequenceForward(x.transpose(0, 1).contiguous(), h0, c0)
      hidden.transpose(0, 1).contiguous()
    } else {
      xs = x.contiguous()
      batchFirst = true
      ranDnn = true
      dnnForward(k, h0, c0, isTraining)
      hOut
    }
  }

  private def dnnForward(k: RnnKernel, h0: Tensor, c0: Tensor, training: Boolean): Unit = {
    val (t, b) = if (batchFirst) (xs.size(1), xs.size(0)) else (xs.size(0), xs.size(1))
    val seq = RnnKernel.Sequence(xs.storage, xs.offset, t, b, batchFirst)
    // batch-first: hs and cs keep only the initial states (for a re-run) and the last cell state
    val steps = if (batchFirst) 1 else t
    hs.resize(steps + 1, b, hiddenSize)
    rows(hs, 0).copy(h0)
    if (nStates == 2) { cs.resize(steps + 1, b, hiddenSize); rows(cs, 0).copy(c0) }
    val out = if (batchFirst) hOut.resize(b, t, hiddenSize) else hs.narrow(0, 1, t)
    k.forward(seq, rows(hs, 0), cState(0), params, training, out, cState(steps))
  }

  private def loopForward(h0: Tensor, c0: Tensor): Unit = {
    val (t, b) = (xs.size(0), xs.size(1))
    pre.resize(t, b, G); hw.resize(t, b, G); hs.resize(t + 1, b, hiddenSize)
    if (nStates == 2) cs.resize(t + 1, b, hiddenSize)
    val pre2 = pre.view(t * b, G)
    var r = 0
    while (r < t * b) { System.arraycopy(bias.storage, bias.offset, pre2.storage, pre2.offset + r * G, G); r += 1 }
    pre2.addmm(1f, 1f, xs.view(t * b, inputSize), weightIH.t())
    rows(hs, 0).copy(h0)
    if (nStates == 2) rows(cs, 0).copy(c0)
    var s = 0
    while (s < t) {
      val hp = rows(hw, s)
      if (hiddenBias) { var k = 0; while (k < b) { hp.select(0, k).copy(biasHH); k += 1 } }
      hp.addmm(if (hiddenBias) 1f else 0f, 1f, rows(hs, s), weightHH.t())
      stepForward(rows(pre, s), hp, rows(hs, s), cState(s), rows(hs, s + 1), cState(s + 1))
      s += 1
    }
  }

  private def cState(s: Int): Tensor = if (nStates == 2) rows(cs, s) else null

  /**
   * Back-propagation through time for the last [[sequenceForward]]: `gradH` [T, B, H] is the gradient of
   * every h_t, `gradCT` that of the last c (or null). Returns (gradient of x [T, B, I], of h0, of c0 or
   * null). Parameter gradients are added by [[accGradParameters]] afterwards.
   */
  def sequenceBackward(gradH: Tensor, gradCT: Tensor): (Tensor, Tensor, Tensor) = {
    val (t, b) = (xs.size(0), xs.size(1))
    require(!batchFirst, s"${getClass.getSimpleName}: the last forward was batch-first; use sequenceBackwardBatchFirst")
    require(gradH.dim == 3 && gradH.size(0) == t && gradH.size(1) == b && gradH.size(2) == hiddenSize,
      s"${getClass.getSimpleName}: gradient of shape ${gradH.shapeString} for hidden states [$t, $b, $hiddenSize]")
    if (ranDnn) dnnBackward(gradH, gradCT) else loopBackward(gradH, gradCT)
  }

  /**
   * [[sequenceBackward]] after a [[sequenceForwardBatchFirst]]: `gradOut` [B, T, H] is the gradient of its
   * output; returns (gradient of x [B, T, I], of h0, of c0 or null).
   */
  def sequenceBackwardBatchFirst(gradOut: Tensor): (Tensor, Tensor, Tensor) =
    if (!batchFirst) {
      val (gx, gh0, gc0) = sequenceBackward(gradOut.transpose(0, 1).contiguous(), null)
      (gx.transpose(0, 1).contiguous(), gh0, gc0)
    } else {
      val (b, t) = (xs.size(0), xs.size(1))
      require(gradOut.dim == 3 && gradOut.size(0) == b && gradOut.size(1) == t && gradOut.size(2) == hiddenSize,
        s"${getClass.getSimpleName}: gradient of shape ${gradOut.shapeString} for hidden states [$b, $t, $hiddenSize]")
      dnnBackward(gradOut, null)
    }

  private def dnnBackward(gradH: Tensor, gradCT: Tensor): (Tensor, Tensor, Tensor) = {
    val (t, b) = if (batchFirst) (xs.size(1), xs.size(0)) else (xs.size(0), xs.size(1))
    // an evaluation-mode forward kept no workspace: run it again in training mode from the kept inputs
    if (!dnn.hasTrainingForward) dnnForward(dnn, rows(hs, 0).clone(), if (nStates == 2) rows(cs, 0).clone() else null, true)
    val gx = if (batchFirst) gradX.resize(b, t, inputSize) else Tensor(t, b, inputSize) // oneDNN writes all of it
    val gh0 = Tensor(b, hiddenSize)
    val gc0 = if (nStates == 2) Tensor(b, hiddenSize) else null
    dnn.backward(gradH, gradCT, gx, gh0, gc0)
    (gx, gh0, gc0)
  }

  private def loopBackward(gradH: Tensor, gradCT: Tensor): (Tensor, Tensor, Tensor) = {
    val (t, b) = (xs.size(0), xs.size(1))
    dXW.resize(t, b, G)
    if (separateHiddenGrad) dHW.resize(t, b, G) else dHW = dXW
    var dh = Tensor(b, hiddenSize); var dhPrev = Tensor(b, hiddenSize)
    val dc = if (nStates == 2) Tensor(b, hiddenSize) else null
    if (gradCT != null && dc != null) dc.copy(gradCT)
    var s = t - 1
    while (s >= 0) {
      dh.add(rows(gradH, s))
      stepBackward(rows(pre, s), rows(hw, s), rows(hs, s), cState(s), rows(hs, s + 1), cState(s + 1),
        dh, dc, rows(dXW, s), rows(dHW, s), dhPrev)
      dhPrev.addmm(1f, 1f, rows(dHW, s), weightHH)
      val tmp = dh; dh = dhPrev; dhPrev = tmp
      s -= 1
    }
    val gx = Tensor(t * b, inputSize).addmm(0f, 1f, dXW.view(t * b, G), weightIH)
    (gx.view(t, b, inputSize), dh, dc)
  }

  /** Adds the parameter gradients of the last [[sequenceBackward]] (three GEMMs over all steps). */
  override def accGradParameters(input: Activity, gradOutput: Activity): Unit =
    if (ranDnn) dnn.addWeightGradients(RnnKernel.Params(gradWeightIH, gradWeightHH, gradBias, gradBiasHH))
    else loopAccGradParameters()

  private def loopAccGradParameters(): Unit = {
    val n = dXW.size(0) * dXW.size(1)
    val dx = dXW.view(n, G); val dhh = dHW.view(n, G)
    if (ones.nElement != n) ones.resize(n).fill(1f)
    gradWeightIH.addmm(1f, 1f, dx.t(), xs.view(n, inputSize))
    gradWeightHH.addmm(1f, 1f, dhh.t(), hs.narrow(0, 0, dXW.size(0)).contiguous().view(n, hiddenSize))
    gradBias.addmv(1f, 1f, dx.t(), ones)
    if (hiddenBias) gradBiasHH.addmv(1f, 1f, dhh.t(), ones)
  }

  // ---------------------------------------------------------------- one step as a module

  private def stepInputs(input: Activity): IndexedSeq[Tensor] = {
    val items = TableSupport.tensors(getClass.getSimpleName, input)
    require(items.length == 1 + nStates, s"${getClass.getSimpleName}: expected a table (x, ${
      if (nStates == 2) "h, c" else "h"}), got ${items.length} items")
    require(items.head.dim == 2, s"${getClass.getSimpleName}: x must be [batch, $inputSize], got ${items.head.shapeString}")
    for (s <- items.tail) require(s.dim == 2 && s.size(0) == items.head.size(0) && s.size(1) == hiddenSize,
      s"${getClass.getSimpleName}: states must be [${items.head.size(0)}, $hiddenSize], got ${s.shapeString}")
    items
  }

  /** One step: Table(x, h[, c]) -> Table(h'[, c']). */
  override def updateOutput(input: Activity): Activity = {
    val in = stepInputs(input)
    val x = in.head.contiguous()
    sequenceForward(x.view(1 +: x.shape), in(1), if (nStates == 2) in(2) else null)
    output = Table((Seq(rows(hs, 1).clone()) ++ (if (nStates == 2) Seq(rows(cs, 1).clone()) else Nil)): _*)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val in = stepInputs(input)
    val g = TableSupport.tensors(s"${getClass.getSimpleName} gradOutput", gradOutput)
    require(g.length == nStates, s"${getClass.getSimpleName}: gradOutput must have $nStates items, got ${g.length}")
    val gh = g.head.contiguous()
    val (gx, gh0, gc0) = sequenceBackward(gh.view(1 +: gh.shape), if (nStates == 2) g(1) else null)
    gradInput = Table((Seq(gx.select(0, 0), gh0) ++ Option(gc0)): _*)
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "hiddenSize" -> hiddenSize)
}

/** Scalar helpers of the cells' loops. */
private[nn] object CellMath {
  // sigmoid(x) = (1 + tanh(x / 2)) / 2 through the rational tanh below (absolute error ~2e-7): the double
  // exp it replaces cost as much as the GEMMs in the JVM loops of an LSTM (three sigmoids per unit and step)
  @inline def sigmoid(x: Float): Float = 0.5f * Tanh.tanh(0.5f * x) + 0.5f
  // The Tanh layer's Float32 rational approximation (relative error 3.4e-7): java.lang.Math.tanh is not a JIT
  // intrinsic and took most of an LSTM step (three tanh per hidden unit and step, forward and backward).
  @inline def tanh(x: Float): Float = Tanh.tanh(x)
}
