package ember.optim

import java.util.UUID

import ember.data.{BatchPlan, LocalDataSet, Sample}
import ember.io.ModelFile
import ember.nn.{Criterion, Module, ModuleSpec}
import ember.parallel.{AllReduceParameter, LocalShare, NoCompression, Rendezvous, Reports, SliceLayout, WireCodec}
import ember.tensor.Tensor
import org.apache.spark.{SparkContext, SparkException}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.ember.BlockStore
import org.apache.spark.rdd.RDD
import org.apache.spark.storage.StorageLevel

/*
 * How the DistriOptimizer runs, and why (figures: bench/NOTES.md).
 *
 * BigDL ran every iteration as two Spark jobs (forward/backward + put gradient slices; aggregate + update +
 * publish weights): the fixed cost of a Spark job (about a hundred milliseconds) is of the order of a whole
 * iteration. BarrierTaskContext.barrier() (and allGather) poll with a sleep of about 1 s in Spark 4.3, so a
 * barrier per iteration is worse still.
 *
 * So one Spark job runs a *segment* of many iterations: a barrier stage (`rdd.barrier().mapPartitions`),
 * one task per partition, all running at once (gang scheduling; a failed task fails the whole stage, which
 * is retried as a whole). barrier() itself is never called. At the segment's start each task learns once
 * where the others run; then the driver is out of the loop: the tasks push their slices straight to the
 * task that needs them ([[ember.parallel.Peers]]: through the JVM's mailbox when both run in one executor,
 * over Spark's authenticated, encryptable transport layer otherwise) and wait for the arrivals, woken by them
 * (no polling, no message to the driver per iteration). A segment runs until the next iteration at which
 * the driver has something to do: validation, checkpoint, end of training (each task evaluates the same
 * triggers on the same state, so all stop together), or `setSegmentIterations`. Meanwhile task 0 reports
 * where it is about once a second (one small one-way message, off the critical path) for the progress bar
 * and the log. The driver then gets from each task its weight slice, its optim method (with its state) and
 * per-iteration loss and timings, rebuilds the model, and replays the iterations through the base
 * Optimizer's bookkeeping (logs, summaries, triggers, validation, checkpoints).
 *
 * Each iteration inside a segment, in task p of N (the parameter vector is cut into N slices; p owns
 * slice p, its float32 master weights and its optim-method state), the five steps of [[SegmentLoop]]:
 *   1. compute: forward/backward of the task's part of global batch t on its replicas (one per core);
 *      task 0 also adds the layers' regularizer gradients (`Module.accRegularization`), once per iteration;
 *   2. send its gradient slices to their owners (all at once), each with the task's loss and sample count;
 *   3. aggregate slice p over the tasks; check the global loss (divergence guard, the same on every task);
 *   4. clip, step the slice's optim method, publish the slice to every task, headed by its gradient's sum of
 *      squares;
 *   5. receive every weight slice into the replicas; the headers give every task the global gradient norm:
 *      when it is not finite, all tasks refuse the step together and restore their slices.
 * A reduce-scatter and an all-gather: 2 x S x (N - 1) / N values sent per task and iteration, the
 * bandwidth-optimal AllReduce. Two synchronisation points per iteration (L2-norm clipping adds a third: the
 * norm is needed before the step); on a loaded machine each point costs a wake-up of a descheduled thread, so
 * the finiteness check rides on the weight messages instead. With two tasks the same bytes go in one round
 * (for models up to `spark.ember.replicatedExchangeMaxParams`): each task sends its whole gradient to the other and
 * both step every slice (steps 2-3 exchange whole gradients, step 4 updates the whole vector, step 5 has
 * nothing to receive): one wait per iteration instead of two, for S / 2 more values stepped per task. The driver does no gradient arithmetic and
 * collects no gradient. Messages are named by run, segment, stage attempt and iteration, and a task's mailbox
 * closes with its attempt, so a retried task or stage can never add a gradient twice or read a stale one.
 *
 * Batches: with the "partition" layout the global batch order is the LocalOptimizer's ([[BatchPlan]]): samples
 * are numbered partition after partition, every task draws the epoch's permutation of all indices and takes the
 * members of batch t it holds. Gradients are scaled by each sample's share of the global batch, so with the same
 * seed the DistriOptimizer over any number of partitions computes the LocalOptimizer's updates (up to float
 * rounding of the sums; tested). Within one JVM the tasks (and their replicas) claim chunks of the batch's
 * local samples as they go ([[IterationWork]]): a task's share of a batch varies binomially around B/N and
 * cores run at uneven speeds, so fixed shares leave the faster task waiting. `setDeterministic(true)`
 * restores fixed shares. Across JVMs no task can compute another's samples, so with the "executor" layout
 * (whose shuffle into one partition per executor already gives other batches than the LocalOptimizer's) each
 * partition gives every batch its fixed share ([[BatchPlan.balancedCuts]]: B/N samples for N equal partitions)
 * instead of a binomial one (at B = 128 over two executors the larger share averages 68.5 samples: 7% more
 * compute than the balanced 64 for the iteration to wait for); with one partition the batches are the same.
 *
 * Task layout: by default ("executor", BigDL's) the samples are shuffled once into one partition per
 * executor and each task trains one replica per core of its executor: replicas sum their gradients in
 * memory, and only executors exchange slices (local mode: one task, nothing to exchange). "partition" runs
 * one task per RDD partition.
 *
 * Memory (models beyond 2 GB): the model file and the slices' optim methods reach the tasks inside the broadcast
 * when they fit one chunk (`spark.ember.chunkBytes`, 64 MB), else as disk blocks of the driver that a task reads one
 * chunk at a time ([[Chunks]]); weight slices and optim methods over one chunk come back as disk blocks that the
 * driver copies into its model block by block. So no copy of the parameters goes through a broadcast, a task result
 * or block-manager memory, and as the driver lets go of its (zero) gradient while training, it holds the weights
 * once; a task holds its replicas' shared weights and one gradient per replica.
 *
 * Between the segments of a run each task keeps its state on its executor, attached to its cached partition
 * ([[TaskState]]: the replicas with their weights and kernels' plans, the slices' optim methods, the master
 * weights): the next segment's task there starts from it instead of fetching the broadcast and building the replicas
 * again, when the driver's state (model file, methods, criterion, precision, layout) has the digest it had at the
 * last segment's end and the kept weights have the CRC of the driver's. When every task is to resume the segment
 * carries no model (no model file written, nothing broadcast; a digest is cheaper than both); a task that finds its
 * state gone fails that attempt with StateNotKept and the segment reruns with the broadcast. A retried segment, a
 * model or method changed on the driver, a lost executor or a recomputed partition build from the broadcast. With a lossy
 * wire codec over sliced tasks the replicas hold every slice rounded: at the end of a segment that keeps its state the
 * tasks first exchange their float32 master slices once (AllReduceParameter.shareExact), so the kept replicas hold the
 * driver's weights, as a rebuild from the broadcast would. Nothing is kept past the run: a
 * task whose iteration fires the end trigger keeps nothing, and when the run ends otherwise (a trigger on a
 * validation score, an error) the driver lets go of what the last segment kept with one small job, so a finished
 * `optimize()` leaves no replicas, gradients or optim state on the executors (heap that Spark's storage accounting
 * does not see; in local mode the driver's own heap), as BigDL unpersisted its models at the end of a run. The
 * next `optimize()` builds from the broadcast. `spark.ember.keepTaskState=false` turns keeping off.
 * A module's own mutable state beyond its parameters and buffers (counters, a generator it holds) now runs on
 * across segments, as in the LocalOptimizer, instead of restarting from the model file.
 *
 * Failures: the driver keeps the weights and optim state of the segment start; a failed segment (a task
 * or executor lost) is rerun from there with a fresh message namespace, at most `setMaxRetries` times,
 * and replays exactly the same batches. A task waiting for a lost peer stops as soon as Spark kills the
 * stage (or, at the latest, after `setSyncTimeout`, naming the peer's executor and host). (After a refused
 * step the optim state of the slices includes it.) Re-publishing per-iteration optim state to resume
 * mid-segment would cost one to two extra copies of the parameter vector per iteration; a segment is at most
 * the distance to the next validation or checkpoint, which bounds the lost work. A diverged loss or a
 * non-finite gradient stops every task before the update; the model keeps the last good weights.
 */

