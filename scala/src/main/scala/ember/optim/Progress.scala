package ember.optim

/**
 * An immutable snapshot of a running optimisation, safe to read from another thread (Python polls it
 * to draw a progress bar while `optimize()` runs): the [[TrainingPosition]], the iterations per epoch, the
 * last throughput (samples/s) and learning rate, the last validation scores by method name, and whether
 * training is `done` (with the `error` message when it failed, else null).
 */
final case class Progress(
    position: TrainingPosition,
    itersPerEpoch: Int,
    throughput: Double,
    learningRate: Double,
    validationNames: Array[String],
    validationScores: Array[Float],
    done: Boolean,
    error: String
) {
  def epoch: Int = position.epoch
  def iteration: Long = position.iteration
  def epochIteration: Int = position.epochIteration
  def loss: Float = position.loss
}

object Progress {
  val initial: Progress = Progress(TrainingPosition.Start, 0, 0.0, Double.NaN, Array.empty, Array.empty, done = false, null)
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
