package ember.parallel

import java.nio.{ByteBuffer, ByteOrder}
import java.util.concurrent.TimeoutException

import org.apache.spark.{TaskContext, TaskKilledException}
import org.apache.spark.ember.BlockStore

/**
 * How a flat parameter vector of `total` values is cut into `parts` contiguous slices, one per training
 * partition: the first `total % parts` slices are one value longer (BigDL's layout).
 */
final case class SliceLayout(total: Int, parts: Int) {
  require(total >= 0 && parts > 0, s"SliceLayout: need total >= 0 and parts > 0, got total=$total parts=$parts")

  def length(i: Int): Int = total / parts + (if (i < total % parts) 1 else 0)
  def offset(i: Int): Int = i * (total / parts) + math.min(i, total % parts)
}

/** What the gradient blocks of one iteration carry besides the gradient: summed over partitions by the owners. */
final case class GradientHeader(lossSum: Double, samples: Int)

/**
 * The block-manager AllReduce of one training task (BigDL's `AllReduceParameter`, without its driver job):
 * the parameter vector is cut into one slice per partition ([[SliceLayout]]), task `p` owns slice `p`
 * (its float32 master weights and its optim-method state) and every task holds a full copy of the weights
 * for its model replicas. One iteration `t`:
 *  1. [[putGradients]]: task p writes slice q of its local gradient as block `g/t/p/q` for every q != p;
 *  2. [[aggregate]]: owner p sums slice p over all tasks in partition order (its own slice straight from
 *     memory, the others' blocks as they appear), and the headers (loss, samples) likewise; with L2-norm
 *     clipping, [[allSum]] then sums the slices' sums of squares (the global gradient norm);
 *  3. the caller updates the owned weight slice with its optim method and [[publish]]es it as `w/t/p`
 *     (and into its own replicas' weights);
 *  4. [[fetchWeights]]: every task reads `w/t/q` of every other q into its replicas' weights, and sums the
 *     slices' gradient sums of squares from the blocks' headers: every task learns at once whether the
 *     global gradient was finite.
 * Blocks (named `<run>_<segment>_<attempt>_g_<t>_<p>_<q>` and so on: no '/', as spilled blocks become file names)
 * are named by run, segment, stage attempt and iteration, so a retried stage never reads a block
 * of a failed attempt and a gradient can never be added twice. Every block is written once and removed by
 * its writer as soon as all its readers are provably done with it, which keeps the block manager's memory
 * flat: `g/t/p/q` (all q) once p has read all of `w/t` (each owner publishes `w/t` only after reading `g/t`), and
 * `w/t-1/p` once owner p has read all of `g/t` (each task writes `g/t` only after reading `w/t-1`).
 * What is left at the end of a segment (the last iteration's blocks) is removed by the driver.
 *
 * Waiting is event-driven inside one JVM (a put wakes the local waiters) and polls the driver's block
 * registry when tasks run on several executors (`remote`). A wait gives up after `timeoutMs` and stops
 * early when Spark kills the task.
 */