/** How the DistriOptimizer spreads training over tasks (see [[DistriOptimizer.setTaskLayout]]). */
sealed abstract class TaskLayout(val name: String) {
  override def toString: String = name
}

object TaskLayout {
  /** One task per executor training a replica per core of its executor (BigDL's layout; the default). */
  case object PerExecutor extends TaskLayout("executor")
  /** One task per partition of the RDD, with the cores Spark grants a task. */
  case object PerPartition extends TaskLayout("partition")

  /** The layout named `name` ("executor" or "partition"). */
  def apply(name: String): TaskLayout = name match {
    case PerExecutor.name => PerExecutor
    case PerPartition.name => PerPartition
    case other => throw new IllegalArgumentException(s"setTaskLayout: expected \"executor\" or \"partition\", got \"$other\"")
  }
}

/**
 * Where the time of the iterations went (seconds, summed over iterations; each figure averaged over tasks):
 * computing gradients, synchronising (exchanging and summing slices, updating, and `waitSeconds` of it
 * spent waiting for other tasks: imbalance and, on a loaded machine, descheduled threads) and scheduling: the
 * rest of the segment's wall clock on the driver (its model file and broadcast, the Spark job's launch, the tasks'
 * set-up, collecting and reading the results), spread over the segment's iterations.
 */
final case class TimeSplit(iterations: Long, computeSeconds: Double, syncSeconds: Double, schedulingSeconds: Double,
    waitSeconds: Double = 0.0, waiting: WaitSplit = WaitSplit.zero) {
  def totalSeconds: Double = computeSeconds + syncSeconds + schedulingSeconds
  def +(o: TimeSplit): TimeSplit = TimeSplit(iterations + o.iterations, computeSeconds + o.computeSeconds,
    syncSeconds + o.syncSeconds, schedulingSeconds + o.schedulingSeconds, waitSeconds + o.waitSeconds, waiting + o.waiting)
  def -(o: TimeSplit): TimeSplit = TimeSplit(iterations - o.iterations, computeSeconds - o.computeSeconds,
    syncSeconds - o.syncSeconds, schedulingSeconds - o.schedulingSeconds, waitSeconds - o.waitSeconds, waiting - o.waiting)
  override def toString: String = {
    def pct(x: Double) = if (totalSeconds > 0) 100 * x / totalSeconds else 0.0
    f"$iterations iterations: compute $computeSeconds%.2f s (${pct(computeSeconds)}%.1f%%), sync $syncSeconds%.2f s " +
      f"(${pct(syncSeconds)}%.1f%%, of which waiting for other tasks $waitSeconds%.2f s), scheduling " +
      f"$schedulingSeconds%.2f s (${pct(schedulingSeconds)}%.1f%%)"
  }
}

object TimeSplit {
  val zero: TimeSplit = TimeSplit(0L, 0.0, 0.0, 0.0)
}

