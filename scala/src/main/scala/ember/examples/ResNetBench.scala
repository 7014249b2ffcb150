package ember.examples

import java.lang.management.ManagementFactory

import ember.data.LocalDataSet
import ember.models.ResNet
import ember.nn.{ClassNLLCriterion, Module}
import ember.optim.{LocalOptimizer, MaxIteration, SGD}
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}

/**
 * The JVM side of `bench/resnet20.py`: ResNet-20 (CIFAR-shaped 3x32x32, `ember.models.ResNet(10, 20)`)
 * training with the LocalOptimizer and inference, run with spark-submit like [[LstmClassifierBench]]:
 * {{{
 *   spark-submit --driver-memory 2g --class ember.examples.ResNetBench ember.jar <samples> <batch> <warmup>
 * }}}
 * Training: `warmup` iterations, then one epoch over `samples` generated images timed. Inference: the trained
 * model in evaluation mode, one copy per replica ([[Engine]]), each replica forwarding its own batches of
 * `batch` images as the Predictor's tasks do; `warmup` batches first, then `samples` images timed. Also
 * reports the live heap after a full GC at the end of training (what the model and its buffers keep
 * between iterations). Prints `RESULT <name> <value>` lines.
 */
object ResNetBench {

  final case class Setting(samples: Int, batch: Int, warmup: Int)

  private def images(s: Setting): (Array[Float], Array[Float]) = {
    val rng = new java.util.Random(0)
    (Array.fill(s.samples * 3 * 32 * 32)(rng.nextGaussian().toFloat), Array.fill(s.samples)(rng.nextInt(10).toFloat))
  }

  /** Trains; returns the throughput and the trained model. */
  def train(s: Setting): (Benchmarks.Throughput, Module) = {
    RandomGenerator.setSeed(0L)
    val (x, y) = images(s)
    val data = LocalDataSet.fromArrays(x, Array(3, 32, 32), y)
    val model = ResNet(10, 20)
    val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), s.batch)
    opt.setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(s.warmup))
    opt.optimize()
    val epoch = data.batchesPerEpoch(s.batch)
    opt.setEndWhen(MaxIteration(s.warmup + epoch))
    val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
    opt.optimize()
    (Benchmarks.Throughput(s.samples / ((System.nanoTime() - t) / 1e9), s.samples / (Benchmarks.processCpuSeconds() - cpu)), model)
  }

  /** Inference throughput: one evaluation-mode copy per replica, each forwarding its share of the batches. */
  def predict(s: Setting, model: Module): Benchmarks.Throughput = {
    val replicas = Engine.modelReplicas
    val copies = Seq.fill(replicas)(model.cloneModule().evaluate())
    val rng = new java.util.Random(1)
    val batch = Tensor(s.batch, 3, 32, 32)
    batch.apply1(_ => rng.nextGaussian().toFloat)
    val batches = math.max(replicas, s.samples / s.batch)
    def runAll(count: Int): Unit = Engine.invokeAll(copies.indices.map { r => () =>
      var i = r
      while (i < count) { copies(r).forward(batch); i += replicas }
    })
    runAll(math.max(s.warmup, replicas))
    val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
    runAll(batches)
    val n = batches.toDouble * s.batch
    Benchmarks.Throughput(n / ((System.nanoTime() - t) / 1e9), n / (Benchmarks.processCpuSeconds() - cpu))
  }

  /** Heap in use after a full GC, in MB. */
  def liveHeapMb(): Double = {
    System.gc(); System.gc()
    ManagementFactory.getMemoryMXBean.getHeapMemoryUsage.getUsed / 1048576.0
  }

  def main(args: Array[String]): Unit = args.map(_.toInt) match {
    case Array(samples, batch, warmup) =>
      val s = Setting(samples, batch, warmup)
      val (tr, model) = train(s)
      val live = liveHeapMb()
      val inf = predict(s, model)
      println(s"RESULT replicas ${Engine.modelReplicas}")
      println(f"RESULT resnet20_train ${tr.samplesPerSecond}%.1f")
      println(f"RESULT resnet20_train_per_cpu_s ${tr.samplesPerCpuSecond}%.1f")
      println(f"RESULT resnet20_predict ${inf.samplesPerSecond}%.1f")
      println(f"RESULT resnet20_predict_per_cpu_s ${inf.samplesPerCpuSecond}%.1f")
      println(f"RESULT live_heap_mb $live%.0f")
      println(f"RESULT max_heap_mb ${Runtime.getRuntime.maxMemory / 1048576.0}%.0f")
    case _ => throw new IllegalArgumentException("usage: ResNetBench <samples> <batch> <warmup>")
  }
}
