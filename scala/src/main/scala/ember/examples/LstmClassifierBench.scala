package ember.examples

import ember.data.LocalDataSet
import ember.models.LstmClassifier
import ember.nn.{ClassNLLCriterion, LayerTimes}
import ember.optim.{LocalOptimizer, MaxIteration, SGD, TrainingPosition}
import ember.parallel.Engine
import ember.tensor.{RandomGenerator, Tensor}

/**
 * The JVM side of `bench/lstm_classifier.py`: LSTM text-classifier training throughput with the
 * LocalOptimizer (run with spark-submit so that Spark's netlib jars are on the classpath):
 * {{{
 *   spark-submit --class ember.examples.LstmClassifierBench ember.jar <samples> <batch> <warmup> <vocab> <seqLen> [bf16]
 *   spark-submit --class ember.examples.LstmClassifierBench ember.jar layers <batch> <warmup> <steps> [bf16]
 * }}}
 * The model is [[ember.models.LstmClassifier]] with a learnt embedding (token ids -> 100-d -> LSTM 128 ->
 * last step -> 100 -> 20 classes); the data is generated: uniformly drawn token ids and labels. `warmup`
 * iterations first, then one full epoch is timed. The replicas follow [[Engine]] (`OPENBLAS_NUM_THREADS=1`:
 * one per core). Prints `RESULT <name> <value>` lines for the Python driver, as [[Benchmarks]] does.
 */
object LstmClassifierBench {

  /** One run: sizes, and the compute precision ("fp32", or "bf16" mixed precision). */
  final case class Setting(samples: Int, batch: Int, warmup: Int, vocab: Int, seqLen: Int, precision: String = "fp32")

