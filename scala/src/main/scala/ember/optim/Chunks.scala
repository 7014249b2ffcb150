package ember.optim

import java.io.{InputStream, OutputStream}
import java.nio.ByteBuffer

import ember.io.ChunkingOutput
import org.apache.spark.ember.BlockStore

/**
 * Bytes of any size that the DistriOptimizer moves between the driver and the tasks (a model file, a Java-serialized
 * optim method with its state), in chunks of at most `chunkBytes` (`spark.ember.chunkBytes`). Up to one chunk stays
 * in memory (`inline`, e.g. inside the broadcast); beyond, each chunk becomes the block `name_c` on the local disk of
 * the writer's block manager as soon as it fills, through one reused buffer, registered with the master so that any
 * executor can fetch it. So a model beyond 2 GB has no whole serialized copy anywhere on a heap, in block-manager
 * memory or in a broadcast (issue 11 point 15), and block-manager memory stays flat whatever the model's size; the
 * reader holds one chunk at a time. (In local mode the blocks are read memory-mapped, off the heap.)
 */
private[optim] final case class Chunks(inline: Array[Byte], name: String, blocks: Int, length: Long, chunkBytes: Int) {

  /** Chunk `c`: the inline bytes, or block `name_c` from this JVM or any executor that registered it. */
  def chunk(c: Int): ByteBuffer = {
    require(c >= 0 && c < count, s"chunk $c of $count")
    if (blocks == 0) ByteBuffer.wrap(inline)
    else BlockStore.get(Chunks.block(name, c), remote = true).getOrElse(
      throw new IllegalStateException(s"DistriOptimizer: block ${Chunks.block(name, c)} is missing"))
  }

  /** Number of chunks. */
  def count: Int = if (blocks == 0) 1 else blocks

  /** The bytes as a stream, one chunk fetched at a time. */
  def input(): InputStream = new InputStream {
    private var c = -1
    private var buf = ByteBuffer.allocate(0)
    private def next(): Boolean = {
      while (!buf.hasRemaining && c + 1 < count) { c += 1; buf = chunk(c) }
      buf.hasRemaining
    }
    override def read(): Int = if (next()) buf.get() & 0xff else -1
    override def read(b: Array[Byte], off: Int, len: Int): Int =
      if (len == 0) 0 else if (!next()) -1 else { val k = math.min(len, buf.remaining); buf.get(b, off, k); k }
  }

  /**
   * Removes the blocks: from this JVM at once, and from any other executor that holds them (asynchronously, through
   * the master; from the driver only).
   */
  def remove(everywhere: Boolean): Unit = if (blocks > 0) {
    (0 until blocks).foreach(c => BlockStore.remove(Chunks.block(name, c), tellMaster = true))
    if (everywhere) BlockStore.removeRegistered(s"${name}_")
  }
}

private[optim] object Chunks {
  private def block(name: String, c: Int): String = s"${name}_$c"

  /** What `write` writes, as [[Chunks]] named `name` (blocks `name_0`, `name_1`, ... when over one chunk). */
  def write(name: String, chunkBytes: Int)(write: OutputStream => Unit): Chunks = {
    val out = new Writer(name, chunkBytes)
    try { write(out); out.result() }
    catch { case e: Throwable => out.result().remove(everywhere = false); throw e }
  }

  /** `o` Java-serialized into [[Chunks]]. */
  def serialize(name: String, o: AnyRef, chunkBytes: Int): Chunks = write(name, chunkBytes) { bytes =>
    val out = new java.io.ObjectOutputStream(bytes)
    out.writeObject(o); out.flush()
  }

  /** The object of [[serialize]]'s chunks (classes from the task's / application's class loader). */
  def deserialize[T](chunks: Chunks): T = {
    val in = new java.io.ObjectInputStream(chunks.input()) {
      override def resolveClass(d: java.io.ObjectStreamClass): Class[_] =
        Class.forName(d.getName, false, Thread.currentThread.getContextClassLoader)
    }
    try in.readObject().asInstanceOf[T] finally in.close()
  }

  /** Full chunks go to disk blocks through the one reused buffer (written before `put` returns). */
  private final class Writer(name: String, chunkBytes: Int) extends ChunkingOutput(chunkBytes) {
    private var blocks = 0

    override protected def chunkFull(chunk: Array[Byte]): Array[Byte] = { store(chunk, chunk.length); chunk }

    private def store(bytes: Array[Byte], n: Int): Unit = {
      BlockStore.put(block(name, blocks), ByteBuffer.wrap(bytes, 0, n), tellMaster = true, onDisk = true)
      blocks += 1
    }

    def result(): Chunks = {
      val (bytes, n) = pending
      if (blocks == 0) Chunks(java.util.Arrays.copyOf(bytes, n), name, 0, size, chunkBytes)
      else {
        if (n > 0) store(bytes, n)
        release()
        Chunks(null, name, blocks, size, chunkBytes)
      }
    }
  }
}
