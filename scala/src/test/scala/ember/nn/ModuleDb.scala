package ember.nn

import java.util.Random

import ember.tensor.{Activity, Table, Tensor}

/**
 * Tolerances of the numerical gradient check (see [[GradientCheck]]).
 *
 * Why these defaults: modules compute in Float32, the check in Double. A central difference with step
 * eps has truncation error O(eps^2 f''') (~1e-6 for eps = 1e-3 and smooth layers), while Float32 rounding
 * of the changed outputs (relative 6e-8, times the tens to hundreds of outputs one input touches) divided by
 * 2 eps gives an absolute error of a few 1e-4 on O(1) values. Hence atol = 1e-3 and rtol = 1e-2: well above
 * both noise terms, far below the error of any real mistake (a wrong index or factor is off by O(1)).
 * Larger eps would cut rounding noise but cross the kinks of ReLU and max pooling more often; the registry
 * keeps inputs away from kinks instead (see [[ModuleDb.awayFromZero]], [[ModuleDb.distinct]]).
 * `maxCoords` bounds the perturbed coordinates per tensor (sampled at random) so large layers stay fast.
 * `checkInput = false` skips the input gradient, for inputs that are not differentiable (indices).
 */
final case class GradCheck(eps: Double = 1e-3, rtol: Double = 1e-2, atol: Double = 1e-3, maxCoords: Int = 150,
    checkInput: Boolean = true)

/** One registry entry: a layer or a criterion with an example input. */
sealed trait DbCase {
  def name: String
  def check: GradCheck
}

/**
 * A module example. `make` builds it (after `RandomGenerator` has been seeded), `input` draws an example
 * input, `prepare` runs before every forward of the gradient check (e.g. to re-seed dropout so that every
 * forward draws the same mask), `repr` is the expected `toString` when given.
 */
final case class ModuleCase(name: String, make: () => Module, input: Random => Activity,
    prepare: Module => Unit = _ => (), repr: String = null, check: GradCheck = GradCheck()) extends DbCase

/** A criterion example with an input and a matching target. */
final case class CriterionCase(name: String, make: () => Criterion, input: Random => Activity,
    target: Random => Activity, repr: String = null, check: GradCheck = GradCheck()) extends DbCase

/**
 * The one registry of every layer and criterion (like PyTorch's `module_db`): [[ModuleDbSuite]] runs the
 * generic checks (numerical gradients, save/load round trip, toString) on every entry. Each team's file
 * contributes its own `cases`; add a file here to add a family.
 */
object ModuleDb {
  def all: Seq[DbCase] =
    ModuleDbCore.cases ++ ModuleDbCriterions.cases ++ ModuleDbTables.cases ++ ModuleDbLayers.cases ++
      ModuleDbApplications.cases ++ ModuleDbReductions.cases ++ ModuleDbJep.cases

  def modules: Seq[ModuleCase] = all.collect { case m: ModuleCase => m }
  def criterions: Seq[CriterionCase] = all.collect { case c: CriterionCase => c }

  // ------------------------------------------------------------ input generators

  /** Standard normal values. */
  def normal(shape: Int*): Random => Tensor = rng => Tensor(shape: _*).apply1(_ => rng.nextGaussian().toFloat)

  /** Uniform values in [lo, hi) (probabilities for BCE, positive scales). */
  def uniform(lo: Float, hi: Float, shape: Int*): Random => Tensor = rng => Tensor(shape: _*).apply1(_ => lo + (hi - lo) * rng.nextFloat())

  /** Normal values pushed at least 0.1 away from 0, so that +-eps never crosses the kink of ReLU. */
  def awayFromZero(shape: Int*): Random => Tensor = rng => normal(shape: _*)(rng).apply1(v => if (v >= 0) v + 0.1f else v - 0.1f)

  /**
   * Distinct values at least 0.01 apart in random order, so that max pooling never sees two candidates
   * within eps of each other (a near-tie makes the numerical gradient meaningless).
   */
  def distinct(shape: Int*): Random => Tensor = rng => {
    val t = Tensor(shape: _*)
    val perm = (0 until t.nElement).toArray
    var i = perm.length - 1
    while (i > 0) { val j = rng.nextInt(i + 1); val tmp = perm(i); perm(i) = perm(j); perm(j) = tmp; i -= 1 }
    val data = perm.map(p => (p - perm.length / 2) * 0.01f)
    t.copy(Tensor.fromArray(data, t.shape))
  }

  /** Class labels in [0, classes) as floats, shape [n]. */
  def labels(n: Int, classes: Int): Random => Tensor = rng => Tensor(n).apply1(_ => rng.nextInt(classes).toFloat)

  /** A table of the given generators' outputs (multi-input layers). */
  def table(parts: (Random => Activity)*): Random => Activity = rng => Table(parts.map(_(rng)): _*)
}
