package ember.optim

import ember.tensor.Tensor

/**
 * Updates a flat weight vector in place from its gradient. An instance owns the state of the vector it
 * updates (momentum, Adam moments, ...), so the distributed optimizer runs one instance per parameter
 * slice, each with the state of its own slice: the `weights` and `grads` passed to [[step]] must always be
 * the same slice (same length) for one instance.
 *
 * Hyper-parameters are validated in the constructor; [[config]] returns them (constructor order) so a
 * checkpoint can rebuild the method, and [[state]] / [[loadState]] carry its state: a case class of the
 * method's own ([[MethodState]]: `SGD.State(momentumBuffer)`, `Adam.State(m, v, step)`, ...).
 */
trait OptimMethod extends Serializable {

  /**
   * One update at `position` (its `iteration` counts the updates done before this one): `weights` -=
   * f(grads, state). Both are contiguous and of equal length.
   */
  def step(weights: Tensor, grads: Tensor, position: TrainingPosition): Unit

  /**
   * The update of [[step]] in ranges, for a caller that has the gradient of its slice piece by piece (the
   * distributed optimizer steps each piece as it is summed, while later ones are still on the wire): one call
   * per update, before the ranges, for a slice of `length` values at `position`; per-update counters (Adam's
   * bias-correction step) advance here, once. Returns false when this method cannot update in ranges (not
   * elementwise, or not implemented): the caller then calls [[step]] on the whole slice.
   */
  def beginRanges(length: Int, position: TrainingPosition): Boolean = false

  /**
   * Updates elements [from, until) of the slice begun by [[beginRanges]]: `weights(i)` from `grads(i)` and the
   * state's element i, for i in the range (the three indexed alike, from the slice's start). Ranges covering the
   * slice once each, in any order, give the same values bit for bit as one [[step]] (which runs the same loop).
   */
  def stepRange(weights: Array[Float], grads: Array[Float], from: Int, until: Int): Unit =
    throw new UnsupportedOperationException(s"${getClass.getSimpleName} does not update in ranges")

  /** The learning rate this method uses at `position` (after any schedule), for logs and summaries. */
  def learningRate(position: TrainingPosition): Double

  /** A method with the same hyper-parameters and empty state (one per slice or per restart). */
  def freshCopy(): OptimMethod

  /** Constructor arguments in order (name -> value), as for modules. */
  def config: Seq[(String, Any)]

  /** The state (None before the first step): this method's own [[MethodState]] case class, sharing its arrays. */
  def state: Option[MethodState]

  /** Restores a state of this method's type ([[state]], or a slice of one: [[OptimState.slice]]), copying it. */
  def loadState(s: MethodState): Unit

  /**
   * The state stored in a checkpoint as [[MethodState.entries]] (None for no entries); fails on entries this
   * method does not have.
   */
  def readState(entries: Map[String, Tensor]): Option[MethodState]

  /**
   * Whether the update of each element depends only on that element's weight, gradient and state, so that
   * per-slice instances (the distributed optimizer's) compute exactly the whole-vector update and the state
   * slices and merges as [[OptimState]] describes. False for methods that need global quantities (LBFGS's
   * dot products): a distributed optimizer must refuse them ([[OptimMethod.requireSliceable]]).
   */
  def sliceable: Boolean = true
}

object OptimMethod {

  /** Checks that a range update of a slice of `length` values may use state arrays of `existing` values (null: none yet). */
  private[optim] def checkRanges(method: String, length: Int, existing: Array[Float]): Unit =
    require(existing == null || existing.length == length,
      s"$method: this instance holds state for ${existing.length} values but was given $length; " +
        "use one instance per parameter vector or slice (freshCopy)")

  /** Fails with a clear message when `method` cannot be split into `slices` > 1 per-slice instances. */
  def requireSliceable(method: OptimMethod, slices: Int): Unit =
    require(slices <= 1 || method.sliceable, s"${method.getClass.getSimpleName} needs the whole parameter vector " +
      s"(it is not sliceable), so it cannot run on $slices parameter slices in distributed training; use it with the " +
      "LocalOptimizer, or choose an elementwise method (SGD, Adam, Adagrad, RMSprop, Adadelta, Adamax, Ftrl)")
}
