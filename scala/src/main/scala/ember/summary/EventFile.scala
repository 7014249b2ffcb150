package ember.summary

import java.io.{ByteArrayOutputStream, DataInputStream, EOFException, File, FileInputStream, BufferedInputStream}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.util.zip.CRC32C

/**
 * TensorBoard event files, written and read without TensorFlow or a protobuf library.
 *
 * A file is a sequence of TFRecords: `[u64 length][u32 masked crc32c(length)][data][u32 masked crc32c(data)]`
 * (little-endian; mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8). Each record's data is a serialized
 * `tensorflow.Event` protobuf; Ember writes only the fields TensorBoard needs for scalars:
 * {{{
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; }
 * }}}
 * The first record of a file is the Event with file_version "brain.Event:2", as TensorFlow writes it.
 */
object EventFile {

  /** One scalar read back: (step, value, wall time in seconds). */
  type Scalar = (Long, Float, Double)

  def maskedCrc(bytes: Array[Byte], off: Int, len: Int): Int = {
    val c = new CRC32C(); c.update(bytes, off, len)
    val crc = c.getValue.toInt
    ((crc >>> 15) | (crc << 17)) + 0xa282ead8
  }

  /** A TFRecord around `data`. */
  def record(data: Array[Byte]): Array[Byte] = {
    val buf = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN)
    buf.putLong(data.length.toLong)
    buf.putInt(maskedCrc(buf.array(), 0, 8))
    buf.put(data)
    buf.putInt(maskedCrc(data, 0, data.length))
    buf.array()
  }

  /** The Event that opens a file. */
  def versionEvent(wallTime: Double): Array[Byte] = {
    val out = new ByteArrayOutputStream()
    fixed64(out, 1, java.lang.Double.doubleToLongBits(wallTime))
    varintField(out, 2, 0L)
    bytesField(out, 3, "brain.Event:2".getBytes(StandardCharsets.UTF_8))
    out.toByteArray
  }

  /** An Event holding one scalar. */
  def scalarEvent(tag: String, value: Float, step: Long, wallTime: Double): Array[Byte] = {
    val v = new ByteArrayOutputStream()
    bytesField(v, 1, tag.getBytes(StandardCharsets.UTF_8))
    tagByte(v, 2, 5); int32le(v, java.lang.Float.floatToIntBits(value))
    val summary = new ByteArrayOutputStream()
    bytesField(summary, 1, v.toByteArray)
    val out = new ByteArrayOutputStream()
    fixed64(out, 1, java.lang.Double.doubleToLongBits(wallTime))
    varintField(out, 2, step)
    bytesField(out, 5, summary.toByteArray)
    out.toByteArray
  }

  // ---------------------------------------------------------------- protobuf encoding

  private def tagByte(out: ByteArrayOutputStream, field: Int, wireType: Int): Unit = varint(out, (field << 3 | wireType).toLong)

  private def varint(out: ByteArrayOutputStream, value: Long): Unit = {
    var v = value
    while ((v & ~0x7fL) != 0) { out.write(((v & 0x7f) | 0x80).toInt); v >>>= 7 }
    out.write(v.toInt)
  }

  private def varintField(out: ByteArrayOutputStream, field: Int, v: Long): Unit = { tagByte(out, field, 0); varint(out, v) }

  private def fixed64(out: ByteArrayOutputStream, field: Int, bits: Long): Unit = {
    tagByte(out, field, 1)
    var i = 0; while (i < 8) { out.write(((bits >>> (8 * i)) & 0xff).toInt); i += 1 }
  }

  private def int32le(out: ByteArrayOutputStream, bits: Int): Unit = { var i = 0; while (i < 4) { out.write((bits >>> (8 * i)) & 0xff); i += 1 } }

  private def bytesField(out: ByteArrayOutputStream, field: Int, b: Array[Byte]): Unit = {
    tagByte(out, field, 2); varint(out, b.length.toLong); out.write(b)
  }

  // ---------------------------------------------------------------- reading

  /** The scalars with `tag` in one event file, in file order; fails on a corrupt record (CRC mismatch). */
  def readScalars(file: File, tag: String): Seq[Scalar] = {
    val in = new DataInputStream(new BufferedInputStream(new FileInputStream(file)))
    val out = Seq.newBuilder[Scalar]
    try {
      var more = true
      while (more) {
        val header = new Array[Byte](12)
        val n = in.read(header)
        if (n <= 0) more = false
        else {
          if (n < 12) in.readFully(header, n, 12 - n)
          val hb = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN)
          val len = hb.getLong(0)
          if (hb.getInt(8) != maskedCrc(header, 0, 8) || len < 0 || len > Int.MaxValue)
            throw new java.io.IOException(s"corrupt record header in event file $file")
          val data = new Array[Byte](len.toInt)
          in.readFully(data)
          val crc = Integer.reverseBytes(in.readInt())
          if (crc != maskedCrc(data, 0, data.length)) throw new java.io.IOException(s"corrupt record (CRC mismatch) in event file $file")
          parseEvent(data, tag).foreach(out += _)
        }
      }
    } catch { case _: EOFException => () /* a record still being written: stop at the last complete one */ }
    finally in.close()
    out.result()
  }

  /** The scalar with `tag` of an Event, if it has one. */
  private def parseEvent(data: Array[Byte], tag: String): Option[Scalar] = {
    val r = new Reader(data, 0, data.length)
    var wall = 0.0; var step = 0L; var found: Option[Float] = None
    while (r.more) r.field() match {
      case (1, 1) => wall = java.lang.Double.longBitsToDouble(r.fixed64())
      case (2, 0) => step = r.varint()
      case (5, 2) =>
        val s = r.sub()
        while (s.more) s.field() match {
          case (1, 2) => val v = s.sub(); found = found.orElse(parseValue(v, tag))
          case (_, w) => s.skip(w)
        }
      case (_, w) => r.skip(w)
    }
    found.map(v => (step, v, wall))
  }

  private def parseValue(r: Reader, tag: String): Option[Float] = {
    var t: String = null; var v: Option[Float] = None
    while (r.more) r.field() match {
      case (1, 2) => t = r.string()
      case (2, 5) => v = Some(java.lang.Float.intBitsToFloat(r.fixed32()))
      case (_, w) => r.skip(w)
    }
    if (t == tag) v else None
  }

  /** A minimal protobuf reader over bytes [pos, end). */
  private final class Reader(b: Array[Byte], var pos: Int, end: Int) {
    def more: Boolean = pos < end
    def varint(): Long = { var s = 0; var r = 0L; var c = 0; do { c = b(pos) & 0xff; pos += 1; r |= (c & 0x7fL) << s; s += 7 } while ((c & 0x80) != 0); r }
    def field(): (Int, Int) = { val k = varint().toInt; (k >>> 3, k & 7) }
    def fixed64(): Long = { var r = 0L; var i = 0; while (i < 8) { r |= (b(pos + i) & 0xffL) << (8 * i); i += 1 }; pos += 8; r }
    def fixed32(): Int = { var r = 0; var i = 0; while (i < 4) { r |= (b(pos + i) & 0xff) << (8 * i); i += 1 }; pos += 4; r }
    def sub(): Reader = { val n = varint().toInt; val r = new Reader(b, pos, pos + n); pos += n; r }
    def string(): String = { val n = varint().toInt; val s = new String(b, pos, n, StandardCharsets.UTF_8); pos += n; s }
    def skip(wire: Int): Unit = wire match {
      case 0 => varint()
      case 1 => pos += 8
      case 2 => val n = varint().toInt; pos += n
      case 5 => pos += 4
      case w => throw new java.io.IOException(s"unsupported protobuf wire type $w in an event file")
    }
  }
}
