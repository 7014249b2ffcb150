package ember.nn

import java.util.Random

import ember.tensor.Tensor
import ModuleDb._

/**
 * Registry entries of normalisation, dilated/full/temporal
 * convolutions and temporal pooling, embedding and small parametrised layers, shape layers, activations
 * and elementwise functions (see [[ModuleDb]] for what every entry is checked for).
 */
object ModuleDbLayers {

  /** Uniform values in [lo, hi) kept at least 0.05 away from each kink (so +-eps never crosses one). */
  def avoiding(lo: Float, hi: Float, kinks: Float*)(shape: Int*): Random => Tensor = rng =>
    Tensor(shape: _*).apply1 { _ =>
      var v = lo + (hi - lo) * rng.nextFloat()
      for (k <- kinks if math.abs(v - k) < 0.05f) v = if (v >= k) k + 0.05f else k - 0.05f
      v
    }

  /** Whole-number indices in [0, n) as floats. */
  def indices(n: Int, shape: Int*): Random => Tensor = rng => Tensor(shape: _*).apply1(_ => rng.nextInt(n).toFloat)

  /** Re-seeds a noise layer before every forward, so the gradient check sees one fixed function. */
  private def reseed(seed: Long): Module => Unit = {
    case d: SpatialDropout2D => d.setSeed(seed)
    case g: GaussianNoise    => g.setSeed(seed)
    case other               => throw new IllegalArgumentException(s"no seed for $other")
  }

  val activations: Seq[DbCase] = Seq(
    ModuleCase("ReLU6", () => new ReLU6(), avoiding(-3f, 8f, 0f, 6f)(3, 5), repr = "ReLU6()"),
    ModuleCase("ReLU6/inplace", () => new ReLU6(true), avoiding(-3f, 8f, 0f, 6f)(2, 3, 4), repr = "ReLU6(inplace=true)"),
    ModuleCase("LeakyReLU", () => new LeakyReLU(), awayFromZero(3, 4), repr = "LeakyReLU()"),
    ModuleCase("LeakyReLU/inplace", () => new LeakyReLU(0.2, true), awayFromZero(3, 4), repr = "LeakyReLU(negval=0.2, inplace=true)"),
    ModuleCase("ELU", () => new ELU(), awayFromZero(3, 4), repr = "ELU()"),
    ModuleCase("ELU/inplace", () => new ELU(0.5, true), awayFromZero(2, 6), repr = "ELU(alpha=0.5, inplace=true)"),
    ModuleCase("SoftPlus", () => new SoftPlus(), normal(3, 4), repr = "SoftPlus()"),
    ModuleCase("SoftPlus/beta", () => new SoftPlus(2.0), normal(3, 4), repr = "SoftPlus(beta=2.0)"),
    ModuleCase("SoftSign", () => new SoftSign(), normal(3, 4), repr = "SoftSign()"),
    ModuleCase("HardTanh", () => new HardTanh(), avoiding(-2f, 2f, -1f, 1f)(3, 4), repr = "HardTanh()"),
    ModuleCase("HardTanh/bounds/inplace", () => new HardTanh(-2, 3, true), avoiding(-4f, 5f, -2f, 3f)(3, 4),
      repr = "HardTanh(minValue=-2.0, maxValue=3.0, inplace=true)"),
    ModuleCase("HardSigmoid", () => new HardSigmoid(), avoiding(-4f, 4f, -2.5f, 2.5f)(3, 5), repr = "HardSigmoid()"),
    ModuleCase("Threshold", () => new Threshold(0.5, -1.0), avoiding(-2f, 2f, 0.5f)(3, 4), repr = "Threshold(0.5, -1.0)"),
    ModuleCase("Threshold/inplace", () => new Threshold(0.1, 0.0, true), avoiding(-2f, 2f, 0.1f)(3, 4),
      repr = "Threshold(0.1, 0.0, ip=true)"),
    ModuleCase("Power", () => new Power(2.5, 0.5, 1.0), uniform(0.1f, 2f, 3, 4), repr = "Power(2.5, scale=0.5, shift=1.0)"),
    ModuleCase("Power/cube", () => new Power(3), normal(3, 4), repr = "Power(3.0)"),
    ModuleCase("Sqrt", () => new Sqrt(), uniform(0.5f, 2f, 3, 4), repr = "Sqrt()"),
    ModuleCase("Square", () => new Square(), normal(3, 4), repr = "Square()"),
    ModuleCase("Log", () => new Log(), uniform(0.5f, 2f, 3, 4), repr = "Log()"),
    ModuleCase("Exp", () => new Exp(), normal(3, 4), repr = "Exp()"),
    ModuleCase("Abs", () => new Abs(), awayFromZero(3, 4), repr = "Abs()"),
    ModuleCase("Clamp", () => new Clamp(-0.5, 0.5), avoiding(-1f, 1f, -0.5f, 0.5f)(3, 4), repr = "Clamp(-0.5, 0.5)"),
    ModuleCase("SpatialDropout2D", () => new SpatialDropout2D(0.4), normal(3, 4, 2, 2),
      prepare = reseed(3), repr = "SpatialDropout2D(0.4)"),
    ModuleCase("SpatialDropout2D/NHWC/unbatched", () => new SpatialDropout2D(0.5, "NHWC"), normal(2, 3, 4),
      prepare = reseed(4), repr = "SpatialDropout2D(0.5, format=NHWC)"),
    ModuleCase("GaussianNoise", () => new GaussianNoise(0.3), normal(3, 4), prepare = reseed(5),
      repr = "GaussianNoise(0.3)")
  )

