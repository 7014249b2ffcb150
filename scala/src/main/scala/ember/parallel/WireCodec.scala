package ember.parallel

import java.nio.{ByteBuffer, ByteOrder}

/**
 * How the float32 slices exchanged by [[AllReduceParameter]] are written into block-manager blocks.
 * Only what crosses the wire is encoded: owners keep their weight slices, the optim state and the sums of
 * gradients in float32. Each pass works a block of [[WireScratch.Block]] values at a time through per-thread scratch
 * arrays (bulk copies between buffer and scratch, then a plain loop over arrays that the JIT compiles well); a
 * decode that sums also adds the squares of the sums in the same loop ([[AllReduceParameter.Squares.sum]]).
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

  /** [[decodeAdd]], and adds the squares of the results to `squares` (null: none), a block at a time, in the same loop. */
  private[parallel] def decodeAdd(in: ByteBuffer, dst: Array[Float], to: Int, n: Int, squares: AllReduceParameter.Squares): Unit

  /** [[decodeSum]], and adds the squares of the results to `squares` (null: none), a block at a time, in the same loop. */
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
      if (squares != null) squares.sum(dst, base, buf, dst, base, m)
      else { var i = 0; while (i < m) { dst(base + i) += buf(i); i += 1 } }
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
      if (squares != null) squares.sum(a, s, buf, dst, d, m)
      else { var i = 0; while (i < m) { dst(d + i) = a(s + i) + buf(i); i += 1 } }
      done += m
    }
    in.position(in.position() + 4 * n)
  }
}

/**
 * A message of `headerBytes` bytes then `n` values of `codec`, decoded into `dst(to until to + n)` as its bytes arrive
 * in runs of any length (a transport thread's socket reads, see [[Peers.land]]): the values in each run are decoded by
 * one bulk [[WireCodec.decode]], a value split between two runs once its bytes are together; the same values bit for
 * bit as one decode of the whole message. [[result]] is the header alone (little-endian), once every value has landed.
 */
