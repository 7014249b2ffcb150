package ember.optim

import java.nio.charset.StandardCharsets

import com.fasterxml.jackson.databind.ObjectMapper
import ember.data.{BatchPlan, LocalDataSet, Sample}
import ember.io.{ModelFile, ModuleSpec}
import ember.nn.{Criterion, Module}
import ember.parallel.{AllReduceParameter, Engine, GradientHeader, IterationWork, LocalShare, SliceLayout, WireCodec}
import ember.tensor.Tensor
import org.apache.spark.{TaskContext, TaskKilledException}
import org.apache.spark.ember.BlockStore

/** One cached training partition: its samples as a LocalDataSet (null when the partition is empty). */
private[optim] final class PartitionData(val index: Int, val data: LocalDataSet) {
  def size: Int = if (data == null) 0 else data.size
}

private[optim] object PartitionData {
  def apply(index: Int, samples: Iterator[Sample]): PartitionData = {
    val all = samples.toArray
    new PartitionData(index, if (all.isEmpty) null else LocalDataSet(all.toSeq))
  }
}

/**
 * Everything a training task needs for one segment (shipped in the task closure): where training starts,
 * the data layout, the model (model-file bytes) and criterion, the optim method of every slice (with its
 * state), the triggers that end the segment and the checks of each iteration.
 */
private[optim] final case class SegmentPlan(
    prefix: String,
    layout: SliceLayout,
    codec: WireCodec,
    rendezvous: Boolean,
    dynamicSplit: Boolean,
    coresPerExecutor: Int,
    timeoutMs: Long,
    batchSize: Int,
    seed: Long,
    counts: Array[Int],
    start: TrainingProgress,
    itersPerEpoch: Int,
    maxIterations: Int,
    stopTriggers: Seq[Trigger],
    guard: TrainingGuard,
    clipping: GradientClipping,
    averaging: Boolean,
    modelBytes: Array[Byte],
    criterionSpec: String,
    methods: Array[OptimMethod]
) {
  val offsets: Array[Int] = counts.scanLeft(0)(_ + _)
  def total: Int = offsets.last

  /** Whether the segment ends after an iteration that produced `st` (as the driver's triggers will see it). */
  def stopsAfter(st: TrainingState): Boolean = stopTriggers.exists(_(st))
}

/**
 * What a task returns at the end of a segment: its weight slice (float32 master) and optim method (with
 * state), and per iteration the global loss and batch size (the same in every task) and its own timings.
 * `failure` is set when the iteration checks stopped training (then the slice holds the weights from
 * before the refused update, and every task reports the same failure). `buffers` are the non-trainable
 * state of the model (batch-norm running statistics) after the segment, in `namedBuffers` order, as
 * kept by task 0's first replica (the LocalOptimizer keeps its replica 0's); empty from the other tasks.
 */
private[optim] final case class SegmentResult(
    partition: Int,
    weights: Array[Float],
    method: OptimMethod,
    losses: Array[Float],
    samples: Array[Int],
    iterNanos: Array[Long],
    computeNanos: Array[Long],
    waitNanos: Array[Long],
    setupNanos: Long,
    failure: String,
    buffers: Array[Array[Float]] = Array.empty
)

