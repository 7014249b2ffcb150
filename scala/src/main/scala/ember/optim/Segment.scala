package ember.optim

import com.fasterxml.jackson.databind.ObjectMapper
import ember.data.{LocalDataSet, Sample}
import ember.io.ModelFile
import ember.nn.{Module, ModuleSpec}
import ember.parallel.{AllReduceParameter, Engine, IterationWork, LocalShare, Mailbox, Peers, Rendezvous, Reports, SliceLayout, WireCodec}
import ember.tensor.Tensor
import org.apache.spark.{TaskContext, TaskKilledException}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.ember.{BlockStore, SparkShim}

/** One cached training partition: its samples as a LocalDataSet (null when the partition is empty). */
private[optim] final class PartitionData(val index: Int, val data: LocalDataSet) {
  def size: Int = if (data == null) 0 else data.size

  /** Refuses samples without labels (see [[LocalDataSet.requireLabels]]), naming the partition. */
  def requireLabels(): this.type = {
    if (data != null) data.requireLabels(s"DistriOptimizer: training RDD partition $index")
    this
  }

  // the state this partition's task kept after its last segment here (see TaskState): lives as long as this cached
  // object (the partition's block), so it goes with the training partitions, with the executor, or when recomputed
  @transient private var kept: TaskState = null

  /** The kept state, taken away: a task that then fails leaves nothing behind for the next one to trust. */
  def takeState(): TaskState = synchronized { val s = kept; kept = null; s }

  /** Keeps `s` for the next segment's task here. */
  def keepState(s: TaskState): Unit = synchronized { kept = s }

  /** The kept state, left in place (for tests). */
  def keptState: TaskState = synchronized(kept)
}

/**
 * What a task keeps on its executor at the end of a segment, so that the next segment's task there starts from it
 * instead of building everything again from the broadcast model (fetching the broadcast, reading the model file,
 * cloning the replicas, their kernels' plans): the replicas (with the weights after the segment), the optim methods of
 * the slices it steps (with their state) and its float32 master weights. Named by a random `token` that the driver gets
 * back in the result; the driver names it in the next plan only when its own state (model file, methods) is still
 * exactly the one the segment ended with (see [[Resume]]), so a retried segment, a changed model or optim method, an
 * executor lost or a partition moved all start from the broadcast.
 */
private[optim] final class TaskState(val token: String, val replicas: TaskReplicas, val methods: Map[Int, OptimMethod],
    val master: Array[Float])

/**
 * What lets the tasks of a segment start from their kept [[TaskState]]: whether tasks keep their state at all
 * (`spark.ember.keepTaskState`, default true), the token of each partition's state ("": none;
 * empty: no task resumes), the CRC of the driver's flat weights, which the kept weights must match (else the task
 * builds from the broadcast), and the driver's buffers (batch-norm statistics, which every replica gets at a segment's
 * start, as it would from the model file).
 */
private[optim] final case class Resume(keep: Boolean, tokens: Array[String], weightsCrc: Long, buffers: Array[Array[Float]]) {
  def token(p: Int): String = if (p < tokens.length) tokens(p) else ""
}

