package ember.tensor.dnn

import org.bytedeco.javacpp.{BytePointer, FloatPointer, IntPointer}
import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.{Int8Weights, Tensor}

/**
 * Int8 inference on oneDNN: a convolution or an inner product (Linear) with u8 or s8 inputs, s8 weights, a float
 * bias, an optional fused activation and a float output, for Ember's quantized layers (see
 * [[ember.tensor.Int8Kernels]] for the scheme).
 *
 * One call: the float input is copied into a plain native buffer and quantized by a oneDNN reorder straight into
 * the primitive's (blocked) layout, with the input's step as the reorder's destination scale (so no JVM loop
 * touches the activations); oneDNN multiplies the integers with its int8 instructions (AMX, VNNI, or AVX2's
 * vpmaddubsw) into int32 and returns to float with its runtime scales: the input's step (one, `DNNL_ARG_SRC`)
 * times the weights' steps (one per output channel, mask 1), plus the bias, then the activation as an eltwise
 * post-op (ReLU or tanh folded in by the quantizer), as oneDNN 3 defines it; a reorder brings the result back
 * to NCHW.
 *
 * Weights are packed once per layer: reordered to the primitive's layout and kept, with their steps and bias, in
 * native memory attached to the layer's [[Int8Weights]] (which the layer remakes when its buffers change);
 * layers with the same geometry share a primitive but not weights. Primitives are built once per geometry,
 * input sign, activation and thread.
 *
 * Signed inputs of a convolution on a CPU without VNNI go to oneDNN as u8 with a zero point of 128 (q + 128),
 * not as s8: there oneDNN halves s8 x s8 weights in its reorder to keep vpmaddubsw's int16 sums from
 * saturating, which rounds them to 6 bits (outputs off by up to 4%). The quantizing reorder adds the zero point;
 * the integers, padding included, stay the JVM kernels' exactly. With VNNI (and AMX) s8 inputs go as they are.
 */
object DnnInt8 {
  private[dnn] final case class Key(conv: ConvSpec, rows: Int, k: Int, nOut: Int, bias: Boolean, unsigned: Boolean,
      activation: String)

  /** One int8 convolution of a batch: geometry, weights, input step and sign, fused activation. */
  final case class Int8Conv(spec: ConvSpec, weights: Int8Weights, step: Float, unsigned: Boolean, activation: String) {
    require(spec.groups == 1 && !spec.transposed, "DnnInt8: plain (ungrouped, not transposed) convolutions only")
    private[dnn] def key: Key = Key(spec.copy(bias = weights.bias != null), 0, 0, spec.outC, weights.bias != null, unsigned, activation)
  }

  private val plans = ThreadLocal.withInitial[java.util.HashMap[Key, Int8Plan]](() => new java.util.HashMap())
  // two convolutions in a row: the second's plan and the first's, which writes into the second's input
  private val chains = ThreadLocal.withInitial[java.util.HashMap[(Key, Key), Option[(Int8Plan, Int8Plan)]]](() => new java.util.HashMap())

  /** Whether oneDNN multiplies s8 inputs exactly here (VNNI or AMX); otherwise signed conv inputs are shifted. */
  lazy val exactSigned: Boolean = {
    val isa = api.dnnl_get_effective_cpu_isa()
    Seq(api.dnnl_cpu_isa_avx512_core_vnni, api.dnnl_cpu_isa_avx2_vnni).exists(bits => (isa & bits) == bits)
  }

  private def plan(key: Key): Int8Plan = {
    val m = plans.get()
    var p = m.get(key)
    if (p == null) { p = new Int8Plan(key.conv, key.rows, key.k, key.nOut, key.bias, key.unsigned, key.activation); m.put(key, p) }
    p
  }

  /** out [rows, nOut] = act(quantized(x) W^T scaled + bias) for a contiguous float x [rows, k]. */
  def linear(x: Tensor, rows: Int, k: Int, w: Int8Weights, step: Float, unsigned: Boolean, activation: String,
      out: Tensor): Unit =
    plan(Key(null, rows, k, w.steps.length, w.bias != null, unsigned, activation)).run(x, w, step, out)