  val shapes: Seq[DbCase] = Seq(
    ModuleCase("Padding/before", () => new Padding(1, -2, 2), normal(2, 3, 4), repr = "Padding(1, -2, 2)"),
    ModuleCase("Padding/after/value", () => new Padding(0, 3, 1, 0.5), normal(2, 4), repr = "Padding(0, 3, 1, value=0.5)"),
    ModuleCase("SpatialZeroPadding", () => new SpatialZeroPadding(1, 2, 0, 1), normal(2, 2, 3, 4),
      repr = "SpatialZeroPadding(1, 2, 0, 1)"),
    ModuleCase("SpatialZeroPadding/crop/unbatched", () => new SpatialZeroPadding(-1, 1, 2, -1), normal(2, 4, 5)),
    ModuleCase("Transpose", () => new Transpose(Array(0, 2, 1, 2)), normal(2, 3, 4), repr = "Transpose((0, 2), (1, 2))"),
    ModuleCase("Narrow", () => new Narrow(1, 1, 2), normal(3, 4, 2), repr = "Narrow(1, 1, 2)"),
    ModuleCase("Narrow/negative", () => new Narrow(-1, 1, -1), normal(2, 5), repr = "Narrow(-1, 1, -1)"),
    ModuleCase("Select", () => new Select(1, 2), normal(2, 4, 3), repr = "Select(1, 2)"),
    ModuleCase("Select/negative", () => new Select(-1, -1), normal(3, 4), repr = "Select(-1, -1)"),
    ModuleCase("Squeeze", () => new Squeeze(), normal(2, 1, 3, 1), repr = "Squeeze([])"),
    ModuleCase("Squeeze/batchMode", () => new Squeeze(Array(0), true), normal(1, 1, 3), repr = "Squeeze([0], batchMode=true)"),
    ModuleCase("Unsqueeze", () => new Unsqueeze(1), normal(2, 3), repr = "Unsqueeze(1)"),
    ModuleCase("Unsqueeze/numInputDims", () => new Unsqueeze(0, 2), normal(4, 2, 3), repr = "Unsqueeze(0, numInputDims=2)"),
    ModuleCase("Replicate", () => new Replicate(3), normal(2, 4), repr = "Replicate(3)"),
    ModuleCase("Replicate/dim/nDim", () => new Replicate(2, 1, 1), normal(3, 4), repr = "Replicate(2, dim=1, nDim=1)")
  )

