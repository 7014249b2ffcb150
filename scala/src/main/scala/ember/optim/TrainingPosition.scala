package ember.optim

/**
 * Where training is, as one immutable value: the optimizers keep the current position and replace it after
 * every iteration ([[advance]]); triggers decide on it, learning-rate schedules and optim methods compute
 * the step's rate from it, checkpoints store it, and the distributed optimizer's tasks start from it.
 *
 *  - `epoch`: the 1-based epoch the next iteration belongs to; `iteration`: iterations done (so the
 *    iteration being stepped is 0-based `iteration`); `epochIteration`: iterations done in this epoch;
 *  - `epochFinished`: whether the last iteration completed an epoch (then `epoch` has already moved on, as in
 *    BigDL's bookkeeping, so `MaxEpoch(2)` fires right after the second epoch ends);
 *  - `loss`: the last training loss; `score`: the latest validation score (NaN until there is one);
 *  - `history`: the finished epochs' losses and scores ([[EpochHistory]], see [[beforeStep]]).
 */
final case class TrainingPosition(
    epoch: Int = 1,
    iteration: Long = 0L,
    epochIteration: Int = 0,
    epochFinished: Boolean = false,
    loss: Float = Float.NaN,
    score: Float = Float.NaN,
    history: EpochHistory = EpochHistory.empty
) {
  require(epoch >= 1 && iteration >= 0 && epochIteration >= 0,
    s"bad training position epoch=$epoch iteration=$iteration epochIteration=$epochIteration")

  /**
   * The position after an iteration with loss `iterationLoss`; `itersPerEpoch` decides whether it completed
   * the epoch (then `epoch` advances and `epochIteration` restarts at 0).
   */
  def advance(iterationLoss: Float, itersPerEpoch: Int): TrainingPosition = {
    require(itersPerEpoch > 0, s"itersPerEpoch must be > 0, got $itersPerEpoch")
    val finished = epochIteration + 1 >= itersPerEpoch
    copy(epoch = if (finished) epoch + 1 else epoch, iteration = iteration + 1,
      epochIteration = if (finished) 0 else epochIteration + 1, epochFinished = finished, loss = iterationLoss)
  }

  /** This position with the latest validation score. */
  def scored(validationScore: Float): TrainingPosition = copy(score = validationScore)

  /**
   * The position an optim method steps at: [[history]] completed up to the last finished epoch, with the
   * current loss and score for the epochs not yet in it. Recorded at the first step of an epoch, by then the
   * validation of the epochs before it (if any) has run.
   */
  def beforeStep: TrainingPosition = {
    var h = history
    while (h.length < epoch - 1) h = h.add(loss, score)
    if (h eq history) this else copy(history = h)
  }

  /**
   * The position where a run with `itersPerEpoch` iterations per epoch starts: a position restored from a
   * checkpoint written with a larger batch size may lie past the end of its epoch, and then moves to the next.
   */
  def startingWith(itersPerEpoch: Int): TrainingPosition = {
    require(itersPerEpoch > 0, s"itersPerEpoch must be > 0, got $itersPerEpoch")
    if (epochIteration >= itersPerEpoch) copy(epoch = epoch + 1, epochIteration = 0) else this
  }

  override def toString: String = s"epoch $epoch, iteration $iteration ($epochIteration in this epoch)"
}

object TrainingPosition {

  /** Where training starts. */
  val Start: TrainingPosition = TrainingPosition()

  /** Iteration `iteration` (0-based, iterations done) of `epoch` (1-based), after the finished epochs `history`. */
  def at(iteration: Long, epoch: Int = 1, history: EpochHistory = EpochHistory.empty): TrainingPosition =
    TrainingPosition(epoch = epoch, iteration = iteration, history = history)
}

/**
 * Per finished epoch (in order): the training loss of its last iteration and the latest validation score
 * after it (NaN when no validation ran yet). Schedules such as [[Plateau]] are functions of it; checkpoints
 * store it.
 */
final case class EpochHistory(losses: Vector[Float], scores: Vector[Float]) {
  require(losses.length == scores.length, s"EpochHistory: ${losses.length} losses but ${scores.length} scores")
  def length: Int = losses.length
  def add(loss: Float, score: Float): EpochHistory = EpochHistory(losses :+ loss, scores :+ score)
  def drop(epochs: Int): EpochHistory = EpochHistory(losses.drop(epochs), scores.drop(epochs))
}

object EpochHistory {
  val empty: EpochHistory = EpochHistory(Vector.empty, Vector.empty)
}