  /** out [n, outC, outH, outW] from a contiguous float batch x [n, inC, inH, inW] and weights [outC, inC, kH, kW]. */
  def conv(c: Int8Conv, x: Tensor, out: Tensor): Unit = plan(c.key).run(x, c.weights, c.step, out)

  /**
   * `b` applied to `a`'s output, which stays int8 in between: `a`'s primitive requantizes its result with `b`'s
   * input step (oneDNN's destination scale, after the activation) straight into `b`'s input layout, so the
   * intermediate never becomes float, never crosses to the JVM and is not reordered. Same integers as running
   * them one after the other, up to float rounding of the requantization. False (nothing done) when this
   * oneDNN cannot write `b`'s input from `a`, or `b` needs the shifted signed input (CPUs without VNNI).
   */
  def chain(a: Int8Conv, b: Int8Conv, x: Tensor, out: Tensor): Boolean = {
    val m = chains.get()
    val pair = (a.key, b.key)
    var p = m.get(pair)
    if (p == null) {
      p = if (!b.unsigned && !exactSigned) None else {
        val second = new Int8Plan(b.key.conv, 0, 0, b.key.nOut, b.key.bias, b.unsigned, b.activation)
        try Some((new Int8Plan(a.key.conv, 0, 0, a.key.nOut, a.key.bias, a.unsigned, a.activation, second), second))
        catch { case e: RuntimeException => Int8Plan.log.info(s"int8 convolutions not chained: ${e.getMessage}"); None }
      }
      m.put(pair, p)
    }
    p.foreach { case (first, second) =>
      first.runInto(x, a.weights, a.step, b.step)
      second.runLoaded(b.weights, b.step, out)
    }
    p.isDefined
  }

  /** A layer's packed weights: by primitive, the argument map; by weights layout, the reordered weights. */
  private[dnn] final class Packs(val w: Int8Weights) {
    val args = new java.util.IdentityHashMap[Int8Plan, IntMemoryMap]()
    val layouts = new java.util.ArrayList[(memory.desc, memory)]()
    lazy val bias: memory = {
      val m = new memory(DnnMemory.desc(Seq(w.bias.length), memory.format_tag.x), Dnn.engine)
      new FloatPointer(m.get_data_handle()).capacity(w.bias.length.toLong).put(w.bias, 0, w.bias.length)
      m
    }
    val steps: memory = {
      val m = new memory(DnnMemory.desc(Seq(w.steps.length), memory.format_tag.x), Dnn.engine)
      new FloatPointer(m.get_data_handle()).capacity(w.steps.length.toLong).put(w.steps, 0, w.steps.length)
      m
    }
  }

  private[dnn] def packs(w: Int8Weights): Packs = w.synchronized {
    w.native match {
      case p: Packs => p
      case _ => val p = new Packs(w); w.native = p; p
    }
  }
}

/**
 * The primitive and buffers of one int8 convolution (`s` non-null) or inner product on one thread. With `into`,
 * the output is not float: it is requantized into `into`'s input memory, in its layout and data type.
 */