final class AllReduceParameter(val prefix: String, val partition: Int, val layout: SliceLayout, val codec: WireCodec,
    val remote: Boolean, val timeoutMs: Long) {
  private val parts = layout.parts
  private val ownOffset = layout.offset(partition)
  private val ownLength = layout.length(partition)

  /** Nanoseconds spent waiting for blocks of other tasks (included in the sync time of the caller). */
  var waitNanos: Long = 0L

  def gradientName(t: Long, from: Int, to: Int): String = s"${prefix}_g_${t}_${from}_$to"
  def weightName(t: Long, owner: Int): String = s"${prefix}_w_${t}_$owner"
  def normName(t: Long, owner: Int): String = s"${prefix}_n_${t}_$owner"

  // One buffer per block kind, reused every iteration: a block's buffer is rewritten only after the block was
  // removed, i.e. after its readers are done (see the removal rules above); the block manager keeps heap
  // buffers as they are (no copy, no dispose).
  private val gradBuffers = Array.tabulate(parts)(q => if (q == partition) null else allocate(12 + layout.length(q) * codec.bytesPerValue))
  private val weightBuffer = allocate(8 + ownLength * codec.bytesPerValue)
  private var lastWeights = -1L // the iteration of this task's latest weight block (removed only if it exists:
  private var lastNorm = -1L    // Spark logs a warning for every removal of a missing block)

  /** Step 1: slices q != p of the full local gradient `grads`, each with `header`. */
  def putGradients(t: Long, grads: Array[Float], header: GradientHeader): Unit = {
    var q = 0
    while (q < parts) {
      if (q != partition) {
        val buf = gradBuffers(q)
        buf.clear()
        buf.putDouble(header.lossSum).putInt(header.samples)
        codec.encode(grads, layout.offset(q), layout.length(q), buf)
        buf.flip()
        put(gradientName(t, partition, q), buf)
      }
      q += 1
    }
  }

  /**
   * Step 2: `out` (slice length) = sum over tasks of slice p of their gradients, where this task's own is
   * `grads` (full length); returns the summed header. Then removes this owner's weights of `t - 1`.
   */
  def aggregate(t: Long, grads: Array[Float], ownHeader: GradientHeader, out: Array[Float]): GradientHeader = {
    require(out.length == ownLength, s"aggregate: output of ${out.length} values for a slice of $ownLength")
    var loss = 0.0
    var samples = 0
    var q = 0
    while (q < parts) {
      if (q == partition) {
        if (q == 0) System.arraycopy(grads, ownOffset, out, 0, ownLength)
        else { var i = 0; while (i < ownLength) { out(i) += grads(ownOffset + i); i += 1 } }
        loss += ownHeader.lossSum; samples += ownHeader.samples
      } else {
        val buf = await(gradientName(t, q, partition))
        loss += buf.getDouble(); samples += buf.getInt()
        if (q == 0) codec.decode(buf, out, 0, ownLength) else codec.decodeAdd(buf, out, 0, ownLength)
      }
      q += 1
    }
    if (lastWeights == t - 1) remove(weightName(t - 1, partition))
    GradientHeader(loss, samples)
  }

  /**
   * Step 2b, with L2-norm clipping only (which needs the global norm before the update): the sum over owners
   * of `value` (each slice's sum of squares: the squared global gradient norm). Without it, the norms travel
   * in the weight blocks' headers ([[publish]], [[fetchWeights]]): one synchronisation point less.
   */
  def allSum(t: Long, value: Double): Double = {
    if (parts == 1) return value
    val buf = allocate(8).putDouble(value)
    buf.flip()
    put(normName(t, partition), buf)
    var total = 0.0
    var q = 0
    while (q < parts) { total += (if (q == partition) value else await(normName(t, q)).getDouble()); q += 1 }
    if (lastNorm == t - 1) remove(normName(t - 1, partition))
    lastNorm = t
    total
  }

  /**
   * Step 3: the owned weight slice after iteration `t`, for the other tasks (a block, headed by `norm`:
   * this slice's gradient sum of squares) and for this task's replicas (`weights`, full length; through the
   * codec, so that every task computes with the same weights).
   */
  def publish(t: Long, slice: Array[Float], weights: Array[Float], norm: Double): Unit = {
    require(slice.length == ownLength, s"publish: ${slice.length} values for a slice of $ownLength")
    if (parts > 1) {
      weightBuffer.clear()
      weightBuffer.putDouble(norm)
      codec.encode(slice, 0, ownLength, weightBuffer)
      weightBuffer.flip()
      put(weightName(t, partition), weightBuffer)
      lastWeights = t
    }
    codec match {
      case NoCompression => System.arraycopy(slice, 0, weights, ownOffset, ownLength)
      case _ if parts > 1 =>
        codec.decode(weightBuffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(8), weights, ownOffset, ownLength)
      case _ => var i = 0; while (i < ownLength) { weights(ownOffset + i) = BFloat16.widen(BFloat16.round(slice(i))); i += 1 }
    }
  }

  /**
   * Step 4: the other tasks' slices of the weights after iteration `t` into `weights`; then removes this
   * task's gradient blocks of `t`. Returns the sum over slices (in slice order, so the same on every task)
   * of the `norm` headers, this task's own being `ownNorm`: the squared norm of the global gradient.
   */
  def fetchWeights(t: Long, weights: Array[Float], ownNorm: Double): Double = {
    var total = 0.0
    var q = 0
    while (q < parts) {
      if (q == partition) total += ownNorm
      else {
        val buf = await(weightName(t, q))
        total += buf.getDouble()
        codec.decode(buf, weights, layout.offset(q), layout.length(q))
      }
      q += 1
    }
    q = 0
    while (q < parts) { if (q != partition) remove(gradientName(t, partition, q)); q += 1 }
    total
  }

  private def allocate(n: Int): ByteBuffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN)

  /** Waits for block `name` of another task and returns its bytes (little-endian, at the start). */
  def await(name: String): ByteBuffer = {
    val start = System.nanoTime()
    val result = AllReduceParameter.await(name, remote, timeoutMs, partition)
    waitNanos += System.nanoTime() - start
    result
  }

  private def put(name: String, buf: ByteBuffer): Unit = AllReduceParameter.put(name, buf, remote)

  private def remove(name: String): Unit = BlockStore.remove(name, tellMaster = remote)
}

