package ember.parallel

import java.nio.{ByteBuffer, ByteOrder}

/**
 * How the float32 slices exchanged by [[AllReduceParameter]] are written into block-manager blocks.
 * Only what crosses the wire is encoded: owners keep their weight slices, the optim state and the sums of
 * gradients in float32.
 */
sealed trait WireCodec extends Serializable {

  /** Bytes per encoded value. */
  def bytesPerValue: Int

  /** Writes `src(from until from + n)` at the buffer's position (little-endian), advancing it. */
  def encode(src: Array[Float], from: Int, n: Int, out: ByteBuffer): Unit

  /** Reads `n` values at the buffer's position into `dst(to until to + n)`, advancing it. */
  def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit

  /** Reads `n` values at the buffer's position and adds them to `dst(to until to + n)`, advancing it. */
  def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit

  def name: String
}

object WireCodec {

  /** The codec of a name: "none" (float32) or "bf16" (bfloat16, rounded to nearest even). */
  def apply(name: String): WireCodec = name match {
    case "none" | "fp32" => NoCompression
    case "bf16" => BFloat16
    case other => throw new IllegalArgumentException(s"unknown wire codec '$other'; expected 'none' or 'bf16'")
  }
}

/** Float32 as is: lossless, 4 bytes per value. */
case object NoCompression extends WireCodec {
  override def bytesPerValue: Int = 4
  override def name: String = "none"

  override def encode(src: Array[Float], from: Int, n: Int, out: ByteBuffer): Unit = {
    out.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(src, from, n)
    out.position(out.position() + 4 * n)
  }

  override def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    in.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, to, n)
    in.position(in.position() + 4 * n)
  }

  /**
   * Bulk-decodes into a per-thread scratch array, then adds: reading a FloatBuffer view value by value took
   * several times longer than the copy, and at offset 0 the add loop indexes both arrays alike, which the JIT
   * vectorises.
   */
  override def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    val buf = WireScratch.floats(n)
    in.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(buf, 0, n)
    var i = 0
    if (to == 0) while (i < n) { dst(i) += buf(i); i += 1 }
    else while (i < n) { dst(to + i) += buf(i); i += 1 }
    in.position(in.position() + 4 * n)
  }
}

/** Per-thread scratch arrays of the codecs (not a field of the codec objects, which are serialized with the plan). */
private object WireScratch {
  private val local = new ThreadLocal[Array[Float]] { override def initialValue(): Array[Float] = new Array[Float](0) }

  /** A scratch array of at least `n` floats for this thread (grown as needed, then reused). */
  def floats(n: Int): Array[Float] = {
    var a = local.get()
    if (a.length < n) { a = new Array[Float](n); local.set(a) }
    a
  }
}

/**
 * bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits), 2 bytes per value. Unlike
 * BigDL's "FP16", which truncated (a bias toward zero of half a unit in the last place on average, that
 * accumulates in sums), values are rounded to the nearest bfloat16, ties to even; NaN stays NaN and
 * values that round beyond the largest bfloat16 become infinite, as in IEEE rounding.
 */
case object BFloat16 extends WireCodec {
  override def bytesPerValue: Int = 2
  override def name: String = "bf16"

  /** The bfloat16 bits of `f`, rounded to nearest even. */
  def round(f: Float): Short = {
    val bits = java.lang.Float.floatToRawIntBits(f)
    if ((bits & 0x7fffffff) > 0x7f800000) ((bits >>> 16) | 0x40).toShort // NaN: keep sign, force a quiet NaN
    else ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16).toShort
  }

  /** The float32 value of bfloat16 bits. */
  def widen(h: Short): Float = java.lang.Float.intBitsToFloat((h & 0xffff) << 16)

  override def encode(src: Array[Float], from: Int, n: Int, out: ByteBuffer): Unit = {
    val sb = out.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var i = 0
    while (i < n) { sb.put(i, round(src(from + i))); i += 1 }
    out.position(out.position() + 2 * n)
  }

  override def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    val sb = in.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var i = 0
    while (i < n) { dst(to + i) = widen(sb.get(i)); i += 1 }
    in.position(in.position() + 2 * n)
  }

  override def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    val sb = in.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var i = 0
    while (i < n) { dst(to + i) += widen(sb.get(i)); i += 1 }
    in.position(in.position() + 2 * n)
  }
}
