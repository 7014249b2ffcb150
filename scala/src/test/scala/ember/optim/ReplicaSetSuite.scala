package ember.optim

import ember.nn._
import ember.optim.LocalOptimizerSuite.clusters
import ember.tensor.RandomGenerator
import org.scalatest.funsuite.AnyFunSuite

object ReplicaSetSuite {
  /** A LeNet-like Sequential on the 4 features of `clusters`: a convolution, then linear layers holding most parameters. */
  def lenetLike(seed: Long): Module = {
    RandomGenerator.setSeed(seed)
    new Sequential().add(new Reshape(Array(1, 2, 2))).add(new SpatialConvolution(1, 4, 1, 1)).add(new Tanh())
      .add(new Reshape(Array(16))).add(new Linear(16, 64)).add(new Tanh()).add(new Linear(64, 32)).add(new Tanh())
      .add(new Linear(32, 3)).add(new LogSoftMax())
  }

  /** The same layers' kind as a Graph (not a Sequential): no final ranges are known during its backward. */
  def graph(seed: Long): Module = {
    RandomGenerator.setSeed(seed)
    val in = Input()
    val h = new Tanh().inputs(new Linear(4, 16).inputs(in))
    Graph(in, new LogSoftMax().inputs(new Linear(16, 3).inputs(h)))
  }
}

class ReplicaSetSuite extends AnyFunSuite {
  import ReplicaSetSuite._
  private val data = clusters(40, 3)
  private def bits(a: Array[Float]): Seq[Int] = a.toSeq.map(java.lang.Float.floatToRawIntBits)

  test("one replica of a Sequential hands out final ranges of its gradient during backward: the end gradient's bits") {
    val set = new ReplicaSet(lenetLike(5), new ClassNLLCriterion(), 1)
    // conv 8 values, then Linear(16, 64) to 1096, Linear(64, 32) to 3176, Linear(32, 3) to 3275
    assert(set.finalFrom.toSeq == Seq(0, 0, 8, 8, 8, 1096, 1096, 3176, 3176, 3275) && set.overlaps)
    val reference = new ReplicaSet(lenetLike(5), new ClassNLLCriterion(), 1)
    val batch = data.batch(Array.range(0, 24), 0, 24)
    val seen = scala.collection.mutable.ArrayBuffer.empty[(Int, Seq[Int])]
    val loss = set.computeStatic(batch, 32, averaging = true, k => seen += k -> bits(set.gradient.storage.drop(k)))
    assert(seen.map(_._1) == Seq(3176, 1096, 8, 0), "each module's parameters once its backward ran, last first")
    val g = set.gradient.storage
    seen.foreach { case (k, got) => assert(got == bits(g.drop(k)), s"values from $k changed after they were final") }
    assert(loss == reference.computeStatic(batch, 32, averaging = true) && bits(g) == bits(reference.gradient.storage))
    // weighted by 24 / 32 as the replicas' sum weights it
    assert(set.computeStatic(batch, 24, averaging = true, _ => ()) != loss)
  }

  test("no final ranges with two replicas, a Graph or regularizers: onFinal is not called") {
    val batch = data.batch(Array.range(0, 16), 0, 16)
    val regularized = lenetLike(5)
    regularized.children(4).setWRegularizer(new L1L2Regularizer(1e-3, 1e-2))
    for ((name, set) <- Seq("two replicas" -> new ReplicaSet(lenetLike(5), new ClassNLLCriterion(), 2),
        "graph" -> new ReplicaSet(graph(5), new ClassNLLCriterion(), 1),
        "regularizers" -> new ReplicaSet(regularized, new ClassNLLCriterion(), 1))) {
      assert(!set.overlaps, name)
      set.computeStatic(batch, 16, averaging = true, _ => fail(s"$name: onFinal called"))
    }
    assert(new ReplicaSet(graph(5), new ClassNLLCriterion(), 1).finalFrom.isEmpty)
  }

  test("overlap cuts: where at least minValues became final since the last cut, in backward order") {
    val finalFrom = Array(0, 0, 8, 8, 8, 1096, 1096, 3176, 3176, 3275)
    assert(SegmentLoop.overlapCuts(finalFrom, 3275, 16384).isEmpty)
    assert(SegmentLoop.overlapCuts(finalFrom, 3275, 1000).toSeq == Seq(8, 1096))
    assert(SegmentLoop.overlapCuts(finalFrom, 3275, 50).toSeq == Seq(8, 1096, 3176))
  }
}
