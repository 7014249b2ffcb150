package ember.optim

import ember.tensor.Tensor

/**
 * The state of an optim method, typed: each method has its own case class with named fields
 * (`SGD.State(momentumBuffer)`, `Adam.State(m, v, step)`, ...), which [[OptimMethod.state]] returns and
 * [[OptimMethod.loadState]] takes. What the optimizers need from any of them is here: the per-element
 * vectors, which slice and concatenate ([[OptimState.slice]], [[OptimState.merge]]: the distributed
 * optimizer shards the state by parameter slice), and the entries of the checkpoint file ([[entries]]).
 */
trait MethodState extends Serializable {

  /** The vectors with one value per parameter of the vector or slice, in a fixed order, by their file names. */
  def vectors: Seq[(String, Array[Float])]

  /** The update count, when the method keeps one: the same on every slice. */
  def steps: Option[Long] = None

  /** The same state with other vectors (same order and names as [[vectors]], any common length). */
  def withVectors(vs: Seq[Array[Float]]): MethodState

  /**
   * The entries of the checkpoint file (the format of the string-keyed maps before the typed state, so old
   * checkpoints load): each vector under its name, the count under [[OptimState.StepKey]]. No copies.
   */
  def entries: Map[String, Tensor] =
    vectors.map { case (k, a) => k -> Tensor.fromArray(a, a.length) }.toMap ++
      steps.map(n => OptimState.StepKey -> OptimState.encodeCount(n))
}

/**
 * Helpers shared by the optim methods for their state, and for moving that state between one whole
 * parameter vector and per-slice method instances (the distributed optimizer shards it by slice).
 *
 * Convention: every vector of the state of an elementwise method has one value per parameter (same length
 * as the slice it updates); the step count is the same on every slice. So the state of a whole vector is the
 * concatenation of its slices' states ([[merge]]) and a slice's state is a range of it ([[slice]]): a
 * checkpoint written by the LocalOptimizer resumes a DistriOptimizer and the other way round.
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

  /** The state of elements [offset, offset + length) of a whole-vector state (copies). */
  def slice(state: MethodState, offset: Int, length: Int): MethodState = state.withVectors(state.vectors.map { case (k, a) =>
    require(offset >= 0 && length >= 0 && offset.toLong + length <= a.length,
      s"state slice [$offset, ${offset.toLong + length}) out of range for '$k' of ${a.length} values")
    java.util.Arrays.copyOfRange(a, offset, offset + length)
  })

  /** The whole-vector state from the states of consecutive slices (in order; all of one method). */
  def merge(states: Seq[MethodState]): MethodState = {
    require(states.nonEmpty, "no slice states to merge")
    val names = states.head.vectors.map(_._1)
    require(states.forall(s => s.getClass == states.head.getClass && s.vectors.map(_._1) == names),
      s"slice states of different kinds: ${states.map(s => s.getClass.getSimpleName + s.vectors.map(_._1).mkString("(", ", ", ")")).distinct.mkString("; ")}")
    states.head.withVectors(names.indices.map { i =>
      val out = new Array[Float](states.map(_.vectors(i)._2.length.toLong).sum.toInt)
      var at = 0
      states.foreach { s => val a = s.vectors(i)._2; System.arraycopy(a, 0, out, at, a.length); at += a.length }
      out
    })
  }

  /** Requires `weights` and `grads` to be contiguous and of equal length, matching any existing state. */
  private[optim] def checkSlice(method: String, weights: Tensor, grads: Tensor, existing: Array[Float]): Unit = {
    require(weights.isContiguous && grads.isContiguous, s"$method: weights and gradients must be contiguous")
    require(weights.nElement == grads.nElement,
      s"$method: weights (${weights.nElement} values) and gradients (${grads.nElement}) differ in length")
    require(existing == null || existing.length == weights.nElement,
      s"$method: this instance holds state for ${existing.length} values but was given ${weights.nElement}; " +
        "use one instance per parameter vector or slice (freshCopy)")
  }

  /** Requires the entries of a checkpoint's state to be among `allowed` (and `required` to be there when any is). */
  private[optim] def checkKeys(method: String, s: Map[String, Tensor], allowed: Set[String], required: Set[String] = Set.empty): Unit = {
    val unknown = s.keySet -- allowed
    require(unknown.isEmpty, s"$method: unknown state entries ${unknown.mkString(", ")}; expected some of ${allowed.mkString(", ")}")
    require(s.isEmpty || required.subsetOf(s.keySet), s"$method: state entries ${(required -- s.keySet).mkString(", ")} missing; got ${s.keys.mkString(", ")}")
  }

  /** A copy of an entry's values, or null when absent. */
  private[optim] def values(s: Map[String, Tensor], name: String): Array[Float] = s.get(name).map(_.toArray).orNull

  /** The step count entry, or 0 when absent. */
  private[optim] def count(s: Map[String, Tensor]): Long = s.get(StepKey).map(decodeCount).getOrElse(0L)

  /** A copy of `a`, or null. */
  private[optim] def copy(a: Array[Float]): Array[Float] = if (a == null) null else a.clone()

  /** `s` as the state type `S` of `method`, or a clear error (a state of another method). */
  private[optim] def as[S <: MethodState](method: String, s: MethodState)(implicit ct: scala.reflect.ClassTag[S]): S = s match {
    case x: S => x
    case other => throw new IllegalArgumentException(s"$method cannot load the state of another method (${other.getClass.getName})")
  }

  private[optim] def describe(m: OptimMethod): String =
    s"${m.getClass.getSimpleName}(${m.config.filter(_._2 != null).map { case (k, v) => s"$k=$v" }.mkString(", ")})"
}
