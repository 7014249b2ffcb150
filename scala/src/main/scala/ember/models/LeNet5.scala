package ember.models

import ember.nn._

/**
 * LeNet-5 as in BigDL's `LeNet5(classNum)` and Ember's LeNet-5 example (`ember.examples.LeNet5`): two
 * 5x5 convolutions (6 and 12 maps) with tanh and 2x2 max pooling, then 192 -> 100 -> classNum. Input
 * [batch, 28 * 28] or [batch, 1, 28, 28]; output log-probabilities. 22,278 parameters for 10 classes.
 */
object LeNet5 {
  def apply(classNum: Int = 10): Module = {
    require(classNum > 1, s"LeNet5: classNum must be > 1, got $classNum")
    new Sequential()
      .add(new Reshape(Array(1, 28, 28)))
      .add(new SpatialConvolution(1, 6, 5, 5).setName("conv1")).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
      .add(new SpatialConvolution(6, 12, 5, 5).setName("conv2")).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
      .add(new Reshape(Array(12 * 4 * 4)))
      .add(new Linear(12 * 4 * 4, 100).setName("fc1")).add(new Tanh())
      .add(new Linear(100, classNum).setName("fc2")).add(new LogSoftMax())
  }
}
