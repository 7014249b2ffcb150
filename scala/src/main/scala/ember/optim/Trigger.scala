package ember.optim

/**
 * Decides, after each iteration, whether something happens (stop, validate, checkpoint), from the
 * [[TrainingPosition]] after it.
 */
trait Trigger extends Serializable {
  def apply(position: TrainingPosition): Boolean
}