/** The model replicas of one task (one per core of the task), sharing one flat weight vector. */
private[optim] final class TaskReplicas(modelBytes: Array[Byte], criterionSpec: String, count: Int) {
  val models: Array[Module] = Array.tabulate(count)(_ => ModelFile.fromBytes(modelBytes))
  private val criterions: Array[Criterion] =
    Array.fill(count)(ModuleSpec.buildCriterion(new ObjectMapper().readTree(criterionSpec)))
  private val flat = models.map(_.getParameters())
  models.drop(1).foreach(_.namedParameters.zip(models(0).namedParameters).foreach { case ((_, r), (_, m)) => r.value.set(m.value) })
  models.foreach(_.training().setPropagateBack(false)) // nothing reads the input gradient: skip it where a layer can

  /** The shared weights (full length): fetched weights are written here. */
  val weights: Array[Float] = flat(0)._1.storage
  /** The task's summed gradient (full length). */
  val grads: Array[Float] = flat(0)._2.storage

  /**
   * Forward/backward of the samples `indices` of `data`, split among the replicas; the gradients are summed
   * into [[grads]], each scaled by its share of the global batch of `globalSize` samples when the criterion
   * averages (as the LocalOptimizer does). With `regularize` (one task of the job), the model's
   * regularizers then add their gradients, so the summed gradient counts them once. Returns the loss
   * summed the same way as the gradients.
   */
  def compute(data: LocalDataSet, indices: Array[Int], globalSize: Int, averaging: Boolean, regularize: Boolean): Double = {
    java.util.Arrays.fill(grads, 0f)
    val loss = if (indices.isEmpty) 0.0 else forwardBackward(data, indices, globalSize, averaging)
    if (regularize) models(0).accRegularization()
    loss
  }

  /**
   * [[compute]] on the chunks this task's replicas claim from `work` (the batch's samples of all the
   * partitions in this JVM, shared with the other local tasks): each chunk's gradient is weighted by its
   * share of the global batch as it is added. Returns the loss (summed like the gradients) and the samples
   * this task processed.
   */
  def computeShared(work: IterationWork, globalSize: Int, averaging: Boolean, regularize: Boolean): (Double, Int) = {
    val done = Engine.invokeAll((0 until count).map { i => () =>
      flat(i)._2.zero()
      ChunkedStep.run(models(i), criterions(i), () => work.next(), globalSize, averaging)
    })
    val g = flat(0)._2
    (1 until count).foreach(i => g.add(1f, flat(i)._2))
    if (regularize) models(0).accRegularization()
    (done.map(_._1).sum, done.map(_._2).sum)
  }

  /** Whether the replicas may share a batch in chunks of any size (see `Module.splitsFreely`). */
  def splitsFreely: Boolean = Module.splitsFreely(models(0))

  /** Model replicas of this task. */
  def size: Int = count

  private def forwardBackward(data: LocalDataSet, indices: Array[Int], globalSize: Int, averaging: Boolean): Double = {
    val n = indices.length
    val batch = data.batch(indices, 0, n)
    val k = math.min(count, n)
    val lengths = Array.tabulate(k)(i => n / k + (if (i < n % k) 1 else 0))
    val offsets = lengths.scanLeft(0)(_ + _)
    val losses = Engine.invokeAll((0 until k).map { i => () =>
      if (i > 0) flat(i)._2.zero()
      val sub = batch.slice(offsets(i), lengths(i))
      val out = models(i).forward(sub.input)
      val l = criterions(i).forward(out, sub.target)
      models(i).backward(sub.input, criterions(i).backward(out, sub.target))
      l
    })
    val w = lengths.map(len => if (averaging) len.toFloat / globalSize else 1f)
    val g = flat(0)._2
    if (w(0) != 1f) g.mul(w(0))
    (1 until k).foreach(i => g.add(w(i), flat(i)._2))
    losses.zip(w).map { case (l, wi) => l.toDouble * wi }.sum
  }
}

/**
 * The executor side of one segment: the loop a training task runs over many iterations, synchronising
 * with the other tasks only through [[AllReduceParameter]] blocks (see the DistriOptimizer's notes).
 */
