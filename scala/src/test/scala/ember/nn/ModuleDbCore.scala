package ember.nn

import ModuleDb._

/**
 * Registry entries of the core layers and criterions: linear, convolution, pooling, the common activations,
 * dropout, reshaping, and the classification and regression losses (see [[ModuleDb]]).
 */
object ModuleDbCore {

  private def reseed(seed: Long): Module => Unit = m => m.asInstanceOf[Dropout].setSeed(seed)

  val layers: Seq[DbCase] = Seq(
    ModuleCase("Linear", () => new Linear(5, 3), normal(4, 5)),
    ModuleCase("Linear/noBias/unbatched", () => new Linear(5, 3, false), normal(5)),
    ModuleCase("SpatialConvolution", () => new SpatialConvolution(2, 3, 3, 3), normal(2, 2, 6, 5),
      repr = "SpatialConvolution(2, 3, 3, 3)"),
    ModuleCase("SpatialConvolution/stride2pad1", () => new SpatialConvolution(2, 3, 3, 3, 2, 2, 1, 1), normal(2, 2, 7, 6),
      repr = "SpatialConvolution(2, 3, 3, 3, strideW=2, strideH=2, padW=1, padH=1)"),
    ModuleCase("SpatialConvolution/rectangular", () => new SpatialConvolution(3, 2, 3, 2, 2, 1, 1, 0, false),
      normal(3, 3, 5, 6), repr = "SpatialConvolution(3, 2, 3, 2, strideW=2, padW=1, withBias=false)"),
    ModuleCase("SpatialConvolution/groups", () => new SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2), normal(2, 4, 5, 5),
      repr = "SpatialConvolution(4, 6, 3, 3, padW=1, padH=1, nGroup=2)"),
    ModuleCase("SpatialConvolution/depthwise/stride2/noBias", () => new SpatialConvolution(3, 3, 3, 3, 2, 2, 1, 1, 3, false),
      normal(2, 3, 6, 7), repr = "SpatialConvolution(3, 3, 3, 3, strideW=2, strideH=2, padW=1, padH=1, nGroup=3, withBias=false)"),
    ModuleCase("SpatialConvolution/same/unbatched", () => new SpatialConvolution(2, 2, 3, 3, 2, 2, -1, -1), normal(2, 6, 7)),
    ModuleCase("SpatialMaxPooling", () => new SpatialMaxPooling(2, 2, 2, 2), distinct(2, 3, 6, 6),
      repr = "SpatialMaxPooling(2, 2, 2, 2)"),
    ModuleCase("SpatialMaxPooling/pad/ceil", () => new SpatialMaxPooling(3, 3, 2, 2, 1, 1, true), distinct(2, 2, 6, 7),
      repr = "SpatialMaxPooling(3, 3, 2, 2, padW=1, padH=1, ceilMode=true)"),
    ModuleCase("SpatialMaxPooling/fluentCeil/unbatched", () => new SpatialMaxPooling(3, 2, 2, 1).ceil(), distinct(3, 5, 6)),
    ModuleCase("SpatialAveragePooling", () => new SpatialAveragePooling(2, 2), normal(2, 2, 4, 5),
      repr = "SpatialAveragePooling(2, 2, 1, 1)"),
    ModuleCase("SpatialAveragePooling/pad/ceil/excludePad",
      () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1, false, true, false, true), normal(2, 2, 6, 7),
      repr = "SpatialAveragePooling(3, 3, 2, 2, padW=1, padH=1, ceilMode=true, countIncludePad=false)"),
    ModuleCase("SpatialAveragePooling/global", () => new SpatialAveragePooling(1, 1, 1, 1, 0, 0, true, false, true, true),
      normal(2, 3, 4, 5)),
    ModuleCase("SpatialAveragePooling/sum/unbatched", () => new SpatialAveragePooling(2, 3, 2, 1, 1, 1, false, false, true, false),
      normal(2, 5, 4)),
    ModuleCase("Reshape", () => new Reshape(Array(6)), normal(4, 2, 3), repr = "Reshape([6])"),
    ModuleCase("Reshape/batchMode", () => new Reshape(Array(3, 2), true), normal(1, 6), repr = "Reshape([3, 2], batchMode=true)"),
    ModuleCase("View", () => new View(Array(3, -1)), normal(2, 6), repr = "View([3, -1])"),
    ModuleCase("View/numInputDims", () => new View(Array(6), 2), normal(3, 2, 3), repr = "View([6], numInputDims=2)"),
    ModuleCase("ReLU", () => new ReLU(), awayFromZero(3, 4), repr = "ReLU()"),
    ModuleCase("ReLU/inPlace", () => new ReLU(true), awayFromZero(2, 3, 4), repr = "ReLU(ip=true)"),
    ModuleCase("Tanh", () => new Tanh(), normal(3, 4)),
    ModuleCase("Sigmoid", () => new Sigmoid(), normal(3, 4)),
    ModuleCase("SoftMax", () => new SoftMax(), normal(4, 5)),
    ModuleCase("SoftMax/spatial", () => new SoftMax(), normal(2, 3, 2, 2)),
    ModuleCase("SoftMax/vector", () => new SoftMax(), normal(5)),
    ModuleCase("LogSoftMax", () => new LogSoftMax(), normal(4, 5)),
    ModuleCase("Dropout", () => new Dropout(0.3), normal(4, 5), prepare = reseed(7), repr = "Dropout(0.3)"),
    ModuleCase("Dropout/inPlace/noScale", () => new Dropout(0.5, true, false), normal(4, 5), prepare = reseed(8),
      repr = "Dropout(0.5, inplace=true, scale=false)"),
    ModuleCase("Identity", () => new Identity(), normal(2, 3)),
    ModuleCase("Sequential/smallLeNet", () => new Sequential()
      .add(new Reshape(Array(1, 8, 8))).add(new SpatialConvolution(1, 2, 3, 3)).add(new Tanh())
      .add(new SpatialMaxPooling(2, 2, 2, 2)).add(new Reshape(Array(2 * 3 * 3))).add(new Linear(18, 4))
      .add(new LogSoftMax()), normal(3, 64))
  )

  val criterions: Seq[DbCase] = Seq(
    CriterionCase("ClassNLLCriterion", () => new ClassNLLCriterion(), normal(4, 5), labels(4, 5), repr = "ClassNLLCriterion()"),
    CriterionCase("ClassNLLCriterion/weights/sum", () => new ClassNLLCriterion(Array(1f, 2f, 0.5f, 1f, 3f), false),
      normal(6, 5), labels(6, 5), repr = "ClassNLLCriterion(weights=[1.0, 2.0, 0.5, 1.0, 3.0], sizeAverage=false)"),
    CriterionCase("ClassNLLCriterion/probabilities", () => new ClassNLLCriterion(null, true, false),
      uniform(0.2f, 1f, 4, 3), labels(4, 3), repr = "ClassNLLCriterion(logProbAsInput=false)"),
    CriterionCase("ClassNLLCriterion/unbatched", () => new ClassNLLCriterion(), normal(5), labels(1, 5)),
    CriterionCase("CrossEntropyCriterion", () => new CrossEntropyCriterion(), normal(4, 5), labels(4, 5),
      repr = "CrossEntropyCriterion()"),
    CriterionCase("CrossEntropyCriterion/weights", () => new CrossEntropyCriterion(Array(0.5f, 1f, 2f)), normal(5, 3),
      rng => labels(5, 3)(rng).view(5, 1)),
    CriterionCase("MSECriterion", () => new MSECriterion(), normal(3, 4), normal(3, 4), repr = "MSECriterion()"),
    CriterionCase("MSECriterion/sum", () => new MSECriterion(false), normal(5), normal(5), repr = "MSECriterion(sizeAverage=false)"),
    CriterionCase("BCECriterion", () => new BCECriterion(), uniform(0.1f, 0.9f, 4, 3), uniform(0f, 1f, 4, 3),
      repr = "BCECriterion()"),
    CriterionCase("BCECriterion/weights/sum", () => new BCECriterion(Array(1f, 2f, 0.5f), false), uniform(0.1f, 0.9f, 4, 3),
      rng => labels(12, 2)(rng).view(4, 3))
  )

  val cases: Seq[DbCase] = layers ++ criterions
}
