package ember.optim

import ember.data.BatchPlan
import ember.parallel.{AllReduceParameter, GradientHeader, IterationWork, LocalShare}
import ember.tensor.Tensor

/**
 * Where a task's part of each global batch comes from, chosen once per segment: its own partition's samples
 * split evenly among its replicas ([[OwnBatches]]), or chunks of the batch's samples of every partition in
 * this JVM, claimed by all the local tasks' replicas as they go ([[SharedBatches]], see IterationWork).
 * Both follow the LocalOptimizer's global batch order ([[BatchPlan]]), or with `batches.balanced` each
 * partition's share of every batch ([[BatchPlan.balancedCuts]]).
 */
private[optim] sealed abstract class BatchSource(batches: BatchSettings) {
  private val orders = scala.collection.mutable.Map.empty[Int, Array[Int]] // by partition (-1: the global order)
  private var ordersEpoch = -1
  private lazy val cuts = BatchPlan.balancedCuts(batches.counts, batches.batchSize) // (balanced batches only)

  /** Partition q's samples (indices within it) in batch `b` of `epoch`. */
  protected def indicesOf(epoch: Int, b: Int, q: Int): Array[Int] = {
    if (ordersEpoch != epoch) { orders.clear(); ordersEpoch = epoch }
    import batches._
    if (balanced) BatchPlan.balancedIndices(orders.getOrElseUpdate(q, BatchPlan.permutation(counts(q), epoch, seed + q)),
      cuts, q, b)
    else BatchPlan.localIndices(orders.getOrElseUpdate(-1, BatchPlan.permutation(total, epoch, seed)), b, batchSize,
      offsets(q), counts(q))
  }

  /** Samples in global batch `b` of an epoch. */
  protected def globalSize(b: Int): Int =
    if (batches.balanced) BatchPlan.balancedSize(cuts, b)
    else math.min(batches.batchSize, batches.total - b * batches.batchSize)

  /**
   * Forward/backward of this task's part of iteration `t` (at `position`) into the replicas' summed gradient;
   * `onFinal` (or null) as in [[TaskReplicas.compute]].
   */
  def compute(t: Long, position: TrainingPosition, onFinal: Int => Unit): GradientHeader
}

private[optim] final class OwnBatches(batches: BatchSettings, part: PartitionData, replicas: TaskReplicas, averaging: Boolean)
    extends BatchSource(batches) {
  def compute(t: Long, position: TrainingPosition, onFinal: Int => Unit): GradientHeader = {
    val b = position.epochIteration
    val p = part.index
    val indices = indicesOf(position.epoch, b, p)
    GradientHeader(replicas.compute(part.data, indices, globalSize(b), averaging, regularize = p == 0, onFinal), indices.length)
  }
}

private[optim] final class SharedBatches(batches: BatchSettings, prefix: String, p: Int, local: Array[Int],
    data: Array[ember.data.LocalDataSet], replicas: TaskReplicas, averaging: Boolean) extends BatchSource(batches) {
  // chunks claimed as the replicas go: a range is final only after the last one, unknown in advance (onFinal unused)
  def compute(t: Long, position: TrainingPosition, onFinal: Int => Unit): GradientHeader = {
    val b = position.epochIteration
    val work = LocalShare.iteration(prefix, t, local.length, new IterationWork(data, local.map(q => indicesOf(position.epoch, b, q)),
      local.length * replicas.size, replicas.weights.length))
    val (loss, samples) = replicas.computeShared(work, globalSize(b), averaging, regularize = p == 0)
    GradientHeader(loss, samples)
  }
}

/**
 * What one iteration of a task produced: the state the triggers see, the global loss and batch size, its compute time
 * (wall clock and the thread's CPU time), its time waiting for the other tasks' gradient slices, the thread's CPU time
 * in the exchange and update (steps 2-5), and the failure.
 */
private[optim] final case class IterationOutcome(state: TrainingPosition, loss: Float, samples: Int, computeNanos: Long,
    computeCpuNanos: Long, gradientWaitNanos: Long, failure: String, syncCpuNanos: Long = 0L)