object AllReduceParameter {

  /** The sum of squares of `a` in Double, with four independent accumulators (several times faster than one). */
  def sumSquares(a: Array[Float]): Double = {
    var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0
    val n4 = a.length & ~3
    var i = 0
    while (i < n4) {
      val x0 = a(i).toDouble; val x1 = a(i + 1).toDouble; val x2 = a(i + 2).toDouble; val x3 = a(i + 3).toDouble
      s0 += x0 * x0; s1 += x1 * x1; s2 += x2 * x2; s3 += x3 * x3
      i += 4
    }
    while (i < a.length) { val x = a(i).toDouble; s0 += x * x; i += 1 }
    (s0 + s1) + (s2 + s3)
  }

  /** Puts a block (registered with the driver when `register`) and wakes this JVM's waiters. */
  def put(name: String, buf: ByteBuffer, register: Boolean): Unit = {
    BlockStore.put(name, buf, tellMaster = register)
    Signal.bump()
  }

  /**
   * Waits until block `name` exists (in this JVM, or with `remote` on any executor) and returns its bytes;
   * throws a TimeoutException naming the block after `timeoutMs`, and stops when Spark kills the task.
   */
  def await(name: String, remote: Boolean, timeoutMs: Long, partition: Int): ByteBuffer = {
    val deadline = System.nanoTime() + timeoutMs * 1000000L
    val pollMs = if (remote) 2L else 5L
    var result: ByteBuffer = null
    while (result == null) {
      val seen = Signal.version
      BlockStore.get(name, remote) match {
        case Some(b) => result = b.order(ByteOrder.LITTLE_ENDIAN)
        case None =>
          val ctx = TaskContext.get()
          if (ctx != null && ctx.isInterrupted()) throw new TaskKilledException(s"killed while waiting for block $name")
          if (System.nanoTime() > deadline) throw new TimeoutException(
            s"DistriOptimizer: task $partition waited ${timeoutMs / 1000} s for block $name of another task; " +
              "a task or executor may have died or stalled (see the executor logs); DistriOptimizer.setSyncTimeout sets the limit")
          Signal.await(seen, pollMs)
      }
    }
    result
  }

  /** Wakes the waiters of this JVM when a block is put (a version counter avoids lost wake-ups). */
  private[ember] object Signal {
    @volatile private var counter = 0L
    def version: Long = counter
    def bump(): Unit = synchronized { counter += 1; notifyAll() }
    def await(seen: Long, maxMs: Long): Unit = synchronized { if (counter == seen) wait(maxMs) }
  }
}