  val parametrised: Seq[DbCase] = Seq(
    ModuleCase("CAdd/perChannel", () => new CAdd(Array(3, 1, 1)), normal(2, 3, 2, 2), repr = "CAdd([3, 1, 1])"),
    ModuleCase("CAdd/vector", () => new CAdd(Array(4)), normal(3, 4)),
    ModuleCase("CMul/perChannel", () => new CMul(Array(3, 1, 1)), normal(2, 3, 2, 2), repr = "CMul([3, 1, 1])"),
    ModuleCase("CMul/row", () => new CMul(Array(1, 4)), normal(3, 4)),
    ModuleCase("Mul", () => new Mul(), normal(3, 4), repr = "Mul()"),
    ModuleCase("Add", () => new Add(5), normal(3, 5), repr = "Add(5)"),
    ModuleCase("Add/unbatched", () => new Add(4), normal(4)),
    ModuleCase("Bilinear", () => new Bilinear(3, 4, 2), table(normal(5, 3), normal(5, 4)), repr = "Bilinear(3, 4, 2)"),
    ModuleCase("Bilinear/noBias", () => new Bilinear(2, 3, 2, false), table(normal(4, 2), normal(4, 3)),
      repr = "Bilinear(2, 3, 2, biasRes=false)"),
    ModuleCase("Cosine", () => new Cosine(4, 3), normal(5, 4), repr = "Cosine(4, 3)"),
    ModuleCase("Cosine/unbatched", () => new Cosine(4, 2), normal(4)),
    ModuleCase("Euclidean", () => new Euclidean(4, 3), normal(5, 4), repr = "Euclidean(4, 3)"),
    ModuleCase("Euclidean/unbatched", () => new Euclidean(3, 2), normal(3)),
    ModuleCase("Highway", () => new Highway(4), normal(3, 4), repr = "Highway(4)"),
    ModuleCase("Highway/tanh/noBias", () => new Highway(4, false, new Tanh()), normal(3, 4),
      repr = "Highway(4, withBias=false, activation=Tanh())"),
    ModuleCase("Highway/parametrisedActivation", () => new Highway(3, true, new PReLU()), awayFromZero(4, 3)),
    ModuleCase("PReLU/shared", () => new PReLU(), awayFromZero(3, 4), repr = "PReLU()"),
    ModuleCase("PReLU/perChannel", () => new PReLU(3), awayFromZero(2, 3, 2, 2), repr = "PReLU(nOutputPlane=3)"),
    ModuleCase("PReLU/perChannel/unbatched", () => new PReLU(3), awayFromZero(3, 2, 2)),
    ModuleCase("LookupTable", () => new LookupTable(10, 4), indices(10, 6), repr = "LookupTable(10, 4)",
      check = GradCheck(checkInput = false)),
    // padding and shouldScaleGradByFreq change the gradient on purpose (not the derivative): see LayerNumericsSuite
    ModuleCase("LookupTable/2d", () => new LookupTable(5, 3), indices(5, 3, 4), check = GradCheck(checkInput = false)),
    ModuleCase("LookupTable/options", () => new LookupTable(5, 3, 2, 3.0, 1.0, true), indices(5, 4),
      repr = "LookupTable(5, 3, paddingValue=2, maxNorm=3.0, normType=1.0, shouldScaleGradByFreq=true)",
      check = GradCheck(checkInput = false, maxCoords = 0))
  )

  val normalisation: Seq[DbCase] = Seq(
    ModuleCase("BatchNormalization", () => new BatchNormalization(4), normal(6, 4), repr = "BatchNormalization(4)"),
    ModuleCase("BatchNormalization/noAffine", () => new BatchNormalization(3, 1e-3, 0.2, false), normal(5, 3),
      repr = "BatchNormalization(3, eps=0.001, momentum=0.2, affine=false)"),
    ModuleCase("SpatialBatchNormalization", () => new SpatialBatchNormalization(3), normal(2, 3, 3, 3),
      repr = "SpatialBatchNormalization(3)"),
    ModuleCase("SpatialBatchNormalization/unbatched", () => new SpatialBatchNormalization(2, 1e-4, 0.3), normal(2, 3, 4)),
    ModuleCase("SpatialCrossMapLRN", () => new SpatialCrossMapLRN(3, 0.5, 0.75, 2.0), normal(2, 5, 3, 3),
      repr = "SpatialCrossMapLRN(size=3, alpha=0.5, k=2.0)"),
    ModuleCase("SpatialCrossMapLRN/evenSize", () => new SpatialCrossMapLRN(4, 2.0, 0.5, 1.0), normal(2, 6, 2, 2)),
    ModuleCase("SpatialCrossMapLRN/default/unbatched", () => new SpatialCrossMapLRN(), normal(7, 2, 2), repr = "SpatialCrossMapLRN()"),
    ModuleCase("LayerNormalization", () => new LayerNormalization(5), normal(3, 5), repr = "LayerNormalization(5)"),
    ModuleCase("LayerNormalization/3d/eps", () => new LayerNormalization(4, 1e-3), normal(2, 3, 4),
      repr = "LayerNormalization(4, eps=0.001)"),
    ModuleCase("Normalize/L2", () => new Normalize(2.0), normal(3, 5), repr = "Normalize(2.0)"),
    ModuleCase("Normalize/L1/spatial", () => new Normalize(1.0), awayFromZero(2, 3, 2, 2)),
    // infinite p: also checks that a non-finite constructor argument survives the model file
    ModuleCase("Normalize/Linf", () => new Normalize(Double.PositiveInfinity),
      rng => distinct(3, 4)(rng).add(1f), repr = "Normalize(Infinity)"), // distinct absolute values: no tie for the max
    ModuleCase("Normalize/L3/vector", () => new Normalize(3.0, 1e-6), normal(6), repr = "Normalize(3.0, eps=1.0E-6)")
  )