private[optim] object Resume {
  /** No task resumes; each keeps its state for the next segment. */
  val none: Resume = Resume(keep = true, Array.empty, 0L, Array.empty)
  /** Tasks keep no state (`spark.ember.keepTaskState=false`). */
  val off: Resume = Resume(keep = false, Array.empty, 0L, Array.empty)

  /** CRC32C of the first `n` values of `a` as little-endian float32 bytes. */
  def crc(a: Array[Float], n: Int): Long = {
    val crc = new java.util.zip.CRC32C()
    val buf = java.nio.ByteBuffer.allocate(4 * 65536).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    var i = 0
    while (i < n) {
      val k = math.min(65536, n - i)
      buf.clear(); buf.asFloatBuffer().put(a, i, k); buf.limit(4 * k)
      crc.update(buf)
      i += k
    }
    crc.getValue ^ (n.toLong << 32)
  }

  /**
   * A digest of what the tasks would build from (the model file, the optim methods Java-serialized as [[Chunks]] holds
   * them, and `extra`: criterion, precision, layout), fed the same bytes as the settings' chunks (see
   * [[ModelSettings.digest]]). Two checksums of different polynomials over the byte count: equal digests mean equal bytes
   * but for a chance of about 2^-64.
   */
  final class Digest extends java.io.OutputStream {
    private val (a, b) = (new java.util.zip.CRC32C(), new java.util.zip.CRC32())
    private var n = 0L
    override def write(x: Int): Unit = { a.update(x); b.update(x); n += 1 }
    override def write(bytes: Array[Byte], off: Int, len: Int): Unit = { a.update(bytes, off, len); b.update(bytes, off, len); n += len }
    def add(bytes: Array[Byte]): this.type = { write(bytes, 0, bytes.length); this }
    def value: String = f"${a.getValue}%08x${b.getValue}%08x-$n"
  }

  /** The digest of the state that [[ModelSettings.apply]] would write, computed without storing it. */
  def digest(model: Module, criterionSpec: String, methods: Array[OptimMethod], extra: String): String = {
    val d = new Digest
    ModelFile.writeTo(model, d)
    methods.foreach { m => val out = new java.io.ObjectOutputStream(d); out.writeObject(m); out.flush() }
    d.add(criterionSpec.getBytes("UTF-8")).add(extra.getBytes("UTF-8")).value
  }
}

private[optim] object PartitionData {
  def apply(index: Int, samples: Iterator[Sample]): PartitionData = {
    val all = samples.toArray
    new PartitionData(index, if (all.isEmpty) null else LocalDataSet(all.toSeq))
  }
}

/**
 * How the tasks of a segment reach each other: the slices, their encoding, the driver's endpoint ("host:port") through
 * which they find each other and report progress and failures ("" in local mode: all in the driver's JVM), the
 * largest byte array sent at once (`chunkBytes`: model and result chunks), the largest message of the exchange
 * (`messageBytes`: a slice travels in pieces of that size, see [[DistriOptimizer.messageBytes]]) and whether two
 * tasks exchange whole gradients and both step every slice (`replicated`: one round per iteration, see
 * AllReduceParameter), and whether a task sends the final part of its gradient while its backward runs (`overlap`,
 * see [[DistriOptimizer.overlap]]).
 */
private[optim] final case class SyncSettings(layout: SliceLayout, codec: WireCodec, driver: String, timeoutMs: Long,
    chunkBytes: Int = ModelFile.DefaultChunkBytes, messageBytes: Int = AllReduceParameter.DefaultMessageBytes,
    replicated: Boolean = false, overlap: Boolean = false)

/**
 * Which samples each task trains on: the global batches (the LocalOptimizer's order, `counts` samples per
 * partition, or with `balanced` each partition's share of every batch, see [[ember.data.BatchPlan.balancedCuts]])
 * and how a JVM's tasks split them (`dynamicSplit`: in chunks; `coresPerExecutor`: replicas per task).
 */
private[optim] final case class BatchSettings(batchSize: Int, seed: Long, counts: Array[Int], itersPerEpoch: Int,
    dynamicSplit: Boolean, coresPerExecutor: Int, balanced: Boolean = false) {
  val offsets: Array[Int] = counts.scanLeft(0)(_ + _)
  def total: Int = offsets.last
}

/**
 * Where the segment starts, when it stops, and the checks and clipping of each step. `stopTriggers` starts with the
 * run's end trigger, then the triggers of validation and checkpoints.
 */
private[optim] final case class StepSettings(start: TrainingPosition, maxIterations: Int, stopTriggers: Seq[Trigger],
    guard: TrainingGuard, clipping: GradientClipping, averaging: Boolean) {
  /** Whether the run's end trigger fires after an iteration that produced `st`: no next segment then. */
  def endsRunAfter(st: TrainingPosition): Boolean = stopTriggers.headOption.exists(_(st))

  /**
   * Whether a validation or checkpoint trigger fires after an iteration that produced `st` (as the driver's triggers
   * will see it): the segment ends there and the run goes on. With [[endsRunAfter]], each trigger is asked once.
   */
  def pausesAfter(st: TrainingPosition): Boolean = stopTriggers.iterator.drop(1).exists(_(st))
}

