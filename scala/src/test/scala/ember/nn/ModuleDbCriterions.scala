package ember.nn

import java.util.Random

import ember.tensor.{Activity, Tensor}
import ModuleDb._

/**
 * Registry entries of the pointwise, embedding, margin and table-input criterions; [[ModuleDbSuite]] runs the
 * numerical gradient check, the rebuild-from-config check and toString on each. Loss values are checked
 * against numpy in `tests/test_criterions.py`.
 */
object ModuleDbCriterions {

  /** Values -1 or 1 (targets of the margin criterions). */
  def signs(shape: Int*): Random => Tensor = rng => Tensor(shape: _*).apply1(_ => if (rng.nextBoolean()) 1f else -1f)

  /** 0/1 values (multi-label targets). */
  def bits(shape: Int*): Random => Tensor = rng => Tensor(shape: _*).apply1(_ => if (rng.nextBoolean()) 1f else 0f)

  /** Class labels [batch, time] with the last `padded` steps of each sequence set to -1. */
  def paddedLabels(batch: Int, time: Int, classes: Int, padded: Int): Random => Activity = rng =>
    Tensor.fromArray(Array.tabulate(batch * time)(k => if (k % time >= time - padded) -1f else rng.nextInt(classes).toFloat), batch, time)

  val cases: Seq[DbCase] = Seq(
    CriterionCase("SmoothL1Criterion", () => new SmoothL1Criterion(), normal(3, 4), normal(3, 4), repr = "SmoothL1Criterion()"),
    CriterionCase("SmoothL1Criterion/sum", () => new SmoothL1Criterion(false), normal(5), normal(5),
      repr = "SmoothL1Criterion(sizeAverage=false)"),
    CriterionCase("AbsCriterion", () => new AbsCriterion(), normal(3, 4), normal(3, 4), repr = "AbsCriterion()"),
    CriterionCase("CategoricalCrossEntropy", () => new CategoricalCrossEntropy(), uniform(0.05f, 1f, 3, 4), uniform(0f, 1f, 3, 4),
      repr = "CategoricalCrossEntropy()"),
    CriterionCase("KLDCriterion", () => new KLDCriterion(), table(normal(3, 4), normal(3, 4)), normal(1), repr = "KLDCriterion()"),
    CriterionCase("KLDCriterion/sum", () => new KLDCriterion(false), table(normal(4), normal(4)), normal(1)),
    CriterionCase("DistKLDivCriterion", () => new DistKLDivCriterion(), normal(3, 4), uniform(0.05f, 1f, 3, 4),
      repr = "DistKLDivCriterion()"),
    CriterionCase("MarginCriterion", () => new MarginCriterion(), normal(3, 4), signs(3, 4), repr = "MarginCriterion()"),
    CriterionCase("MarginCriterion/squared/sum", () => new MarginCriterion(0.5, false, true), normal(6), signs(6),
      repr = "MarginCriterion(margin=0.5, sizeAverage=false, squared=true)"),
    CriterionCase("MarginRankingCriterion", () => new MarginRankingCriterion(), table(normal(5), normal(5)), signs(5),
      repr = "MarginRankingCriterion()"),
    CriterionCase("MarginRankingCriterion/tableTarget", () => new MarginRankingCriterion(0.5, false),
      table(normal(4, 1), normal(4, 1)), table(signs(4))),
    CriterionCase("HingeEmbeddingCriterion", () => new HingeEmbeddingCriterion(), uniform(0f, 2f, 3, 4), signs(3, 4),
      repr = "HingeEmbeddingCriterion()"),
    CriterionCase("CosineEmbeddingCriterion", () => new CosineEmbeddingCriterion(), table(normal(4, 3), normal(4, 3)), signs(4),
      repr = "CosineEmbeddingCriterion()"),
    CriterionCase("CosineEmbeddingCriterion/margin/unbatched", () => new CosineEmbeddingCriterion(-0.5, false),
      table(normal(5), normal(5)), signs(1)),
    CriterionCase("MultiLabelSoftMarginCriterion", () => new MultiLabelSoftMarginCriterion(), normal(3, 4), bits(3, 4),
      repr = "MultiLabelSoftMarginCriterion()"),
    CriterionCase("MultiLabelSoftMarginCriterion/weights", () => new MultiLabelSoftMarginCriterion(Array(1f, 2f, 0.5f), false),
      normal(2, 3), bits(2, 3)),
    CriterionCase("SoftMarginCriterion", () => new SoftMarginCriterion(), normal(3, 4), signs(3, 4), repr = "SoftMarginCriterion()"),
    CriterionCase("TimeDistributedCriterion", () => new TimeDistributedCriterion(new ClassNLLCriterion()), normal(2, 3, 4),
      rng => labels(6, 4)(rng).view(2, 3), repr = "TimeDistributedCriterion(ClassNLLCriterion())"),
    CriterionCase("TimeDistributedCriterion/mse/average/dim2", () => new TimeDistributedCriterion(new MSECriterion(), true, 2),
      normal(2, 3, 4), normal(2, 3, 4), repr = "TimeDistributedCriterion(MSECriterion(), sizeAverage=true, dimension=2)"),
    CriterionCase("TimeDistributedMaskCriterion", () => new TimeDistributedMaskCriterion(new CrossEntropyCriterion()),
      normal(2, 4, 3), paddedLabels(2, 4, 3, 1), repr = "TimeDistributedMaskCriterion(CrossEntropyCriterion())"),
    CriterionCase("TimeDistributedMaskCriterion/mse/pad0", () => new TimeDistributedMaskCriterion(new MSECriterion(), 0.0),
      normal(2, 3, 2), rng => normal(2, 3, 2)(rng).apply1(v => if (v > 0.8f) 0f else v),
      repr = "TimeDistributedMaskCriterion(MSECriterion(), paddingValue=0.0)"),
    CriterionCase("ParallelCriterion", () => new ParallelCriterion().add(new MSECriterion(), 0.5).add(new ClassNLLCriterion()),
      table(normal(3, 4), normal(3, 5)), table(normal(3, 4), labels(3, 5)),
      repr = "ParallelCriterion(0.5 * MSECriterion(), ClassNLLCriterion())"),
    CriterionCase("ParallelCriterion/repeatTarget", () => new ParallelCriterion(true).add(new MSECriterion()).add(new AbsCriterion(), 2),
      table(normal(3, 4), normal(3, 4)), normal(3, 4), repr = "ParallelCriterion(repeatTarget=true, MSECriterion(), 2.0 * AbsCriterion())"),
    CriterionCase("MultiCriterion", () => new MultiCriterion().add(new MSECriterion(), 0.5).add(new SmoothL1Criterion()),
      normal(3, 4), normal(3, 4), repr = "MultiCriterion(0.5 * MSECriterion(), SmoothL1Criterion())"),
    CriterionCase("ClassSimplexCriterion", () => new ClassSimplexCriterion(5), normal(4, 5), labels(4, 5),
      repr = "ClassSimplexCriterion(5)"),
    CriterionCase("PoissonCriterion", () => new PoissonCriterion(), uniform(0.5f, 2f, 3, 4), rng => labels(12, 4)(rng).view(3, 4),
      repr = "PoissonCriterion()"),
    CriterionCase("MeanAbsolutePercentageCriterion", () => new MeanAbsolutePercentageCriterion(), normal(3, 4),
      uniform(0.5f, 2f, 3, 4), repr = "MeanAbsolutePercentageCriterion()")
  )
}