/**
 * Where the waiting for other tasks comes from (seconds summed over iterations, averaged over tasks):
 * `gradientSeconds` of it waiting for gradient slices (the rest waits for weight slices); `imbalanceSeconds`, the
 * slowest task's compute time minus the task's own (what the task must wait for at the gradient exchange even with
 * an instant transport); `computeCpuSeconds`, the compute step's CPU time (below `computeSeconds` when threads
 * were descheduled); `syncCpuSeconds`, the task thread's CPU time in the exchange and update (encoding, summing,
 * stepping, decoding: the rest of the sync time is waiting or descheduled); `processCpuSeconds`, the CPU time of
 * every thread of the task's JVM (transport threads, GC and JIT included; in local mode the driver's JVM).
 */
final case class WaitSplit(gradientSeconds: Double, imbalanceSeconds: Double, computeCpuSeconds: Double,
    syncCpuSeconds: Double = 0.0, processCpuSeconds: Double = 0.0) {
  def +(o: WaitSplit): WaitSplit = WaitSplit(gradientSeconds + o.gradientSeconds, imbalanceSeconds + o.imbalanceSeconds,
    computeCpuSeconds + o.computeCpuSeconds, syncCpuSeconds + o.syncCpuSeconds, processCpuSeconds + o.processCpuSeconds)
  def -(o: WaitSplit): WaitSplit = WaitSplit(gradientSeconds - o.gradientSeconds, imbalanceSeconds - o.imbalanceSeconds,
    computeCpuSeconds - o.computeCpuSeconds, syncCpuSeconds - o.syncCpuSeconds, processCpuSeconds - o.processCpuSeconds)
}

object WaitSplit {
  val zero: WaitSplit = WaitSplit(0.0, 0.0, 0.0)

  /** Iteration `i` of a segment's tasks, averaged over the tasks (the JVMs' CPU spread evenly over the iterations). */
  private[optim] def of(results: Array[SegmentResult], i: Int): WaitSplit = {
    def mean(f: SegmentResult => Long) = results.map(f).sum.toDouble / results.length / 1e9
    val slowest = results.map(_.computeNanos(i)).max
    WaitSplit(mean(_.gradientWaitNanos(i)), mean(r => slowest - r.computeNanos(i)), mean(_.computeCpuNanos(i)),
      mean(_.syncCpuNanos(i)), mean(r => r.processCpuNanos / math.max(1, r.losses.length)))
  }
}

/**
 * What the iterations trained so far sent: `remoteBytes` over the network (summed over tasks; messages between
 * tasks of one JVM cost no bytes), and the messages the tasks' JVMs sent to the driver while iterating
 * (`driverMessageKinds`, by "<message class>[(<block>)] from <sending thread>": none of them Ember's, see
 * tests/test_cluster.py) and while setting up their segments (`setupMessageKinds`: finding each other, once per
 * segment, and Spark's own task start).
 */
final case class Traffic(iterations: Long, tasks: Int, remoteBytes: Long, driverMessageKinds: Map[String, Long],
    setupMessageKinds: Map[String, Long]) {
  /** Messages to the driver while iterating. */
  def driverMessages: Long = driverMessageKinds.values.sum
  /** Messages to the driver while setting up segments. */
  def setupDriverMessages: Long = setupMessageKinds.values.sum
  /** Bytes one task sent per iteration, on average. */
  def bytesPerTaskIteration: Double = if (iterations == 0 || tasks == 0) 0.0 else remoteBytes.toDouble / tasks / iterations
  /** [[driverMessageKinds]] as lines "count<TAB>kind" (for Python). */
  def driverMessageKindsText: String = Traffic.text(driverMessageKinds)
  /** [[setupMessageKinds]] as lines "count<TAB>kind" (for Python). */
  def setupMessageKindsText: String = Traffic.text(setupMessageKinds)
  override def toString: String =
    f"$iterations iterations of $tasks task(s): ${bytesPerTaskIteration / 1e3}%.1f kB sent per task and iteration, " +
      s"$driverMessages message(s) to the driver while iterating ($setupDriverMessages while setting up)"

  /** This traffic and that of `results`, one segment's tasks. */
  private[optim] def +(results: Array[SegmentResult]): Traffic = Traffic(iterations + results.head.losses.length, results.length,
    remoteBytes + results.map(_.traffic.remoteBytes).sum, Traffic.add(driverMessageKinds, results.map(_.traffic.iterating)),
    Traffic.add(setupMessageKinds, results.map(_.traffic.setup)))
}

object Traffic {
  val zero: Traffic = Traffic(0L, 0, 0L, Map.empty, Map.empty)
  private def add(m: Map[String, Long], more: Seq[Map[String, Long]]): Map[String, Long] =
    more.flatten.foldLeft(m) { case (acc, (k, n)) => acc.updated(k, acc.getOrElse(k, 0L) + n) }
  private def text(m: Map[String, Long]): String = m.toSeq.sortBy(_._1).map { case (k, n) => s"$n\t$k" }.mkString("\n")
}

/**
 * Synchronous data-parallel training on an `RDD[Sample]` (BigDL's DistriOptimizer): one Spark task per
 * executor (or per partition, [[setTaskLayout]]) with one model replica per core, all tasks running at once,
 * gradients summed through the block-manager AllReduce. With the same seed and the "partition" layout it
 * trains on the LocalOptimizer's global batches and reaches the same weights up to float rounding. See the
 * notes at the top of this file for how iterations are scheduled and synchronised.
 *
 * With the "partition" layout the RDD needs at most as many partitions as the cluster has task slots
 * (cores). Settings beyond the base [[Optimizer]]'s: [[setTaskLayout]], [[setWireCodec]] (bf16 halves the
 * bytes exchanged), [[setSyncTimeout]], [[setMaxRetries]], [[setSegmentIterations]]; validation also takes
 * an RDD.
 */