private final class Int8Plan(s: ConvSpec, rows: Int, k: Int, nOut: Int, withBias: Boolean, unsigned: Boolean,
    activation: String, into: Int8Plan = null) {
  import DnnMemory.{args, longs, scratchpad}

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  // signed conv input as u8 with zero point 128 where s8 would lose precision (see DnnInt8)
  private val shifted = s != null && !unsigned && !DnnInt8.exactSigned
  private val inType = if (unsigned || shifted) memory.data_type.u8 else memory.data_type.s8
  private val (srcDims, wDims, dstDims, plainSrc, plainW, plainDst) =
    if (s != null) (Seq(s.n, s.inC, s.inH, s.inW), Seq(s.outC, s.inC, s.kH, s.kW), Seq(s.n, s.outC, s.outH, s.outW),
      memory.format_tag.nchw, memory.format_tag.oihw, memory.format_tag.nchw)
    else (Seq(rows, k), Seq(nOut, k), Seq(rows, nOut), memory.format_tag.nc, memory.format_tag.oi, memory.format_tag.nc)

  private def md(dims: Seq[Int], t: memory.data_type, tag: memory.format_tag) = new memory.desc(dims.map(_.toLong).toArray, t, tag)
  private val any = memory.format_tag.any

  private val attr = {
    val a = DnnMemory.attr()
    a.set_scales_mask(api.DNNL_ARG_SRC, 0)
    a.set_scales_mask(api.DNNL_ARG_WEIGHTS, 1) // one step per output channel (dimension 0 of the weights)
    if (shifted) a.set_zero_points_mask(api.DNNL_ARG_SRC, 0)
    if (into != null) a.set_scales_mask(api.DNNL_ARG_DST, 0) // the next layer's input step
    if (activation.nonEmpty) {
      val po = new post_ops()
      po.append_eltwise(if (activation == "relu") api.algorithm.eltwise_relu else api.algorithm.eltwise_tanh, 0f, 0f)
      a.set_post_ops(po)
    }
    a
  }
  private val biasDesc = if (withBias) DnnMemory.desc(Seq(nOut), memory.format_tag.x) else new memory.desc()
  private val dstDesc = if (into != null) into.srcDesc else md(dstDims, memory.data_type.f32, any)
  private val pd: primitive_desc =
    if (s != null) {
      val (padH, padW) = s.padEnd
      new convolution_forward.primitive_desc(eng, api.prop_kind.forward_inference, api.algorithm.convolution_direct,
        md(srcDims, inType, any), md(wDims, memory.data_type.s8, any), biasDesc, dstDesc,
        longs(s.strideH, s.strideW), longs(s.dilationH - 1, s.dilationW - 1), longs(s.padH, s.padW), longs(padH, padW), attr, false)
    } else new inner_product_forward.primitive_desc(eng, api.prop_kind.forward_inference, md(srcDims, inType, any),
      md(wDims, memory.data_type.s8, any), biasDesc, md(dstDims, memory.data_type.f32, any), attr, false)
  private val prim: primitive =
    if (s != null) new convolution_forward(pd.asInstanceOf[convolution_forward.primitive_desc])
    else new inner_product_forward(pd.asInstanceOf[inner_product_forward.primitive_desc])

  private val src = new QuantizingInput(DnnMemory.desc(srcDims, plainSrc), pd.src_desc(), shifted)
  private val dst = if (into != null) null else new DnnMemory(DnnMemory.desc(dstDims, plainDst), pd.dst_desc())
  private val dstMem = if (into != null) into.srcMemory else dst.primMem
  private lazy val dstScale = new memory(DnnMemory.desc(Seq(1), memory.format_tag.x), eng)
  private lazy val dstScaleData = new FloatPointer(dstScale.get_data_handle()).capacity(1L)
  private val srcScale = new memory(DnnMemory.desc(Seq(1), memory.format_tag.x), eng)
  private val srcScaleData = new FloatPointer(srcScale.get_data_handle()).capacity(1L)
  private val zeroPoint = if (shifted) src.zeroPoint else null
  private val scratch = scratchpad(pd)
  private val wDesc = pd.weights_desc()

  /** The input memory in the primitive's layout and type (what a chained plan before this one writes). */
  def srcDesc: memory.desc = pd.src_desc()
  def srcMemory: memory = src.primMem

  /** The argument map for these weights, packing them to this primitive's layout on first use. */
  private def argsFor(w: Int8Weights): IntMemoryMap = {
    val p = DnnInt8.packs(w)
    p.synchronized {
      var m = p.args.get(this)
      if (m == null) {
        m = args(Seq(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_WEIGHTS -> packed(p), api.DNNL_ARG_DST -> dstMem,
          scratch, (api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_SRC) -> srcScale,
          (api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_WEIGHTS) -> p.steps) ++
          (if (withBias) Seq(api.DNNL_ARG_BIAS -> p.bias) else Nil) ++
          (if (shifted) Seq((api.DNNL_ARG_ATTR_ZERO_POINTS | api.DNNL_ARG_SRC) -> zeroPoint) else Nil) ++
          (if (into != null) Seq((api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_DST) -> dstScale) else Nil): _*)
        p.args.put(this, m)
      }
      m
    }
  }

  /** The weights in this primitive's layout: shared with earlier primitives that chose the same one. */
  private def packed(p: DnnInt8.Packs): memory = {
    val it = p.layouts.iterator()
    while (it.hasNext) { val (d, m) = it.next(); if (d.equals(wDesc)) return m }
    val user = new memory(md(wDims, memory.data_type.s8, plainW), eng)
    new BytePointer(user.get_data_handle()).capacity(p.w.bytes.length.toLong).put(p.w.bytes, 0, p.w.bytes.length)
    val m = if (wDesc.equals(user.get_desc())) user else {
      val to = new memory(wDesc, eng)
      DnnMemory.Reorder(user, to).run(strm)
      strm._wait()
      to
    }
    p.layouts.add((wDesc, m))
    m
  }

  def run(x: Tensor, w: Int8Weights, step: Float, out: Tensor): Unit = {
    src.load(strm, x.storage, x.offset, step)
    runLoaded(w, step, out)
  }

  /** Runs on the input already in [[srcMemory]] (written by the plan chained before this one). */
  def runLoaded(w: Int8Weights, step: Float, out: Tensor): Unit = {
    require(w.steps.length == nOut, s"DnnInt8: ${w.steps.length} weight steps for $nOut outputs")
    val execArgs = argsFor(w)
    srcScaleData.position(0).put(step)
    prim.execute(strm, execArgs)
    dst.store(strm, out.storage, out.offset)
  }

  /** Runs a plan built with `into`: the result, requantized with `nextStep`, lands in `into`'s input memory. */
  def runInto(x: Tensor, w: Int8Weights, step: Float, nextStep: Float): Unit = {
    require(w.steps.length == nOut, s"DnnInt8: ${w.steps.length} weight steps for $nOut outputs")
    val execArgs = argsFor(w)
    src.load(strm, x.storage, x.offset, step)
    srcScaleData.position(0).put(step)
    dstScaleData.position(0).put(nextStep)
    prim.execute(strm, execArgs)
  }
}

