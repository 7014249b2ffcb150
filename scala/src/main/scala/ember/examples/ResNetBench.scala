package ember.examples

import java.lang.management.ManagementFactory

import ember.data.LocalDataSet
import ember.models.ResNet
import ember.nn.{ClassNLLCriterion, LayerTimes, Module}
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

  /** One training step of `model` (forward, NLL loss, backward with parameter gradients, no input gradient for
   * the images, as the optimizers train) on a fixed generated batch. */
  private def trainingStep(model: Module, batch: Int): () => Unit = {
    model.training().setPropagateBack(false)
    val rng = new java.util.Random(0)
    val x = Tensor(batch, 3, 32, 32).apply1(_ => rng.nextGaussian().toFloat)
    val y = Tensor(batch).apply1(_ => rng.nextInt(10).toFloat)
    val crit = new ClassNLLCriterion()
    () => {
      val o = model.forward(x)
      crit.forward(o, y)
      model.zeroGradParameters()
      model.backward(x, crit.backward(o, y))
    }
  }

  /**
   * Thread-CPU milliseconds of each layer of one ResNet-20 training step (forward, loss, backward with
   * parameter gradients, no input gradient for the image: as the optimizers train) on the calling thread, the
   * mean over `steps` steps after `warmup`: one line per layer, then per layer class, then the whole step.
   * Run with one native thread (OMP_NUM_THREADS=1); bench/torch_resnet20_layers.py is PyTorch's side.
   */
  def layers(batch: Int, warmup: Int, steps: Int): Unit = {
    RandomGenerator.setSeed(0L)
    val model = ResNet(10, 20)
    val timed = LayerTimes.instrument(model)
    val step = trainingStep(model, batch)
    val cpu = java.lang.management.ManagementFactory.getThreadMXBean
    (0 until warmup).foreach(_ => step())
    timed.foreach(_.clearTimes())
    val t0 = cpu.getCurrentThreadCpuTime
    (0 until steps).foreach(_ => step())
    val whole = (cpu.getCurrentThreadCpuTime - t0) / 1e6 / steps
    def ms(n: Long): Double = n / 1e6 / steps
    println(s"ResNet-20 training step, batch $batch, thread CPU ms, mean of $steps steps after $warmup; kernels ${ember.tensor.dnn.Dnn.kernelsName}")
    for ((t, i) <- timed.zipWithIndex)
      println(f"LAYER $i%2d ${t.getName}%-24s ${t.layer.getClass.getSimpleName}%-26s ${ms(t.nanos)}%8.2f ${ms(t.backwardNanos)}%8.2f")
    for ((cls, ts) <- timed.groupBy(_.layer.getClass.getSimpleName).toSeq.sortBy(-_._2.map(t => t.nanos + t.backwardNanos).sum)) {
      val (f, b) = (ms(ts.map(_.nanos).sum), ms(ts.map(_.backwardNanos).sum))
      println(f"RESULT class_${cls} ${ts.size}%d $f%.2f $b%.2f ${f + b}%.2f")
    }
    val layersTotal = ms(timed.map(t => t.nanos + t.backwardNanos).sum)
    println(f"RESULT layers_total $layersTotal%.2f")
    println(f"RESULT step_total $whole%.2f")
  }

  /**
   * Thread-CPU milliseconds of one ResNet-20 training step (forward, loss, backward with parameter gradients, as
   * in [[layers]] but without the per-layer wrappers) on the calling thread, with the convolutions, batch norms
   * and ReLUs chained in oneDNN's memory (`ember.nn.TrainingFusion`) and without, alternating `rounds` times,
   * best and mean of `steps` steps each after `warmup`. Run with one native thread (OMP_NUM_THREADS=1).
   */
  def training(batch: Int, warmup: Int, steps: Int, rounds: Int = 3): Unit = {
    RandomGenerator.setSeed(0L)
    val step = trainingStep(ResNet(10, 20), batch)
    val cpu = java.lang.management.ManagementFactory.getThreadMXBean
    def timed(chain: Boolean): Seq[Double] = ember.nn.TrainingFusion.withEnabled(chain) {
      (0 until warmup).foreach(_ => step())
      (0 until steps).map { _ =>
        val t0 = cpu.getCurrentThreadCpuTime
        step()
        (cpu.getCurrentThreadCpuTime - t0) / 1e6
      }
    }
    val runs = (0 until rounds).map(_ => (timed(chain = true), timed(chain = false)))
    val (chained, unchained) = (runs.flatMap(_._1), runs.flatMap(_._2))
    println(s"ResNet-20 training step, batch $batch, thread CPU ms, $rounds x $steps steps each; kernels ${ember.tensor.dnn.Dnn.kernelsName}")
    println(f"RESULT train_chained_ms best ${chained.min}%.2f mean ${chained.sum / chained.size}%.2f")
    println(f"RESULT train_unchained_ms best ${unchained.min}%.2f mean ${unchained.sum / unchained.size}%.2f")
  }

  /**
   * Thread-CPU milliseconds of one evaluation-mode forward of ResNet-20 on the calling thread, with the
   * convolutions' batch norm, residual addition and ReLU fused into them (oneDNN, `ember.nn.InferenceFusion`)
   * and without, alternating `rounds` times, best of `steps` forwards each after `warmup`. Run with one native
   * thread (OMP_NUM_THREADS=1).
   */
  def inference(batch: Int, warmup: Int, steps: Int, rounds: Int = 3): Unit = {
    RandomGenerator.setSeed(0L)
    val model = ResNet(10, 20).evaluate()
    val rng = new java.util.Random(0)
    val x = Tensor(batch, 3, 32, 32).apply1(_ => rng.nextGaussian().toFloat)
    val cpu = java.lang.management.ManagementFactory.getThreadMXBean
    def timed(fuse: Boolean): Double = ember.nn.InferenceFusion.withEnabled(fuse) {
      (0 until warmup).foreach(_ => model.forward(x))
      (0 until steps).map { _ =>
        val t0 = cpu.getCurrentThreadCpuTime
        model.forward(x)
        (cpu.getCurrentThreadCpuTime - t0) / 1e6
      }.min
    }
    val best = (0 until rounds).map(_ => (timed(fuse = true), timed(fuse = false)))
    val (fused, unfused) = (best.map(_._1).min, best.map(_._2).min)
    println(s"ResNet-20 inference forward, batch $batch, thread CPU ms, best of $rounds x $steps; kernels ${ember.tensor.dnn.Dnn.kernelsName}")
    println(f"RESULT inference_fused_ms $fused%.2f")
    println(f"RESULT inference_unfused_ms $unfused%.2f")
  }

  def main(args: Array[String]): Unit = args.toList match {
    case "layers" :: batch :: warmup :: steps :: Nil => layers(batch.toInt, warmup.toInt, steps.toInt)
    case "inference" :: batch :: warmup :: steps :: Nil => inference(batch.toInt, warmup.toInt, steps.toInt)
    case "training" :: batch :: warmup :: steps :: Nil => training(batch.toInt, warmup.toInt, steps.toInt)
    case _ => mainBench(args.map(_.toInt))
  }

  private def mainBench(args: Array[Int]): Unit = args match {
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
    case _ => throw new IllegalArgumentException("usage: ResNetBench <samples> <batch> <warmup> | layers|inference|training <batch> <warmup> <steps>")
  }
}