/**
 * The iterations of task `p` in one segment, as the five steps of the DistriOptimizer's notes:
 *   1. [[computeGradients]] on the task's part of the global batch;
 *   2. [[sendGradients]]: its slices to their owners; with overlap (`spark.ember.overlapGradients`, one replica of a
 *      Sequential model), the pieces whose values are final leave during step 1's backward, last layers first, and
 *      step 2 sends the rest (see ReplicaSet and AllReduceParameter.putFinal);
 *   3. [[aggregateOwnSlice]]: the owned slice summed over the tasks;
 *   4. [[clipStepAndPublish]]: the checks, clipping and the optim method's step on the owned slice, which is then
 *      sent to every task;
 *   5. [[receiveWeights]]: every other slice into the replicas' weights (and the global gradient norm check).
 * With one task (the default layout in local mode) there is nothing to exchange: the step works in place on the
 * replicas' weights and gradient, checked before it (no copy to restore; the wire codec does not apply). The
 * copies in and out of a slice cost an MLP of 5M parameters 30% of its iteration time. With two tasks the
 * exchange is replicated (see AllReduceParameter): the task "owns" the whole vector and steps every slice with
 * that slice's method (`methods(q)`), and the global gradient norm is known before the step.
 *
 * Over two tasks, steps 3 and 4 are pipelined when they can be: each piece of the owned slice is checked (the
 * global loss, with the first piece), clipped, stepped ([[OptimMethod.stepRange]]) and published as soon as
 * [[AllReduceParameter.aggregate]] has summed it, while it is in the cache and later pieces are still on the
 * wire. The pieces' steps are the whole slice's step bit for bit. Not with L2-norm clipping (the global norm
 * is needed before any step) nor with a method that does not update in ranges: those step the whole slice
 * once it is summed.
 */
