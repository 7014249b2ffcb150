package ember.optim

/**
 * BigDL's learning-rate schedules, as stateless functions of the [[TrainingPosition]] (see
 * [[LearningRateSchedule]]). `position.iteration` counts the updates done before the current one (0-based) and
 * `position.epoch` is 1-based. Use them with `SGD(..., learningRateSchedule = ...)`.
 */
private[optim] object Schedules {
  def finite(owner: String, name: String, v: Double): Unit =
    require(!v.isNaN && !v.isInfinite, s"$owner: $name must be finite, got $v")
}

/** `base * (1 - iteration / maxIteration)^power`, and 0 after `maxIteration` iterations (BigDL `Poly`). */
final class Poly(val power: Double, val maxIteration: Int) extends LearningRateSchedule {
  require(power >= 0 && !power.isInfinite, s"Poly: power must be a finite value >= 0, got $power")
  require(maxIteration > 0, s"Poly: maxIteration must be > 0, got $maxIteration")

  override def rate(baseRate: Double, position: TrainingPosition): Double =
    if (position.iteration > maxIteration) 0.0 else baseRate * math.pow(1.0 - position.iteration.toDouble / maxIteration, power)

  override def config: Seq[(String, Any)] = Seq("power" -> power, "maxIteration" -> maxIteration)
}

/** `base * gamma^floor(iteration / stepSize)` (BigDL `Step`). */
final class Step(val stepSize: Int, val gamma: Double) extends LearningRateSchedule {
  require(stepSize > 0, s"Step: stepSize must be > 0, got $stepSize")
  Schedules.finite("Step", "gamma", gamma)

  override def rate(baseRate: Double, position: TrainingPosition): Double = baseRate * math.pow(gamma, (position.iteration / stepSize).toDouble)

  override def config: Seq[(String, Any)] = Seq("stepSize" -> stepSize, "gamma" -> gamma)
}

/**
 * `base * gamma^k` where k is the number of the (ascending) `stepSizes` that `iteration` has reached
 * (BigDL `MultiStep`): with stepSizes [10, 30] the rate is base for iterations 0-9, base * gamma for 10-29
 * and base * gamma^2 from 30 on.
 */
final class MultiStep(val stepSizes: Array[Int], val gamma: Double) extends LearningRateSchedule {
  require(stepSizes != null && stepSizes.nonEmpty && stepSizes.head > 0 && stepSizes.sliding(2).forall(p => p.length < 2 || p(0) < p(1)),
    s"MultiStep: stepSizes must be positive and strictly ascending, got ${Option(stepSizes).map(_.mkString("[", ", ", "]")).orNull}")
  Schedules.finite("MultiStep", "gamma", gamma)

  override def rate(baseRate: Double, position: TrainingPosition): Double =
    baseRate * math.pow(gamma, stepSizes.count(_ <= position.iteration).toDouble)

  override def config: Seq[(String, Any)] = Seq("stepSizes" -> stepSizes, "gamma" -> gamma)
  override def toString: String = s"MultiStep(stepSizes=${stepSizes.mkString("[", ", ", "]")}, gamma=$gamma)"
}

/**
 * `base * gamma^floor((epoch - 1) / stepSize)`: the rate is multiplied by gamma every `stepSize` epochs, the
 * first `stepSize` epochs using the base rate (BigDL `EpochStep`, whose 1-based epoch already decayed in
 * epoch `stepSize`).
 */
final class EpochStep(val stepSize: Int, val gamma: Double) extends LearningRateSchedule {
  require(stepSize > 0, s"EpochStep: stepSize must be > 0, got $stepSize")
  Schedules.finite("EpochStep", "gamma", gamma)

  override def rate(baseRate: Double, position: TrainingPosition): Double =
    baseRate * math.pow(gamma, (math.max(position.epoch - 1, 0) / stepSize).toDouble)

  override def config: Seq[(String, Any)] = Seq("stepSize" -> stepSize, "gamma" -> gamma)
}

/**
 * `base * decayRate^(iteration / decayStep)`, the exponent floored when `stairCase` (BigDL `Exponential`,
 * TensorFlow's `exponential_decay`).
 */
final class Exponential(val decayStep: Int, val decayRate: Double, val stairCase: Boolean) extends LearningRateSchedule {
  require(decayStep > 0, s"Exponential: decayStep must be > 0, got $decayStep")
  require(decayRate > 0 && !decayRate.isInfinite, s"Exponential: decayRate must be a finite value > 0, got $decayRate")

  def this(decayStep: Int, decayRate: Double) = this(decayStep, decayRate, false)

  override def rate(baseRate: Double, position: TrainingPosition): Double = {
    val p = position.iteration.toDouble / decayStep
    baseRate * math.pow(decayRate, if (stairCase) math.floor(p) else p)
  }

  override def config: Seq[(String, Any)] = Seq("decayStep" -> decayStep, "decayRate" -> decayRate, "stairCase" -> stairCase)
}

/** `base * exp(-gamma * floor(iteration / decayStep))` (BigDL `NaturalExp`). */
final class NaturalExp(val decayStep: Int, val gamma: Double) extends LearningRateSchedule {
  require(decayStep > 0, s"NaturalExp: decayStep must be > 0, got $decayStep")
  Schedules.finite("NaturalExp", "gamma", gamma)

  override def rate(baseRate: Double, position: TrainingPosition): Double = baseRate * math.exp(-gamma * (position.iteration / decayStep))

  override def config: Seq[(String, Any)] = Seq("decayStep" -> decayStep, "gamma" -> gamma)
}

/** `base + delta * iteration`: a linear warm-up (BigDL `Warmup`), usually the first phase of a [[SequentialSchedule]]. */
final class Warmup(val delta: Double) extends LearningRateSchedule {
  Schedules.finite("Warmup", "delta", delta)

  override def rate(baseRate: Double, position: TrainingPosition): Double = baseRate + delta * position.iteration

  override def config: Seq[(String, Any)] = Seq("delta" -> delta)
}