class DistriOptimizer(model: Module, initialData: RDD[Sample], criterion: Criterion, batchSize: Int)
    extends Optimizer(model, criterion, batchSize) {
  require(initialData != null, "DistriOptimizer: dataset must not be null")

  private var data: RDD[Sample] = initialData

  /** The training data (of the next or current `optimize()` run). */
  def dataset: RDD[Sample] = data

  /**
   * Replaces the training data for the next `optimize()` call (BigDL's `setTrainData`), e.g. fresh negative
   * samples each epoch; the optim method keeps its state and the position (epoch, iteration) goes on.
   * The cached partitions of the previous data are released, so the next run reads the new data.
   */
  def setTrainData(newData: RDD[Sample]): this.type = {
    require(newData != null, "setTrainData: data must not be null")
    unpersist()
    data = newData
    this
  }

  private var codec: WireCodec = NoCompression
  private var syncTimeoutMs = 600000L
  private var maxRetries = 2
  private var segmentIterations = Int.MaxValue
  private var taskLayout: TaskLayout = TaskLayout.PerExecutor
  private var rddValidationSet: RDD[Sample] = null
  private var sliceMethods: Array[OptimMethod] = null
  private var cache: (RDD[PartitionData], Array[Int]) = null
  private var flatWeights: Array[Float] = null // the driver model's flat weights (optimize() compacts them)
  private val runPrefix = s"ember-${UUID.randomUUID().toString.take(8)}"
  private var segments = 0
  // the digest of the driver's state (model file, slices' methods) when the last segment ended, and the tokens of the
  // states its tasks kept (see TaskState); null when nothing kept is valid
  private var kept: (String, Array[String]) = null
  @volatile private var split = TimeSplit.zero
  @volatile private var sent = Traffic.zero
  @volatile private var endpoints = Array.empty[String]
  @volatile private var profiles = Array.empty[TaskProfile]
  @volatile private var timing = SegmentTiming.zero

  /** Encodes the exchanged slices as "none" (float32, the default) or "bf16" (bfloat16, round to nearest even). */
  def setWireCodec(name: String): this.type = { codec = WireCodec(name); this }

  /** How long a task waits for another task's block before failing the segment (default 600 s). */
  def setSyncTimeout(seconds: Double): this.type = {
    require(seconds > 0, s"setSyncTimeout: seconds must be > 0, got $seconds"); syncTimeoutMs = (seconds * 1000).toLong; this
  }

  /** How many times a failed segment is rerun from its start (default 2). */
  def setMaxRetries(n: Int): this.type = { require(n >= 0, s"setMaxRetries: n must be >= 0, got $n"); maxRetries = n; this }

  /**
   * How training is spread over tasks. "executor" (the default, BigDL's layout): the training samples are
   * shuffled once into one partition per executor, and each task trains one model replica per core of
   * its executor: the replicas of a task sum their gradients in memory, and only executors exchange slices
   * (in local mode: one task, nothing to exchange). "partition": one task per partition of the RDD, each with
   * the cores Spark grants a task (`spark.task.cpus`, one replica per core).
   * Measured on LeNet-5 in local[2] (bench/distri.sh): one task on both cores 1.0x the LocalOptimizer with
   * 3% sync + scheduling; two one-core tasks 0.8-1.0x with 12-17%.
   */
  def setTaskLayout(layout: String): this.type = {
    val parsed = TaskLayout(layout)
    if (parsed != taskLayout) unpersist()
    taskLayout = parsed
    this
  }

  /** The most iterations one Spark job runs (default: until the next validation, checkpoint or end). */
  def setSegmentIterations(n: Int): this.type = {
    require(n > 0, s"setSegmentIterations: n must be > 0, got $n"); segmentIterations = n; this
  }

  /** Validates on a distributed data set (one Spark job per validation) each time `trigger` fires. */
  def setValidation(trigger: Trigger, data: RDD[Sample], methods: Array[ValidationMethod], batchSize: Int): this.type = {
    require(data != null, "setValidation: data must not be null")
    validation = Some(ValidationSetting(trigger, methods, batchSize))
    val head = data.take(batchSize) // one small job: the methods are checked against the model's output now
    if (head.nonEmpty) checkValidationMethods(methods, LocalDataSet(head.toSeq), batchSize)
    rddValidationSet = data
    localValidationSet = null
    this
  }

  override def setValidation(trigger: Trigger, data: LocalDataSet, methods: Array[ValidationMethod], batchSize: Int): this.type = {
    super.setValidation(trigger, data, methods, batchSize)
    rddValidationSet = null
    this
  }

  /** Where the time of all iterations trained so far went (compute, synchronisation, scheduling). */
  def timeSplit: TimeSplit = split

  /** What the iterations trained so far sent over the network and to the driver. */
  def traffic: Traffic = sent

  /**
   * Each task of the last segment: its compute and waiting per iteration (mean, median, 90th percentile), how often it
   * was the slowest, and where its JVM's CPU went (thread groups, GC, JIT): is one executor consistently slower?
   */
  def taskProfiles: Array[TaskProfile] = profiles.clone()

  /** Where the last segment's wall clock went outside its iterations (launching the job, set-up, collecting). */
  def segmentTiming: SegmentTiming = timing

  /** Where the tasks of the last segment received their peers' messages ("host:port" each; "" in local mode). */
  def taskEndpoints: Array[String] = endpoints.clone()

  override def optimize(): Module = {
    val sc = dataset.sparkContext
    val weights = model.getParameters()._1 // (a tuple held here would keep the gradient buffer that is let go below)
    flatWeights = weights.storage
    if (taskLayout == TaskLayout.PerPartition) DistriOptimizer.checkSlots(sc, dataset.getNumPartitions)
    val (cached, counts) = trainingPartitions()
    val parts = cached.getNumPartitions
    try {
      val layout = SliceLayout(weights.nElement, parts)
      val itersPerEpoch = BatchPlan.batchesPerEpoch(counts.sum, batchSize)
      OptimMethod.requireSliceable(optimMethod, parts) // LBFGS needs the whole vector: refuse it with advice
      sliceMethods = Array.tabulate(parts)(i => DistriOptimizer.sliceOf(optimMethod, layout, i))
      log.info(s"DistriOptimizer: ${counts.sum} samples in $parts partitions (${counts.mkString(", ")}), batch $batchSize, " +
        s"$itersPerEpoch iterations per epoch, ${weights.nElement} parameters, $optimMethod, wire codec ${codec.name}")
      startRun(itersPerEpoch)
      // the driver computes no gradient: a zero one (a model not trained here before) is let go until the end
      val restoreGradient = ember.nn.FlatParameters.releaseZeroGradient(model)
      try {
        var stop = finished
        while (!stop) stop = runSegment(cached, counts, layout, itersPerEpoch)
        finishRun(null)
      } catch { case e: Throwable => finishRun(e); throw e }
      finally { releaseKeptStates(cached); restoreGradient.foreach(_()) }
    } finally {
      if (sliceMethods != null) mergedState().foreach(optimMethod.loadState)
    }
    model
  }

  /**
   * Releases the cached training partitions (kept between `optimize()` calls, so continuing a run does not
   * convert the samples again; Spark also drops them once this optimizer is garbage-collected).
   */
  def unpersist(): this.type = {
    if (cache != null) cache._1.unpersist(blocking = false) // with the tasks' kept states (attached to the partitions)
    cache = null
    kept = null
    this
  }

  /** The cached training partitions (null before the first run or after [[unpersist]]), for tests. */
  private[optim] def cachedPartitions: RDD[PartitionData] = if (cache == null) null else cache._1

  /** The training samples as one cached LocalDataSet per partition, and the partitions' sizes. */
  private def trainingPartitions(): (RDD[PartitionData], Array[Int]) = {
    if (cache == null) {
      val source = if (taskLayout == TaskLayout.PerPartition) dataset else {
        // one partition per executor (the driver runs the tasks in local mode), never more than the RDD has
        val n = DistriOptimizer.executors(dataset.sparkContext, dataset.getNumPartitions)
        log.info(s"DistriOptimizer: task layout 'executor': ${dataset.getNumPartitions} partitions trained as $n task(s)")
        // with a shuffle: a barrier stage cannot contain the coalescing itself (SPARK-24820), a shuffle ends
        // the stage before it; the shuffled, cached samples are then reused by every segment
        if (n == dataset.getNumPartitions) dataset else dataset.coalesce(n, shuffle = true)
      }
      val cached = source.mapPartitionsWithIndex((i, it) => Iterator(PartitionData(i, it)), preservesPartitioning = true)
        .persist(StorageLevel.MEMORY_ONLY).setName("ember DistriOptimizer training partitions")
      val counts = try cached.map(_.requireLabels().size).collect() // the first job: no label, no training
        catch { case e: Throwable => cached.unpersist(blocking = false); throw e }
      if (counts.sum == 0) { cached.unpersist(blocking = false); throw new IllegalArgumentException("DistriOptimizer: the training RDD is empty") }
      cache = (cached, counts)
    }
    cache
  }

  override protected def runValidation(setting: ValidationSetting): Array[ValidationResult] =
    if (rddValidationSet != null) Predictor(model, setting.batchSize).evaluate(rddValidationSet, setting.methods)
    else Evaluator.evaluate(model, localValidationSet, setting.methods, setting.batchSize)

  override protected def checkpointContent(): (Module, Option[MethodState]) = (model, mergedState())

  /**
   * Lets go of the states that the last segment's tasks kept, when it kept any (the run ended on the driver: a trigger
   * on a validation score, an error): a job that takes each cached partition's state away. A partition no longer
   * cached is converted again (the next run would). A failure here is logged, not thrown: the states then go with the
   * cached partitions.
   */
  private def releaseKeptStates(cached: RDD[PartitionData]): Unit = if (kept != null) {
    kept = null
    try cached.foreachPartition(_.foreach(_.takeState()))
    catch { case e: Exception => log.warn(s"DistriOptimizer: the tasks' kept states were not released ($e); they go with the cached partitions") }
  }

  /** Runs one segment (retrying it on failure), applies its weights and replays its iterations; returns whether to stop. */
  private def runSegment(cached: RDD[PartitionData], counts: Array[Int], layout: SliceLayout, itersPerEpoch: Int): Boolean = {
    val start = position
    val (segmentStart, segmentStartMicros) = (System.nanoTime(), SegmentTiming.epochMicros())
    val cores = if (taskLayout == TaskLayout.PerExecutor) DistriOptimizer.coresPerExecutor(cached.sparkContext, layout.parts) else 0
    val local = cached.sparkContext.isLocal
    val chunkBytes = DistriOptimizer.chunkBytes(cached.sparkContext)
    val criterionSpec = ModuleSpec.describe(criterion).toString
    val precision = ember.tensor.dnn.MixedPrecision.requested.name
    val keep = DistriOptimizer.keepTaskState(cached.sparkContext)
    val extra = s"$precision ${layout.parts} ${layout.total} ${codec.name}"
    // the tasks start from the states they kept when the driver's state is still the one the last segment ended with
    val resume = if (!keep) Resume.off
      else if (kept == null || Resume.digest(model, criterionSpec, sliceMethods, extra) != kept._1) Resume.none
      else Resume(keep = true, kept._2, Resume.crc(flatWeights, layout.total), model.namedBuffers.map(_._2.contiguous().toArray).toArray)
    kept = null // taken by the tasks whatever happens next
    def plan(model: Broadcast[ModelSettings], resume: Resume) = SegmentPlan(prefix = "",
      sync = SyncSettings(layout, codec, driver = if (local) "" else Rendezvous.endpoint(), timeoutMs = syncTimeoutMs,
        chunkBytes = chunkBytes, messageBytes = DistriOptimizer.messageBytes(cached.sparkContext, chunkBytes),
        replicated = DistriOptimizer.replicated(cached.sparkContext, layout),
        overlap = DistriOptimizer.overlap(cached.sparkContext)),
      batches = BatchSettings(batchSize, seed, counts, itersPerEpoch, dynamicSplit = !deterministic, coresPerExecutor = cores,
        balanced = taskLayout == TaskLayout.PerExecutor && batchSize >= layout.parts),
      steps = StepSettings(start, maxIterations = segmentIterations,
        stopTriggers = Seq(endWhen) ++ validation.map(_.trigger) ++ checkpoint.map(_.trigger), guard, clipping, averaging),
      model = model, precision = precision, resume = resume)
    // the model file and the methods: inline in the broadcast up to one chunk, else disk blocks until the segment ends
    var settings: ModelSettings = null
    def broadcastRun(resume: Resume) = {
      settings = ModelSettings(s"${runPrefix}_settings_$segments", model, criterionSpec, sliceMethods, chunkBytes)
      try {
        val broadcast = cached.sparkContext.broadcast(settings)
        try runWithRetries(cached, plan(broadcast, resume)) finally broadcast.destroy()
      } finally settings.remove()
    }
    // every task resumes: no model file, no broadcast (a task that finds no state fails the attempt, which reruns
    // with the broadcast: every task then builds, the others' states were taken by the failed attempt)
    val (results, submitted, collected) =
      if (resume.tokens.length == layout.parts && resume.tokens.forall(_.nonEmpty))
        try runWithRetries(cached, plan(null, resume)) catch {
          case e: StateNotKept =>
            log.warn(s"${e.getMessage}; rerunning the segment with the broadcast model")
            broadcastRun(Resume.none)
        }
      else broadcastRun(resume)
    val w = flatWeights
    results.foreach { r =>
      System.arraycopy(r.weights, 0, w, layout.offset(r.partition), r.weights.length)
      sliceMethods(r.partition) = r.method
    }
    copyBuffers(results.head.buffers)
    // (a model and methods over one chunk never resume: their digest would serialize them once more every segment)
    if (results.forall(_.keptAs.nonEmpty) && (settings == null || settings.digest(extra).isDefined))
      kept = (Resume.digest(model, criterionSpec, sliceMethods, extra), results.map(_.keptAs))
    endpoints = results.map(_.traffic.endpoint)
    profiles = TaskProfile.of(results)
    sent = sent + results
    // the segment's time outside its iterations counts everything the driver did for it (the model file, the
    // broadcast, the job, reading the results and the digest for the next segment) but the bookkeeping below
    timing = SegmentTiming.of(results, segmentStartMicros, submitted, collected, SegmentTiming.epochMicros())
    replay(results, System.nanoTime() - segmentStart, itersPerEpoch)
  }

  /**
   * Runs the segment's job (again after a retriable failure); returns the results, sorted by partition, with the wall
   * clock (epoch microseconds) at which the last attempt's job was submitted and the driver held its results.
   */
  private def runWithRetries(cached: RDD[PartitionData], plan: SegmentPlan): (Array[SegmentResult], Long, Long) = {
    var failures = 0
    while (true) {
      val prefix = s"${runPrefix}_$segments"
      segments += 1
      Rendezvous.open(prefix)
      Reports.listen(prefix, { b =>
        val (epoch, iteration, epochIteration, loss, throughput) = ProgressReporter.read(b)
        log.info(f"[Epoch $epoch $epochIteration/${plan.batches.itersPerEpoch}][Iteration $iteration] loss $loss%.5f, $throughput%.1f samples/s " +
          "(reported by task 0 during the segment)")
        reportProgress(position.copy(epoch = epoch, iteration = iteration, epochIteration = epochIteration, loss = loss), throughput)
      })
      try {
        val submitted = SegmentTiming.epochMicros()
        val collected = DistriOptimizer.runJob(cached, plan.copy(prefix = prefix))
        val returned = SegmentTiming.epochMicros()
        return (collected.map(r => readBlocks(r, prefix, plan.sync)).sortBy(_.partition), submitted, returned)
      } catch {
        case e: SparkException =>
          val cause = DistriOptimizer.taskError(prefix, plan.sync.layout.parts).getOrElse(e)
          if (failures >= maxRetries || !DistriOptimizer.retriable(cause)) throw cause
          failures += 1
          log.warn(s"DistriOptimizer: segment from iteration ${position.iteration} failed ($cause); " +
            s"rerunning it from its start (retry $failures of $maxRetries)")
      } finally {
        Reports.stop(prefix)
        Rendezvous.close(prefix)
        LocalShare.dropSegment(prefix)
      }
    }
    throw new IllegalStateException("unreachable")
  }

  /**
   * Copies a slice that came back in blocks (see [[SegmentTask.resultBlock]]) into the model's weights, block by
   * block, and reads an optim method that came back in blocks; returns the result with its method. The blocks are
   * then removed wherever they are (at once in this JVM, through the master on other executors).
   */
  private def readBlocks(r: SegmentResult, prefix: String, sync: SyncSettings): SegmentResult = {
    if (r.weightBlocks > 0) {
      readWeightBlocks(r, prefix, sync)
      BlockStore.removeRegistered(SegmentTask.resultBlock(prefix, r.partition, 0).stripSuffix("0"))
    }
    if (r.methodChunks == null) r
    else try r.copy(method = Chunks.deserialize[OptimMethod](r.methodChunks), methodChunks = null)
      finally r.methodChunks.remove(everywhere = true)
  }

  private def readWeightBlocks(r: SegmentResult, prefix: String, sync: SyncSettings): Unit = {
    val w = flatWeights
    val perBlock = SegmentTask.resultBlockValues(sync.chunkBytes)
    val (offset, length) = (sync.layout.offset(r.partition), sync.layout.length(r.partition))
    for (c <- 0 until r.weightBlocks) {
      val name = SegmentTask.resultBlock(prefix, r.partition, c)
      val buf = BlockStore.get(name, remote = true).getOrElse(throw new IllegalStateException(
        s"DistriOptimizer: block $name of task ${r.partition}'s weights is missing"))
      buf.order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(w, offset + c * perBlock, math.min(perBlock, length - c * perBlock))
      BlockStore.remove(name, tellMaster = true) // here at once (local mode); on executors by readBlocks
    }
  }

  /**
   * Hands the segment's iterations to the base bookkeeping (the driver's wall clock for the segment so far: `wallNanos`,
   * of which what the slowest task's iterations did not take is its scheduling); throws when the tasks stopped on a
   * failed check.
   */
  private def replay(results: Array[SegmentResult], wallNanos: Long, itersPerEpoch: Int): Boolean = {
    val r0 = results.head
    val failure = results.map(_.failure).find(_ != null)
    val done = r0.losses.length - (if (failure.isDefined) 1 else 0)
    val loop = results.map(_.iterNanos.sum).max
    val schedPerIter = math.max(0L, wallNanos - loop).toDouble / math.max(1, r0.losses.length)
    var stop = false
    var i = 0
    while (i < done) {
      val computeNs = results.map(_.computeNanos(i)).sum.toDouble / results.length
      val iterNs = results.map(_.iterNanos(i)).sum.toDouble / results.length
      val waitNs = results.map(_.waitNanos(i)).sum.toDouble / results.length
      val it = TimeSplit(1, computeNs / 1e9, (iterNs - computeNs) / 1e9, schedPerIter / 1e9, waitNs / 1e9, WaitSplit.of(results, i))
      split = split + it
      checkLoss(r0.losses(i))
      position = position.beforeStep
      val lr = optimMethod.learningRate(position)
      if (log.isInfoEnabled) log.info(f"[Iteration ${position.iteration + 1}] compute ${computeNs / 1e6}%.1f ms, sync ${(iterNs - computeNs) / 1e6}%.1f ms " +
        f"(waiting ${waitNs / 1e6}%.1f, for gradients ${it.waiting.gradientSeconds * 1e3}%.1f; compute imbalance " +
        f"${it.waiting.imbalanceSeconds * 1e3}%.1f), scheduling ${schedPerIter / 1e6}%.1f ms")
      stop = endIteration(IterationStats(r0.losses(i), r0.samples(i), it.totalSeconds, lr), itersPerEpoch)
      if (stop && i < done - 1) log.warn(s"DistriOptimizer: the end trigger fired inside a segment, at iteration ${position.iteration}")
      i += 1
    }
    failure.foreach(m => throw new TrainingDivergedException(m))
    stop
  }

  /** Running statistics (batch norm) kept by task 0 during the segment go into the driver's model. */
  private def copyBuffers(buffers: Array[Array[Float]]): Unit = {
    val named = model.namedBuffers
    require(buffers.length == named.length, s"DistriOptimizer: task 0 returned ${buffers.length} buffers, the model has ${named.length}")
    named.zip(buffers).foreach { case ((_, t), a) => t.copy(Tensor.fromArray(a, t.shape: _*)) }
  }

  private lazy val averaging: Boolean = criterion.averagesOverBatch

  /** The optim state of the whole vector: the slices' states concatenated (None before the first step). */
  private def mergedState(): Option[MethodState] = {
    val states = sliceMethods.toSeq.flatMap(_.state)
    if (states.isEmpty) None else Some(OptimState.merge(states))
  }
}

