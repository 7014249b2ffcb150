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

  /**
   * Balanced batches over partitions of `counts` samples (the DistriOptimizer across executors, whose tasks compute
   * only the samples they hold): partition q visits its own samples in the order [[permutation]]`(counts(q), epoch,
   * seed + q)`, and batch b takes from it the positions `[cuts(q)(b), cuts(q)(b + 1))` of that order. The cuts spread
   * each partition evenly over the epoch: the samples of all partitions are merged in the order of (j + 1/2) /
   * counts(q) (sample j of partition q) and batch b is positions `[b * batchSize, (b + 1) * batchSize)` of that
   * merge. So batches keep their size (the last one may be smaller) and each partition gives every batch its share,
   * B x counts(q) / total up to one sample (exactly B / N for N equal partitions), where the global order's batches
   * take a binomially varying number of samples from each (at B = 128 over two partitions the larger part averages
   * 68.5: the iteration waits for it). With one partition the batches are [[permutation]]'s.
   */
  def balancedCuts(counts: Array[Int], batchSize: Int): Array[Array[Int]] = {
    val total = counts.iterator.map(_.toLong).sum
    require(counts.forall(_ >= 0) && total <= Int.MaxValue, s"BatchPlan: bad partition sizes ${counts.mkString(", ")}")
    val n = batchesPerEpoch(total.toInt, batchSize)
    val cuts = Array.fill(counts.length)(new Array[Int](n + 1))
    val taken = new Array[Int](counts.length)
    // partition q's next sample comes at (2 taken(q) + 1) / (2 counts(q)) of the epoch; ties go to the lower q
    val queue = new java.util.PriorityQueue[Integer]((a: Integer, b: Integer) => {
      val c = java.lang.Long.compare((2L * taken(a) + 1) * counts(b), (2L * taken(b) + 1) * counts(a))
      if (c != 0) c else Integer.compare(a, b)
    })
    counts.indices.foreach(q => if (counts(q) > 0) queue.add(q))
    var s = 0L
    while (s < total) {
      if (s % batchSize == 0) counts.indices.foreach(q => cuts(q)((s / batchSize).toInt) = taken(q))
      val q = queue.poll().intValue
      taken(q) += 1
      if (taken(q) < counts(q)) queue.add(q)
      s += 1
    }
    counts.indices.foreach(q => cuts(q)(n) = counts(q))
    cuts
  }

  /** The positions in partition q's order of its samples in balanced batch `batch` (see [[balancedCuts]]). */
  def balancedIndices(order: Array[Int], cuts: Array[Array[Int]], q: Int, batch: Int): Array[Int] =
    java.util.Arrays.copyOfRange(order, cuts(q)(batch), cuts(q)(batch + 1))

  /** Samples in balanced batch `batch` over all partitions (see [[balancedCuts]]). */
  def balancedSize(cuts: Array[Array[Int]], batch: Int): Int = cuts.iterator.map(c => c(batch + 1) - c(batch)).sum
}
