package ember.data

/**
 * The global order of mini-batches, shared by the LocalOptimizer and the DistriOptimizer so that both see
 * the same batches: epoch `e` (1-based) visits the samples `0 until size` in the order
 * [[permutation]]`(size, e, seed)`, and batch `b` of the epoch is positions `[b * batchSize, (b + 1) *
 * batchSize)` of that order (the last batch may be smaller).
 *
 * A distributed data set numbers its samples partition after partition (partition `p` holds the global
 * indices `[offset(p), offset(p) + size(p))`); each partition computes the same permutation and takes
 * the members of each global batch that it holds ([[localIndices]]), so the union over partitions of one
 * iteration's sub-batches is exactly the LocalOptimizer's batch of that iteration.
 */
object BatchPlan {

  /** The sample order of `epoch` (1-based): a seeded Fisher-Yates shuffle, or `0 until size` without `shuffle`. */
  def permutation(size: Int, epoch: Int, seed: Long, shuffle: Boolean = true): Array[Int] = {
    require(size >= 0, s"BatchPlan: size must be >= 0, got $size")
    val order = Array.range(0, size)
    if (shuffle) {
      val rng = new java.util.Random(seed * 1000003L + epoch)
      var i = size - 1
      while (i > 0) { val j = rng.nextInt(i + 1); val t = order(i); order(i) = order(j); order(j) = t; i -= 1 }
    }
    order
  }

  /** Mini-batches per epoch of `size` samples (the last one may be smaller). */
  def batchesPerEpoch(size: Int, batchSize: Int): Int = {
    require(batchSize > 0, s"batchSize must be > 0, got $batchSize")
    (size + batchSize - 1) / batchSize
  }

  /**
   * The samples of batch `batch` of `order` that lie in `[offset, offset + count)`, as indices relative to
   * `offset`, in batch order.
   */
  def localIndices(order: Array[Int], batch: Int, batchSize: Int, offset: Int, count: Int): Array[Int] = {
    val from = batch * batchSize
    val until = math.min(order.length, from + batchSize)
    require(from >= 0 && from < until, s"BatchPlan: batch $batch of size $batchSize is out of range for ${order.length} samples")
    val out = new Array[Int](until - from)
    var k = 0
    var i = from
    while (i < until) {
      val g = order(i) - offset
      if (g >= 0 && g < count) { out(k) = g; k += 1 }
      i += 1
    }
    java.util.Arrays.copyOf(out, k)
  }
}
