package ember.optim

import ember.data.LocalDataSet
import ember.nn.{Criterion, Module}
import ember.summary.{TrainSummary, ValidationSummary}
import ember.tensor.Tensor
import org.slf4j.LoggerFactory

/** When and how to validate during training. */
final case class ValidationSetting(trigger: Trigger, methods: Array[ValidationMethod], batchSize: Int) {
  require(trigger != null, "validation trigger must not be null")
  require(methods != null && methods.nonEmpty && !methods.contains(null), "validation needs at least one ValidationMethod")
  require(batchSize > 0, s"validation batchSize must be > 0, got $batchSize")
}

/** Where and when to write checkpoints. */
final case class CheckpointSetting(path: String, trigger: Trigger, keepOnlyLatest: Boolean = false) {
  require(path != null && path.nonEmpty, "checkpoint path must not be empty")
  require(trigger != null, "checkpoint trigger must not be null")
}

/** What one training iteration did, reported by the optimizers to [[Optimizer.endIteration]]. */
final case class IterationStats(loss: Float, samples: Int, seconds: Double, learningRate: Double)

/**
 * The shared part of Ember's optimizers (BigDL's `Optimizer`, with its Scala setter names): settings,
 * training bookkeeping, triggers, validation / summary / checkpoint hooks, the divergence guard and a
 * thread-safe [[progress]] snapshot. `LocalOptimizer` (replicas in one JVM) and `DistriOptimizer` (Spark)
 * extend it and implement [[optimize]]; each calls [[endIteration]] after every iteration.
 *
 * Training state (epoch, iteration, the optim method's state) persists across `optimize()` calls on one
 * optimizer: calling it again with a later end trigger continues the run (BigDL reset Adam's state).
 */
abstract class Optimizer(val model: Module, val criterion: Criterion, val batchSize: Int) {
  require(model != null, "Optimizer: model must not be null")
  require(criterion != null, "Optimizer: criterion must not be null")
  require(batchSize > 0, s"Optimizer: batchSize must be > 0, got $batchSize")

  protected val log = LoggerFactory.getLogger(getClass)

  protected var optimMethod: OptimMethod = new SGD()
  protected var endWhen: Trigger = MaxIteration(100) // BigDL's default
  protected var validation: Option[ValidationSetting] = None
  protected var localValidationSet: LocalDataSet = null
  protected var checkpoint: Option[CheckpointSetting] = None
  protected var trainSummary: Option[TrainSummary] = None
  protected var validationSummary: Option[ValidationSummary] = None
  protected var clipping: GradientClipping = NoClipping
  protected var seed: Long = 1L
  protected var guard: TrainingGuard = new TrainingGuard(1e4)
  /** Where training is; replaced after every iteration, kept across `optimize()` calls. */
  protected var position: TrainingPosition = TrainingPosition.Start
  @volatile private var snapshot: Progress = Progress.initial
  private var lastValidation: Array[(String, Float)] = Array.empty
  private var epochStart = 0L
  private var epochSamples = 0L
  private var epochLossSum = 0.0 // sum of loss * samples over the epoch's iterations, for its mean loss
  private val epochs = new java.util.concurrent.CopyOnWriteArrayList[EpochRecord]()
  private var bestWeights: Seq[Tensor] = Nil // parameters then buffers at the best validation (EarlyStopping)

  def setOptimMethod(method: OptimMethod): this.type = {
    require(method != null, "setOptimMethod: method must not be null"); optimMethod = method; this
  }

  /** The optim method in use (its state carries over between `optimize()` calls). */
  def getOptimMethod: OptimMethod = optimMethod

  def setEndWhen(trigger: Trigger): this.type = { require(trigger != null, "setEndWhen: trigger must not be null"); endWhen = trigger; this }

  /** Validates on in-memory data each time `trigger` fires (the DistriOptimizer adds an RDD overload). */
  def setValidation(trigger: Trigger, data: LocalDataSet, methods: Array[ValidationMethod], batchSize: Int): this.type = {
    require(data != null, "setValidation: data must not be null")
    val setting = ValidationSetting(trigger, methods, batchSize)
    checkValidationMethods(methods, data, batchSize)
    validation = Some(setting)
    localValidationSet = data
    this
  }

