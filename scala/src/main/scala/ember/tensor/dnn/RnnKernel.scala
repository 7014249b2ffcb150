package ember.tensor.dnn

import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.dnnl._
import org.bytedeco.javacpp.{FloatPointer, Pointer}

/**
 * A recurrent cell's whole sequence, forward and backward (data and weights), through oneDNN's RNN primitives:
 * `dnnl_lstm_*` for Ember's LSTM and `dnnl_lbr_gru_*` (linear-before-reset GRU, which is PyTorch's GRU) for
 * Ember's GRU. One kernel per cell instance (each model replica has its own); not thread-safe.
 *
 * Layouts. Ember keeps weight_ih [gates * H, I] and weight_hh [gates * H, H] with PyTorch's gate order; that is
 * oneDNN's plain `ldgoi` layout (dims l, d, i, g, o; memory order l, d, g, o, i) up to the gate order (LSTM: the
 * same i, f, g, o; GRU: Ember r, z, n against oneDNN u = z, r, o = n). The weights are copied from the JVM heap
 * into a native `ldgoi` buffer in oneDNN's gate order, then reordered into the layout each primitive asks for
 * (format `any`: the forward and backward primitives may want different ones); the reorder primitives and
 * buffers are built once per (time, batch, mode) plan and kept. Gradients come back the same way: oneDNN
 * accumulates into zeroed diff-weight buffers, which are reordered to `ldgoi` and added to Ember's gradients in
 * Ember's gate order by [[addWeightGradients]]. GRU biases: oneDNN's four LBR biases are
 * (b_ih + b_hh) for u and r, b_ih for o and b_hh for o; the gradient of a summed bias goes to both of Ember's.
 *
 * Loading, the engine, streams, threads and the JVM/oneDNN choice are [[Dnn]]'s.
 *
 * Sequences are time-major ([T, B, features], `tnc`) or batch-first ([B, T, features], `ntc`, what
 * [[ember.nn.Recurrent]] holds: oneDNN reads and writes that layout itself, so no transposed copy is made on
 * either side); states are [B, H] (`ldnc` with one layer and direction).
 *
 * bf16 mixed precision ([[MixedPrecision.active]] when a plan is built): the primitives take bf16 sequences,
 * hidden states and weights (oneDNN's bf16 RNN configuration; bias, cell states and every gradient stay
 * float32). Ember's float32 arrays are copied into float32 buffers as in float32 mode and converted by reorders
 * (the weights' reorder into the primitive's layout converts them as it goes), the hidden states come back the
 * same way; the master weights and their gradients stay float32. Where oneDNN has no bf16 primitive for a
 * shape, the plan is built in float32 and that is logged once.
 */
final class RnnKernel(val kind: RnnKernel.Kind, val inputSize: Int, val hiddenSize: Int) {
  import RnnKernel._

  private val H = hiddenSize
  private val G = kind.gates
  // least recently used first; a plan's native buffers hold a few sequences' worth of activations, so only the
  // last few shapes are kept (variable-length sequences would otherwise pile them up); an evicted plan's buffers
  // are freed by JavaCPP when collected
  private val plans = new java.util.LinkedHashMap[PlanKey, Plan](8, 0.75f, true) {
    override def removeEldestEntry(e: java.util.Map.Entry[PlanKey, Plan]): Boolean = size() > MaxPlans
  }
  private var last: Plan = null
  private var lastSeq: Sequence = null
  private var lastBf16 = false

  /**
   * The plan for `b` samples: built for `b` rounded up to a multiple of 8 (the rows beyond `b` stay zero), so that
   * the LocalOptimizer's varying chunks of a batch share a few plans instead of building primitives per size.
   */
  private def plan(s: Sequence, training: Boolean): Plan = {
    val pb = if (s.b <= 8) s.b else (s.b + 7) / 8 * 8
    // a plan's primitives carry the precision they were built in
    val key = PlanKey(s.t, pb, s.batchFirst, training, MixedPrecision.active == MixedPrecision.BFloat16)
    val known = plans.get(key)
    if (known != null) known else { val p = buildPlan(key); plans.put(key, p); p }
  }

