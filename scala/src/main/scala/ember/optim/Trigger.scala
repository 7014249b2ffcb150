package ember.optim

/**
 * What training has done so far, as triggers see it: `epoch` is the current 1-based epoch, `iteration`
 * the number of iterations done, `epochFinished` whether the last iteration completed an epoch, `loss` the
 * last training loss and `score` the last validation score (NaN until there is one).
 */
final case class TrainingState(epoch: Int, iteration: Long, epochFinished: Boolean, loss: Float, score: Float)

/** Decides, after each iteration, whether something happens (stop, validate, checkpoint). */
trait Trigger extends Serializable {
  def apply(state: TrainingState): Boolean
}