private[optim] final class SegmentLoop(plan: SegmentPlan, p: Int, replicas: TaskReplicas, batches: BatchSource,
    ar: AllReduceParameter, methods: Int => OptimMethod) {
  private val single = plan.sync.layout.parts == 1
  private val (off, len) = (ar.ownOffset, ar.ownLength)
  /** The optim methods of the slices this task steps (by slice), with their place in [[master]]. */
  private val stepped = ar.ownSlices.map(q => q -> (methods(q), plan.sync.layout.offset(q) - off, plan.sync.layout.length(q))).toMap
  /** The optim method of slice `p` (with its state): what the task hands back at the segment's end. */
  def method: OptimMethod = stepped(p)._1
  /** Slice `p` of the master weights. */
  def masterSlice: Array[Float] = if (ar.replicated) java.util.Arrays.copyOfRange(master,
    plan.sync.layout.offset(p), plan.sync.layout.offset(p) + plan.sync.layout.length(p)) else master
  /** Float32 master weights of the owned slice (the replicas' own weights with one task). */
  val master: Array[Float] = if (single) replicas.weights else java.util.Arrays.copyOfRange(replicas.weights, off, off + len)
  private val gradSlice = if (single) replicas.grads else new Array[Float](len)
  // the norm of the global gradient is known before the step (else it arrives with the weights, see receiveWeights)
  private val normFirst = single || ar.replicated || plan.steps.clipping.isInstanceOf[L2NormClipping]
  // the slice before the step, restored if refused: kept by the exchange's weight messages, or copied here
  private val previous = if (normFirst || ar.keepsWeights) null else new Array[Float](len)
  private val (masterT, gradT) = (Tensor.fromArray(master, len), Tensor.fromArray(gradSlice, len))
  /** Step 4 piece by piece while the slice is summed (see the class notes), or null. */
  private val pieceSteps = if (normFirst || !ar.publishesPieces) null else new PieceSteps
  private var at: TrainingPosition = plan.steps.start
  /** Whether step 2 starts during step 1's backward (see [[computeGradients]]). */
  private val overlap = plan.sync.overlap && !single && replicas.overlap
  if (!normFirst && ar.keepsWeights) ar.keepWeights(at.iteration, master)

  /** Where training is: advanced by every iteration. */
  def position: TrainingPosition = at
  // Without L2-norm clipping (and with over two tasks) the global gradient norm travels with the weights (one
  // synchronisation point less): then the gradient's finiteness is known only after the step, undone if it was not.

  /** One iteration of the five steps. */
  def iterate(): IterationOutcome = {
    val t = at.iteration + 1
    val epoch = at.epoch
    val (t0, cpu0) = (System.nanoTime(), SegmentLoop.threadCpu.getCurrentThreadCpuTime)
    val own = computeGradients(t)
    val (computeNanos, computeCpuNanos) = (System.nanoTime() - t0, SegmentLoop.threadCpu.getCurrentThreadCpuTime - cpu0)
    sendGradients(t, own)
    val waited = ar.waitNanos
    val sum = aggregateOwnSlice(t, own)
    val gradientWaitNanos = ar.waitNanos - waited
    val loss = sum.lossSum.toFloat
    val sliceSquares = if (single) AllReduceParameter.sumSquares(gradSlice) else ar.ownSquares // summed while aggregating
    var failure = clipStepAndPublish(t, epoch, loss, sliceSquares)
    at = at.advance(loss, plan.batches.itersPerEpoch)
    if (failure == null) failure = receiveWeights(t, epoch, loss, sliceSquares)
    val syncCpuNanos = SegmentLoop.threadCpu.getCurrentThreadCpuTime - cpu0 - computeCpuNanos
    IterationOutcome(at, loss, sum.samples, computeNanos, computeCpuNanos, gradientWaitNanos, failure, syncCpuNanos)
  }

  /**
   * Step 1: forward/backward of this task's part of batch `t` on its replicas, summed into `replicas.grads`; with
   * [[overlap]], the pieces of step 2 whose values are final leave during backward.
   */
  def computeGradients(t: Long): GradientHeader =
    batches.compute(t, at, if (overlap) (from: Int) => ar.putFinal(t, replicas.grads, from) else null)

  /** Step 2: the slices of this task's gradient to their owners (those [[computeGradients]] did not send yet). */
  def sendGradients(t: Long, own: GradientHeader): Unit = if (!single) ar.putGradients(t, replicas.grads, own)

  /** Step 3: the owned slice of the global gradient into `gradSlice`; returns the global loss and batch size. */
  def aggregateOwnSlice(t: Long, own: GradientHeader): GradientHeader =
    if (single) own
    else {
      if (pieceSteps != null) pieceSteps.start(t, at.epoch)
      ar.aggregate(t, replicas.grads, own, gradSlice, pieceSteps)
    }

  /**
   * Step 4: checks the global loss (and with one task or L2 clipping, the global gradient norm), clips, steps
   * the owned slice and publishes it. Returns the failure that stopped the step, or null.
   */
  def clipStepAndPublish(t: Long, epoch: Int, loss: Float, sliceSquares: Double): String = {
    if (pieceSteps != null && pieceSteps.stepped) return null // done piece by piece
    val globalSquares = if (normFirst) ar.allSum(t, sliceSquares) else 0.0 // sliceSquares with one or two tasks
    val failure = if (pieceSteps != null) pieceSteps.failure else SegmentLoop.check(plan.steps.guard, loss, globalSquares, t, epoch)
    if (failure == null) {
      if (previous != null) System.arraycopy(master, 0, previous, 0, len)
      plan.steps.clipping match {
        case c: L2NormClipping => val s = c.scaleFor(globalSquares); if (s != 1f) gradT.mul(s)
        case c => c(gradT)
      }
      at = at.beforeStep
      if (stepped.size == 1) method.step(masterT, gradT, at)
      else ar.ownSlices.foreach { q => val (m, o, n) = stepped(q); m.step(masterT.narrow(0, o, n), gradT.narrow(0, o, n), at) }
      if (!single) ar.publish(t, master, replicas.weights, sliceSquares)
    }
    failure
  }

  /**
   * Step 4 for each piece of the owned slice as [[AllReduceParameter.aggregate]] sums it: with the first piece, the
   * check of the global loss and the start of the method's update ([[OptimMethod.beginRanges]]); then for every
   * piece the copy kept for a refused step (with bf16 on the wire; float32 weight messages keep it), the clipping, the step of its range and its publication (the last
   * piece's carries the slice's gradient sum of squares, complete by then). When the method cannot update in
   * ranges nothing is stepped here and [[clipStepAndPublish]] steps the whole slice.
   */
  private final class PieceSteps extends AllReduceParameter.Pieces {
    private var t = 0L
    private var epoch = 0
    /** The failure of the check (first piece), or null. */
    var failure: String = null
    /** Whether this iteration's pieces were stepped and published as they came. */
    var stepped = false

    def start(iteration: Long, epochNow: Int): Unit = { t = iteration; epoch = epochNow; failure = null; stepped = false }

    def piece(c: Int, from: Int, n: Int, header: GradientHeader): Unit = {
      if (c == 0) {
        failure = SegmentLoop.check(plan.steps.guard, header.lossSum.toFloat, 0.0, t, epoch)
        val before = at.beforeStep
        stepped = failure == null && method.beginRanges(len, before)
        if (stepped) at = before
      }
      if (stepped) {
        if (previous != null) System.arraycopy(master, from, previous, from, n)
        plan.steps.clipping match {
          case NoClipping =>
          case clip => clip(gradT.narrow(0, from, n))
        }
        method.stepRange(master, gradSlice, from, from + n)
        ar.publishPiece(t, c, master, replicas.weights, ar.ownSquares)
      }
    }
  }

  /**
   * Step 5: the other slices' new weights into the replicas. Without L2 clipping, the global gradient norm
   * arrives with them: a non-finite gradient is then refused by every task at once, each restoring its slice.
   */
  def receiveWeights(t: Long, epoch: Int, loss: Float, sliceSquares: Double): String = {
    if (single) return null
    val squares = ar.fetchWeights(t, replicas.weights, sliceSquares)
    if (normFirst) return null
    val failure = SegmentLoop.check(plan.steps.guard, loss, squares, t, epoch)
    if (failure != null) { if (previous != null) System.arraycopy(previous, 0, master, 0, len) else ar.restoreWeights(t, master) }
    failure
  }
}

