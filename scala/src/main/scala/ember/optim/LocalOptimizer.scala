package ember.optim

import ember.data.{ChunkQueue, LocalDataSet, MiniBatch}
import ember.io.ModuleSpec
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

  private var data: LocalDataSet = initialData

  /** The training data (of the next or current `optimize()` run). */
  def dataset: LocalDataSet = data

  /**
   * Replaces the training data for the next `optimize()` call (BigDL's `setTrainData`), e.g. fresh negative
   * samples each epoch; the optim method keeps its state and the position (epoch, iteration) goes on.
   */
  def setTrainData(newData: LocalDataSet): this.type = {
    require(newData != null && newData.size > 0, "setTrainData: the data set must not be null or empty")
    data = newData
    this
  }

  private final class Replica(val model: Module, val criterion: Criterion, val grads: Tensor)
  private var replicaCount: Int = -1
  private var replicas: Array[Replica] = null

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
    val reps = buildReplicas(weights, grads)
    val itersPerEpoch = dataset.batchesPerEpoch(batchSize)
    log.info(s"LocalOptimizer: ${dataset.size} samples, batch $batchSize, $itersPerEpoch iterations per epoch, " +
      s"${reps.length} replica(s), ${weights.nElement} parameters, $optimMethod")
    startRun(itersPerEpoch)
    val propagate = model.propagateBack
    try {
      reps.foreach(_.model.training().setPropagateBack(false)) // nothing reads the input gradient
      var stop = finished
      while (!stop) {
        val order = dataset.permutation(position.epoch, seed)
        var b = position.epochIteration
        while (!stop && b < itersPerEpoch) {
          val start = System.nanoTime()
          val batch = dataset.batch(order, b * batchSize, math.min(dataset.size, (b + 1) * batchSize))
          val loss = computeGradients(batch, reps, grads)
          model.accRegularization() // once, on the summed gradient (replica 0's views into `grads`)
          checkLoss(loss)
          checkGradient(grads)
          clipping(grads)
          val ctx = position.stepContext
          val lr = optimMethod.learningRate(ctx)
          optimMethod.step(weights, grads, ctx)
          stop = endIteration(IterationStats(loss, batch.size, (System.nanoTime() - start) / 1e9, lr), itersPerEpoch)
          reps.foreach(_.model.training())
          b += 1
        }
      }
      finishRun(null)
    } catch { case e: Throwable => finishRun(e); throw e }
    finally model.setPropagateBack(propagate)
    model
  }

  override protected def runValidation(setting: ValidationSetting): Array[ValidationResult] = {
    val reps = if (replicas != null) replicas.map(_.model).toSeq else Seq(model)
    try Evaluator.evaluate(reps, localValidationSet, setting.methods, setting.batchSize)
    finally reps.foreach(_.training())
  }

  /** Replica 0 is the model; the others share its flat weights and own their gradients. */
  private def buildReplicas(weights: Tensor, grads: Tensor): Array[Replica] = {
    val n = if (replicaCount > 0) replicaCount else Engine.modelReplicas
    if (replicas == null || replicas.length != n || (replicas(0).grads.storage ne grads.storage)) {
      val criterionSpec = ModuleSpec.describe(criterion)
      replicas = Array.tabulate(n) { i =>
        if (i == 0) new Replica(model, criterion, grads)
        else {
          val clone = model.cloneModule()
          val (_, g) = clone.getParameters()
          clone.namedParameters.zip(model.namedParameters).foreach { case ((_, rp), (_, mp)) => rp.value.set(mp.value) }
          new Replica(clone, ModuleSpec.buildCriterion(criterionSpec), g)
        }
      }
    }
    replicas
  }

  /**
   * Forward/backward of `batch` split among the replicas; sums the gradients into `grads`; returns the loss.
   * The replicas claim chunks of the batch as they go ([[ChunkQueue]]: a faster core takes more) unless a
   * module needs the static split (batch statistics, random draws: `Module.splitsFreely`) or
   * `setDeterministic(true)` asks for it.
   */
  private def computeGradients(batch: MiniBatch, reps: Array[Replica], grads: Tensor): Float = {
    val n = batch.size
    val k = math.min(reps.length, n)
    if (k > 1 && splitsFreely && !deterministic) return computeInChunks(batch, reps.take(k), grads)
    val lengths = Array.tabulate(k)(i => n / k + (if (i < n % k) 1 else 0))
    val offsets = lengths.scanLeft(0)(_ + _)
    val losses = Engine.invokeAll((0 until k).map { i => () =>
      val r = reps(i)
      val sub = batch.slice(offsets(i), lengths(i))
      r.grads.zero()
      val out = r.model.forward(sub.input)
      val l = r.criterion.forward(out, sub.target)
      r.model.backward(sub.input, r.criterion.backward(out, sub.target))
      l
    })
    val w = lengths.map(len => if (averaging) len.toFloat / n else 1f)
    sumGradients(reps.take(k).map(_.grads), w, grads)
    losses.zip(w).map { case (l, wi) => l * wi }.sum
  }

  private lazy val splitsFreely: Boolean = Module.splitsFreely(model)

  /** [[computeGradients]] with chunks claimed from a [[ChunkQueue]]: each chunk's gradient is weighted as it is added. */
  private def computeInChunks(batch: MiniBatch, reps: Array[Replica], grads: Tensor): Float = {
    val n = batch.size
    val queue = ChunkQueue(n, reps.length, grads.nElement)
    val next = () => { val c = queue.claim(); if (c < 0) null else batch.slice(ChunkQueue.from(c), ChunkQueue.length(c)) }
    val losses = Engine.invokeAll(reps.toSeq.map { r => () =>
      r.grads.zero()
      ChunkedStep.run(r.model, r.criterion, next, n, averaging)._1
    })
    sumGradients(reps.map(_.grads), Array.fill(reps.length)(1f), grads)
    losses.sum.toFloat
  }

  /** grads = sum_i w(i) * parts(i), where parts(0) is grads itself; chunks of the vector run in parallel. */
  private def sumGradients(parts: Array[Tensor], w: Array[Float], grads: Tensor): Unit = {
    val total = grads.nElement
    val chunks = if (parts.length == 1 || total < 65536) 1 else parts.length
    Engine.invokeAll((0 until chunks).map { c => () =>
      val from = (total.toLong * c / chunks).toInt
      val len = (total.toLong * (c + 1) / chunks).toInt - from
      val g = grads.narrow(0, from, len)
      if (w(0) != 1f) g.mul(w(0))
      var i = 1
      while (i < parts.length) { g.add(w(i), parts(i).narrow(0, from, len)); i += 1 }
    })
  }
}
