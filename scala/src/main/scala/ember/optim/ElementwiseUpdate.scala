package ember.optim

import ember.tensor.Tensor

/**
 * An elementwise optim method written as one loop over a range of its slice ([[update]]), after [[beginRanges]] has
 * set up the update (its state arrays, per-update counters and rates): [[step]] runs that loop over the whole slice
 * and [[stepRange]] over one range, so steps in ranges give the values of one step bit for bit.
 */
trait ElementwiseUpdate extends OptimMethod {

  /** The method's first state array, null before its first update (checked against the slice's length). */
  protected def firstState: Array[Float]

  /** Elements [from, until) of the state, with weights(wo + i) and grads(go + i). */
  protected def update(w: Array[Float], wo: Int, g: Array[Float], go: Int, from: Int, until: Int): Unit

  override def step(weights: Tensor, grads: Tensor, position: TrainingPosition): Unit = {
    OptimState.checkSlice(getClass.getSimpleName, weights, grads, firstState)
    beginRanges(weights.nElement, position)
    update(weights.storage, weights.offset, grads.storage, grads.offset, 0, weights.nElement)
  }

  override def stepRange(weights: Array[Float], grads: Array[Float], from: Int, until: Int): Unit =
    update(weights, 0, grads, 0, from, until)
}