object DistriOptimizer {
  private val LocalMaster = """local\[(\*|\d+)(?:,\s*\d+)?\]""".r

  /**
   * The largest byte array of a transfer (`spark.ember.chunkBytes`, 64 MB by default): model-file chunks of the
   * broadcast and the blocks of a slice going back to the driver (the exchange's messages: [[messageBytes]]).
   * A local property of the calling thread (`sc.setLocalProperty`) overrides the configuration.
   */
  private[optim] def chunkBytes(sc: SparkContext): Int = {
    val key = "spark.ember.chunkBytes"
    val n = Option(sc.getLocalProperty(key)).map(org.apache.spark.network.util.JavaUtils.byteStringAsBytes)
      .getOrElse(sc.getConf.getSizeAsBytes(key, ModelFile.DefaultChunkBytes.toLong))
    require(n >= 64 && n <= (1L << 30), s"spark.ember.chunkBytes must be between 64 bytes and 1g, got $n")
    n.toInt
  }

  /**
   * Whether tasks keep their state on their executors between segments (`spark.ember.keepTaskState`, default true; see
   * TaskState): the next segment's task there then starts from it instead of the broadcast model. A local property of
   * the calling thread overrides the configuration.
   */
  private[optim] def keepTaskState(sc: SparkContext): Boolean = {
    val key = "spark.ember.keepTaskState"
    Option(sc.getLocalProperty(key)).map(_.trim.toBoolean).getOrElse(sc.getConf.getBoolean(key, defaultValue = true))
  }

