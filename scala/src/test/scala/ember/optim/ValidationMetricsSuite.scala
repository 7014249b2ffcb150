package ember.optim

import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/** MAE, HitRatio, NDCG and PrecisionRecallAUC against hand computations; merging across batches. */
class ValidationMetricsSuite extends AnyFunSuite {
  private def near(a: Double, b: Double): Boolean = math.abs(a - b) < 1e-6

  test("MAE: per-sample mean absolute error, averaged over samples, merged across batches") {
    val mae = new MAE()
    val a = mae(Tensor.fromArray(Array(1f, 2f, 3f, 4f), 2, 2), Tensor.fromArray(Array(0f, 2f, 5f, 4f), 2, 2)) // 0.5, 1.0
    assert(a == MeanResult("MAE", 1.5, 2) && near(a.score, 0.75))
    val b = mae(Tensor.fromArray(Array(-1f, 1f), 1, 2), Tensor.fromArray(Array(1f, 1f), 1, 2)) // 1.0
    assert(near((a + b).score, 2.5 / 3) && (a + b).count == 3)
    assert(near(mae(Tensor.fromArray(Array(1f, 2f, 3f), 3), Tensor.fromArray(Array(0f, 0f, 0f), 3)).score, 2.0))
    assert(!mae.higherIsBetter && mae.name == "MAE")
    intercept[IllegalArgumentException](a + AccuracyResult(1, 1))
  }

  // 3 users x (1 positive + 3 negatives): positive ranks 1, 3 and 2 (a tie with a lower index counts above it)
  private val scores = Tensor.fromArray(Array(0.1f, 0.9f, 0.3f, 0.2f, 0.8f, 0.5f, 0.7f, 0.1f, 0.4f, 0.4f, 0.1f, 0.2f), 12, 1)
  private val targets = Tensor.fromArray(Array(0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f), 12)

  test("HitRatio and NDCG rank each user's positive among its negNum + 1 items") {
    assert(new HitRatio(2, 3)(scores, targets) == MeanResult("HitRatio@2", 2, 3))
    assert(new HitRatio(3, 3)(scores, targets).score == 1f && new HitRatio(1, 3)(scores, targets).score == 1f / 3)
    val ndcg2 = (1.0 + 1 / (math.log(3) / math.log(2))) / 3
    assert(near(new NDCG(2, 3)(scores, targets).score, ndcg2))
    assert(near(new NDCG(3, 3)(scores, targets).score, ndcg2 + 0.5 / 3))
    // per-user results merge: the first user alone, then the other two
    val parts = new NDCG(2, 3)(scores.narrow(0, 0, 4), targets.narrow(0, 0, 4)) + new NDCG(2, 3)(scores.narrow(0, 4, 8), targets.narrow(0, 4, 8))
    assert(near(parts.score, ndcg2) && parts.count == 3)
    assert(new HitRatio().name == "HitRatio@10" && new NDCG(5).name == "NDCG@5")
  }

  test("ranking methods explain bad batches") {
    val e1 = intercept[IllegalArgumentException](new HitRatio(2, 4)(scores, targets))
    assert(e1.getMessage.contains("12 scores are not whole groups of negNum + 1 = 5 items"))
    val two = targets.clone(); two.setValue(1f, 2)
    assert(intercept[IllegalArgumentException](new NDCG(2, 3)(scores, two)).getMessage.contains("user 0 (items 0 to 3) must have exactly one target 1"))
  }