private object Int8Plan {
  val log: org.slf4j.Logger = org.slf4j.LoggerFactory.getLogger(classOf[Int8Plan])
}

/**
 * The float input of an int8 primitive: a plain f32 buffer the array is copied into and a oneDNN reorder that
 * quantizes it into the primitive's layout and data type (u8 or s8), with the step as destination scale
 * (q = saturate(round(x / step)), half to even) and, for `shifted` inputs, the zero point 128.
 */
private final class QuantizingInput(user: memory.desc, primDesc: memory.desc, shifted: Boolean) {
  import DnnMemory.{args, attr, scratchpad}

  private val eng = Dnn.engine
  private val userMem = new memory(user, eng)
  val primMem: memory = new memory(primDesc, eng)
  private val elements = (user.get_size() / 4).toInt
  private val data = new FloatPointer(userMem.get_data_handle()).capacity(elements.toLong)
  private val scale = new memory(DnnMemory.desc(Seq(1), memory.format_tag.x), eng)
  private val scaleData = new FloatPointer(scale.get_data_handle()).capacity(1L)
  val zeroPoint: memory = if (!shifted) null else {
    val m = new memory(new memory.desc(Array(1L), memory.data_type.s32, memory.format_tag.x), eng)
    new IntPointer(m.get_data_handle()).capacity(1L).put(128)
    m
  }
  private val pd = {
    val a = attr()
    a.set_scales_mask(api.DNNL_ARG_TO, 0)
    if (shifted) a.set_zero_points_mask(api.DNNL_ARG_TO, 0)
    new reorder.primitive_desc(userMem, primMem, a, false)
  }
  private val prim = new reorder(pd)
  private val map = args(Seq(api.DNNL_ARG_FROM -> userMem, api.DNNL_ARG_TO -> primMem, scratchpad(pd),
    (api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_TO) -> scale) ++
    (if (shifted) Seq((api.DNNL_ARG_ATTR_ZERO_POINTS | api.DNNL_ARG_TO) -> zeroPoint) else Nil): _*)

  /** Copies `elements` floats from `arr` at `off` and quantizes them with `step` into [[primMem]]. */
  def load(s: stream, arr: Array[Float], off: Int, step: Float): Unit = {
    require(off >= 0 && off + elements <= arr.length, s"DnnInt8: $elements floats at $off exceed ${arr.length}")
    data.position(0).put(arr, off, elements)
    scaleData.position(0).put(step)
    prim.execute(s, map)
  }
}