  /**
   * The largest message of the exchange (`spark.ember.messageBytes`, 256 KB by default, at most [[chunkBytes]]): a
   * slice travels in pieces of that size, all sent at once, so the receiver decodes one piece while the next is on
   * the wire and no piece is a "humongous" array for the JVM's collector (over half a G1 region: 512 KB in a heap
   * under 2 GB), which a slice of a 5M-parameter model in one 10 MB message was, twice per iteration.
   */
  private[optim] def messageBytes(sc: SparkContext, chunkBytes: Int): Int = {
    val key = "spark.ember.messageBytes"
    val n = sc.getConf.getSizeAsBytes(key, AllReduceParameter.DefaultMessageBytes.toLong)
    require(n >= 64 && n <= (1L << 30), s"$key must be between 64 bytes and 1g, got $n")
    math.min(n.toInt, chunkBytes)
  }

  /**
   * Whether the two tasks of a segment exchange whole gradients and both step every slice (one round per iteration,
   * see AllReduceParameter): with two tasks and at most `spark.ember.replicatedExchangeMaxParams` parameters (1M by
   * default; 0: never). Each task then steps S / 2 more values: for LeNet-5 (22K) tens of microseconds against a
   * message's latency and a wake-up saved; for a 5M-parameter MLP 8-10 ms of thread CPU more per iteration (measured
   * under load 23: 31 ms against 20 ms of exchange and update), more than a round costs there.
   */
  private[optim] def replicated(sc: SparkContext, layout: SliceLayout): Boolean =
    layout.parts == 2 && layout.total <= sc.getConf.getSizeAsBytes("spark.ember.replicatedExchangeMaxParams", "1m")

