package ember.io

import java.io.OutputStream

/**
 * An output stream cut into chunks of `chunkBytes`, for byte streams that may pass 2 GB (a model file, an optim
 * method's state). The buffer being written starts at 64 KB and doubles up to `chunkBytes`, so a small stream does
 * not cost a whole chunk; each time it holds a whole chunk, [[chunkFull]] takes it and says which buffer the next
 * chunk goes into (a fresh one when the chunk is kept, the same one when it was written elsewhere).
 */
private[ember] abstract class ChunkingOutput(chunkBytes: Int) extends OutputStream {
  require(chunkBytes > 0, s"chunk size must be > 0, got $chunkBytes")
  private var buf = fresh()
  private var used = 0
  private var total = 0L

  /**
   * Takes a full chunk (`chunk` holds exactly `chunkBytes` bytes) and returns the buffer for the next one, or null
   * for a fresh small one.
   */
  protected def chunkFull(chunk: Array[Byte]): Array[Byte]

  /** Bytes written. */
  final def size: Long = total

  /** The bytes written since the last full chunk, trimmed (None when there are none). */
  protected final def lastChunk: Option[Array[Byte]] =
    if (used == 0) None else Some(if (used == buf.length) buf else java.util.Arrays.copyOf(buf, used))

  /** The buffer of the bytes since the last full chunk and their count (no copy). */
  protected final def pending: (Array[Byte], Int) = (buf, used)

  /** Drops the buffer (after the last chunk was taken). */
  protected final def release(): Unit = { buf = null; used = 0 }

  private def fresh(): Array[Byte] = new Array[Byte](math.min(chunkBytes, 1 << 16))

  override final def write(b: Int): Unit = write(Array(b.toByte), 0, 1)

  override final def write(b: Array[Byte], off: Int, len: Int): Unit = {
    var done = 0
    while (done < len) {
      if (used == buf.length) {
        if (buf.length < chunkBytes) buf = java.util.Arrays.copyOf(buf, math.min(chunkBytes.toLong, 2L * buf.length).toInt)
        else { buf = Option(chunkFull(buf)).getOrElse(fresh()); used = 0 }
      }
      val k = math.min(len - done, buf.length - used)
      System.arraycopy(b, off + done, buf, used, k)
      used += k; done += k; total += k
    }
  }
}