  /**
   * Runs the model (in evaluation mode, restored afterwards) on the first validation batch and every method
   * on its output, so that a method that does not fit the model's output (HitRatio on a classifier's
   * [batch, 10], Top5Accuracy on 3 classes) fails at setValidation instead of after the first epoch.
   */
  protected def checkValidationMethods(methods: Array[ValidationMethod], data: LocalDataSet, batchSize: Int): Unit = {
    if (methods == null || data == null || data.size == 0) return
    val n = math.min(batchSize, data.size)
    val batch = data.batch(Array.range(0, n), 0, n)
    val wasTraining = model.isTraining
    val output = try model.evaluate().forward(batch.input) finally if (wasTraining) model.training()
    for (m <- methods if m != null) {
      try m(output, batch.target)
      catch {
        case e: IllegalArgumentException => throw new IllegalArgumentException(
          s"setValidation: ${m.name} does not fit the model's output on the first validation batch: ${e.getMessage}", e)
      }
    }
  }

  /** Checkpoints to directory `path` each time `trigger` fires (BigDL `setCheckpoint(path, trigger)`). */
  def setCheckpoint(path: String, trigger: Trigger): this.type = { checkpoint = Some(CheckpointSetting(path, trigger)); this }

  /** Keeps only the latest checkpoint, deleting older ones after each write (BigDL `overWriteCheckpoint`). */
  def overWriteCheckpoint(): this.type = {
    require(checkpoint.isDefined, "overWriteCheckpoint: call setCheckpoint(path, trigger) first")
    checkpoint = checkpoint.map(_.copy(keepOnlyLatest = true)); this
  }

  def setTrainSummary(summary: TrainSummary): this.type = { trainSummary = Option(summary); this }
  def setValidationSummary(summary: ValidationSummary): this.type = { validationSummary = Option(summary); this }

  /** Clamps every gradient value into [min, max] before the update. */
  def setConstantGradientClipping(min: Double, max: Double): this.type = { clipping = ConstantClipping(min, max); this }

  /** Rescales the gradient to an L2 norm of at most `maxNorm` before the update. */
  def setGradientClippingByL2Norm(maxNorm: Double): this.type = { clipping = L2NormClipping(maxNorm); this }

  def disableGradientClipping(): this.type = { clipping = NoClipping; this }

  /** The seed of the data order (each epoch's shuffle is drawn from (seed, epoch)). */
  def setSeed(s: Long): this.type = { seed = s; this }

  protected var deterministic: Boolean = false

  /**
   * With `true`, every worker (model replica, or training task) gets a fixed share of each batch, so two runs
   * with the same seed and layout give bitwise the same weights. By default (`false`) the workers of one
   * JVM claim chunks of each batch as they go ([[ember.data.ChunkQueue]]): faster on cores of uneven speed,
   * and the same up to float rounding, but the rounding depends on timing.
   */
  def setDeterministic(value: Boolean): this.type = { deterministic = value; this }

  /** Stops training when the loss exceeds `factor` x max(1, first loss) (default 1e4); see [[TrainingGuard]]. */
  def setDivergenceFactor(factor: Double): this.type = { guard = new TrainingGuard(factor); this }

  /**
   * Compute precision of the oneDNN layers: "bf16" (mixed precision, like PyTorch's CPU autocast: bf16 compute,
   * float32 master weights, gradients and optim state) or "fp32" (the default). Where the CPU has no AVX512-BF16
   * or AMX, or oneDNN is not in use, "bf16" falls back to float32 with a warning in the log; [[mixedPrecision]]
   * tells what is in effect. The setting is JVM-wide ([[ember.tensor.dnn.MixedPrecision]]).
   */
  def setMixedPrecision(mode: String): this.type = { ember.tensor.dnn.MixedPrecision.set(mode); this }

  /** The compute precision in effect: "fp32" or "bf16" (see [[setMixedPrecision]]). */
  def mixedPrecision: String = ember.tensor.dnn.MixedPrecision.active.name

  /**
   * Continues from the latest checkpoint in `path` (or that of `iteration`): copies its weights into
   * [[model]] (same structure required), takes its optim method with its state, and its training position.
   */
  def resumeFrom(path: String, iteration: Long = -1L): this.type = {
    val ck = Checkpoint.load(path, iteration)
    val (src, dst) = (ck.model.namedParameters, model.namedParameters)
    require(src.map(_._1) == dst.map(_._1) && src.zip(dst).forall { case (a, b) => a._2.value.sameShape(b._2.value) },
      s"resumeFrom: the checkpoint's model in $path does not have the parameters of this optimizer's model")
    src.zip(dst).foreach { case (a, b) => b._2.value.copy(a._2.value) }
    ck.model.namedBuffers.zip(model.namedBuffers).foreach { case (a, b) => b._2.copy(a._2) }
    optimMethod = ck.optimMethod
    position = ck.position
    log.info(s"resumed from checkpoint of iteration ${position.iteration} in $path (epoch ${position.epoch})")
    this
  }