private[optim] object SegmentTask {

  /**
   * Model replicas of a task: the cores Spark gave it (`spark.task.cpus`), or, in the "executor" task layout
   * (`coresPerExecutor` > 0, found by the driver), its share of its executor's cores when fewer training tasks
   * than cores run there (BigDL ran one task per executor on all its cores): in local[2], one task trains on
   * both cores. Each replica runs BLAS with `Engine.blasThreads` threads, so the share is divided by that (no
   * oversubscription when BLAS is multi-threaded).
   */
  def replicasFor(ctx: TaskContext, coresPerExecutor: Int, tasksInJvm: Int): Int = {
    if (ctx == null) return 1
    val granted = math.max(1, ctx.cpuAmount().toInt)
    math.max(granted, coresPerExecutor / math.max(1, tasksInJvm) / math.max(1, Engine.blasThreads))
  }

  /** The name of the block in which task `p` of a stage attempt leaves the exception that failed it. */
  def errorBlock(segmentPrefix: String, attempt: Int, p: Int): String = s"${segmentPrefix}_${attempt}_error_$p"

  /**
   * Runs the segment in this task. A barrier stage's failure reaches the driver without the task's
   * exception, so a failing task first leaves it (Java-serialized) in a registered block for the driver.
   */
  def run(plan: SegmentPlan, part: PartitionData): SegmentResult = {
    val ctx = TaskContext.get()
    val attempt = if (ctx == null) 0 else ctx.stageAttemptNumber()
    try train(plan, part, attempt)
    catch {
      case e: Exception if !e.isInstanceOf[TaskKilledException] && !(ctx != null && ctx.isInterrupted()) =>
        scala.util.Try {
          val bytes = new java.io.ByteArrayOutputStream()
          val out = new java.io.ObjectOutputStream(bytes)
          out.writeObject(e); out.close()
          AllReduceParameter.put(errorBlock(plan.prefix, attempt, part.index), java.nio.ByteBuffer.wrap(bytes.toByteArray), register = true)
        }
        throw e
    }
  }

  private def train(plan: SegmentPlan, part: PartitionData, attempt: Int): SegmentResult = {
    val setupStart = System.nanoTime()
    val ctx = TaskContext.get()
    val p = part.index
    require(ctx == null || ctx.partitionId() == p, s"partition ${ctx.partitionId()} got the data of partition $p")
    val prefix = s"${plan.prefix}_$attempt"
    (0 until attempt).foreach { a => // blocks and shared work of failed attempts here
      BlockStore.removeLocal(s"${plan.prefix}_${a}_")
      LocalShare.drop(s"${plan.prefix}_$a")
    }
    val executors = if (plan.rendezvous) locateTasks(prefix, p, plan) else Array.fill(plan.layout.parts)(BlockStore.executorId)
    val remote = executors.exists(_ != executors(p))
    val ar = new AllReduceParameter(prefix, p, plan.layout, plan.codec, remote, plan.timeoutMs)
    // the partitions whose tasks run in this JVM share each batch in chunks (see IterationWork), unless a
    // module needs its exact sub-batch (batch statistics, random draws) or setDeterministic(true) was asked
    val local = executors.indices.filter(q => executors(q) == executors(p)).toArray
    val replicas = new TaskReplicas(plan.modelBytes, plan.criterionSpec, SegmentTask.replicasFor(ctx, plan.coresPerExecutor, local.length))
    val share = plan.dynamicSplit && replicas.splitsFreely && (local.length > 1 || replicas.size > 1)
    val localData = if (!share) null else {
      LocalShare.register(prefix, p, part.data)
      LocalShare.awaitRegistered(prefix, local, plan.timeoutMs)
      local.map(q => LocalShare.partition(prefix, q))
    }
    val (off, len) = (plan.layout.offset(p), plan.layout.length(p))
    // One task (the default layout in local mode): nothing to exchange, so the step works in place on the
    // replicas' weights and gradient and the gradient is checked before it (no copy to restore); the wire
    // codec does not apply. Before, the copies in and out of the slice cost an MLP of 5M parameters 30% of
    // its iteration time.
    val single = plan.layout.parts == 1
    val master = if (single) replicas.weights else java.util.Arrays.copyOfRange(replicas.weights, off, off + len)
    val gradSlice = if (single) replicas.grads else new Array[Float](len)
    val previous = if (single) null else new Array[Float](len) // the slice before the step, restored when the step is refused
    val (masterT, gradT) = (Tensor.fromArray(master, len), Tensor.fromArray(gradSlice, len))
    val method = plan.methods(p)
    val progress = plan.start
    val stats = new SegmentStats(plan.maxIterations)
    val setupNanos = System.nanoTime() - setupStart
    var order: Array[Int] = null
    var orderEpoch = -1
    var failure: String = null
    var stop = false
    while (!stop) {
      val t0 = System.nanoTime()
      val waitBefore = ar.waitNanos
      val t = progress.iteration + 1
      val epoch = progress.epoch
      if (orderEpoch != progress.epoch) { order = BatchPlan.permutation(plan.total, progress.epoch, plan.seed); orderEpoch = progress.epoch }
      val b = progress.epochIteration
      val globalSize = math.min(plan.batchSize, plan.total - b * plan.batchSize)
      val own = if (share) {
        val epochOrder = order
        val work = LocalShare.iteration(prefix, t, local.length, new IterationWork(localData,
          local.map(q => BatchPlan.localIndices(epochOrder, b, plan.batchSize, plan.offsets(q), plan.counts(q))),
          local.length * replicas.size, replicas.weights.length))
        val (loss, samples) = replicas.computeShared(work, globalSize, plan.averaging, regularize = p == 0)
        GradientHeader(loss, samples)
      } else {
        val indices = BatchPlan.localIndices(order, b, plan.batchSize, plan.offsets(p), part.size)
        GradientHeader(replicas.compute(part.data, indices, globalSize, plan.averaging, regularize = p == 0), indices.length)
      }
      val t1 = System.nanoTime()
      val sum = if (single) own else { ar.putGradients(t, replicas.grads, own); ar.aggregate(t, replicas.grads, own, gradSlice) }
      val sliceSquares = AllReduceParameter.sumSquares(gradSlice)
      val loss = sum.lossSum.toFloat
      val l2 = plan.clipping.isInstanceOf[L2NormClipping]
      val checkedBefore = single || l2 // else the global norm is known after the update, see below
      val globalSquares = if (single) sliceSquares else if (l2) ar.allSum(t, sliceSquares) else 0.0
      failure = check(plan.guard, loss, globalSquares, t, epoch)
      if (failure == null) {
        if (!checkedBefore) System.arraycopy(master, 0, previous, 0, len)
        plan.clipping match {
          case c: L2NormClipping => val s = c.scaleFor(globalSquares); if (s != 1f) gradT.mul(s)
          case c => c(gradT)
        }
        method.step(masterT, gradT, progress.stepContext)
        if (!single) ar.publish(t, master, replicas.weights, sliceSquares)
      }
      val st = progress.advance(loss, plan.itersPerEpoch)
      if (failure == null && !single) {
        // Without L2 clipping the global gradient norm arrives with the weights: a non-finite gradient is
        // then refused by every task at once, each restoring its slice from before the step.
        val squares = ar.fetchWeights(t, replicas.weights, sliceSquares)
        if (!l2) {
          failure = check(plan.guard, loss, squares, t, epoch)
          if (failure != null) System.arraycopy(previous, 0, master, 0, len)
        }
      }
      stop = failure != null || plan.stopsAfter(st) || stats.count + 1 >= plan.maxIterations
      stats.add(loss, sum.samples, System.nanoTime() - t0, t1 - t0, ar.waitNanos - waitBefore)
    }
    if (share) LocalShare.drop(prefix)
    val buffers = if (p == 0) replicas.models(0).namedBuffers.map(_._2.contiguous().toArray).toArray else Array.empty[Array[Float]]
    stats.result(p, master, method, setupNanos, failure).copy(buffers = buffers)
  }

  /** The checks before an update, the same on every task (global loss and gradient norm): null when fine. */
  private def check(guard: TrainingGuard, loss: Float, sumSquares: Double, t: Long, epoch: Int): String =
    try {
      guard.checkLoss(loss, t, epoch)
      if (sumSquares.isNaN || sumSquares.isInfinite) guard.checkGradient(Tensor.fromArray(Array(Float.NaN), 1), t, epoch)
      null
    } catch { case e: TrainingDivergedException => e.getMessage }

  /** Rendezvous at the start of a segment on a cluster: the executor id of every partition's task. */
  private def locateTasks(prefix: String, p: Int, plan: SegmentPlan): Array[String] = {
    val me = BlockStore.executorId
    AllReduceParameter.put(s"${prefix}_loc_$p", java.nio.ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), register = true)
    Array.tabulate(plan.layout.parts) { q =>
      if (q == p) me
      else {
        val b = AllReduceParameter.await(s"${prefix}_loc_$q", remote = true, plan.timeoutMs, p)
        val bytes = new Array[Byte](b.remaining()); b.get(bytes)
        new String(bytes, StandardCharsets.UTF_8)
      }
    }
  }
}

