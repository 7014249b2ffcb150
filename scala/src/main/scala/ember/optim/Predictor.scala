package ember.optim

import scala.reflect.ClassTag

import ember.data.{MiniBatch, Sample}
import ember.io.ModelFile
import ember.nn.Module
import ember.tensor.Tensor
import org.apache.spark.rdd.RDD

/**
 * Distributed inference over an `RDD[Sample]` (BigDL's `Predictor` / `Evaluator` on RDDs).
 *
 * The model is broadcast once per job as its model file bytes (modules are not Java-serializable, and the
 * model file is the one stable format); each task rebuilds one private copy, switches it to evaluation
 * mode and runs it on mini-batches of `batchSize` consecutive samples of its partition, so outputs keep
 * the order of the input RDD. Samples in one batch must share their shapes (the error names the first
 * that differs). Labels are ignored by [[predict]] and [[predictClass]]; [[evaluate]] needs them.
 *
 * Every method checks its arguments on the driver; errors inside tasks (a wrong input shape, a label out of
 * range) reach the caller as a `SparkException` whose cause is the task's exception.
 */
class Predictor(model: Module, batchSize: Int = 128) {
  require(model != null, "Predictor: model must not be null")
  require(batchSize > 0, s"Predictor: batchSize must be > 0, got $batchSize")

  // The module never enters a closure (it is not Serializable): only its file's chunks do, broadcast per job
  // (chunks: no 2 GB array for a model of any size).
  private val modelChunks: Array[Array[Byte]] = ModelFile.toChunks(model)

  /**
   * The model's output for each sample: one tensor per sample, shaped as the model's output for one
   * sample (the batch output without its first dimension), in the order of `data`. The tensors are not
   * Java-serializable: map them (e.g. `_.toArray`) before collecting or shuffling.
   */
  def predict(data: RDD[Sample]): RDD[Tensor] =
    predictBatches(data).flatMap(out => Iterator.range(0, out.size(0)).map(i => out.select(0, i).clone()))

  /** The 0-based index of the highest output of each sample (the output flattened per sample). */
  def predictClass(data: RDD[Sample]): RDD[Int] =
    predictBatches(data).flatMap(out => Predictor.argmax(out).iterator)

  /**
   * The batch outputs, one tensor [b, ...] per mini-batch of b consecutive samples of a partition
   * (the last batch of each partition may be smaller). The cheapest form to ship elsewhere in bulk.
   */
  def predictBatches(data: RDD[Sample]): RDD[Tensor] =
    mapBatches(data) { (m, batch) =>
      val out = m.forward(batch.input)
      require(out.isTensor, s"Predictor: the model's output is a ${out.getClass.getSimpleName}; predict needs a tensor")
      val t = out.toTensor
      require(t.dim >= 1 && t.size(0) == batch.size,
        s"Predictor: the model returned shape ${t.shapeString} for a batch of ${batch.size}; expected [${batch.size}, ...]")
      t.clone()
    }

  /**
   * The results of `methods` (in order) over all of `data`: each task scores its batches, results are
   * merged with `+` within and then across partitions.
   */
  def evaluate(data: RDD[Sample], methods: Array[ValidationMethod]): Array[ValidationResult] = {
    require(methods != null && methods.nonEmpty && !methods.contains(null), "Predictor.evaluate: needs at least one ValidationMethod")
    val perPartition = mapBatches(data) { (m, batch) =>
      val out = m.forward(batch.input)
      methods.map(_.apply(out, batch.target))
    }.mapPartitions { it =>
      if (it.hasNext) Iterator(it.reduce(Predictor.merge)) else Iterator.empty
    }
    val results = perPartition.collect()
    require(results.nonEmpty, "Predictor.evaluate: the data set is empty (no samples)")
    results.reduce(Predictor.merge)
  }

  /** Runs `f` on every mini-batch of every partition with one evaluation-mode model copy per task. */
  private def mapBatches[U: ClassTag](data: RDD[Sample])(f: (Module, MiniBatch) => U): RDD[U] = {
    require(data != null, "Predictor: data must not be null")
    val chunks = data.sparkContext.broadcast(modelChunks)
    val size = batchSize
    data.mapPartitions { samples =>
      lazy val m = ModelFile.fromChunks(chunks.value).evaluate() // no model is built for an empty partition
      samples.grouped(size).map(group => f(m, MiniBatch.fromSamples(group.toSeq)))
    }
  }
}

object Predictor {

  /** A predictor of `model` with mini-batches of `batchSize` samples. */
  def apply(model: Module, batchSize: Int = 128): Predictor = new Predictor(model, batchSize)

  private def merge(a: Array[ValidationResult], b: Array[ValidationResult]): Array[ValidationResult] =
    a.zip(b).map { case (x, y) => x + y }

  /** 0-based argmax of each row of `out` (flattened per sample); ties go to the lower index. */
  private[ember] def argmax(out: Tensor): Array[Int] = {
    val scores = if (out.dim == 1) out.view(out.size(0), 1) else out.reshape(out.size(0), -1)
    scores.argmaxRows()
  }
}
