package ember.optim

import ember.data.LocalDataSet
import ember.nn._
import ember.parallel.Engine
import ember.tensor.RandomGenerator

/**
 * LeNet-5 training throughput of the LocalOptimizer on MNIST-shaped random data (not a test: run with
 * `project/sbt "Test/runMain ember.optim.LocalOptimizerBench [samples] [replicas]"` and OPENBLAS_NUM_THREADS=1).
 */
object LocalOptimizerBench {
  def lenet(): Module = new Sequential()
    .add(new SpatialConvolution(1, 6, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new SpatialConvolution(6, 12, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new Reshape(Array(12 * 4 * 4))).add(new Linear(12 * 4 * 4, 100)).add(new Tanh())
    .add(new Linear(100, 10)).add(new LogSoftMax())

  def main(args: Array[String]): Unit = {
    val n = if (args.length > 0) args(0).toInt else 12800
    val replicas = if (args.length > 1) args(1).toInt else Engine.coreNumber
    Engine.init(Engine.coreNumber, replicas)
    val rng = new java.util.Random(0)
    val data = LocalDataSet.fromArrays(Array.fill(n * 784)(rng.nextFloat()), Array(1, 28, 28), Array.fill(n)(rng.nextInt(10).toFloat))
    RandomGenerator.setSeed(1)
    val model = lenet()
    val opt = Optimizer(model, data, new ClassNLLCriterion(), 128).setOptimMethod(new SGD(0.01, 0, 0, 0.9))
    opt.setEndWhen(MaxIteration(20)).optimize() // warm-up
    val iters = data.batchesPerEpoch(128) * 2
    val t0 = System.nanoTime()
    opt.setEndWhen(MaxIteration(20 + iters)).optimize()
    val secs = (System.nanoTime() - t0) / 1e9
    val b = data.batch(Array.range(0, 128), 0, 128)
    val crit = new ClassNLLCriterion()
    def timed(label: String)(f: => Unit): Unit = {
      f; val t = System.nanoTime(); var i = 0; while (i < 20) { f; i += 1 }
      println(f"  $label: ${(System.nanoTime() - t) / 20e6}%.2f ms per batch of 128")
    }
    timed("forward") { model.forward(b.input) }
    timed("forward+backward") { val o = model.forward(b.input); crit.forward(o, b.target); model.backward(b.input, crit.backward(o, b.target)) }
    model.asInstanceOf[Sequential].children.foreach { m =>
      val in = if (m eq model.asInstanceOf[Sequential].children.head) b.input else null
      ()
    }
    var x: ember.tensor.Activity = b.input
    model.asInstanceOf[Sequential].children.foreach { m =>
      val in = x
      timed(s"  fwd ${m.getClass.getSimpleName}") { m.forward(in) }
      val out = m.output.toTensor.clone()
      timed(s"  bwd ${m.getClass.getSimpleName}") { m.backward(in, out) }
      x = out
    }
    println(f"LeNet-5 LocalOptimizer: $replicas replica(s), ${iters * 128 / secs}%.0f samples/s over $iters iterations")
  }
}
