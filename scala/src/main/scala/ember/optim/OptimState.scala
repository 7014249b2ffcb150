package ember.optim

import ember.tensor.Tensor

/**
 * Helpers shared by the optim methods for their state, and for moving that state between one whole
 * parameter vector and per-slice method instances (the distributed optimizer shards it by slice).
 *
 * Convention: every state tensor of an elementwise method has one value per parameter (same length as the
 * slice it updates), except the step counter stored under [[StepKey]], which is the same on every slice.
 * So the state of a whole vector is the concatenation of its slices' states ([[merge]]) and a slice's state
 * is a narrow of it ([[slice]]): a checkpoint written by the LocalOptimizer resumes a DistriOptimizer and
 * the other way round.
 */
object OptimState {

  /** The name of the step-counter entry of a state map. */
  val StepKey = "step"

  /** A count as a 2-element tensor (high and low 24-bit halves), exact for counts below 2^48. */
  def encodeCount(n: Long): Tensor = {
    require(n >= 0 && n < (1L << 48), s"step count $n out of range [0, 2^48)")
    Tensor.fromArray(Array((n >>> 24).toFloat, (n & 0xffffffL).toFloat), 2)
  }

  def decodeCount(t: Tensor): Long = {
    require(t.nElement == 2, s"a step count is stored as 2 values, got shape ${t.shapeString}")
    val a = t.contiguous().toArray
    (a(0).toLong << 24) + a(1).toLong
  }

  /** The state of elements [offset, offset + length) of a whole-vector state. */
  def slice(state: Map[String, Tensor], offset: Int, length: Int): Map[String, Tensor] = state.map {
    case (StepKey, t) => StepKey -> t.clone()
    case (k, t) =>
      require(offset >= 0 && length >= 0 && offset + length <= t.nElement,
        s"state slice [$offset, ${offset + length}) out of range for '$k' of ${t.nElement} values")
      k -> t.contiguous().view(t.nElement).narrow(0, offset, length).clone()
  }

  /** The whole-vector state from the states of consecutive slices (in order). */
  def merge(states: Seq[Map[String, Tensor]]): Map[String, Tensor] = {
    val keys = states.headOption.map(_.keySet).getOrElse(Set.empty)
    require(states.forall(_.keySet == keys), s"slice states have different entries: ${states.map(_.keySet).distinct.mkString("; ")}")
    keys.iterator.map { k =>
      if (k == StepKey) k -> states.head(k).clone()
      else k -> Tensor.fromArray(states.flatMap(_(k).toArray).toArray, Array(-1))
    }.toMap
  }

  /** Requires `weights` and `grads` to be contiguous and of equal length, matching any existing state. */
  private[optim] def checkSlice(method: String, weights: Tensor, grads: Tensor, existing: Tensor): Unit = {
    require(weights.isContiguous && grads.isContiguous, s"$method: weights and gradients must be contiguous")
    require(weights.nElement == grads.nElement,
      s"$method: weights (${weights.nElement} values) and gradients (${grads.nElement}) differ in length")
    require(existing == null || existing.nElement == weights.nElement,
      s"$method: this instance holds state for ${existing.nElement} values but was given ${weights.nElement}; " +
        "use one instance per parameter vector or slice (freshCopy)")
  }

  /** Requires the keys of a state map to be among `allowed`. */
  private[optim] def checkKeys(method: String, s: Map[String, Tensor], allowed: Set[String]): Unit = {
    val unknown = s.keySet -- allowed
    require(unknown.isEmpty, s"$method: unknown state entries ${unknown.mkString(", ")}; expected some of ${allowed.mkString(", ")}")
  }

  private[optim] def describe(m: OptimMethod): String =
    s"${m.getClass.getSimpleName}(${m.config.filter(_._2 != null).map { case (k, v) => s"$k=$v" }.mkString(", ")})"
}