/**
 * The model to train (its model file), its criterion (spec) and the optim method of every slice (with state,
 * Java-serialized), as [[Chunks]]: up to one chunk (64 MB by default, `spark.ember.chunkBytes`) inside the settings,
 * which reach the executors by broadcast, not in the task binary; beyond, in disk blocks of the driver that the tasks
 * fetch one at a time (so no whole copy of a model beyond 2 GB is ever held on the driver or in a broadcast).
 * Each task builds its own model and deserializes its own copy of its method.
 */
private[optim] final case class ModelSettings(model: Chunks, criterionSpec: String, methods: Array[Chunks]) {
  /** A fresh copy of slice `p`'s optim method, with its state. */
  def method(p: Int): OptimMethod = Chunks.deserialize[OptimMethod](methods(p))

  /** A new module from the model file, read one chunk at a time. */
  def buildModel(): Module = ModelFile.fromChunks(model.length, model.chunkBytes, model.chunk)

  /**
   * The digest of these settings plus `extra` (as [[Resume.digest]] computes it from the state), or None when a chunk is
   * in disk blocks (a model over one chunk: its tasks always build from the settings).
   */
  def digest(extra: String): Option[String] =
    if ((model +: methods).exists(_.blocks > 0)) None
    else {
      val d = new Resume.Digest
      (model +: methods).foreach(c => d.add(c.inline))
      Some(d.add(criterionSpec.getBytes("UTF-8")).add(extra.getBytes("UTF-8")).value)
    }

  /** Removes the blocks of the settings (driver side, once no task will read them). */
  def remove(): Unit = (model +: methods).foreach(_.remove(everywhere = false))
}

private[optim] object ModelSettings {
  /** The settings of a segment, their blocks named after `name`. */
  def apply(name: String, model: Module, criterionSpec: String, methods: Array[OptimMethod], chunkBytes: Int): ModelSettings = {
    val file = Chunks.write(s"${name}_model", chunkBytes)(ModelFile.writeTo(model, _))
    val written = scala.collection.mutable.ArrayBuffer(file)
    try ModelSettings(file, criterionSpec, methods.zipWithIndex.map { case (m, p) =>
      val c = Chunks.serialize(s"${name}_method_$p", m, chunkBytes); written += c; c
    })
    catch { case e: Throwable => written.foreach(_.remove(everywhere = false)); throw e }
  }
}

/**
 * What a task hands the driver outside the task closure and result (the exception that failed it), as Java-serialized
 * bytes, like the closure itself.
 */
private[optim] object JavaBytes {
  def write(x: AnyRef): Array[Byte] = {
    val bytes = new java.io.ByteArrayOutputStream()
    val out = new java.io.ObjectOutputStream(bytes)
    out.writeObject(x); out.close()
    bytes.toByteArray
  }

  /** Reads objects of the application's classes too (resolved through the thread's context class loader, as Spark does). */
  def read[T](bytes: Array[Byte]): T = {
    val in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes)) {
      override def resolveClass(d: java.io.ObjectStreamClass): Class[_] =
        try Class.forName(d.getName, false, Thread.currentThread().getContextClassLoader)
        catch { case _: ClassNotFoundException => super.resolveClass(d) }
    }
    try in.readObject().asInstanceOf[T] finally in.close()
  }
}

/**
 * Everything a training task needs for one segment, `prefix` naming the segment: the settings travel in the
 * task closure, the model and the optim methods by broadcast (a model of a few MB would otherwise make every
 * segment's task binary that large, and Spark warn "Broadcasting large task binary"), or not at all when every
 * task is to resume from the state it kept (`resume`): then the driver neither writes the model file nor broadcasts
 * it, and a task that finds no state fails with [[StateNotKept]], on which the driver reruns the segment with the
 * broadcast. `precision` is the compute precision the driver asked for ("fp32"/"bf16"): each executor adopts it,
 * resolved on its own CPU.
 */