  test("PrecisionRecallAUC: trapezoids over (recall, precision) per threshold, from (0, first precision)") {
    val auc = new PrecisionRecallAUC()
    val r = auc(Tensor.fromArray(Array(0.9f, 0.8f, 0.7f, 0.6f), 4), Tensor.fromArray(Array(1f, 0f, 1f, 0f), 4))
    // points (0.5, 1), (0.5, 0.5), (1, 2/3), (1, 0.5): area 0.5 * 1 + 0.5 * (0.5 + 2/3) / 2
    val expected = 0.5 + 0.5 * (0.5 + 2.0 / 3) / 2
    assert(near(r.score, expected) && r.count == 4)
    val merged = auc(Tensor.fromArray(Array(0.7f, 0.9f), 2, 1), Tensor.fromArray(Array(1f, 1f), 2)) +
      auc(Tensor.fromArray(Array(0.8f, 0.6f), 2, 1), Tensor.fromArray(Array(0f, 0f), 2))
    assert(near(merged.score, expected) && merged.count == 4) // the same 4 samples in two batches
    val perfect = auc(Tensor.fromArray(Array(0.9f, 0.8f, 0.7f), 3), Tensor.fromArray(Array(1f, 1f, 0f), 3))
    assert(near(perfect.score, 1.0))
    val twoClass = auc(Tensor.fromArray(Array(0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.4f, 0.6f), 4, 2), Tensor.fromArray(Array(1f, 0f, 1f, 0f), 4))
    assert(near(twoClass.score, expected))
    val tie = auc(Tensor.fromArray(Array(0.5f, 0.5f), 2), Tensor.fromArray(Array(1f, 0f), 2))
    assert(near(tie.score, 0.5))
    assert(auc(Tensor.fromArray(Array(0.5f), 1), Tensor.fromArray(Array(0f), 1)).score.isNaN)
    assert(intercept[IllegalArgumentException](auc(Tensor(2), Tensor.fromArray(Array(2f, 0f), 2))).getMessage.contains("label 2.0 of sample 0 is not 0 or 1"))
  }

  test("ROCAUC: trapezoids over (false-positive rate, true-positive rate), equal to the pairwise ranking count") {
    val auc = new ROCAUC()
    // positives 0.9, 0.7; negatives 0.8, 0.6: pairs won 0.9>0.8, 0.9>0.6, 0.7>0.6, lost 0.7<0.8 -> 3/4
    val r = auc(Tensor.fromArray(Array(0.9f, 0.8f, 0.7f, 0.6f), 4), Tensor.fromArray(Array(1f, 0f, 1f, 0f), 4))
    assert(near(r.score, 0.75) && r.count == 4 && auc.name == "ROCAUC")
    val merged = auc(Tensor.fromArray(Array(0.7f, 0.9f), 2, 1), Tensor.fromArray(Array(1f, 1f), 2)) +
      auc(Tensor.fromArray(Array(0.8f, 0.6f), 2, 1), Tensor.fromArray(Array(0f, 0f), 2))
    assert(near(merged.score, 0.75) && merged.count == 4)
    val twoClass = auc(Tensor.fromArray(Array(0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.4f, 0.6f), 4, 2), Tensor.fromArray(Array(1f, 0f, 1f, 0f), 4))
    assert(near(twoClass.score, 0.75))
    // ties count one half; random scores against the brute-force pairwise count
    assert(near(auc(Tensor.fromArray(Array(0.5f, 0.5f), 2), Tensor.fromArray(Array(1f, 0f), 2)).score, 0.5))
    val rng = new scala.util.Random(3)
    val s = Array.fill(200)((rng.nextInt(20) / 20.0).toFloat)
    val y = Array.fill(200)(if (rng.nextDouble() < 0.3) 1f else 0f)
    val (pos, neg) = (s.indices.filter(y(_) == 1f).map(s), s.indices.filter(y(_) == 0f).map(s))
    val pairs = (for (p <- pos; n <- neg) yield if (p > n) 1.0 else if (p == n) 0.5 else 0.0).sum / (pos.length * neg.length)
    assert(math.abs(auc(Tensor.fromArray(s, 200), Tensor.fromArray(y, 200)).score - pairs) < 1e-5)
    assert(auc(Tensor.fromArray(Array(0.5f, 0.2f), 2), Tensor.fromArray(Array(1f, 1f), 2)).score.isNaN)
    assert(intercept[IllegalArgumentException](auc(Tensor(2), Tensor.fromArray(Array(2f, 0f), 2))).getMessage.contains("ROCAUC: label 2.0 of sample 0 is not 0 or 1"))
  }

  test("the new methods are Serializable") {
    for (m <- Seq(new MAE(), new HitRatio(5, 3), new NDCG(5, 3), new PrecisionRecallAUC(), new ROCAUC())) {
      val bytes = new java.io.ByteArrayOutputStream()
      new java.io.ObjectOutputStream(bytes).writeObject(m)
      val back = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject().asInstanceOf[ValidationMethod]
      assert(back.name == m.name)
    }
  }
}