  /** The plan for `key`; in bf16 a float32 one (logged once) where oneDNN has no bf16 primitive for it. */
  private def buildPlan(key: PlanKey): Plan =
    if (!key.bf16) new Plan(key)
    else try new Plan(key) catch {
      case e: IllegalStateException if e.getMessage.contains("primitive descriptor") =>
        if (!warnedBf16) {
          warnedBf16 = true
          RnnKernel.log.warn(s"${kind.name} oneDNN kernel: no bf16 primitive for this shape (${e.getMessage}); runs in float32")
        }
        new Plan(key.copy(bf16 = false))
    }
  private var warnedBf16 = false

  /** Whether the last [[forward]] computed in bf16. */
  def lastRanBf16: Boolean = lastBf16

  /**
   * Runs the sequence `x` (`s.t` steps of `s.b` samples of [[inputSize]] features) from h0 (and c0 for LSTM)
   * [B, H] with the given parameters; writes the hidden states of every step into `hOut` ([T, B, H], or
   * [B, T, H] for a batch-first sequence) and the last cell state into `cLast` (LSTM, may be null). `training`
   * keeps what [[backward]] needs.
   */
  def forward(s: Sequence, h0: Tensor, c0: Tensor, p: Params, training: Boolean, hOut: Tensor, cLast: Tensor): Unit = {
    val pl = plan(s, training)
    pl.loadWeights(p)
    putSeq(pl.srcLayer.user, s.x, s.offset, s, inputSize, pl.b)
    putTensor(pl.srcIter.user, h0)
    if (kind.states == 2) putTensor(pl.srcIterC, c0)
    pl.runForward()
    require(hOut.isContiguous, "RnnKernel: hOut must be contiguous")
    getSeq(pl.dstLayer.user, hOut.storage, hOut.offset, s, H, pl.b)
    if (cLast != null) getTensor(pl.dstIterC, cLast)
    last = if (training) pl else null
    lastSeq = s
    lastBf16 = pl.bf16
  }

  /**
   * Back-propagation through time for the last training [[forward]]: `gradH` (in that forward's layout, [T, B, H]
   * or [B, T, H]) is the gradient of every hidden state, `gradCT` [B, H] that of the last cell state (or null).
   * Writes the input gradient into `gx` (same layout, [T, B, I] or [B, T, I]) and those of the initial states
   * into `gh0` (and `gc0`); keeps the weight gradients for [[addWeightGradients]].
   */
  def backward(gradH: Tensor, gradCT: Tensor, gx: Tensor, gh0: Tensor, gc0: Tensor): Unit = {
    val pl = last
    require(pl != null, s"${kind.name} oneDNN kernel: backward without a training forward before it")
    val s = lastSeq
    val expected = if (s.batchFirst) Seq(s.b, s.t, H) else Seq(s.t, s.b, H)
    require(gradH.shape.toSeq == expected,
      s"${kind.name} oneDNN kernel: gradient of shape ${gradH.shapeString} after a forward of ${expected.mkString("x")}")
    val g = gradH.contiguous()
    putSeq(pl.diffDstLayer, g.storage, g.offset, s, H, pl.b)
    if (kind.states == 2) { if (gradCT != null) putTensor(pl.diffDstIterC, gradCT) else pl.diffDstIterC.zero() }
    pl.runBackward()
    require(gx.isContiguous, "RnnKernel: gx must be contiguous")
    getSeq(pl.diffSrcLayer, gx.storage, gx.offset, s, inputSize, pl.b)
    getTensor(pl.diffSrcIter, gh0)
    if (kind.states == 2 && gc0 != null) getTensor(pl.diffSrcIterC, gc0)
  }