private[optim] final case class SegmentPlan(prefix: String, sync: SyncSettings, batches: BatchSettings, steps: StepSettings,
    model: Broadcast[ModelSettings], precision: String = "fp32", resume: Resume = Resume.none) {
  /** The model and methods to build from: none (`model` null) when every task was to resume from its kept state. */
  def settings(p: Int): ModelSettings =
    if (model != null) model.value
    else throw new StateNotKept(s"DistriOptimizer: task $p found no state kept on its executor ${
      Option(org.apache.spark.SparkEnv.get).map(_.executorId).getOrElse("?")} (lost, or its partition recomputed)")
}

/**
 * A task that was to resume from its kept state found none, in a segment planned without the broadcast model (the
 * driver then reruns the segment with it).
 */
final class StateNotKept(message: String) extends IllegalStateException(message)

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
    weights: Array[Float], // empty when the slice is in `weightBlocks` blocks (see SegmentTask.resultBlock)
    method: OptimMethod,
    losses: Array[Float],
    samples: Array[Int],
    iterNanos: Array[Long],
    computeNanos: Array[Long],
    waitNanos: Array[Long],
    setupNanos: Long,
    failure: String,
    buffers: Array[Array[Float]] = Array.empty,
    traffic: TaskTraffic = TaskTraffic.none,
    weightBlocks: Int = 0,
    methodChunks: Chunks = null, // when set, `method` is null and travels in these blocks (see SegmentTask.methodChunks)
    computeCpuNanos: Array[Long] = Array.empty,
    gradientWaitNanos: Array[Long] = Array.empty,
    syncCpuNanos: Array[Long] = Array.empty,
    processCpuNanos: Long = 0L, // all threads of the task's JVM during its iterations (transport, GC and JIT too)
    jvm: JvmUsage = JvmUsage.none, // the same by thread group, with GC and JIT (see TaskProfile)
    startMicros: Long = 0L, // the task's start and end, wall clock (see SegmentTiming)
    endMicros: Long = 0L,
    resumed: Boolean = false, // started from its kept state (see TaskState), not from the broadcast
    keptAs: String = "", // the token of the state it kept for the next segment ("": none)
    peersNanos: Long = 0L // of the set-up: finding the peers (waiting there for the last task to start)
)

/**
 * What a task's iterations cost the network and the driver: bytes it sent to tasks in other JVMs, and the
 * messages its JVM sent to the driver (by kind, see `SparkShim.driverMessages`) during its iterations and before
 * them (set-up), and the address of the endpoint its JVM received through ("" in local mode).
 */
private[optim] final case class TaskTraffic(remoteBytes: Long, iterating: Map[String, Long], setup: Map[String, Long], endpoint: String)

private[optim] object TaskTraffic {
  val none: TaskTraffic = TaskTraffic(0L, Map.empty, Map.empty, "")

  /** The counts of `after` that grew since `before`. */
  def since(before: Map[String, Long], after: Map[String, Long]): Map[String, Long] =
    after.map { case (k, n) => k -> (n - before.getOrElse(k, 0L)) }.filter(_._2 > 0)
}

