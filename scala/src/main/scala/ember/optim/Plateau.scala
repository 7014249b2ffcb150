package ember.optim

/**
 * Reduces the rate when a monitored value stops improving (BigDL `Plateau`, Keras `ReduceLROnPlateau`). At
 * the end of every epoch the monitored value is the latest validation score (`monitor = "score"`, the first
 * validation method's) or the training loss of the epoch's last iteration (`monitor = "loss"`); epochs where
 * it is unknown (NaN: no validation yet) are skipped. Replaying those epochs, starting from `lr = base`:
 * {{{
 *   if cooldown > 0:                   cooldown -= 1; wait = 0
 *   if improved (by more than epsilon): best = value; wait = 0
 *   else if cooldown == 0:             wait += 1
 *                                      if wait >= patience and lr > minLr:
 *                                        lr = max(lr * factor, minLr); cooldown = cooldownEpochs; wait = 0
 * }}}
 * where improved means value < best - epsilon in mode "min" and value > best + epsilon in mode "max". The
 * rate is a function of the epoch history in the position, which checkpoints store, so a resumed run and
 * every per-slice method instance get the same rate.
 */
final class Plateau(
    val monitor: String,
    val factor: Double,
    val patience: Int,
    val mode: String,
    val epsilon: Double,
    val cooldown: Int,
    val minLr: Double
) extends LearningRateSchedule {
  require(monitor != null && Set("score", "loss").contains(monitor.toLowerCase),
    s"Plateau: monitor must be \"score\" or \"loss\", got $monitor")
  require(factor > 0 && factor < 1, s"Plateau: factor must be in (0, 1), got $factor")
  require(patience >= 0, s"Plateau: patience must be >= 0, got $patience")
  require(mode == "min" || mode == "max", s"Plateau: mode must be \"min\" or \"max\", got $mode")
  require(epsilon >= 0 && !epsilon.isInfinite, s"Plateau: epsilon must be a finite value >= 0, got $epsilon")
  require(cooldown >= 0, s"Plateau: cooldown must be >= 0, got $cooldown")
  require(minLr >= 0 && !minLr.isInfinite, s"Plateau: minLr must be a finite value >= 0, got $minLr")

  def this(monitor: String, factor: Double, patience: Int, mode: String) = this(monitor, factor, patience, mode, 1e-4, 0, 0.0)
  def this(monitor: String) = this(monitor, 0.1, 10, "min")

  override def rate(baseRate: Double, position: TrainingPosition): Double = {
    val values = if (monitor.equalsIgnoreCase("score")) position.history.scores else position.history.losses
    val minMode = mode == "min"
    var (lr, best, wait, cool) = (baseRate, if (minMode) Double.PositiveInfinity else Double.NegativeInfinity, 0, 0)
    for (v <- values if !v.isNaN) {
      if (cool > 0) { cool -= 1; wait = 0 }
      if (if (minMode) v < best - epsilon else v > best + epsilon) { best = v; wait = 0 }
      else if (cool <= 0) {
        wait += 1
        if (wait >= patience && lr > minLr) { lr = math.max(lr * factor, minLr); cool = cooldown; wait = 0 }
      }
    }
    lr
  }

  override def config: Seq[(String, Any)] = Seq("monitor" -> monitor, "factor" -> factor, "patience" -> patience,
    "mode" -> mode, "epsilon" -> epsilon, "cooldown" -> cooldown, "minLr" -> minLr)
}