final class Decoding(codec: WireCodec, dst: Array[Float], to: Int, n: Int, headerBytes: Int) extends Transport.Landing {
  require(to >= 0 && n >= 0 && to + n <= dst.length && headerBytes >= 0,
    s"Decoding: $n values at $to of an array of ${dst.length}, header of $headerBytes bytes")
  private val header = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN)
  private val split = ByteBuffer.allocate(codec.bytesPerValue).order(ByteOrder.LITTLE_ENDIAN) // a value across two runs
  private var done = 0

  override def write(bytes: ByteBuffer): Unit = {
    bytes.order(ByteOrder.LITTLE_ENDIAN)
    while (header.hasRemaining && bytes.hasRemaining) header.put(bytes.get())
    if (split.position() > 0) finishSplit(bytes)
    if (split.position() == 0) {
      val whole = math.min(bytes.remaining() / codec.bytesPerValue, n - done)
      codec.decode(bytes, dst, to + done, whole)
      done += whole
      while (bytes.hasRemaining && split.hasRemaining) split.put(bytes.get())
    }
    require(!bytes.hasRemaining, s"Decoding: more bytes than a header of $headerBytes and $n values")
  }

  /** The rest of the value begun at the end of the last run, from the start of `bytes`, decoded once complete. */
  private def finishSplit(bytes: ByteBuffer): Unit = {
    while (split.hasRemaining && bytes.hasRemaining) split.put(bytes.get())
    if (!split.hasRemaining) {
      require(done < n, s"Decoding: more bytes than a header of $headerBytes and $n values")
      split.flip(); codec.decode(split, dst, to + done, 1); split.clear(); done += 1
    }
  }

  override def result(): ByteBuffer = {
    require(done == n && !header.hasRemaining && split.position() == 0,
      s"Decoding: the message ended after $done of $n values (header of $headerBytes bytes)")
    header.flip()
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

  /**
   * Scratch for reading float32 values as their bits and back (a Float array has no int view): [[Block]] ints, and
   * [[Block]] x 4 bytes seen as floats and as ints; a bulk put through one view and a bulk get through the other
   * are two copies within the L1 cache.
   */
  final class Bits {
    val ints = new Array[Int](Block)
    private val bytes = ByteBuffer.allocate(4 * Block).order(ByteOrder.nativeOrder())
    val asFloats: java.nio.FloatBuffer = bytes.asFloatBuffer()
    val asInts: java.nio.IntBuffer = bytes.asIntBuffer()

    /** The bits of `src(from until from + m)` into `ints(0 until m)`. */
    def load(src: Array[Float], from: Int, m: Int): Array[Int] = { asFloats.put(0, src, from, m); asInts.get(0, ints, 0, m); ints }

    /** The floats of bits `ints(0 until m)` into `dst(to until to + m)`. */
    def store(dst: Array[Float], to: Int, m: Int): Unit = { asInts.put(0, ints, 0, m); asFloats.get(0, dst, to, m) }
  }
  private val localBits = new ThreadLocal[Bits] { override def initialValue(): Bits = new Bits }

  /** This thread's [[Bits]]. */
  def bits: Bits = localBits.get()
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

  /**
   * [[round]] of the float32 with bits `bits`, as an Int (its low 16 bits), without a branch: a loop of it over an
   * Int array is vectorised by the JIT (the NaN test becomes a mask: -1 when `bits` is a NaN, else 0).
   */
  private[parallel] def roundBits(bits: Int): Int = {
    val nan = (0x7f800000 - (bits & 0x7fffffff)) >> 31
    val nearest = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16
    (nearest & ~nan) | (((bits >>> 16) | 0x40) & nan)
  }

  /** The float32 value of bfloat16 bits. */
  def widen(h: Short): Float = java.lang.Float.intBitsToFloat((h & 0xffff) << 16)

  // Each method converts a block at a time between the float array and a per-thread short scratch array, and moves the
  // block between scratch and buffer in one bulk copy (no per-value buffer call with its bounds and order checks).
  // The encodes round in three loops the JIT keeps simple: the block's float bits into an Int array (two bulk copies
  // through a scratch buffer: Float.floatToRawIntBits in the loop, and the NaN branch of [[round]], kept it from being
  // vectorised), [[roundBits]] over that array (vectorised), then the narrowing to shorts; 2.5M values: 1.1 ms
  // instead of 1.7 (bench/NOTES.md). The decodes' widening loop is already the fastest form measured.

  override def encode(src: Array[Float], from: Int, n: Int, out: ByteBuffer): Unit = encodeBlocks(src, from, n, out, null, 0)

  override def encodeKeeping(src: Array[Float], from: Int, n: Int, out: ByteBuffer, dst: Array[Float], to: Int): Unit =
    encodeBlocks(src, from, n, out, dst, to)

  /** [[encode]], and when `dst` is not null the widened values into `dst(to until to + n)` ([[encodeKeeping]]). */
  private def encodeBlocks(src: Array[Float], from: Int, n: Int, out: ByteBuffer, dst: Array[Float], to: Int): Unit = {
    val (h, scratch) = (WireScratch.shorts, WireScratch.bits)
    val view = out.order(ByteOrder.LITTLE_ENDIAN).asShortBuffer()
    var done = 0
    while (done < n) {
      val m = math.min(WireScratch.Block, n - done)
      val bits = scratch.load(src, from + done, m)
      var i = 0
      while (i < m) { bits(i) = roundBits(bits(i)); i += 1 }
      i = 0
      while (i < m) { h(i) = bits(i).toShort; i += 1 }
      view.put(h, 0, m)
      if (dst != null) {
        i = 0
        while (i < m) { bits(i) = bits(i) << 16; i += 1 } // widen: the bfloat16 in the upper half
        scratch.store(dst, to + done, m)
      }
      done += m
    }
    out.position(out.position() + 2 * n)
  }

  /** `h(0 until m)` widened into this thread's float scratch array (for [[AllReduceParameter.Squares.sum]]). */
  private def widened(h: Array[Short], m: Int): Array[Float] = {
    val f = WireScratch.floats
    var i = 0
    while (i < m) { f(i) = widen(h(i)); i += 1 }
    f
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
      if (squares != null) squares.sum(dst, base, widened(h, m), dst, base, m)
      else { var i = 0; while (i < m) { dst(base + i) += widen(h(i)); i += 1 } }
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
      if (squares != null) squares.sum(a, s, widened(h, m), dst, d, m)
      else { var i = 0; while (i < m) { dst(d + i) = a(s + i) + widen(h(i)); i += 1 } }
      done += m
    }
    in.position(in.position() + 2 * n)
  }
}