/** The model replicas of one task (one per core of the task, see [[ReplicaSet]]), built from the settings' model file. */
private[optim] final class TaskReplicas(settings: ModelSettings, count: Int) {
  private val set = new ReplicaSet(settings.buildModel(),
    ModuleSpec.buildCriterion(new ObjectMapper().readTree(settings.criterionSpec)), count)
  set.training(propagateBack = false) // nothing reads the input gradient: skip it where a layer can

  val models: Array[Module] = set.models
  /** The shared weights (full length): fetched weights are written here. */
  val weights: Array[Float] = set.weights.storage
  /** The task's summed gradient (full length). */
  val grads: Array[Float] = set.gradient.storage

  /**
   * Forward/backward of the samples `indices` of `data`, split among the replicas; the gradients are summed
   * into [[grads]], each scaled by its share of the global batch of `globalSize` samples when the criterion
   * averages (as the LocalOptimizer does). With `regularize` (one task of the job), the model's
   * regularizers then add their gradients, so the summed gradient counts them once. Returns the loss
   * summed the same way as the gradients. `onFinal`: see [[ReplicaSet.computeStatic]] (called only when the
   * replicas [[overlap]]).
   */
  def compute(data: LocalDataSet, indices: Array[Int], globalSize: Int, averaging: Boolean, regularize: Boolean,
      onFinal: Int => Unit = null): Double = {
    val loss = if (indices.isEmpty) { set.gradient.zero(); 0.0 }
      else set.computeStatic(data.batch(indices, 0, indices.length), globalSize, averaging, onFinal)
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
    val result = set.computeChunks(() => work.next(), globalSize, averaging)
    if (regularize) models(0).accRegularization()
    result
  }

  /** Whether the replicas may share a batch in chunks of any size (see `Module.splitsFreely`). */
  def splitsFreely: Boolean = set.splitsFreely

  /** Whether [[compute]] hands out final ranges of the gradient during backward (see ReplicaSet). */
  def overlap: Boolean = set.overlaps

  /** See [[ReplicaSet.finalFrom]]. */
  def finalFrom: Array[Int] = set.finalFrom

  /** Model replicas of this task. */
  def size: Int = count
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

  /**
   * The name of block `c` of task `p`'s weight slice at the end of a segment: a slice over one chunk
   * (`SyncSettings.chunkBytes`) goes back to the driver in registered blocks of float32 (little-endian) rather than
   * in the task result, which Spark serializes into one buffer (2 GB at most) and caps (`spark.driver.maxResultSize`).
   */
  def resultBlock(segmentPrefix: String, p: Int, c: Int): String = s"${segmentPrefix}_result_${p}_$c"

  /** The name of task `p`'s optim method (Java-serialized), in blocks when it is over one chunk (its state). */
  def methodChunks(segmentPrefix: String, p: Int): String = s"${segmentPrefix}_method_$p"

  /** CPU time of all threads of this JVM so far (0 where the JVM does not tell). */
  def processCpuNanos: Long = java.lang.management.ManagementFactory.getOperatingSystemMXBean match {
    case os: com.sun.management.OperatingSystemMXBean => math.max(0L, os.getProcessCpuTime)
    case _ => 0L
  }

  /** Values per result block. */
  def resultBlockValues(chunkBytes: Int): Int = math.max(1, chunkBytes / 4)

  /**
   * Runs the segment in this task. A barrier stage's failure reaches the driver without the task's
   * exception, so a failing task first hands it (Java-serialized) to the driver ([[Rendezvous.reportError]]).
   */
  def run(plan: SegmentPlan, part: PartitionData): SegmentResult = {
    val ctx = TaskContext.get()
    val attempt = if (ctx == null) 0 else ctx.stageAttemptNumber()
    try train(plan, part, attempt)
    catch {
      case e: Exception if !e.isInstanceOf[TaskKilledException] && !(ctx != null && ctx.isInterrupted()) =>
        scala.util.Try(Rendezvous.reportError(plan.sync.driver, plan.prefix, attempt, part.index, JavaBytes.write(e)))
        throw e
    }
  }

  private def train(plan: SegmentPlan, part: PartitionData, attempt: Int): SegmentResult = {
    val setupStart = System.nanoTime()
    val startMicros = SegmentTiming.epochMicros()
    ember.tensor.dnn.MixedPrecision.adopt(plan.precision) // executors of other JVMs have their own setting
    val ctx = TaskContext.get()
    val p = part.index
    require(ctx == null || ctx.partitionId() == p, s"partition ${ctx.partitionId()} got the data of partition $p")
    val prefix = s"${plan.prefix}_$attempt"
    (0 until attempt).foreach { a => // messages and shared work of failed attempts here
      Mailbox.close(s"${plan.prefix}_$a", p)
      LocalShare.drop(s"${plan.prefix}_$a")
    }
    val driverAtStart = SparkShim.driverMessages
    val sync = plan.sync
    val peers =
      if (sync.driver.nonEmpty) Peers.rendezvous(sync.driver, plan.prefix, attempt, p, sync.layout.parts, sync.timeoutMs)
      else Peers.local(prefix, p, sync.layout.parts, sync.timeoutMs)
    val peersNanos = System.nanoTime() - setupStart
    try trainWith(plan, part, peers, setupStart, driverAtStart)
      .copy(startMicros = startMicros, endMicros = SegmentTiming.epochMicros(), peersNanos = peersNanos)
    finally peers.close()
  }

  private def trainWith(plan: SegmentPlan, part: PartitionData, peers: Peers, setupStart: Long,
      driverAtStart: Map[String, Long]): SegmentResult = {
    val p = part.index
    val local = peers.all.indices.filter(peers.isLocal).toArray // the tasks of this JVM
    val wanted = replicasFor(TaskContext.get(), plan.batches.coresPerExecutor, local.length)
    val kept = resume(plan, part, wanted)
    // the broadcast (plan.model) is fetched only when something is not kept
    val replicas = kept.map(_.replicas).getOrElse(new TaskReplicas(plan.settings(p), wanted))
    val cuts = if (!plan.sync.overlap || !plan.sync.replicated) Array.emptyIntArray // else the same on every task: from the model
      else SegmentLoop.overlapCuts(replicas.finalFrom, plan.sync.layout.total, math.min(SegmentLoop.OverlapPieceValues,
        AllReduceParameter.valuesPerMessage(plan.sync.messageBytes, plan.sync.codec)))
    val ar = new AllReduceParameter(p, plan.sync.layout, plan.sync.codec, peers, plan.sync.messageBytes, plan.sync.replicated,
      cuts)
    val methods = scala.collection.mutable.Map.empty[Int, OptimMethod] ++ kept.map(_.methods).getOrElse(Map.empty)
    val batches = batchSource(plan, part, peers.prefix, local, replicas)
    val loop = new SegmentLoop(plan, p, replicas, batches, ar, q => methods.getOrElseUpdate(q, plan.settings(p).method(q)))
    val stats = new SegmentStats(plan.steps.maxIterations)
    val reporter = new ProgressReporter(plan.sync.driver, plan.prefix, ProgressReporter.intervalNanos())
    val setupNanos = System.nanoTime() - setupStart
    val driverBefore = SparkShim.driverMessages
    val jvmAtStart = JvmSnapshot.take()
    var failure: String = null
    var stop = false
    var runEnds = false
    while (!stop) {
      val t0 = System.nanoTime()
      val waitBefore = ar.waitNanos
      val o = loop.iterate()
      failure = o.failure
      runEnds = plan.steps.endsRunAfter(o.state)
      stop = failure != null || runEnds || plan.steps.pausesAfter(o.state) || stats.count + 1 >= plan.steps.maxIterations
      stats.add(o, System.nanoTime() - t0, ar.waitNanos - waitBefore)
      if (p == 0 && failure == null) reporter.iterated(loop.position, o.loss, o.samples)
    }
    val jvm = jvmAtStart.usageSince()
    LocalShare.drop(peers.prefix)
    val buffers = if (p == 0) replicas.models(0).namedBuffers.map(_._2.contiguous().toArray).toArray else Array.empty[Array[Float]]
    val traffic = TaskTraffic(peers.remoteBytes, TaskTraffic.since(driverBefore, SparkShim.driverMessages),
      TaskTraffic.since(driverAtStart, driverBefore), peers.all(p).endpoint)
    val master = loop.masterSlice // slice p (with one task: the replicas' whole vector, the same length)
    // an optim method whose state is over one chunk (Adam: twice the slice) goes back in disk blocks as well
    val sent = Chunks.serialize(methodChunks(plan.prefix, p), loop.method, plan.sync.chunkBytes)
    val (returned, inBlocks) = if (sent.blocks == 0) (loop.method, null) else (null, sent)
    val blocks = putWeightBlocks(plan, p, master)
    // kept for the next segment here unless keeping is off, the run ends (no next segment: the memory goes now) or
    // the checks stopped training (the driver throws): the same on every task. With a lossy wire codec the replicas
    // first get every slice's float32 weights (one exchange): they then hold the driver's weights, as a rebuild would
    val keptAs = if (failure != null || runEnds || !plan.resume.keep) "" else {
      ar.shareExact(loop.position.iteration, loop.master, replicas.weights)
      val token = java.util.UUID.randomUUID().toString
      part.keepState(new TaskState(token, replicas, methods.toMap, loop.master))
      token
    }
    stats.result(p, if (blocks > 0) Array.emptyFloatArray else master, returned, setupNanos, failure)
      .copy(buffers = buffers, traffic = traffic, weightBlocks = blocks, methodChunks = inBlocks,
        processCpuNanos = jvm.processCpuNanos, jvm = jvm, resumed = kept.isDefined, keptAs = keptAs)
  }

  /**
   * The state this partition's task kept at the end of the previous segment here, when the plan names it (the driver's
   * state is still the one it ended with), it has the replicas this task wants, and its weights are the driver's
   * (checked by CRC): then every replica gets the driver's buffers and the replicas the float32 master weights (with
   * two tasks, each keeps the whole vector; the replicas may hold them rounded by the wire codec). Any other kept state
   * is dropped.
   */
  private def resume(plan: SegmentPlan, part: PartitionData, wanted: Int): Option[TaskState] = {
    val kept = part.takeState()
    val token = plan.resume.token(part.index)
    if (kept == null || token.isEmpty || kept.token != token || kept.replicas.size != wanted) return None
    val w = kept.replicas.weights
    val total = plan.sync.layout.total
    if ((kept.master ne w) && kept.master.length == total) System.arraycopy(kept.master, 0, w, 0, total)
    if (Resume.crc(w, total) != plan.resume.weightsCrc) return None
    if (plan.resume.buffers.nonEmpty) kept.replicas.models.foreach { m =>
      m.namedBuffers.zip(plan.resume.buffers).foreach { case ((_, t), a) => t.copy(Tensor.fromArray(a, t.shape: _*)) }
    }
    Some(kept)
  }

  /**
   * A weight slice over one chunk goes back to the driver in disk blocks (see [[resultBlock]]), written through one
   * reused buffer: no second copy of the slice in memory. Returns the number of blocks (0: the slice fits the result).
   */
  private def putWeightBlocks(plan: SegmentPlan, p: Int, master: Array[Float]): Int = {
    val perBlock = resultBlockValues(plan.sync.chunkBytes)
    if (master.length <= perBlock) return 0
    val blocks = (master.length + perBlock - 1) / perBlock
    val buf = java.nio.ByteBuffer.allocate(4 * perBlock).order(java.nio.ByteOrder.LITTLE_ENDIAN)
    for (c <- 0 until blocks) {
      val n = math.min(perBlock, master.length - c * perBlock)
      buf.clear()
      buf.asFloatBuffer().put(master, c * perBlock, n)
      buf.limit(4 * n)
      BlockStore.put(resultBlock(plan.prefix, p, c), buf, tellMaster = true, onDisk = true)
    }
    blocks
  }

  /**
   * The partitions whose tasks run in this JVM share each batch in chunks (see IterationWork), unless a module
   * needs its exact sub-batch (batch statistics, random draws) or setDeterministic(true) was asked.
   */
  private def batchSource(plan: SegmentPlan, part: PartitionData, prefix: String, local: Array[Int], replicas: TaskReplicas): BatchSource = {
    val share = plan.batches.dynamicSplit && replicas.splitsFreely && (local.length > 1 || replicas.size > 1)
    if (!share) new OwnBatches(plan.batches, part, replicas, plan.steps.averaging)
    else {
      LocalShare.register(prefix, part.index, part.data)
      LocalShare.awaitRegistered(prefix, local, plan.sync.timeoutMs)
      new SharedBatches(plan.batches, prefix, part.index, local, local.map(q => LocalShare.partition(prefix, q)), replicas,
        plan.steps.averaging)
    }
  }
}

