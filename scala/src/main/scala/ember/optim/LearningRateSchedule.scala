package ember.optim

/**
 * The learning rate an optim method uses at a step, from its base rate and where training is
 * ([[TrainingPosition]]: iteration, epoch, last loss). Schedules are stateless functions of the position, so a
 * resumed run (whose position carries the restored iteration and epoch) gets the same rates, and the
 * distributed optimizer's per-slice method instances all agree.
 *
 * Like modules, a schedule returns its constructor arguments from [[config]] so that a checkpoint can
 * rebuild it by class name (Double, Int, Long, Boolean, String or Array[Double]/Array[Int] arguments).
 */
trait LearningRateSchedule extends Serializable {

  /** The learning rate at `position` for a method whose base learning rate is `baseRate`. */
  def rate(baseRate: Double, position: TrainingPosition): Double

  /** Constructor arguments in declaration order (name -> value). */
  def config: Seq[(String, Any)]

  override def toString: String = s"${getClass.getSimpleName}(${config.map { case (k, v) => s"$k=$v" }.mkString(", ")})"
}

/**
 * BigDL's and Torch's default decay: `baseRate / (1 + iteration * decay)`, where `iteration` counts the
 * updates done before this one (so the first step uses the base rate).
 */
final class DefaultSchedule(val decay: Double) extends LearningRateSchedule {
  require(decay >= 0 && !decay.isInfinite, s"DefaultSchedule: decay must be a finite value >= 0, got $decay")

  def this() = this(0.0)

  override def rate(baseRate: Double, position: TrainingPosition): Double = baseRate / (1.0 + position.iteration * decay)

  override def config: Seq[(String, Any)] = Seq("decay" -> decay)
}

object LearningRateSchedule {

  /**
   * The rate of `schedule` for base rate `baseRate` at `iteration` (0-based) in `epoch` (1-based), after
   * finished epochs with the given losses and validation scores (same length; may be empty). For Python,
   * which cannot call Scala's default arguments.
   */
  def rateAt(schedule: LearningRateSchedule, baseRate: Double, iteration: Long, epoch: Int, losses: Array[Float],
      scores: Array[Float]): Double =
    schedule.rate(baseRate, TrainingPosition.at(iteration, epoch, EpochHistory(losses.toVector, scores.toVector)))
}