/** Per-iteration figures of one task in one segment. */
private[optim] final class SegmentStats(capacity: Int) {
  private val initial = math.max(1, math.min(capacity, 1024))
  private var losses = new Array[Float](initial)
  private var samples = new Array[Int](initial)
  private var iter = new Array[Long](initial)
  private var compute = new Array[Long](initial)
  private var waits = new Array[Long](initial)
  var count = 0

  def add(loss: Float, n: Int, iterNanos: Long, computeNanos: Long, waitNanos: Long): Unit = {
    if (count == losses.length) {
      val c = count * 2
      losses = java.util.Arrays.copyOf(losses, c); samples = java.util.Arrays.copyOf(samples, c)
      iter = java.util.Arrays.copyOf(iter, c); compute = java.util.Arrays.copyOf(compute, c); waits = java.util.Arrays.copyOf(waits, c)
    }
    losses(count) = loss; samples(count) = n; iter(count) = iterNanos; compute(count) = computeNanos; waits(count) = waitNanos
    count += 1
  }

  def result(p: Int, weights: Array[Float], method: OptimMethod, setupNanos: Long, failure: String): SegmentResult =
    SegmentResult(p, weights, method, losses.take(count), samples.take(count), iter.take(count), compute.take(count),
      waits.take(count), setupNanos, failure)
}
