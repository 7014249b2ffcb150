package ember.examples

import ember.data.LocalDataSet
import ember.models.LstmClassifier
import ember.nn.ClassNLLCriterion
import ember.optim.{LocalOptimizer, MaxIteration, SGD}
import ember.parallel.Engine
import ember.tensor.RandomGenerator

/**
 * The JVM side of `bench/lstm_classifier.py`: LSTM text-classifier training throughput with the
 * LocalOptimizer (run with spark-submit so that Spark's netlib jars are on the classpath):
 * {{{
 *   spark-submit --class ember.examples.LstmClassifierBench ember.jar <samples> <batch> <warmup> <vocab> <seqLen>
 * }}}
 * The model is [[ember.models.LstmClassifier]] with a learnt embedding (token ids -> 100-d -> LSTM 128 ->
 * last step -> 100 -> 20 classes); the data is generated: uniformly drawn token ids and labels. `warmup`
 * iterations first, then one full epoch is timed. The replicas follow [[Engine]] (`OPENBLAS_NUM_THREADS=1`:
 * one per core). Prints `RESULT <name> <value>` lines for the Python driver, as [[Benchmarks]] does.
 */
object LstmClassifierBench {

  final case class Setting(samples: Int, batch: Int, warmup: Int, vocab: Int, seqLen: Int)

  /** Samples per second and per CPU second (all threads of this JVM) of one timed epoch. */
  def run(s: Setting): Benchmarks.Throughput = {
    RandomGenerator.setSeed(0L)
    val rng = new java.util.Random(0)
    val x = Array.fill(s.samples * s.seqLen)(rng.nextInt(s.vocab).toFloat)
    val y = Array.fill(s.samples)(rng.nextInt(20).toFloat)
    val data = LocalDataSet.fromArrays(x, Array(s.seqLen), y)
    val model = LstmClassifier(classNum = 20, embeddingDim = 100, hiddenSize = 128, vocabSize = s.vocab)
    val opt = new LocalOptimizer(model, data, new ClassNLLCriterion(), s.batch)
    opt.setOptimMethod(new SGD(0.01)).setEndWhen(MaxIteration(s.warmup))
    opt.optimize()
    val epoch = data.batchesPerEpoch(s.batch)
    opt.setEndWhen(MaxIteration(s.warmup + epoch))
    val (t, cpu) = (System.nanoTime(), Benchmarks.processCpuSeconds())
    opt.optimize()
    Benchmarks.Throughput(s.samples / ((System.nanoTime() - t) / 1e9), s.samples / (Benchmarks.processCpuSeconds() - cpu))
  }

  def main(args: Array[String]): Unit = args.map(_.toInt) match {
    case Array(samples, batch, warmup, vocab, seqLen) =>
      val r = run(Setting(samples, batch, warmup, vocab, seqLen))
      println(s"RESULT replicas ${Engine.modelReplicas}")
      println(s"RESULT blas_threads ${Engine.blasThreads}")
      println(f"RESULT lstm_classifier ${r.samplesPerSecond}%.1f")
      println(f"RESULT lstm_classifier_per_cpu_s ${r.samplesPerCpuSecond}%.1f")
    case _ => throw new IllegalArgumentException("usage: LstmClassifierBench <samples> <batch> <warmup> <vocab> <seqLen>")
  }
}
