package ember.optim

/**
 * Where training is, kept by the optimizers and saved in checkpoints: `epoch` (1-based, the epoch the next
 * iteration belongs to), `iteration` (iterations done), `epochIteration` (iterations done in the current
 * epoch), plus the last loss and validation score seen by triggers. Not thread-safe: the training loop
 * owns it; other threads read the immutable [[Progress]] snapshot instead.
 */
final class TrainingProgress extends Serializable {
  var epoch: Int = 1
  var iteration: Long = 0L
  var epochIteration: Int = 0
  var loss: Float = Float.NaN
  var score: Float = Float.NaN

  /** Loss and latest validation score of every finished epoch (see [[EpochHistory]]). */
  var history: EpochHistory = EpochHistory.empty

  /**
   * The context of the step about to be taken (before [[advance]]). The first step of an epoch records the
   * epochs finished before it in [[history]]: by then their validation (if any) has run.
   */
  def stepContext: StepContext = StepContext(iteration, epoch, loss, score, finishedEpochs)

  /** [[history]] completed up to the last finished epoch, with the current loss and score for those not yet in it. */
  def finishedEpochs: EpochHistory = {
    while (history.length < epoch - 1) history = history.add(loss, score)
    history
  }

  /**
   * Records a finished iteration with its loss; `itersPerEpoch` decides whether it completed the epoch
   * (then `epoch` advances and `epochIteration` restarts at 0). Returns the state triggers see.
   */
  def advance(iterationLoss: Float, itersPerEpoch: Int): TrainingState = {
    require(itersPerEpoch > 0, s"itersPerEpoch must be > 0, got $itersPerEpoch")
    loss = iterationLoss
    iteration += 1
    epochIteration += 1
    val finished = epochIteration >= itersPerEpoch
    if (finished) { epoch += 1; epochIteration = 0 }
    TrainingState(epoch, iteration, finished, loss, score)
  }

  /** The trigger state without advancing (e.g. to re-check the end trigger before training starts). */
  def triggerState: TrainingState = TrainingState(epoch, iteration, epochFinished = false, loss, score)

  def restore(epoch: Int, iteration: Long, epochIteration: Int): Unit = {
    require(epoch >= 1 && iteration >= 0 && epochIteration >= 0,
      s"bad training position epoch=$epoch iteration=$iteration epochIteration=$epochIteration")
    this.epoch = epoch; this.iteration = iteration; this.epochIteration = epochIteration
  }

  override def toString: String = s"epoch $epoch, iteration $iteration ($epochIteration in this epoch)"
}

/**
 * An immutable snapshot of a running optimisation, safe to read from another thread (Python polls it
 * to draw a progress bar while `optimize()` runs): position, the last loss and throughput (samples/s),
 * the learning rate, the last validation scores by method name, and whether training is `done` (with the
 * `error` message when it failed, else null).
 */
final case class Progress(
    epoch: Int,
    iteration: Long,
    epochIteration: Int,
    itersPerEpoch: Int,
    loss: Float,
    throughput: Double,
    learningRate: Double,
    validationNames: Array[String],
    validationScores: Array[Float],
    done: Boolean,
    error: String
)

object Progress {
  val initial: Progress = Progress(1, 0L, 0, 0, Float.NaN, 0.0, Double.NaN, Array.empty, Array.empty, done = false, null)
}

/**
 * One finished epoch: its number (1-based), the iteration count at its end, its mean loss (over its
 * iterations, weighted by their samples; an epoch resumed mid-way counts the iterations of this run),
 * the samples trained and the seconds spent training (validation excluded), and the latest validation
 * scores by method name (empty when no validation ran yet).
 */
final case class EpochRecord(
    epoch: Int,
    iteration: Long,
    loss: Float,
    samples: Long,
    seconds: Double,
    validationNames: Array[String],
    validationScores: Array[Float]
) {
  def throughput: Double = if (seconds > 0) samples / seconds else 0.0
}
