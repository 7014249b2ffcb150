package ember.tensor.dnn

import org.bytedeco.javacpp.{BytePointer, FloatPointer}
import org.bytedeco.dnnl._
import org.bytedeco.dnnl.global.{dnnl => api}

import ember.tensor.Tensor

/**
 * Int8 inference on oneDNN: a convolution or an inner product (Linear) with u8 or s8 inputs, s8 weights, a float
 * bias and a float output, for Ember's quantized layers (see [[ember.tensor.Int8Kernels]] for the scheme).
 *
 * The integers come from the caller, already quantized by `Int8Kernels.quantize` (so both kernel sets see the
 * same ones); oneDNN multiplies them with its int8 instructions (VNNI, AMX, or AVX2's vpmaddubsw) into int32
 * and returns to float with its runtime scales: the input's step (one, `DNNL_ARG_SRC`) times the weights'
 * steps (one per output channel, mask 1), plus the bias, as oneDNN 3 defines it.
 *
 * Signed inputs of a convolution go to oneDNN as u8 with a zero point of 128 (q + 128, the sign bit flipped),
 * not as s8: for s8 inputs without VNNI, oneDNN halves the weights in its reorder to keep vpmaddubsw's int16
 * sums from saturating, which rounds them to 6 bits (outputs off by up to 4% here, against exact results on u8).
 * With the zero point the integers, padding included, are the caller's exactly. Primitives are built once per
 * geometry, input sign and thread, and reused; weights are reordered to the primitive's layout at every call
 * (they are small beside a batch of activations, and so a layer never holds stale packed weights).
 */
object DnnInt8 {
  private final case class Key(conv: ConvSpec, rows: Int, k: Int, nOut: Int, bias: Boolean, unsigned: Boolean)

  private val plans = ThreadLocal.withInitial[java.util.HashMap[Key, Int8Plan]](() => new java.util.HashMap())

  private def plan(key: Key): Int8Plan = {
    val m = plans.get()
    var p = m.get(key)
    if (p == null) { p = new Int8Plan(key.conv, key.rows, key.k, key.nOut, key.bias, key.unsigned); m.put(key, p) }
    p
  }

  /** out [rows, nOut] from quantized x [rows, k] and weights [nOut, k] (see the object's description). */
  def linear(x: Array[Byte], unsigned: Boolean, rows: Int, k: Int, w: Array[Byte], step: Float, wSteps: Array[Float],
      bias: Tensor, out: Tensor): Unit =
    plan(Key(null, rows, k, wSteps.length, bias != null, unsigned)).run(x, w, step, wSteps, bias, out)

  /** out [n, outC, outH, outW] from a quantized batch x [n, inC, inH, inW] and weights [outC, inC, kH, kW]. */
  def conv(s: ConvSpec, x: Array[Byte], unsigned: Boolean, w: Array[Byte], step: Float, wSteps: Array[Float],
      bias: Tensor, out: Tensor): Unit = {
    require(s.groups == 1 && !s.transposed, "DnnInt8.conv: plain (ungrouped, not transposed) convolutions only")
    plan(Key(s.copy(bias = bias != null), 0, 0, s.outC, bias != null, unsigned)).run(x, w, step, wSteps, bias, out)
  }
}

/** The primitive and buffers of one int8 convolution (`s` non-null) or inner product on one thread. */
private final class Int8Plan(s: ConvSpec, rows: Int, k: Int, nOut: Int, withBias: Boolean, unsigned: Boolean) {
  import DnnMemory.{args, longs, scratchpad}

