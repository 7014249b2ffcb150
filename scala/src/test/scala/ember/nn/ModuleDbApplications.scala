package ember.nn

import ember.tensor.Tensor
import ModuleDb._

/**
 * Registry entries of the layers and criterions the end-to-end applications need (issue 12: visual
 * similarity, seq2seq, detection); [[ModuleDbSuite]] runs the gradient check, the rebuild-from-config check
 * and toString on each. Loss values are checked against numpy in `tests/test_attention_triplet_decoding.py`.
 */
object ModuleDbApplications {
  /** Two images' objects (label, x1, y1, x2, y2): two in the first, one and a padding row in the second. */
  private val objects = (_: java.util.Random) =>
    Tensor.fromArray(Array(0f, 0.1f, 0.1f, 0.5f, 0.6f, 1f, 0.4f, 0.3f, 0.9f, 0.8f, 1f, 0.5f, 0.5f, 0.9f, 0.9f, -1f, 0f, 0f, 0f, 0f), 2, 2, 5)
  private val (maps, sizes, ratios) = (Array(2), Array(0.4f), Array(1f, 2f)) // 2 * 2 cells * 2 priors = 8 priors

  val cases: Seq[DbCase] = Seq(
    CriterionCase("MultiBoxCriterion", () => new MultiBoxCriterion(maps, sizes, ratios, 2), table(normal(2, 8, 4), normal(2, 8, 3)),
      objects, repr = "MultiBoxCriterion([2], [0.4], [1.0, 2.0], 2)"),
    CriterionCase("MultiBoxCriterion/allNegatives", () => new MultiBoxCriterion(maps, sizes, ratios, 2, 0.3, 10.0),
      table(normal(2, 8, 4), normal(2, 8, 3)), objects, repr = "MultiBoxCriterion([2], [0.4], [1.0, 2.0], 2, overlapThreshold=0.3, negPosRatio=10.0)"),
    ModuleCase("DetectionOutput", () => new DetectionOutput(maps, sizes, ratios, 2), table(normal(2, 8, 4), normal(2, 8, 3)),
      repr = "DetectionOutput([2], [0.4], [1.0, 2.0], 2)", check = GradCheck(checkInput = false)),
    ModuleCase("Attention", () => new Attention(), table(normal(2, 3, 4), normal(2, 5, 4)), repr = "Attention()"),
    ModuleCase("Attention/scaled", () => new Attention(true), table(normal(3, 1, 6), normal(3, 2, 6)),
      repr = "Attention(scaled=true)"),
    CriterionCase("TripletMarginCriterion", () => new TripletMarginCriterion(), table(normal(4, 3), normal(4, 3), normal(4, 3)),
      normal(4), repr = "TripletMarginCriterion()"),
    CriterionCase("TripletMarginCriterion/stacked/sum", () => new TripletMarginCriterion(2.0, false), normal(5, 3, 4), normal(5),
      repr = "TripletMarginCriterion(margin=2.0, sizeAverage=false)"),
    CriterionCase("TripletMarginCriterion/unbatched", () => new TripletMarginCriterion(0.5), table(normal(6), normal(6), normal(6)),
      normal(1))
  )
}
