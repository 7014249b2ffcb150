package ember.optim

import ember.tensor.Tensor

/**
 * Where training is when an optim method takes a step: `iteration` counts the updates done before this
 * one (0-based), `epoch` is 1-based, `loss` is the last training loss (NaN when unknown). Learning-rate
 * schedules read it.
 */
final case class StepContext(iteration: Long, epoch: Int, loss: Float = Float.NaN)

/**
 * Updates a flat weight vector in place from its gradient. An instance owns the state of the vector it
 * updates (momentum, Adam moments, ...), so the distributed optimizer runs one instance per parameter
 * slice, each with the state of its own slice: the `weights` and `grads` passed to [[step]] must always be
 * the same slice (same length) for one instance.
 *
 * Hyper-parameters are validated in the constructor; [[config]] returns them (constructor order) so a
 * checkpoint can rebuild the method, and [[state]] / [[loadState]] carry its tensors and counters.
 */
trait OptimMethod extends Serializable {

  /** One update: `weights` -= f(grads, state). Both are contiguous and of equal length. */
  def step(weights: Tensor, grads: Tensor, ctx: StepContext): Unit

  /** The learning rate this method uses at `ctx` (after any schedule), for logs and summaries. */
  def learningRate(ctx: StepContext): Double

  /** A method with the same hyper-parameters and empty state (one per slice or per restart). */
  def freshCopy(): OptimMethod

  /** Constructor arguments in order (name -> value), as for modules. */
  def config: Seq[(String, Any)]

  /** State tensors by name, for checkpoints (empty before the first step). */
  def state: Map[String, Tensor]

  /** Restores state saved by [[state]]. */
  def loadState(s: Map[String, Tensor]): Unit
}
