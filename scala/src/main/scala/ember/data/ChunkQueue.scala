package ember.data

import java.util.concurrent.atomic.AtomicInteger

/**
 * Shares the samples `[0, size)` of one mini-batch among `workers` threads that claim chunks until none is
 * left (guided self-scheduling: a claim takes `max(minChunk, ceil(remaining / (2 * workers)))` samples, so
 * chunks start large and end small).
 *
 * Why: a batch cut into equal static shares waits, every iteration, for its slowest worker. On this
 * project's 2-core machine the two cores do not run at the same speed at any moment (the same 64 LeNet-5
 * samples took 6.1 ms on one and 7.7 ms on the other for stretches of ~10 iterations, then the roles
 * swapped), so with static shares the faster core idled for ~1.5 ms of every ~10 ms iteration. Claimed
 * chunks keep both busy until the batch is used up, whichever is faster.
 *
 * The sum of the workers' gradients is the same set of per-sample terms whatever the claims (each chunk's
 * gradient weighted by its share of the batch, see `ember.optim.ChunkedStep`), so results match the static
 * split up to float rounding, but the rounding depends on timing: runs are not bitwise reproducible.
 * Models whose output for a sample depends on the other samples of its chunk or on random draws (batch
 * normalization, dropout: `Module.samplesIndependent` false) keep the static split.
 */
final class ChunkQueue(val size: Int, workers: Int, minChunk: Int, bounds: Array[Int] = Array.empty) {
  require(size >= 0 && workers > 0 && minChunk > 0, s"ChunkQueue($size, $workers, $minChunk)")
  private val next = new AtomicInteger(0)
  private val maxChunk = math.max(1, (size + workers - 1) / workers) // never more than an equal share

  /**
   * The next chunk as `(from.toLong << 32) | length`, or -1 when the batch is used up. A chunk never
   * crosses one of `bounds` (ascending positions: where the samples of one source end and the next begin).
   */
  def claim(): Long = {
    while (true) {
      val from = next.get()
      if (from >= size) return -1L
      val remaining = size - from
      var len = math.min(remaining, math.min(maxChunk, math.max(minChunk, (remaining + 2 * workers - 1) / (2 * workers))))
      var b = 0
      while (b < bounds.length && bounds(b) <= from) b += 1
      if (b < bounds.length) len = math.min(len, bounds(b) - from)
      if (next.compareAndSet(from, from + len)) return (from.toLong << 32) | len
    }
    -1L
  }
}

object ChunkQueue {

  /**
   * A queue for `size` samples, `workers` workers and a model of `parameters` values, no chunk crossing one
   * of `bounds`. Each chunk costs a pass over the weights besides its samples, so chunks hold at least 8
   * samples (fewer for tiny batches) and one per 8,192 parameters: LeNet-5 (62k) gets chunks of 8 and more,
   * an MLP of 5M parameters one equal share per worker (measured: its chunks of 8-32 samples cost 30% of
   * its throughput, more than the balance gained).
   */
  def apply(size: Int, workers: Int, parameters: Long, bounds: Array[Int] = Array.empty): ChunkQueue = {
    val small = math.max(1, math.min(8, size / (4 * workers)))
    new ChunkQueue(size, workers, math.max(small.toLong, math.min(Int.MaxValue.toLong, parameters / 8192)).toInt, bounds)
  }

  def from(chunk: Long): Int = (chunk >>> 32).toInt
  def length(chunk: Long): Int = (chunk & 0xffffffffL).toInt
}
