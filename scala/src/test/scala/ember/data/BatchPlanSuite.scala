package ember.data

import org.scalatest.funsuite.AnyFunSuite

class BatchPlanSuite extends AnyFunSuite {
  /** Partition q's samples in each balanced batch of `epoch`. */
  private def balanced(counts: Array[Int], batchSize: Int, epoch: Int, seed: Long): Seq[Seq[Array[Int]]] = {
    val total = counts.sum
    val cuts = BatchPlan.balancedCuts(counts, batchSize)
    (0 until BatchPlan.batchesPerEpoch(total, batchSize)).map { b =>
      counts.indices.map(q => BatchPlan.balancedIndices(BatchPlan.permutation(counts(q), epoch, seed + q), cuts, q, b))
    }
  }

  test("balanced batches: each partition gives every batch its share, every sample once per epoch") {
    for ((counts, batchSize) <- Seq((Array(6400, 6400), 128), (Array(101, 57, 0, 45), 16), (Array(3, 3), 2), (Array(5, 1), 4))) {
      val batches = balanced(counts, batchSize, epoch = 2, seed = 7L)
      val total = counts.sum
      for (q <- counts.indices) assert(batches.flatMap(_(q)).sorted == (0 until counts(q)), s"${counts.toSeq}: partition $q")
      batches.zipWithIndex.foreach { case (parts, b) =>
        val n = parts.map(_.length).sum
        assert(n == BatchPlan.balancedSize(BatchPlan.balancedCuts(counts, batchSize), b), s"${counts.toSeq} batch $b: $n")
        assert(n == math.min(batchSize, total - b * batchSize), s"${counts.toSeq} batch $b: $n samples")
        if (b < batches.length - 1) {
          counts.indices.foreach { q => // the share of partition q: its size's, up to rounding
            assert(math.abs(parts(q).length - batchSize.toDouble * counts(q) / total) < 1.0 + 1e-9, s"${counts.toSeq} batch $b part $q")
          }
        }
      }
    }
    assert(balanced(Array(6400, 6400), 128, 1, 3L).forall(_.forall(_.length == 64)), "two equal partitions: 64 + 64 each batch")
  }

  test("balanced batches over one partition are the global order's batches") {
    val (n, batchSize, epoch, seed) = (103, 10, 3, 11L)
    val order = BatchPlan.permutation(n, epoch, seed)
    for (b <- 0 until BatchPlan.batchesPerEpoch(n, batchSize)) {
      val cuts = BatchPlan.balancedCuts(Array(n), batchSize)
      assert(BatchPlan.balancedIndices(order, cuts, 0, b).toSeq == BatchPlan.localIndices(order, b, batchSize, 0, n).toSeq)
    }
  }
}