  /**
   * Whether a task sends the pieces of its gradient whose values are final while its backward still runs (the last
   * layers' first, see AllReduceParameter.putFinal): `spark.ember.overlapGradients`, true (the default) or false. It
   * applies to a Sequential model without regularizers trained with one replica per task; the weights are the same
   * either way. A local property of the calling thread overrides the configuration.
   */
  private[optim] def overlap(sc: SparkContext): Boolean = {
    val key = "spark.ember.overlapGradients"
    Option(sc.getLocalProperty(key)).getOrElse(sc.getConf.get(key, "true")).trim.toLowerCase match {
      case "true" => true
      case "false" => false
      case other => throw new IllegalArgumentException(s"$key must be true or false, got '$other'")
    }
  }

  /** The one Spark job of a segment: a barrier stage with one task per partition. */
  private[optim] def runJob(cached: RDD[PartitionData], plan: SegmentPlan): Array[SegmentResult] =
    cached.barrier().mapPartitions(it => Iterator(SegmentTask.run(plan, it.next()))).collect()

  /** The optim method of slice `i`: a fresh copy of `method` with that slice of its state. */
  private[optim] def sliceOf(method: OptimMethod, layout: SliceLayout, i: Int): OptimMethod = {
    val m = method.freshCopy()
    method.state.foreach(whole => m.loadState(OptimState.slice(whole, layout.offset(i), layout.length(i))))
    m
  }

