package ember.nn

import ember.tensor.{Activity, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/** The gradient checker must catch wrong gradients, or the registry suite proves nothing. */
class GradientCheckSuite extends AnyFunSuite {

  /** tanh with a deliberately wrong input gradient (missing factor 1 - y^2 on every other element). */
  private class WrongTanh extends Tanh {
    override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
      super.updateGradInput(input, gradOutput)
      var i = 0
      while (i < gradInTensor.nElement) { gradInTensor.storage(gradInTensor.offset + i) = gradOutput.toArray.apply(i); i += 2 }
      gradInTensor
    }
  }

  /** A convolution that forgets the bias gradient. */
  private class NoBiasGradConv extends SpatialConvolution(1, 2, 3, 3) {
    override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
      val saved = gradBias.clone()
      super.accGradParameters(input, gradOutput)
      gradBias.copy(saved)
    }
    override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
        wantParams: Boolean): Unit = { updateGradInput(input, gradOutput); accGradParameters(input, gradOutput) }
  }

  test("a wrong input gradient is reported") {
    val bad = GradientCheck.module(ModuleCase("WrongTanh", () => new WrongTanh, ModuleDb.normal(3, 4)))
    assert(bad.nonEmpty && bad.forall(_.what == "input0"))
  }

  test("a missing parameter gradient is reported") {
    val bad = GradientCheck.module(ModuleCase("NoBiasGradConv", () => new NoBiasGradConv, ModuleDb.normal(2, 1, 5, 5)))
    assert(bad.nonEmpty && bad.forall(_.what == "bias"), bad.mkString("; "))
  }

  test("a wrong criterion gradient is reported") {
    val wrong = () => new MSECriterion() { override def updateGradInput(i: Tensor, t: Tensor): Tensor = super.updateGradInput(i, t).mul(0.5f) }
    val bad = GradientCheck.criterion(CriterionCase("HalfMSE", wrong, ModuleDb.normal(3, 4), ModuleDb.normal(3, 4)))
    assert(bad.size == 12)
  }
}