  /** Whether the last [[forward]] was a training one (which [[backward]] needs). */
  def hasTrainingForward: Boolean = last != null

  /** Adds the weight and bias gradients of the last [[backward]] to Ember's gradient tensors (Ember's gate order). */
  def addWeightGradients(g: Params): Unit = {
    val pl = last
    require(pl != null && pl.hasGradients, s"${kind.name} oneDNN kernel: no gradients (call backward first)")
    pl.addGradients(g)
  }

  /**
   * Buffers, memory objects and primitives for one (time, batch, layout, training, precision) shape. Sequence and
   * hidden-state arguments are [[Staged]]: a float32 buffer Ember copies into and out of, and in bf16 the
   * primitive's bf16 copy; cell states, bias and all gradients are float32 in both modes.
   */
  private final class Plan(key: PlanKey) {
    val b: Int = key.b
    val bf16: Boolean = key.bf16
    private val (t, training) = (key.t, key.training)
    private val prop = if (training) dnnl_forward_training else dnnl_forward_inference
    private val dt = if (bf16) dnnl_bf16 else dnnl_f32
    private val seqTag = if (key.batchFirst) dnnl_ntc else dnnl_tnc
    private val mdSrcLayer = md(Array(t, b, inputSize), seqTag)
    private val mdState = md(Array(1, 1, b, H), dnnl_ldnc)
    private val mdSrcLayerP = md(Array(t, b, inputSize), seqTag, dt)
    private val mdStateP = md(Array(1, 1, b, H), dnnl_ldnc, dt)
    private val mdWL = md(Array(1, 1, inputSize, G, H), dnnl_format_tag_any, dt)
    private val mdWI = md(Array(1, 1, H, G, H), dnnl_format_tag_any, dt)
    private val mdDiffWL = md(Array(1, 1, inputSize, G, H), dnnl_format_tag_any)
    private val mdDiffWI = md(Array(1, 1, H, G, H), dnnl_format_tag_any)
    private val mdUserWL = md(Array(1, 1, inputSize, G, H), dnnl_ldgoi)
    private val mdUserWI = md(Array(1, 1, H, G, H), dnnl_ldgoi)
    private val mdBias = md(Array(1, 1, kind.biasGates, H), dnnl_ldgo)
    private val mdDstLayer = md(Array(t, b, H), seqTag)
    private val mdDstLayerP = md(Array(t, b, H), seqTag, dt)
    private val c = kind.states == 2
    private val attrs = attr()

    private val fwdPd: dnnl_primitive_desc = {
      val pd = new dnnl_primitive_desc()
      val st = if (c) dnnl_lstm_forward_primitive_desc_create(pd, Runtime.engine, prop, dnnl_unidirectional_left2right,
        mdSrcLayerP, mdStateP, mdState, mdWL, mdWI, null, null, mdBias, mdDstLayerP, mdStateP, mdState, dnnl_rnn_flags_undef, attrs)
      else dnnl_lbr_gru_forward_primitive_desc_create(pd, Runtime.engine, prop, dnnl_unidirectional_left2right,
        mdSrcLayerP, mdStateP, mdWL, mdWI, mdBias, mdDstLayerP, mdStateP, dnnl_rnn_flags_undef, attrs)
      check(st, s"${kind.name} forward primitive descriptor (T=$t, B=$b, I=$inputSize, H=$H${if (bf16) ", bf16" else ""})")
      pd
    }
    private val fwd = primitive(fwdPd, "forward")

