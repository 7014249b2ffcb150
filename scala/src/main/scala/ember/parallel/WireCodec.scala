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

  /** [[encode]], and writes the values as [[decode]] will read them back to `dst(to until to + n)`, in one pass. */
  def encodeKeeping(src: Array[Float], from: Int, n: Int, out: ByteBuffer, dst: Array[Float], to: Int): Unit

  /** Reads `n` values at the buffer's position into `dst(to until to + n)`, advancing it. */
  def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit

  /** Reads `n` values at the buffer's position and adds them to `dst(to until to + n)`, advancing it. */
  def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = decodeAdd(in, dst, to, n, null)

  /** Reads `n` values at the buffer's position and writes `a(from + i) + value i` to `dst(to + i)`, advancing it. */
  def decodeSum(in: ByteBuffer, a: Array[Float], from: Int, dst: Array[Float], to: Int, n: Int): Unit =
    decodeSum(in, a, from, dst, to, n, null)

  /** [[decodeAdd]], and adds the squares of the results to `squares` (null: none), a block at a time while it is in the L1 cache. */
  private[parallel] def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int, squares: AllReduceParameter.Squares): Unit

  /** [[decodeSum]], and adds the squares of the results to `squares` (null: none), a block at a time while it is in the L1 cache. */
  private[parallel] def decodeSum(in: ByteBuffer, a: Array[Float], from: Int, dst: Array[Float], to: Int, n: Int,
      squares: AllReduceParameter.Squares): Unit

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

  override def encodeKeeping(src: Array[Float], from: Int, n: Int, out: ByteBuffer, dst: Array[Float], to: Int): Unit = {
    encode(src, from, n, out)
    System.arraycopy(src, from, dst, to, n)
  }

  override def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    in.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, to, n)
    in.position(in.position() + 4 * n)
  }

  /**
   * Bulk-decodes a block at a time into a per-thread scratch array that stays in the L1 cache, then adds: reading a
   * FloatBuffer view value by value took several times longer than the copy, and a scratch array as long as the
   * message made the add a third pass over memory.
   */
  override private[parallel] def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int,
      squares: AllReduceParameter.Squares): Unit = {
    val buf = WireScratch.floats
    val view = in.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      view.get(buf, 0, m)
      val base = to + done
      var i = 0
      while (i < m) { dst(base + i) += buf(i); i += 1 }
      if (squares != null) squares.add(dst, base, m)
      done += m
    }
    in.position(in.position() + 4 * n)
  }

  override private[parallel] def decodeSum(in: ByteBuffer, a: Array[Float], from: Int, dst: Array[Float], to: Int, n: Int,
      squares: AllReduceParameter.Squares): Unit = {
    val buf = WireScratch.floats
    val view = in.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      view.get(buf, 0, m)
      val d = to + done; val s = from + done
      var i = 0
      while (i < m) { dst(d + i) = a(s + i) + buf(i); i += 1 }
      if (squares != null) squares.add(dst, d, m)
      done += m
    }
    in.position(in.position() + 4 * n)
  }
}

/** Per-thread scratch arrays of the codecs (not a field of the codec objects, which are serialized with the plan). */
private object WireScratch {
  /** Values converted per block: 8 KB of floats, 4 KB of bfloat16, both in the L1 cache with the block being read. */
  val Block = 2048
  private val localFloats = new ThreadLocal[Array[Float]] { override def initialValue(): Array[Float] = new Array[Float](Block) }
  private val localShorts = new ThreadLocal[Array[Short]] { override def initialValue(): Array[Short] = new Array[Short](Block) }

  /** This thread's scratch array of [[Block]] floats. */
  def floats: Array[Float] = localFloats.get()

  /** This thread's scratch array of [[Block]] shorts. */
  def shorts: Array[Short] = localShorts.get()
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

  // Each method converts a block at a time between the float array and a per-thread short scratch array, and moves the
  // block between scratch and buffer in one bulk copy (no per-value buffer call with its bounds and order checks).

  override def encode(src: Array[Float], from: Int, n: Int, out: ByteBuffer): Unit = {
    val h = WireScratch.shorts
    val view = out.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      val base = from + done
      var i = 0
      while (i < m) { h(i) = round(src(base + i)); i += 1 }
      view.put(h, 0, m)
      done += m
    }
    out.position(out.position() + 2 * n)
  }

  override def encodeKeeping(src: Array[Float], from: Int, n: Int, out: ByteBuffer, dst: Array[Float], to: Int): Unit = {
    val h = WireScratch.shorts
    val view = out.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      val s = from + done; val d = to + done
      var i = 0
      while (i < m) { val r = round(src(s + i)); h(i) = r; dst(d + i) = widen(r); i += 1 }
      view.put(h, 0, m)
      done += m
    }
    out.position(out.position() + 2 * n)
  }

  override def decode(in: ByteBuffer, dst: Array[Float], to: Int, n: Int): Unit = {
    val h = WireScratch.shorts
    val view = in.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      view.get(h, 0, m)
      val base = to + done
      var i = 0
      while (i < m) { dst(base + i) = widen(h(i)); i += 1 }
      done += m
    }
    in.position(in.position() + 2 * n)
  }

  override private[parallel] def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int,
      squares: AllReduceParameter.Squares): Unit = {
    val h = WireScratch.shorts
    val view = in.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      view.get(h, 0, m)
      val base = to + done
      var i = 0
      while (i < m) { dst(base + i) += widen(h(i)); i += 1 }
      if (squares != null) squares.add(dst, base, m)
      done += m
    }
    in.position(in.position() + 2 * n)
  }

  override private[parallel] def decodeSum(in: ByteBuffer, a: Array[Float], from: Int, dst: Array[Float], to: Int, n: Int,
      squares: AllReduceParameter.Squares): Unit = {
    val h = WireScratch.shorts
    val view = in.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      view.get(h, 0, m)
      val d = to + done; val s = from + done
      var i = 0
      while (i < m) { dst(d + i) = a(s + i) + widen(h(i)); i += 1 }
      if (squares != null) squares.add(dst, d, m)
      done += m
    }
    in.position(in.position() + 2 * n)
  }
}
