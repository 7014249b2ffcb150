package ember.models

import ember.nn._

/**
 * VGG-16 (Simonyan and Zisserman 2015, configuration D; BigDL's `Vgg_16`): thirteen 3x3 convolutions with
 * ReLU in five blocks (64, 128, 256, 512, 512 maps) each closed by 2x2 max pooling, then two fully
 * connected layers of `hidden` units with ReLU and dropout 0.5, and the classifier. For 224x224 images,
 * hidden = 4096 and 1000 classes it has 138,357,544 parameters. `imageSize` (a multiple of 32) and `hidden`
 * scale it down for small images. Input [batch, 3, imageSize, imageSize]; output log-probabilities.
 */
object Vgg16 {

  def apply(classNum: Int = 1000, imageSize: Int = 224, hidden: Int = 4096): Module = {
    require(imageSize >= 32 && imageSize % 32 == 0, s"Vgg16: imageSize must be a multiple of 32, got $imageSize")
    require(classNum > 1 && hidden > 0, s"Vgg16: classNum must be > 1 and hidden > 0, got $classNum and $hidden")
    val model = new Sequential()
    var in = 3
    for ((width, convs) <- Seq(64 -> 2, 128 -> 2, 256 -> 3, 512 -> 3, 512 -> 3)) {
      for (_ <- 0 until convs) {
        model.add(new SpatialConvolution(in, width, 3, 3, 1, 1, 1, 1)).add(new ReLU(true))
        in = width
      }
      model.add(new SpatialMaxPooling(2, 2, 2, 2))
    }
    val side = imageSize / 32
    model.add(new Reshape(Array(512 * side * side)))
      .add(new Linear(512 * side * side, hidden)).add(new ReLU(true)).add(new Dropout(0.5))
      .add(new Linear(hidden, hidden)).add(new ReLU(true)).add(new Dropout(0.5))
      .add(new Linear(hidden, classNum)).add(new LogSoftMax())
  }
}