    val srcLayer: Staged = Staged(mdSrcLayer, mdSrcLayerP)
    val srcIter: Staged = Staged(mdState, mdStateP)
    val srcIterC: Mem = if (c) Mem(mdState) else null
    val dstLayer: Staged = Staged(mdDstLayer, mdDstLayerP)
    private val dstIter: Mem = Mem(mdStateP) // h_T: also the last step of dstLayer, never read
    val dstIterC: Mem = if (c) Mem(mdState) else null
    private val userWL = Mem(mdUserWL)
    private val userWI = Mem(mdUserWI)
    private val bias = Mem(mdBias)
    private val fwdWL = Reorder(userWL, query(fwdPd, DNNL_ARG_WEIGHTS_LAYER))
    private val fwdWI = Reorder(userWI, query(fwdPd, DNNL_ARG_WEIGHTS_ITER))
    private val workspace = if (training) Mem(dnnl_primitive_desc_query_md(fwdPd, dnnl_query_workspace_md, 0)) else null

    private val fwdArgs = args(Seq(DNNL_ARG_SRC_LAYER -> srcLayer.prim, DNNL_ARG_SRC_ITER -> srcIter.prim,
      DNNL_ARG_WEIGHTS_LAYER -> fwdWL.dst, DNNL_ARG_WEIGHTS_ITER -> fwdWI.dst, DNNL_ARG_BIAS -> bias,
      DNNL_ARG_DST_LAYER -> dstLayer.prim, DNNL_ARG_DST_ITER -> dstIter) ++
      (if (c) Seq(DNNL_ARG_SRC_ITER_C -> srcIterC, DNNL_ARG_DST_ITER_C -> dstIterC) else Nil) ++
      (if (training) Seq(DNNL_ARG_WORKSPACE -> workspace) else Nil) :+ (DNNL_ARG_SCRATCHPAD -> scratchpad(fwdPd)))

    // ------------------------------------------------------------ backward (built on first use)
    private lazy val bwd = new Backward
    var hasGradients = false
    def diffDstLayer: Mem = bwd.diffDstLayer
    def diffDstIterC: Mem = bwd.diffDstIterC
    def diffSrcLayer: Mem = bwd.diffSrcLayer
    def diffSrcIter: Mem = bwd.diffSrcIter
    def diffSrcIterC: Mem = bwd.diffSrcIterC

    private final class Backward {
      private val pd: dnnl_primitive_desc = {
        val p = new dnnl_primitive_desc()
        val st = if (c) dnnl_lstm_backward_primitive_desc_create(p, Runtime.engine, dnnl_backward, dnnl_unidirectional_left2right,
          mdSrcLayerP, mdStateP, mdState, mdWL, mdWI, null, null, mdBias, mdDstLayerP, mdStateP, mdState,
          mdSrcLayer, mdState, mdState, mdDiffWL, mdDiffWI, null, null, mdBias, mdDstLayer, mdState, mdState,
          dnnl_rnn_flags_undef, fwdPd, attrs)
        else dnnl_lbr_gru_backward_primitive_desc_create(p, Runtime.engine, dnnl_backward, dnnl_unidirectional_left2right,
          mdSrcLayerP, mdStateP, mdWL, mdWI, mdBias, mdDstLayerP, mdStateP,
          mdSrcLayer, mdState, mdDiffWL, mdDiffWI, mdBias, mdDstLayer, mdState, dnnl_rnn_flags_undef, fwdPd, attrs)
        check(st, s"${kind.name} backward primitive descriptor (T=$t, B=$b, I=$inputSize, H=$H)")
        p
      }
      private val prim = primitive(pd, "backward")
      private val wl = Reorder(userWL, query(pd, DNNL_ARG_WEIGHTS_LAYER))
      private val wi = Reorder(userWI, query(pd, DNNL_ARG_WEIGHTS_ITER))
      val diffDstLayer: Mem = Mem(mdDstLayer)
      val diffDstIter: Mem = Mem(mdState)
      val diffDstIterC: Mem = if (c) Mem(mdState) else null
      val diffSrcLayer: Mem = Mem(mdSrcLayer)
      val diffSrcIter: Mem = Mem(mdState)
      val diffSrcIterC: Mem = if (c) Mem(mdState) else null
      val diffWL: Mem = Mem(query(pd, DNNL_ARG_DIFF_WEIGHTS_LAYER))
      val diffWI: Mem = Mem(query(pd, DNNL_ARG_DIFF_WEIGHTS_ITER))
      val diffBias: Mem = Mem(mdBias)
      val userDiffWL: Reorder = Reorder(diffWL, mdUserWL)
      val userDiffWI: Reorder = Reorder(diffWI, mdUserWI)
      private val bwdArgs = args(Seq(DNNL_ARG_SRC_LAYER -> srcLayer.prim, DNNL_ARG_SRC_ITER -> srcIter.prim,
        DNNL_ARG_WEIGHTS_LAYER -> wl.dst, DNNL_ARG_WEIGHTS_ITER -> wi.dst, DNNL_ARG_BIAS -> bias,
        DNNL_ARG_DST_LAYER -> dstLayer.prim, DNNL_ARG_DST_ITER -> dstIter, DNNL_ARG_WORKSPACE -> workspace,
        DNNL_ARG_DIFF_DST_LAYER -> diffDstLayer, DNNL_ARG_DIFF_DST_ITER -> diffDstIter,
        DNNL_ARG_DIFF_SRC_LAYER -> diffSrcLayer, DNNL_ARG_DIFF_SRC_ITER -> diffSrcIter,
        DNNL_ARG_DIFF_WEIGHTS_LAYER -> diffWL, DNNL_ARG_DIFF_WEIGHTS_ITER -> diffWI, DNNL_ARG_DIFF_BIAS -> diffBias) ++
        (if (c) Seq(DNNL_ARG_SRC_ITER_C -> srcIterC, DNNL_ARG_DST_ITER_C -> dstIterC, DNNL_ARG_DIFF_DST_ITER_C -> diffDstIterC,
          DNNL_ARG_DIFF_SRC_ITER_C -> diffSrcIterC) else Nil) :+ (DNNL_ARG_SCRATCHPAD -> scratchpad(pd)))

