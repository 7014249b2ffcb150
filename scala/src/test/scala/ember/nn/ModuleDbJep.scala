package ember.nn

import ember.jep.{Lambda, PythonCriterion, PythonModule}
import ModuleDb._

/**
 * Registry entries of the layers and the criterion whose functions are Python run through jep (`ember.jep`), with
 * the functions of the Python package's `ember.jep.functions`: the numerical gradient check exercises the Python
 * backward (PythonModule), the gradient Lambda derives from element indices, and the Python loss gradient. Needs
 * jep in the Python of $EMBER_PYTHON, which build.sbt sets for forked tests (the Makefile's virtualenv).
 */
object ModuleDbJep {
  private val F = "ember.jep.functions"

  val cases: Seq[DbCase] = Seq(
    ModuleCase("PythonModule", () => new PythonModule(s"$F:swish", s"$F:swish_backward"), normal(3, 5),
      repr = s"PythonModule($F:swish, $F:swish_backward)"),
    ModuleCase("Lambda", () => new Lambda(s"$F:reverse_time"), normal(2, 4, 3), repr = s"Lambda($F:reverse_time)"),
    CriterionCase("PythonCriterion", () => new PythonCriterion(s"$F:mse_loss", s"$F:mse_gradient"), normal(3, 4),
      normal(3, 4), repr = s"PythonCriterion($F:mse_loss, $F:mse_gradient)"))
}
