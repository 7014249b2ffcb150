package ember.optim

import ember.data.LocalDataSet
import ember.nn._
import ember.parallel.Engine
import ember.tensor.RandomGenerator
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/** The pointwise, margin and table-input criterions inside the optimizers: batch splitting among replicas must not change the result. */
class CriterionTrainingSuite extends AnyFunSuite with BeforeAndAfterAll {
  override def beforeAll(): Unit = Engine.init(2, 1)
  override def afterAll(): Unit = Engine.init(Runtime.getRuntime.availableProcessors())

  /** 60 sequences of 3 steps, 4 features each (flattened), with 0-based labels of 3 classes per step. */
  private val data = {
    val rng = new java.util.Random(4)
    val x = Array.fill(60 * 12)(rng.nextGaussian().toFloat)
    val y = Array.tabulate(60 * 3)(k => if (x(k * 4) > 0) 1f else if (x(k * 4 + 1) > 0) 2f else 0f)
    LocalDataSet.fromArrays(x, Array(12), y, Array(3))
  }

  private def train(criterion: Criterion, replicas: Int): Array[Float] = {
    RandomGenerator.setSeed(8)
    val model = new Sequential().add(new Linear(12, 9)).add(new Reshape(Array(3, 3)))
    new LocalOptimizer(model, data, criterion, 20).setModelReplicas(replicas)
      .setOptimMethod(new SGD(0.5)).setEndWhen(MaxIteration(6)).optimize()
    model.getParameters()._1.toArray
  }

  test("criterions that average over the batch inside a time or table container train the same with 1 and 2 replicas") {
    val makers: Seq[() => Criterion] = Seq(
      () => new TimeDistributedCriterion(new CrossEntropyCriterion()), // sums over time, averages over the batch
      () => new TimeDistributedCriterion(new CrossEntropyCriterion(null, false), true), // averages over time, sums over the batch
      () => new MultiCriterion().add(new TimeDistributedCriterion(new CrossEntropyCriterion()), 0.5))
    for (make <- makers) {
      val (one, two) = (train(make(), 1), train(make(), 2))
      val diff = one.zip(two).map { case (a, b) => math.abs(a - b) }.max
      assert(diff < 1e-5, s"${make()}: 1 vs 2 replicas differ by $diff")
    }
    assert(new TimeDistributedCriterion(new MSECriterion(false), true).averagesOverBatch == false)
    assert(new ParallelCriterion().add(new MSECriterion()).add(new AbsCriterion(false)).averagesOverBatch == false)
  }
}