      def run(): Unit = {
        wl.run(); wi.run()
        diffDstIter.zero(); diffWL.zero(); diffWI.zero(); diffBias.zero() // oneDNN accumulates into the diff weights
        execute(prim, bwdArgs, "backward")
        userDiffWL.run(); userDiffWI.run()
      }
    }

    // the parameters last loaded: a call with the same values (inference, evaluation) skips the copies and reorders
    private val loaded = new Array[Array[Float]](4)

    def loadWeights(p: Params): Unit = {
      val ws = Seq(p.weightIH, p.weightHH, p.bias) ++ Option(p.biasHH)
      if (!ws.indices.forall(i => sameValues(loaded(i), ws(i)))) {
        putGates(userWL, p.weightIH, inputSize)
        putGates(userWI, p.weightHH, H)
        putBias(p)
        fwdWL.run(); fwdWI.run()
        for (i <- ws.indices) loaded(i) = copyValues(loaded(i), ws(i))
      }
    }

    def runForward(): Unit = {
      srcLayer.load(); srcIter.load()
      execute(fwd, fwdArgs, "forward")
      dstLayer.store()
      hasGradients = false
    }

    def runBackward(): Unit = {
      require(training, s"${kind.name} oneDNN kernel: backward after an inference forward")
      bwd.run(); hasGradients = true
    }

    def addGradients(g: Params): Unit = {
      addGates(bwd.userDiffWL.dst, g.weightIH, inputSize)
      addGates(bwd.userDiffWI.dst, g.weightHH, H)
      val d = bwd.diffBias.buffer
      if (kind == Lstm) addRange(d, 0, g.bias, 0, G * H)
      else { // Ember r, z, n against oneDNN u, r, o, u'
        for (eg <- 0 until 3) addRange(d, kind.toDnn(eg) * H, g.bias, eg * H, H)
        addRange(d, 1 * H, g.biasHH, 0, H); addRange(d, 0, g.biasHH, H, H); addRange(d, 3 * H, g.biasHH, 2 * H, H)
      }
    }

