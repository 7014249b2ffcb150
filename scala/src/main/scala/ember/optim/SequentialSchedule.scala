package ember.optim

import scala.collection.mutable.ArrayBuffer

/**
 * Schedules run one after the other (BigDL `SequentialSchedule`): `add(schedule, maxIteration)` appends a
 * phase of `maxIteration` iterations; the last phase runs on past its length. Within a phase the schedule
 * sees the iteration counted from the phase's start (and the epoch counted from the epoch it starts in,
 * using `iterationPerEpoch`), and its base rate is the last rate of the previous phase (the method's base
 * rate for the first phase), so a [[Warmup]] followed by a [[Poly]] decays from the warmed-up rate:
 * {{{
 *   new SequentialSchedule(iterationPerEpoch).add(new Warmup(delta), warmupIterations).add(new Poly(0.5, n), n)
 * }}}
 */
final class SequentialSchedule(val iterationPerEpoch: Int, schedules: Seq[LearningRateSchedule], lengths: Array[Int])
    extends LearningRateSchedule {
  require(iterationPerEpoch > 0, s"SequentialSchedule: iterationPerEpoch must be > 0, got $iterationPerEpoch")
  require(schedules.length == lengths.length, s"SequentialSchedule: ${schedules.length} schedules but ${lengths.length} lengths")
  require(schedules.forall(_.isInstanceOf[LearningRateSchedule]), "SequentialSchedule: every phase must be a LearningRateSchedule")

  def this(iterationPerEpoch: Int) = this(iterationPerEpoch, Nil, Array.emptyIntArray)

  private val phases = ArrayBuffer.from(schedules)
  private val phaseLengths = ArrayBuffer.from(lengths)

  /** Appends `schedule` for `maxIteration` iterations; returns this. */
  def add(schedule: LearningRateSchedule, maxIteration: Int): this.type = {
    require(schedule != null, "SequentialSchedule: schedule must not be null")
    require(maxIteration > 0, s"SequentialSchedule: maxIteration must be > 0, got $maxIteration")
    phases += schedule; phaseLengths += maxIteration; this
  }

  private def shifted(position: TrainingPosition, start: Long): TrainingPosition = {
    val epochs = (start / iterationPerEpoch).toInt
    position.copy(iteration = position.iteration - start, epoch = math.max(1, position.epoch - epochs),
      history = position.history.drop(math.min(epochs, position.history.length)))
  }

  override def rate(baseRate: Double, position: TrainingPosition): Double = {
    require(phases.nonEmpty, "SequentialSchedule: no schedule added")
    var (base, start, k) = (baseRate, 0L, 0)
    while (k < phases.length - 1 && position.iteration >= start + phaseLengths(k)) {
      val end = start + phaseLengths(k)
      base = phases(k).rate(base, shifted(position.copy(iteration = end - 1, epoch = ((end - 1) / iterationPerEpoch).toInt + 1), start))
      start = end
      k += 1
    }
    phases(k).rate(base, shifted(position, start))
  }

  override def config: Seq[(String, Any)] =
    Seq("iterationPerEpoch" -> iterationPerEpoch, "schedules" -> phases.toList, "lengths" -> phaseLengths.toArray)

  override def toString: String =
    s"SequentialSchedule(${phases.zip(phaseLengths).map { case (s, n) => s"$s for $n" }.mkString(", ")})"
}