  val convolutions: Seq[DbCase] = Seq(
    ModuleCase("SpatialDilatedConvolution", () => new SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 2, 2, 2, 2), normal(2, 2, 7, 6),
      repr = "SpatialDilatedConvolution(2, 3, 3, 3, padW=2, padH=2, dilationW=2, dilationH=2)"),
    ModuleCase("SpatialDilatedConvolution/strided/unbatched", () => new SpatialDilatedConvolution(2, 2, 3, 2, 2, 1, 0, 1, 1, 2),
      normal(2, 5, 6)),
    ModuleCase("SpatialFullConvolution", () => new SpatialFullConvolution(2, 3, 3, 3), normal(2, 2, 4, 4),
      repr = "SpatialFullConvolution(2, 3, 3, 3)"),
    ModuleCase("SpatialFullConvolution/stride/pad/adj", () => new SpatialFullConvolution(2, 2, 3, 3, 2, 2, 1, 1, 1, 1),
      normal(2, 2, 3, 4), repr = "SpatialFullConvolution(2, 2, 3, 3, dW=2, dH=2, padW=1, padH=1, adjW=1, adjH=1)"),
    ModuleCase("SpatialFullConvolution/noBias/unbatched", () => new SpatialFullConvolution(3, 2, 2, 3, 2, 1, 0, 1, 1, 0, false),
      normal(3, 3, 3)),
    ModuleCase("TemporalConvolution", () => new TemporalConvolution(3, 4, 2), normal(2, 5, 3), repr = "TemporalConvolution(3, 4, 2)"),
    ModuleCase("TemporalConvolution/stride/unbatched", () => new TemporalConvolution(2, 3, 3, 2), normal(7, 2),
      repr = "TemporalConvolution(2, 3, 3, strideW=2)"),
    ModuleCase("TemporalMaxPooling", () => new TemporalMaxPooling(2), distinct(2, 6, 3), repr = "TemporalMaxPooling(2, 2)"),
    ModuleCase("TemporalMaxPooling/overlap/unbatched", () => new TemporalMaxPooling(3, 1), distinct(5, 2))
  )

  val cases: Seq[DbCase] = activations ++ shapes ++ parametrised ++ normalisation ++ convolutions

  /** Every layer class this file covers: the registry must hold at least one entry for each. */
  val classes: Set[String] = Set("BatchNormalization", "SpatialBatchNormalization", "SpatialCrossMapLRN", "LayerNormalization",
    "Normalize", "SpatialDilatedConvolution", "SpatialFullConvolution", "TemporalConvolution", "TemporalMaxPooling",
    "LookupTable", "CAdd", "CMul", "Mul", "Add", "Bilinear", "Cosine", "Euclidean", "Highway", "PReLU", "Padding",
    "SpatialZeroPadding", "Transpose", "Narrow", "Select", "Squeeze", "Unsqueeze", "Replicate", "ReLU6", "LeakyReLU", "ELU",
    "SoftPlus", "SoftSign", "HardTanh", "HardSigmoid", "Threshold", "Power", "Sqrt", "Square", "Log", "Exp", "Abs", "Clamp",
    "SpatialDropout2D", "GaussianNoise")
}