    /** Copies an Ember [G * H, cols] weight into `m` (ldgoi) in oneDNN's gate order. */
    private def putGates(m: Mem, w: Tensor, cols: Int): Unit = {
      val buf = m.buffer
      val wc = w.contiguous()
      for (eg <- 0 until G) buf.put(kind.toDnn(eg) * H * cols, wc.storage, wc.offset + eg * H * cols, H * cols)
    }

    private def addGates(m: Mem, w: Tensor, cols: Int): Unit =
      for (eg <- 0 until G) addRange(m.buffer, kind.toDnn(eg) * H * cols, w, eg * H * cols, H * cols)

    private def putBias(p: Params): Unit = {
      val buf = bias.buffer
      val bi = p.bias.contiguous()
      if (kind == Lstm) buf.put(0, bi.storage, bi.offset, G * H)
      else {
        val bh = p.biasHH.contiguous()
        val tmp = new Array[Float](H)
        for (eg <- 0 until 2) {
          var j = 0
          while (j < H) { tmp(j) = bi.storage(bi.offset + eg * H + j) + bh.storage(bh.offset + eg * H + j); j += 1 }
          buf.put(kind.toDnn(eg) * H, tmp, 0, H)
        }
        buf.put(2 * H, bi.storage, bi.offset + 2 * H, H)
        buf.put(3 * H, bh.storage, bh.offset + 2 * H, H)
      }
    }
  }
}

/** The cell kinds, the parameter bundle and the small oneDNN helpers of [[RnnKernel]]. */
object RnnKernel {
  type Tensor = ember.tensor.Tensor

  private val MaxPlans = 4
  private val log = org.slf4j.LoggerFactory.getLogger(classOf[RnnKernel])

  /**
   * A sequence handed to [[RnnKernel.forward]]: `t` steps of `b` samples in `x` from `offset`, time-major
   * ([T, B, features]) or, with `batchFirst`, [B, T, features].
   */
  final case class Sequence(x: Array[Float], offset: Int, t: Int, b: Int, batchFirst: Boolean)

  /** What a [[RnnKernel]] plan is built for: steps, (padded) batch, layout, training and bf16 mode. */
  private final case class PlanKey(t: Int, b: Int, batchFirst: Boolean, training: Boolean, bf16: Boolean)

  /** A cell kind: gate count, state count (h, or h and c), bias rows, and Ember gate index -> oneDNN gate index. */
  sealed abstract class Kind(val name: String, val gates: Int, val states: Int, val biasGates: Int, val toDnn: Array[Int])
  case object Lstm extends Kind("LSTM", 4, 2, 4, Array(0, 1, 2, 3))
  case object LbrGru extends Kind("GRU", 3, 1, 4, Array(1, 0, 2))

  /** Weights (or their gradients) of a cell in Ember's layout; biasHH only for GRU. */
  final case class Params(weightIH: Tensor, weightHH: Tensor, bias: Tensor, biasHH: Tensor)

  /** The engine and this thread's stream from [[Dnn]] (which also sets the thread's OpenMP team size). */
  private object Runtime {
    def engine: dnnl_engine = Dnn.engine.get()
    def stream: dnnl_stream = Dnn.enter().get()
  }

  private[dnn] def check(status: Int, what: String): Unit =
    if (status != dnnl_success) throw new IllegalStateException(s"oneDNN: $what failed with status $status")

  private def md(dims: Array[Int], tag: Int, dataType: Int = dnnl_f32): dnnl_memory_desc = {
    val m = new dnnl_memory_desc()
    check(dnnl_memory_desc_create_with_tag(m, dims.length, dims.map(_.toLong), dataType, tag), s"memory descriptor ${dims.mkString("x")}")
    m
  }