/**
 * Task 0's reports of where a segment is, about once a second (spark.ember.progressInterval), for the driver's progress bar and log while the
 * segment runs (the driver otherwise hears of the iterations only at the segment's end): one small one-way
 * message ([[Reports]]), never a round trip, so the iterations do not wait for it.
 */
private[optim] final class ProgressReporter(endpoint: String, topic: String, intervalNanos: Long = 1000000000L) {
  private var last = System.nanoTime()
  private var samples = 0L
  private val buf = java.nio.ByteBuffer.allocate(ProgressReporter.Bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)

  /** After an iteration of `n` samples that ended at `position` with `loss`: reports when a second has passed. */
  def iterated(position: TrainingPosition, loss: Float, n: Int): Unit = {
    samples += n
    val now = System.nanoTime()
    if (now - last >= intervalNanos) {
      buf.clear()
      buf.putInt(position.epoch).putLong(position.iteration).putInt(position.epochIteration).putFloat(loss)
        .putDouble(samples / ((now - last) / 1e9))
      buf.flip()
      Reports.post(endpoint, topic, buf)
      last = now; samples = 0L
    }
  }
}

private[optim] object ProgressReporter {
  val Bytes = 28

  /** The report interval: `spark.ember.progressInterval` of the executor's Spark conf (a time, default 1s). */
  def intervalNanos(): Long =
    Option(org.apache.spark.SparkEnv.get).map(_.conf.getTimeAsMs("spark.ember.progressInterval", "1s")).getOrElse(1000L) * 1000000L

  /** (epoch, iteration, epochIteration, loss, samples/s) of a report. */
  def read(b: java.nio.ByteBuffer): (Int, Long, Int, Float, Double) = (b.getInt(), b.getLong(), b.getInt(), b.getFloat(), b.getDouble())
}