  /**
   * Executors to train on, at most `wanted`: 1 in local mode; on a cluster the registered executors, after
   * waiting up to 30 s for `wanted` of them (they register some seconds after the SparkContext starts).
   */
  private[optim] def executors(sc: SparkContext, wanted: Int): Int = {
    if (sc.isLocal) return 1
    def registered = sc.statusTracker.getExecutorInfos.length - 1 // the driver is listed too
    val deadline = System.nanoTime() + 30000000000L
    while (registered < wanted && System.nanoTime() < deadline) Thread.sleep(100)
    math.max(1, math.min(wanted, registered))
  }

  /**
   * Cores of one executor as the driver sees them: N of local[N]; `spark.executor.cores`; else the cluster's
   * cores (`defaultParallelism`, unless `spark.default.parallelism` overrides it) over `executors`; 0 when
   * unknown (then each task uses the cores Spark grants it).
   */
  private[optim] def coresPerExecutor(sc: SparkContext, executors: Int): Int = localSlots(sc).getOrElse {
    sc.getConf.getOption("spark.executor.cores").flatMap(_.toIntOption).getOrElse {
      if (sc.getConf.contains("spark.default.parallelism")) 0 else sc.defaultParallelism / math.max(1, executors)
    }
  }

  /** Task slots of a local master: N of local[N] (all cores for local[*]), 1 for local; None on a cluster. */
  private def localSlots(sc: SparkContext): Option[Int] = sc.master match {
    case "local" => Some(1)
    case LocalMaster(n) => Some(if (n == "*") Runtime.getRuntime.availableProcessors() else n.toInt)
    case _ => None
  }

  /** Fails early, with advice, when a local master cannot run one task per partition at once. */
  private[optim] def checkSlots(sc: SparkContext, parts: Int): Unit = {
    localSlots(sc).foreach(s => require(parts <= s, s"DistriOptimizer: the training RDD has $parts partitions but ${sc.master} " +
      s"runs only $s tasks at once, and all partitions train together; repartition the RDD to at most $s partitions"))
  }

  /**
   * Whether a failed segment may succeed when rerun as it was (a bad argument, bad data or a diverged run never does;
   * a task without the state it was to resume from needs the broadcast model: the caller reruns with it).
   */
  private[optim] def retriable(e: Throwable): Boolean = !Iterator.iterate(e)(_.getCause).takeWhile(_ != null).take(20)
    .exists(c => c.isInstanceOf[IllegalArgumentException] || c.isInstanceOf[TrainingDivergedException] || c.isInstanceOf[StateNotKept])

  /** The exception a task of the failed segment handed to the driver (see SegmentTask.run), if any. */
  private[optim] def taskError(prefix: String, parts: Int): Option[Throwable] =
    Rendezvous.error(prefix, parts).flatMap(bytes => scala.util.Try(JavaBytes.read[Throwable](bytes)).toOption)
}