  /**
   * Primitive attributes: a user-managed scratchpad (oneDNN's default library-managed one is shared between
   * primitives and crashed when two model replicas ran their LSTMs at the same time). bf16 is chosen by the data
   * types of a plan's memory descriptors (oneDNN's RNN primitives ignore the bf16 floating-point math mode).
   */
  private def attr(): dnnl_primitive_attr = {
    val a = new dnnl_primitive_attr()
    check(dnnl_primitive_attr_create(a), "primitive attributes")
    check(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "user scratchpad")
    a
  }

  /** The scratchpad buffer `pd` asks for (its own: plans never share one). */
  private def scratchpad(pd: dnnl_primitive_desc): Mem = Mem(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0))

  private def query(pd: dnnl_primitive_desc, arg: Int): dnnl_memory_desc = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg)

  private def primitive(pd: dnnl_primitive_desc, what: String): dnnl_primitive = {
    val p = new dnnl_primitive()
    check(dnnl_primitive_create(p, pd), s"$what primitive")
    p
  }

  /** A native buffer described by `desc`, with a memory object over it and a float view (float32 buffers). */
  private final class Mem(val desc: dnnl_memory_desc) {
    val bytes: Long = dnnl_memory_desc_get_size(desc)
    private val data = new FloatPointer(math.max(1L, (bytes + 3) / 4))
    Pointer.memset(data, 0, bytes) // padded batch rows stay zero (finite) for the whole life of a plan
    val memory: dnnl_memory = {
      val m = new dnnl_memory()
      check(dnnl_memory_create(m, desc, Runtime.engine, data), "memory")
      m
    }
    val buffer: java.nio.FloatBuffer = data.capacity(math.max(1L, (bytes + 3) / 4)).asBuffer()
    def zero(): Unit = Pointer.memset(data, 0, bytes)
  }
  private object Mem { def apply(desc: dnnl_memory_desc): Mem = new Mem(desc) }

  /** A reorder between two memories, built once. */
  private final class Reorder(val src: Mem, val dst: Mem) {
    private val pd = {
      val pd = new dnnl_primitive_desc()
      check(dnnl_reorder_primitive_desc_create(pd, src.desc, Runtime.engine, dst.desc, Runtime.engine, attr()), "reorder")
      pd
    }
    private val prim = primitive(pd, "reorder")
    private val a = args(Seq(DNNL_ARG_FROM -> src, DNNL_ARG_TO -> dst, DNNL_ARG_SCRATCHPAD -> scratchpad(pd)))
    def run(): Unit = execute(prim, a, "reorder")
  }
  /** A reorder from `src` into a new buffer of layout `desc`. */
  private object Reorder { def apply(src: Mem, desc: dnnl_memory_desc): Reorder = new Reorder(src, Mem(desc)) }

  /**
   * A primitive argument Ember fills or reads in float32 (`user`) and the memory the primitive uses (`prim`):
   * the same memory in float32 mode, a bf16 copy converted by a reorder in bf16 mode.
   */
  private final class Staged(val user: Mem, val prim: Mem) {
    private val toPrim = if (prim eq user) null else new Reorder(user, prim)
    private val fromPrim = if (prim eq user) null else new Reorder(prim, user)
    /** user -> prim (before a primitive reads the argument). */
    def load(): Unit = if (toPrim != null) toPrim.run()
    /** prim -> user (after a primitive wrote it). */
    def store(): Unit = if (fromPrim != null) fromPrim.run()
  }
  private object Staged {
    def apply(user: dnnl_memory_desc, prim: dnnl_memory_desc): Staged = {
      val u = Mem(user)
      new Staged(u, if (dnnl_memory_desc_equal(user, prim) != 0) u else Mem(prim))
    }
  }

  private final class Args(val ptr: dnnl_exec_arg_t, val n: Int, val keep: Seq[Mem])

  private def args(items: Seq[(Int, Mem)]): Args = {
    val p = new dnnl_exec_arg_t(items.length.toLong)
    items.zipWithIndex.foreach { case ((arg, m), i) => p.position(i.toLong).arg(arg).memory(m.memory) }
    new Args(p.position(0L), items.length, items.map(_._2))
  }

  private def execute(p: dnnl_primitive, a: Args, what: String): Unit = {
    val s = Runtime.stream
    check(dnnl_primitive_execute(p, s, a.n, a.ptr), what)
    check(dnnl_stream_wait(s), s"$what (wait)")
  }

  /**
   * Copies a [t, b, cols] sequence (batch-first: [b, t, cols]) into `m`, a buffer of pb >= b samples, zeroing the
   * samples beyond b (a plan is shared by batch sizes up to pb: stale rows of a larger batch would add to the
   * weight gradients).
   */
  private def putSeq(m: Mem, src: Array[Float], off: Int, sq: Sequence, cols: Int, pb: Int): Unit = {
    val (t, b) = (sq.t, sq.b)
    if (pb == b) m.buffer.put(0, src, off, t * b * cols)
    else if (sq.batchFirst) {
      m.buffer.put(0, src, off, t * b * cols)
      val rest = (pb - b) * t * cols
      m.buffer.put(t * b * cols, new Array[Float](rest), 0, rest)
    } else {
      val zeros = new Array[Float]((pb - b) * cols)
      var s = 0
      while (s < t) {
        m.buffer.put(s * pb * cols, src, off + s * b * cols, b * cols)
        m.buffer.put((s * pb + b) * cols, zeros, 0, zeros.length)
        s += 1
      }
    }
  }

  /** Copies the [b, cols] tensor `t` into the first b rows of `m` and zeroes the rest. */
  private def putTensor(m: Mem, t: Tensor): Unit = {
    val c = t.contiguous()
    val n = c.nElement
    m.buffer.put(0, c.storage, c.offset, n)
    val rest = m.buffer.capacity() - n
    if (rest > 0) m.buffer.put(n, new Array[Float](rest), 0, rest)
  }

  /** Copies the first b samples of `m`, a buffer of pb samples, into a [t, b, cols] (batch-first [b, t, cols]) array. */
  private def getSeq(m: Mem, dst: Array[Float], off: Int, sq: Sequence, cols: Int, pb: Int): Unit = {
    val (t, b) = (sq.t, sq.b)
    if (pb == b || sq.batchFirst) m.buffer.get(0, dst, off, t * b * cols)
    else { var s = 0; while (s < t) { m.buffer.get(s * pb * cols, dst, off + s * b * cols, b * cols); s += 1 } }
  }


  private def getTensor(m: Mem, t: Tensor): Unit = {
    require(t.isContiguous, "RnnKernel: output tensors must be contiguous")
    m.buffer.get(0, t.storage, t.offset, t.nElement)
  }

  /** Whether `a` holds exactly (bit for bit) the values of `t`. */
  private def sameValues(a: Array[Float], t: Tensor): Boolean = a != null && a.length == t.nElement && {
    val c = t.contiguous()
    java.util.Arrays.equals(a, 0, a.length, c.storage, c.offset, c.offset + a.length)
  }

  /** The values of `t` in `into` (reused when it has the size). */
  private def copyValues(into: Array[Float], t: Tensor): Array[Float] = {
    val c = t.contiguous()
    val a = if (into != null && into.length == c.nElement) into else new Array[Float](c.nElement)
    System.arraycopy(c.storage, c.offset, a, 0, a.length)
    a
  }

  /** dst[dstOff + k] += buf[bufOff + k] for k < n. */
  private def addRange(buf: java.nio.FloatBuffer, bufOff: Int, dst: Tensor, dstOff: Int, n: Int): Unit = {
    require(dst.isContiguous, "RnnKernel: gradient tensors must be contiguous")
    val s = dst.storage; val o = dst.offset + dstOff
    val tmp = new Array[Float](n)
    buf.get(bufOff, tmp, 0, n) // one bulk copy: element-wise gets of a direct buffer check bounds each time
    var k = 0
    while (k < n) { s(o + k) += tmp(k); k += 1 }
  }
}