  /** Trains until the end trigger fires and returns the trained model (the same instance as [[model]]). */
  def optimize(): Module

  /** The latest progress snapshot (thread-safe; poll it while [[optimize]] runs in another thread). */
  def progress: Progress = snapshot

  /**
   * The epochs finished by this optimizer from the `from`-th on (0-based; thread-safe). Each record is
   * complete when it appears (validation included), so a poller that reads it late loses no epoch.
   */
  def epochHistory(from: Int): Array[EpochRecord] = {
    val all = epochs.toArray(new Array[EpochRecord](0))
    all.drop(math.max(0, from))
  }

  // ---------------------------------------------------------------- hooks for the subclasses

  /** Runs the validation methods over the validation data with the current weights. */
  protected def runValidation(setting: ValidationSetting): Array[ValidationResult]

  /** The model and the optim method's whole-vector state to checkpoint (the DistriOptimizer merges slices). */
  protected def checkpointContent(): (Module, Option[MethodState]) = (model, optimMethod.state)

  /** Checks the loss of the iteration being done (before the update). */
  protected final def checkLoss(loss: Float): Unit = guard.checkLoss(loss, position.iteration + 1, position.epoch)

  /** Checks a gradient (or a slice) of the iteration being done (before the update). */
  protected final def checkGradient(grad: Tensor): Unit = guard.checkGradient(grad, position.iteration + 1, position.epoch)

  /**
   * Marks the start of an `optimize()` run in the progress snapshot. A position restored from a checkpoint
   * written with a larger batch size may lie past the end of the epoch: it then moves to the next epoch.
   */
  protected final def startRun(itersPerEpoch: Int): Unit = {
    require(itersPerEpoch > 0, s"itersPerEpoch must be > 0, got $itersPerEpoch")
    val stoppers = EarlyStopping.within(endWhen)
    require(stoppers.isEmpty || validation.isDefined,
      "EarlyStopping needs validation scores: call setValidation(trigger, data, methods, batchSize) before optimize()")
    validation.foreach(v => stoppers.foreach(_.monitored(v.methods.toSeq)))
    position = position.startingWith(itersPerEpoch)
    epochStart = System.nanoTime(); epochSamples = 0L; epochLossSum = 0.0
    snapshot = snapshot.copy(position = position, itersPerEpoch = itersPerEpoch, done = false, error = null)
  }

  /**
   * Records an iteration that updated the weights: advances the position, logs, writes the train summary,
   * validates and checkpoints when their triggers fire, publishes the progress snapshot, and returns
   * whether the end trigger fired.
   */
  protected final def endIteration(stats: IterationStats, itersPerEpoch: Int): Boolean = {
    val epochBefore = position.epoch
    position = position.advance(stats.loss, itersPerEpoch)
    val st = position
    val throughput = if (stats.seconds > 0) stats.samples / stats.seconds else 0.0
    if (log.isInfoEnabled) log.info(f"[Epoch $epochBefore ${if (st.epochFinished) itersPerEpoch else st.epochIteration}/$itersPerEpoch]" +
      f"[Iteration ${st.iteration}] loss ${stats.loss}%.5f, $throughput%.1f samples/s, lr ${stats.learningRate}%.3g")
    trainSummary.foreach { s =>
      s.addScalar("Loss", stats.loss, st.iteration)
      s.addScalar("Throughput", throughput.toFloat, st.iteration)
      s.addScalar("LearningRate", stats.learningRate.toFloat, st.iteration)
    }
    epochSamples += stats.samples
    epochLossSum += stats.loss.toDouble * stats.samples
    val epochSeconds = (System.nanoTime() - epochStart) / 1e9
    val epochLoss = if (epochSamples > 0) (epochLossSum / epochSamples).toFloat else stats.loss
    if (st.epochFinished) {
      log.info(f"epoch $epochBefore done: $epochSamples samples in $epochSeconds%.1f s (${epochSamples / epochSeconds}%.1f samples/s), " +
        f"iteration ${st.iteration}, mean loss $epochLoss%.5f")
    }
    validation.foreach(v => if (v.trigger(st)) validate(v, epochBefore))
    if (st.epochFinished) {
      epochs.add(EpochRecord(epochBefore, st.iteration, epochLoss, epochSamples, epochSeconds,
        lastValidation.map(_._1), lastValidation.map(_._2)))
    }
    checkpoint.foreach(c => if (c.trigger(position)) writeCheckpoint(c)) // with the validation's score
    snapshot = Progress(position, itersPerEpoch, throughput, stats.learningRate, lastValidation.map(_._1),
      lastValidation.map(_._2), done = false, error = null)
    if (st.epochFinished) { epochStart = System.nanoTime(); epochSamples = 0L; epochLossSum = 0.0 } // epoch time excludes validation
    endWhen(position)
  }