private[optim] object SegmentLoop {
  private val threadCpu = java.lang.management.ManagementFactory.getThreadMXBean

  /** The least values of a piece of the replicated exchange cut off for overlap (64 KB in float32), or of a message. */
  val OverlapPieceValues: Int = 16384

  /**
   * Where to cut the replicated exchange's gradient so that its last layers leave during backward: walking the
   * modules in backward order (`finalFrom`, see [[ReplicaSet.finalFrom]]), a cut wherever at least `minValues`
   * values became final since the last one (PyTorch DDP's buckets, in a model's layers). Empty when there is none.
   */
  def overlapCuts(finalFrom: Array[Int], total: Int, minValues: Int): Array[Int] = {
    val cuts = scala.collection.mutable.ArrayBuffer.empty[Int]
    var last = total
    for (k <- finalFrom.reverseIterator) if (k > 0 && last - k >= minValues) { cuts += k; last = k }
    cuts.reverse.toArray
  }
  /** The checks before an update, the same on every task (global loss and gradient norm): null when fine. */
  def check(guard: TrainingGuard, loss: Float, sumSquares: Double, t: Long, epoch: Int): String =
    try {
      guard.checkLoss(loss, t, epoch)
      if (sumSquares.isNaN || sumSquares.isInfinite) guard.checkGradient(Tensor.fromArray(Array(Float.NaN), 1), t, epoch)
      null
    } catch { case e: TrainingDivergedException => e.getMessage }
}
