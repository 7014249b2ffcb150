package ember.models

import ember.nn._

/**
 * Inception-v1 (GoogLeNet; Szegedy et al. 2015, table 1), the model of the BigDL paper's scaling
 * experiments, without the auxiliary classifiers (BigDL's `Inception_v1_NoAuxClassifier`): a 7x7/2
 * convolution, max pooling, local response normalisation, 1x1 and 3x3 convolutions, LRN, then nine
 * inception modules (3a-5b, with max pooling after 3b and 4e), average pooling, dropout 0.4 and the
 * classifier. Each inception module is a [[Concat]] over channels of four branches: 1x1; 1x1 -> 3x3;
 * 1x1 -> 5x5; 3x3 max pool -> 1x1. All convolutions have biases and ReLU. 6,998,552 parameters for 1000
 * classes. The final pooling is global, so images smaller than 224x224 (at least 64x64) also work; at 224
 * it is the paper's 7x7 average pooling. Input [batch, 3, H, W]; output log-probabilities.
 */
object InceptionV1 {

  /** (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection) of modules 3a .. 5b (table 1 of the paper). */
  private val Table1 = Seq(
    "3a" -> (64, 96, 128, 16, 32, 32), "3b" -> (128, 128, 192, 32, 96, 64),
    "4a" -> (192, 96, 208, 16, 48, 64), "4b" -> (160, 112, 224, 24, 64, 64), "4c" -> (128, 128, 256, 24, 64, 64),
    "4d" -> (112, 144, 288, 32, 64, 64), "4e" -> (256, 160, 320, 32, 128, 128),
    "5a" -> (256, 160, 320, 32, 128, 128), "5b" -> (384, 192, 384, 48, 128, 128))

  def apply(classNum: Int = 1000): Module = {
    require(classNum > 1, s"InceptionV1: classNum must be > 1, got $classNum")
    val model = new Sequential()
      .add(conv(3, 64, 7, 2, 3).setName("conv1/7x7_s2")).add(new ReLU(true))
      .add(new SpatialMaxPooling(3, 3, 2, 2).ceil()).add(new SpatialCrossMapLRN(5, 0.0001, 0.75))
      .add(conv(64, 64, 1, 1, 0).setName("conv2/3x3_reduce")).add(new ReLU(true))
      .add(conv(64, 192, 3, 1, 1).setName("conv2/3x3")).add(new ReLU(true))
      .add(new SpatialCrossMapLRN(5, 0.0001, 0.75)).add(new SpatialMaxPooling(3, 3, 2, 2).ceil())
    var in = 192
    for ((name, cfg) <- Table1) {
      model.add(inception(in, cfg, name))
      in = cfg._1 + cfg._3 + cfg._5 + cfg._6
      if (name == "3b" || name == "4e") model.add(new SpatialMaxPooling(3, 3, 2, 2).ceil())
    }
    model.add(new SpatialAveragePooling(7, 7, 1, 1, 0, 0, true, false, true, true))
      .add(new Dropout(0.4)).add(new Reshape(Array(1024)))
      .add(new Linear(1024, classNum).setName("loss3/classifier")).add(new LogSoftMax())
  }

  private def conv(in: Int, out: Int, k: Int, stride: Int, pad: Int): Module =
    new SpatialConvolution(in, out, k, k, stride, stride, pad, pad)

  private def branch(layers: Module*): Module = layers.foldLeft(new Sequential())(_.add(_))

  private def inception(in: Int, cfg: (Int, Int, Int, Int, Int, Int), name: String): Module = {
    val (c1, r3, c3, r5, c5, pool) = cfg
    new Concat(1).setName(s"inception_$name")
      .add(branch(conv(in, c1, 1, 1, 0), new ReLU(true)))
      .add(branch(conv(in, r3, 1, 1, 0), new ReLU(true), conv(r3, c3, 3, 1, 1), new ReLU(true)))
      .add(branch(conv(in, r5, 1, 1, 0), new ReLU(true), conv(r5, c5, 5, 1, 2), new ReLU(true)))
      .add(branch(new SpatialMaxPooling(3, 3, 1, 1, 1, 1).ceil(), conv(in, pool, 1, 1, 0), new ReLU(true)))
  }
}