  /**
   * Moves the progress snapshot forward to a position reported while iterations run elsewhere (the
   * DistriOptimizer's tasks, mid-segment), without the bookkeeping of [[endIteration]], which the iterations
   * get when their results arrive. Thread-safe; never moves the snapshot back.
   */
  protected final def reportProgress(reported: TrainingPosition, throughput: Double): Unit = {
    val s = snapshot
    if (!s.done && reported.iteration > s.iteration) snapshot = s.copy(position = reported, throughput = throughput)
  }

  /** Marks the run finished (or failed with `error`) in the progress snapshot and closes summaries. */
  protected final def finishRun(error: Throwable): Unit = {
    if (error == null) restoreBestWeights()
    snapshot = snapshot.copy(done = true, error = Option(error).map(e => String.valueOf(e.getMessage)).orNull)
    trainSummary.foreach(_.close()); validationSummary.foreach(_.close())
  }

  /**
   * The end trigger on the current position (true when there is nothing left to do), before a run: whether
   * the last run's final iteration finished an epoch is not news to this one.
   */
  protected final def finished: Boolean = endWhen(position.copy(epochFinished = false))

  private def validate(v: ValidationSetting, epoch: Int): Unit = {
    val results = runValidation(v)
    lastValidation = v.methods.zip(results).map { case (m, r) => (m.name, r.score) }
    v.methods.zip(results).foreach { case (m, r) =>
      log.info(s"epoch $epoch ${m.name} ${r.score} (count ${r.count}), iteration ${position.iteration}")
      validationSummary.foreach(_.addScalar(m.name, r.score, position.iteration))
    }
    position = position.scored(results.head.score)
    val improved = EarlyStopping.within(endWhen).filter(_.observe(v.methods.toSeq, results.map(_.score).toSeq, position.iteration))
    if (improved.exists(_.restoreBestWeights)) keepBestWeights()
  }

  /** The model's tensors that "keep the best model" copies: every parameter, then every buffer. */
  private def stateTensors: Seq[Tensor] = model.namedParameters.map(_._2.value) ++ model.namedBuffers.map(_._2)

  private def keepBestWeights(): Unit = {
    if (bestWeights.isEmpty) bestWeights = stateTensors.map(_.clone()) else bestWeights.zip(stateTensors).foreach { case (b, t) => b.copy(t) }
  }

  /** Puts back the weights of the best validation when an EarlyStopping with restoreBestWeights asks for it. */
  private def restoreBestWeights(): Unit = EarlyStopping.within(endWhen).find(e => e.restoreBestWeights && e.bestIteration >= 0) match {
    case Some(e) if bestWeights.nonEmpty && e.bestIteration != position.iteration =>
      stateTensors.zip(bestWeights).foreach { case (t, b) => t.copy(b) }
      log.info(s"EarlyStopping: restored the weights of iteration ${e.bestIteration} (best ${validation.map(v =>
        v.methods(e.monitored(v.methods.toSeq)).name).getOrElse("score")} ${e.bestScore}); training went on to iteration ${position.iteration}")
    case _ =>
  }

  private def writeCheckpoint(c: CheckpointSetting): Unit = {
    val (m, state) = checkpointContent()
    Checkpoint.save(c.path, m, optimMethod, state, position, c.keepOnlyLatest)
    log.info(s"checkpoint of iteration ${position.iteration} written to ${c.path}")
  }
}

object Optimizer {

  /** A LocalOptimizer training `model` on in-memory data. */
  def apply(model: Module, dataset: LocalDataSet, criterion: Criterion, batchSize: Int): LocalOptimizer =
    new LocalOptimizer(model, dataset, criterion, batchSize)

  /** A DistriOptimizer training `model` on an RDD of samples, one task per partition. */
  def apply(model: Module, dataset: org.apache.spark.rdd.RDD[ember.data.Sample], criterion: Criterion,
      batchSize: Int): ember.optim.DistriOptimizer = new ember.optim.DistriOptimizer(model, dataset, criterion, batchSize)
}