  private val eng = Dnn.engine
  private val strm = Dnn.enter()
  private val shifted = s != null && !unsigned // signed conv input as u8 with zero point 128 (see above)
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
    a
  }
  private val biasDesc = if (withBias) DnnMemory.desc(Seq(nOut), memory.format_tag.x) else new memory.desc()
  private val pd: primitive_desc =
    if (s != null) {
      val (padH, padW) = s.padEnd
      new convolution_forward.primitive_desc(eng, api.prop_kind.forward_inference, api.algorithm.convolution_direct,
        md(srcDims, inType, any), md(wDims, memory.data_type.s8, any), biasDesc, md(dstDims, memory.data_type.f32, any),
        longs(s.strideH, s.strideW), longs(s.dilationH - 1, s.dilationW - 1), longs(s.padH, s.padW), longs(padH, padW), attr, false)
    } else new inner_product_forward.primitive_desc(eng, api.prop_kind.forward_inference, md(srcDims, inType, any),
      md(wDims, memory.data_type.s8, any), biasDesc, md(dstDims, memory.data_type.f32, any), attr, false)
  private val prim: primitive =
    if (s != null) new convolution_forward(pd.asInstanceOf[convolution_forward.primitive_desc])
    else new inner_product_forward(pd.asInstanceOf[inner_product_forward.primitive_desc])

  private val src = new ByteMemory(md(srcDims, inType, plainSrc), pd.src_desc())
  private val wgt = new ByteMemory(md(wDims, memory.data_type.s8, plainW), pd.weights_desc())
  private val dst = new DnnMemory(DnnMemory.desc(dstDims, plainDst), pd.dst_desc())
  private val biasMem = if (withBias) new DnnMemory(biasDesc, biasDesc) else null
  private val srcScale = new memory(DnnMemory.desc(Seq(1), memory.format_tag.x), eng)
  private val wScales = new memory(DnnMemory.desc(Seq(nOut), memory.format_tag.x), eng)
  private val srcScaleData = new FloatPointer(srcScale.get_data_handle()).capacity(1L)
  private val zeroPoint = if (!shifted) null else {
    val m = new memory(new memory.desc(Array(1L), memory.data_type.s32, memory.format_tag.x), eng)
    new org.bytedeco.javacpp.IntPointer(m.get_data_handle()).capacity(1L).put(128)
    m
  }
  private val wScaleData = new FloatPointer(wScales.get_data_handle()).capacity(nOut.toLong)
  private val execArgs = args(Seq(api.DNNL_ARG_SRC -> src.primMem, api.DNNL_ARG_WEIGHTS -> wgt.primMem,
    api.DNNL_ARG_DST -> dst.primMem, scratchpad(pd), (api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_SRC) -> srcScale,
    (api.DNNL_ARG_ATTR_SCALES | api.DNNL_ARG_WEIGHTS) -> wScales) ++
    (if (withBias) Seq(api.DNNL_ARG_BIAS -> biasMem.primMem) else Nil) ++
    (if (shifted) Seq((api.DNNL_ARG_ATTR_ZERO_POINTS | api.DNNL_ARG_SRC) -> zeroPoint) else Nil): _*)

  def run(x: Array[Byte], w: Array[Byte], step: Float, wSteps: Array[Float], bias: Tensor, out: Tensor): Unit = {
    require(wSteps.length == nOut, s"DnnInt8: ${wSteps.length} weight steps for $nOut outputs")
    src.load(strm, x, flipSign = shifted)
    wgt.load(strm, w)
    srcScaleData.position(0).put(step)
    wScaleData.position(0).put(wSteps, 0, nOut)
    if (withBias) biasMem.load(strm, bias.storage, bias.offset)
    prim.execute(strm, execArgs)
    dst.store(strm, out.storage, out.offset)
  }
}

/** An int8 argument: a plain buffer the bytes are copied into and, when the primitive wants another layout, a
 * reorder to it (for s8 weights of a convolution on AVX2 that reorder also computes oneDNN's compensation). */
private final class ByteMemory(user: memory.desc, prim: memory.desc) {
  private val eng = Dnn.engine
  private val userMem = new memory(user, eng)
  val primMem: memory = if (prim.equals(user)) userMem else new memory(prim, eng)
  private val toPrim = if (primMem eq userMem) null else DnnMemory.Reorder(userMem, primMem)
  private val bytes = user.get_size().toInt
  private val data = new BytePointer(userMem.get_data_handle()).capacity(bytes.toLong)

  private lazy val flipped = new Array[Byte](bytes)

  /** Copies the bytes in (with `flipSign`, each s8 value q as the u8 value q + 128) and reorders them. */
  def load(s: stream, arr: Array[Byte], flipSign: Boolean = false): Unit = {
    require(arr.length >= bytes, s"DnnInt8: $bytes bytes expected, got ${arr.length}")
    if (!flipSign) data.position(0).put(arr, 0, bytes)
    else {
      val f = flipped
      var i = 0
      while (i < bytes) { f(i) = (arr(i) ^ 0x80).toByte; i += 1 }
      data.position(0).put(f, 0, bytes)
    }
    if (toPrim != null) toPrim.run(s)
  }
}
