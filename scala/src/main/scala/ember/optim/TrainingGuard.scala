package ember.optim

import ember.tensor.Tensor

/** Training stopped because the loss or the gradient became NaN or infinite, or the loss diverged. */
class TrainingDivergedException(message: String) extends RuntimeException(message)

/**
 * The checks run on every iteration before the weights are updated, so a failing run keeps the weights
 * of its last good iteration: a NaN or infinite loss or gradient, or a loss that diverged, i.e. exceeds
 * `divergenceFactor` times max(1, the first loss seen). Errors name the iteration and epoch and say what to
 * try (BigDL users saw NaN losses at scale with no diagnosis).
 */
final class TrainingGuard(val divergenceFactor: Double) extends Serializable {
  require(divergenceFactor > 1, s"divergenceFactor must be > 1, got $divergenceFactor")
  private var firstLoss = Double.NaN

  /** Checks the loss of iteration `iteration` (1-based, the one being done) of `epoch`. */
  def checkLoss(loss: Float, iteration: Long, epoch: Int): Unit = {
    if (loss.isNaN || loss.isInfinite) throw new TrainingDivergedException(
      s"loss is $loss at iteration $iteration (epoch $epoch); the weights are those of the last good iteration. " +
        "Check the data for NaN, lower the learning rate, or use gradient clipping")
    if (firstLoss.isNaN) firstLoss = loss
    val limit = divergenceFactor * math.max(1.0, math.abs(firstLoss))
    if (loss > limit) throw new TrainingDivergedException(
      s"loss diverged at iteration $iteration (epoch $epoch): $loss exceeds $divergenceFactor x max(1, first loss $firstLoss); " +
        "the weights are those of the last good iteration. Lower the learning rate or use gradient clipping")
  }

  /** Checks a (flat, or slice of a) gradient. */
  def checkGradient(grad: Tensor, iteration: Long, epoch: Int): Unit =
    if (!TrainingGuard.allFinite(grad)) throw new TrainingDivergedException(
      s"the gradient has NaN or infinite values at iteration $iteration (epoch $epoch); the weights are those of the " +
        "last good iteration. Lower the learning rate, use gradient clipping, or check the model for overflow")
}

object TrainingGuard {

  /** True when every value is finite: a tight loop on contiguous tensors (x - x is NaN exactly for NaN and +-Inf). */
  def allFinite(t: Tensor): Boolean =
    if (!t.isContiguous) !t.hasNaNOrInf
    else {
      val (s, o, n) = (t.storage, t.offset, t.nElement)
      var acc = 0f
      var i = 0
      while (i < n) { val v = s(o + i); acc += v - v; i += 1 }
      acc == 0f
    }
}