/**
 * Per-iteration figures of one task in one segment: loss and samples (global), and nanoseconds of the iteration,
 * of its compute step (wall clock and the task thread's CPU time: their difference is time descheduled), of all its
 * waiting for other tasks, and of the part of it waiting for their gradient slices.
 */
private[optim] final class SegmentStats(capacity: Int) {
  private val initial = math.max(1, math.min(capacity, 1024))
  private var losses = new Array[Float](initial)
  private var samples = new Array[Int](initial)
  private var times = Array.fill(SegmentStats.Columns)(new Array[Long](initial)) // iter, compute, cpu, wait, gradient wait, sync cpu
  var count = 0

  def add(o: IterationOutcome, iterNanos: Long, waitNanos: Long): Unit = {
    if (count == losses.length) {
      val c = count * 2
      losses = java.util.Arrays.copyOf(losses, c); samples = java.util.Arrays.copyOf(samples, c)
      times = times.map(java.util.Arrays.copyOf(_, c))
    }
    losses(count) = o.loss; samples(count) = o.samples
    val row = Array(iterNanos, o.computeNanos, o.computeCpuNanos, waitNanos, o.gradientWaitNanos, o.syncCpuNanos)
    var k = 0
    while (k < row.length) { times(k)(count) = row(k); k += 1 }
    count += 1
  }

  def result(p: Int, weights: Array[Float], method: OptimMethod, setupNanos: Long, failure: String): SegmentResult = {
    val t = times.map(_.take(count))
    SegmentResult(p, weights, method, losses.take(count), samples.take(count), t(0), t(1), t(3), setupNanos, failure,
      computeCpuNanos = t(2), gradientWaitNanos = t(4), syncCpuNanos = t(5))
  }
}

private[optim] object SegmentStats {
  val Columns = 6
}

