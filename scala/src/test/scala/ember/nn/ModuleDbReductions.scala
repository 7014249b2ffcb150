package ember.nn

import ember.tensor.Tensor
import ModuleDb._

/**
 * Registry entries of the reductions (Sum, Mean, Max, Min), the constant and reshaping layers (MulConstant,
 * AddConstant, InferReshape, Masking), the resampling layers (UpSampling2D, ResizeBilinear) and
 * GaussianSampler (see [[ModuleDb]] for what every entry is checked for).
 */
object ModuleDbReductions {

  val reductions: Seq[DbCase] = Seq(
    ModuleCase("Sum", () => new Sum(1), normal(3, 4, 2), repr = "Sum(1)"),
    ModuleCase("Sum/batch/average/keepdim", () => new Sum(0, 2, true, false), normal(3, 4, 2),
      repr = "Sum(0, nInputDims=2, sizeAverage=true, squeeze=false)"),
    ModuleCase("Mean", () => new Mean(-1), normal(3, 5), repr = "Mean(-1)"),
    ModuleCase("Max", () => new Max(1), distinct(3, 4, 2), repr = "Max(1)"),
    ModuleCase("Max/batch/keepdim", () => new Max(0, 1, false), distinct(3, 4), repr = "Max(0, numInputDims=1, squeeze=false)"),
    ModuleCase("Min", () => new Min(0), distinct(4, 3), repr = "Min(0)"))

  val constantsAndShapes: Seq[DbCase] = Seq(
    ModuleCase("MulConstant", () => new MulConstant(-2.5), normal(3, 4), repr = "MulConstant(-2.5)"),
    ModuleCase("MulConstant/inplace", () => new MulConstant(0.5, true), normal(3, 4), repr = "MulConstant(0.5, inplace=true)"),
    ModuleCase("AddConstant", () => new AddConstant(3.0), normal(3, 4), repr = "AddConstant(3.0)"),
    ModuleCase("InferReshape", () => new InferReshape(Array(0, -1, 2)), normal(3, 4, 2), repr = "InferReshape([0, -1, 2])"),
    ModuleCase("InferReshape/batch", () => new InferReshape(Array(-1), true), normal(3, 4, 2),
      repr = "InferReshape([-1], batchMode=true)"),
    // no masked step here: perturbing one value of a masked step unmasks it (a kink); tests/test_layers_reshaping.py
    // checks the masked steps' zero output and gradient
    ModuleCase("Masking", () => new Masking(-5.0), normal(2, 4, 3), repr = "Masking(maskValue=-5.0)"))

  val resampling: Seq[DbCase] = Seq(
    ModuleCase("UpSampling2D", () => new UpSampling2D(Array(2, 3)), normal(2, 2, 3, 2), repr = "UpSampling2D([2, 3])"),
    ModuleCase("ResizeBilinear", () => new ResizeBilinear(5, 3), normal(2, 2, 3, 4), repr = "ResizeBilinear(5, 3)"),
    ModuleCase("ResizeBilinear/alignCorners", () => new ResizeBilinear(4, 7, true), normal(2, 3, 5),
      repr = "ResizeBilinear(4, 7, alignCorners=true)"),
    ModuleCase("GaussianSampler", () => new GaussianSampler(), table(normal(3, 4), uniform(-1f, 1f, 3, 4)),
      prepare = { case g: GaussianSampler => g.setSeed(11); case _ => () }, repr = "GaussianSampler()"))

  val cases: Seq[DbCase] = reductions ++ constantsAndShapes ++ resampling
}
