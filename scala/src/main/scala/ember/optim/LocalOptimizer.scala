package ember.optim

import ember.data.{ChunkQueue, LocalDataSet, MiniBatch}
import ember.nn.{Criterion, Module}
import ember.parallel.Engine
import ember.tensor.Tensor

/**
 * Trains on in-memory data in one JVM with one model replica per core (BigDL's LocalOptimizer).
 *
 * Replica 0 is the model itself; the others are clones whose weight tensors are re-pointed at views of the
 * model's flat weight buffer, so all replicas share one copy of the weights but each has its own gradient
 * buffer. Each iteration:
 *  1. share the mini-batch among the replicas: they claim chunks of it as they go ([[ChunkQueue]]), or, when a
 *     module needs the whole sub-batch (batch normalization, dropout), one contiguous sub-batch each (sizes
 *     differ by at most one);
 *  2. forward/backward on every replica in parallel on the Engine's pool;
 *  3. sum the replica gradients into the model's, each weighted by its share of the batch (len_r / n) when
 *     the criterion averages over the batch, so results do not depend on the replica count beyond float
 *     rounding (a criterion built with `sizeAverage = false` sums, and so do the replicas);
 *  4. add the regularizers' gradients (`Module.accRegularization`, once on the summed gradient);
 *  5. check loss and gradient (NaN, infinity, divergence: training stops before the update, so the model
 *     keeps its last good weights), clip, take the optim step, then triggers, logs, validation, checkpoints.
 * Running statistics (buffers) are those of replica 0.
 */
class LocalOptimizer(model: Module, initialData: LocalDataSet, criterion: Criterion, batchSize: Int)
    extends Optimizer(model, criterion, batchSize) {
  require(initialData != null, "LocalOptimizer: dataset must not be null")
  initialData.requireLabels("LocalOptimizer: training data")

  private var data: LocalDataSet = initialData

  /** The training data (of the next or current `optimize()` run). */
  def dataset: LocalDataSet = data

  /**
   * Replaces the training data for the next `optimize()` call (BigDL's `setTrainData`), e.g. fresh negative
   * samples each epoch; the optim method keeps its state and the position (epoch, iteration) goes on.
   */
  def setTrainData(newData: LocalDataSet): this.type = {
    require(newData != null && newData.size > 0, "setTrainData: the data set must not be null or empty")
    newData.requireLabels("setTrainData: training data")
    data = newData
    this
  }

  private var replicaCount: Int = -1
  private var replicas: ReplicaSet = null

  /** Uses `n` model replicas instead of [[Engine.modelReplicas]] (at most the batch size is used). */
  def setModelReplicas(n: Int): this.type = {
    require(n > 0, s"setModelReplicas: n must be > 0, got $n")
    if (n != replicaCount) replicas = null
    replicaCount = n
    this
  }

  private lazy val averaging: Boolean = criterion.averagesOverBatch

  override def optimize(): Module = {
    val (weights, grads) = model.getParameters()
    val reps = buildReplicas(grads)
    val itersPerEpoch = dataset.batchesPerEpoch(batchSize)
    log.info(s"LocalOptimizer: ${dataset.size} samples, batch $batchSize, $itersPerEpoch iterations per epoch, " +
      s"${reps.size} replica(s), ${weights.nElement} parameters, $optimMethod")
    startRun(itersPerEpoch)
    val propagate = model.propagateBack
    try {
      reps.training(propagateBack = false) // nothing reads the input gradient
      var stop = finished
      while (!stop) {
        val order = dataset.permutation(position.epoch, seed)
        var b = position.epochIteration
        while (!stop && b < itersPerEpoch) {
          val start = System.nanoTime()
          val batch = dataset.batch(order, b * batchSize, math.min(dataset.size, (b + 1) * batchSize))
          val loss = computeGradients(batch, reps)
          model.accRegularization() // once, on the summed gradient (replica 0's views into `grads`)
          checkLoss(loss)
          checkGradient(grads)
          clipping(grads)
          position = position.beforeStep
          val lr = optimMethod.learningRate(position)
          optimMethod.step(weights, grads, position)
          stop = endIteration(IterationStats(loss, batch.size, (System.nanoTime() - start) / 1e9, lr), itersPerEpoch)
          reps.training(propagateBack = false)
          b += 1
        }
      }
      finishRun(null)
    } catch { case e: Throwable => finishRun(e); throw e }
    finally model.setPropagateBack(propagate)
    model
  }

  override protected def runValidation(setting: ValidationSetting): Array[ValidationResult] = {
    val reps = if (replicas != null) replicas.models.toSeq else Seq(model)
    try Evaluator.evaluate(reps, localValidationSet, setting.methods, setting.batchSize)
    finally reps.foreach(_.training())
  }

  /** Replica 0 is the model; the others share its flat weights and own their gradients (rebuilt when the model's were). */
  private def buildReplicas(grads: Tensor): ReplicaSet = {
    val n = if (replicaCount > 0) replicaCount else Engine.modelReplicas
    if (replicas == null || replicas.size != n || (replicas.gradient.storage ne grads.storage)) replicas = new ReplicaSet(model, criterion, n)
    replicas
  }

  /**
   * Forward/backward of `batch` split among the replicas, gradients summed into the model's; returns the loss.
   * The replicas claim chunks of the batch as they go (a faster core takes more) unless a module needs the
   * static split (batch statistics, random draws: `Module.splitsFreely`) or `setDeterministic(true)` asks for it.
   */
  private def computeGradients(batch: MiniBatch, reps: ReplicaSet): Float = {
    val n = batch.size
    if (math.min(reps.size, n) > 1 && reps.splitsFreely && !deterministic) {
      val queue = ChunkQueue(n, reps.size, reps.gradient.nElement)
      val next = () => { val c = queue.claim(); if (c < 0) null else batch.slice(ChunkQueue.from(c), ChunkQueue.length(c)) }
      reps.computeChunks(next, n, averaging)._1.toFloat
    } else reps.computeStatic(batch, n, averaging).toFloat
  }
}