  /** Samples per second and per CPU second (all threads of this JVM) of one timed epoch. */
  def run(s: Setting): Benchmarks.Throughput = {
    RandomGenerator.setSeed(0L)
    val rng = new java.util.Random(0)
    val x = Array.fill(s.samples * s.seqLen)(rng.nextInt(s.vocab).toFloat)
    val y = Array.fill(s.samples)(rng.nextInt(20).toFloat)
    val data = LocalDataSet.fromArrays(x, Array(s.seqLen), y)
    val model = LstmClassifier(classNum = 20, embeddingDim = 100, hiddenSize = 128, vocabSize = s.vocab)
    val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), s.batch)
    opt.setMixedPrecision(s.precision).setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(s.warmup))
    opt.optimize()
    val epoch = data.batchesPerEpoch(s.batch)
    opt.setEndWhen(MaxIteration(s.warmup + epoch))
    val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
    opt.optimize()
    Benchmarks.Throughput(s.samples / ((System.nanoTime() - t) / 1e9), s.samples / (Benchmarks.processCpuSeconds() - cpu))
  }

  /**
   * Thread-CPU milliseconds of each layer of one training step (forward, loss, backward with parameter
   * gradients, no input gradient for the ids: as the optimizers train), of the loss, of zeroing the gradients
   * and of the SGD update, on the calling thread, the mean over `steps` steps after `warmup`; then the
   * evaluation-mode forward per layer. Run with one native thread (OMP_NUM_THREADS=1);
   * `bench/torch_lstm_classifier.py --layers` is PyTorch's side. `mode` "bf16" runs in bf16 mixed precision.
   */
  def layers(batch: Int, warmup: Int, steps: Int, mode: String): Unit = {
    ember.tensor.dnn.MixedPrecision.set(mode)
    RandomGenerator.setSeed(0L)
    val (vocab, seqLen) = (10000, 50)
    val model = LstmClassifier(classNum = 20, embeddingDim = 100, hiddenSize = 128, vocabSize = vocab)
    val (weights, grads) = model.getParameters()
    val timed = LayerTimes.instrument(model)
    model.training().setPropagateBack(false)
    val rng = new java.util.Random(0)
    val x = Tensor(batch, seqLen).apply1(_ => rng.nextInt(vocab).toFloat)
    val y = Tensor(batch).apply1(_ => rng.nextInt(20).toFloat)
    val crit = new ClassNLLCriterion()
    val sgd = new SGD(0.01)
    val cpu = java.lang.management.ManagementFactory.getThreadMXBean
    var (lossNs, zeroNs, updateNs) = (0L, 0L, 0L)
    def timedNs(body: => Unit): Long = { val t = cpu.getCurrentThreadCpuTime; body; cpu.getCurrentThreadCpuTime - t }
    def step(i: Int): Unit = {
      zeroNs += timedNs(grads.zero())
      val o = model.forward(x)
      var g: Tensor = null
      lossNs += timedNs { crit.forward(o, y); g = crit.backward(o, y).toTensor }
      model.backward(x, g)
      updateNs += timedNs(sgd.step(weights, grads, TrainingPosition.at(i.toLong)))
    }
    (0 until warmup).foreach(step)
    timed.foreach(_.clearTimes()); lossNs = 0L; zeroNs = 0L; updateNs = 0L
    val t0 = cpu.getCurrentThreadCpuTime
    (0 until steps).foreach(step)
    val whole = (cpu.getCurrentThreadCpuTime - t0) / 1e6 / steps
    def ms(n: Long): Double = n / 1e6 / steps
    println(s"LSTM classifier training step, batch $batch, thread CPU ms (forward, backward), mean of $steps steps " +
      s"after $warmup; kernels ${ember.tensor.dnn.Dnn.kernelsName}, precision ${ember.tensor.dnn.MixedPrecision.active}")
    for ((t, i) <- timed.zipWithIndex)
      println(f"LAYER $i%2d ${t.layer.getClass.getSimpleName}%-16s ${ms(t.nanos)}%8.2f ${ms(t.backwardNanos)}%8.2f")
    println(f"LAYER    criterion        ${ms(lossNs)}%8.2f")
    println(f"LAYER    zero gradients   ${ms(zeroNs)}%8.2f")
    println(f"LAYER    SGD update       ${ms(updateNs)}%8.2f")
    println(f"RESULT step_total $whole%.2f")
    model.evaluate()
    (0 until warmup).foreach(_ => model.forward(x))
    timed.foreach(_.clearTimes())
    val t1 = cpu.getCurrentThreadCpuTime
    (0 until steps).foreach(_ => model.forward(x))
    val inference = (cpu.getCurrentThreadCpuTime - t1) / 1e6 / steps
    for ((t, i) <- timed.zipWithIndex) println(f"INFER $i%2d ${t.layer.getClass.getSimpleName}%-16s ${ms(t.nanos)}%8.2f")
    println(f"RESULT inference_total $inference%.2f")
  }

  def main(args: Array[String]): Unit = args.toList match {
    case "layers" :: batch :: warmup :: steps :: rest =>
      layers(batch.toInt, warmup.toInt, steps.toInt, rest.headOption.getOrElse("fp32"))
    case _ => mainBench(args)
  }

  private def mainBench(args: Array[String]): Unit = args.take(5).map(_.toInt) match {
    case Array(samples, batch, warmup, vocab, seqLen) if args.length <= 6 =>
      val r = run(Setting(samples, batch, warmup, vocab, seqLen, args.lift(5).getOrElse("fp32")))
      println(s"RESULT precision ${ember.tensor.dnn.MixedPrecision.active}")
      println(s"RESULT replicas ${Engine.modelReplicas}")
      println(s"RESULT blas_threads ${Engine.blasThreads}")
      println(f"RESULT lstm_classifier ${r.samplesPerSecond}%.1f")
      println(f"RESULT lstm_classifier_per_cpu_s ${r.samplesPerCpuSecond}%.1f")
    case _ => throw new IllegalArgumentException(
      "usage: LstmClassifierBench <samples> <batch> <warmup> <vocab> <seqLen> [bf16] | layers <batch> <warmup> <steps> [bf16]")
  }
}
