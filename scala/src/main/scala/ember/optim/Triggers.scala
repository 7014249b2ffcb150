package ember.optim

/*
 * BigDL's triggers, as case classes over the [[TrainingPosition]] after each iteration: `iteration` =
 * iterations done so far, and when that iteration completed an epoch, `epochFinished` is true and `epoch`
 * has already advanced to the next one (BigDL's bookkeeping), so `MaxEpoch(2)` fires right after the second
 * epoch ends.
 */

/** Fires once `max` epochs are done (BigDL `Trigger.maxEpoch`). */
final case class MaxEpoch(max: Int) extends Trigger {
  require(max > 0, s"MaxEpoch: max must be > 0, got $max")
  override def apply(s: TrainingPosition): Boolean = s.epoch > max
}

/** Fires once `max` iterations are done (BigDL `Trigger.maxIteration`). */
final case class MaxIteration(max: Int) extends Trigger {
  require(max > 0, s"MaxIteration: max must be > 0, got $max")
  override def apply(s: TrainingPosition): Boolean = s.iteration >= max
}

/** Fires after the last iteration of every epoch (BigDL `Trigger.everyEpoch`). */
final case class EveryEpoch() extends Trigger {
  override def apply(s: TrainingPosition): Boolean = s.epochFinished
}

/** Fires every `interval` iterations (BigDL `Trigger.severalIteration`). */
final case class SeveralIteration(interval: Int) extends Trigger {
  require(interval > 0, s"SeveralIteration: interval must be > 0, got $interval")
  override def apply(s: TrainingPosition): Boolean = s.iteration > 0 && s.iteration % interval == 0
}

/** Fires when the last validation score exceeds `max` (BigDL `Trigger.maxScore`). */
final case class MaxScore(max: Double) extends Trigger {
  override def apply(s: TrainingPosition): Boolean = !s.score.isNaN && s.score > max
}

/** Fires when the last training loss falls below `min` (BigDL `Trigger.minLoss`). */
final case class MinLoss(min: Double) extends Trigger {
  override def apply(s: TrainingPosition): Boolean = !s.loss.isNaN && s.loss < min
}

/** Fires when all of its triggers fire (BigDL `Trigger.and`). */
final case class TriggerAnd(first: Trigger, others: Trigger*) extends Trigger {
  require(first != null && !others.contains(null), "TriggerAnd: triggers must not be null")
  def this(a: Trigger, b: Trigger) = this(a, Seq(b): _*) // for py4j
  override def apply(s: TrainingPosition): Boolean = first(s) && others.forall(_(s))
}

/** Fires when any of its triggers fires (BigDL `Trigger.or`). */
final case class TriggerOr(first: Trigger, others: Trigger*) extends Trigger {
  require(first != null && !others.contains(null), "TriggerOr: triggers must not be null")
  def this(a: Trigger, b: Trigger) = this(a, Seq(b): _*) // for py4j
  override def apply(s: TrainingPosition): Boolean = first(s) || others.exists(_(s))
}
