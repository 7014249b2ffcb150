package ember.models

import ember.nn._

/**
 * ResNet for 32x32 images (He et al. 2016, "Deep Residual Learning for Image Recognition", section 4.2):
 * a 3x3 convolution with 16 maps, three stages of n basic blocks (two 3x3 convolutions each, without bias,
 * each followed by batch normalisation) with 16, 32 and 64 maps, the first block of stages 2 and 3 with
 * stride 2, global average pooling and a classifier: depth = 6n + 2. Shortcuts are option A of the paper
 * (identity; when the size changes, stride-2 subsampling and zero channels), so they have no parameters.
 * Built with the functional API (a [[Graph]] whose residual additions are CAddTable nodes). ResNet-20
 * (n = 3) has 269,722 parameters with 10 classes (the paper's "0.27M").
 * Input [batch, 3, 32, 32]; output log-probabilities.
 *
 * The ReLUs work in place (`inPlaceRelu`; it also governs the additions below, as PyTorch's `ReLU(inplace=True)` and BigDL's ResNet): each follows a
 * batch normalisation or a residual addition, neither of which needs its output for its backward pass, so
 * the ReLU may overwrite it and its gradient, saving two batch-sized buffers per ReLU. The residual additions
 * work in place too (`CAddTable(inplace = true)`): the sum goes into the batch normalisation's output, which its
 * backward does not read, and both input gradients are views of the one output gradient, which neither
 * consumer modifies (batch norm reads it; the graph copies before it adds into a shortcut's gradient), saving
 * three batch-sized buffers and two copies per block.
 */
object ResNet {

  def apply(classNum: Int = 10, depth: Int = 20, inPlaceRelu: Boolean = true): Module = {
    require(depth >= 8 && (depth - 2) % 6 == 0, s"ResNet: depth must be 6n + 2 (20, 32, 44, 56, 110), got $depth")
    require(classNum > 1, s"ResNet: classNum must be > 1, got $classNum")
    val n = (depth - 2) / 6
    val x = Input("image")
    val relu = () => new ReLU(inPlaceRelu)
    var h = bnRelu(conv3x3(3, 16, 1).setName("conv1").inputs(x), 16, relu)
    var planes = 16
    for ((width, stage) <- Seq(16, 32, 64).zipWithIndex; b <- 0 until n) {
      val stride = if (stage > 0 && b == 0) 2 else 1
      h = block(h, planes, width, stride, s"stage${stage + 1}.block${b + 1}", relu)
      planes = width
    }
    val pooled = new SpatialAveragePooling(8, 8).inputs(h)
    val logits = new Linear(64, classNum).setName("fc").inputs(new Reshape(Array(64)).inputs(pooled))
    Graph(x, new LogSoftMax().inputs(logits))
  }

  private def conv3x3(in: Int, out: Int, stride: Int): Module =
    new SpatialConvolution(in, out, 3, 3, stride, stride, 1, 1, false)

  private def bnRelu(node: Node, planes: Int, relu: () => ReLU): Node =
    relu().inputs(new SpatialBatchNormalization(planes).inputs(node))

  /** conv-bn-relu-conv-bn plus the shortcut, then ReLU. */
  private def block(x: Node, in: Int, out: Int, stride: Int, name: String, relu: () => ReLU): Node = {
    val a = bnRelu(conv3x3(in, out, stride).setName(s"$name.conv1").inputs(x), out, relu)
    val b = new SpatialBatchNormalization(out).inputs(conv3x3(out, out, 1).setName(s"$name.conv2").inputs(a))
    val shortcut =
      if (stride == 1 && in == out) x
      else new Padding(0, out - in, 3).inputs(new SpatialAveragePooling(1, 1, stride, stride).inputs(x))
    val last = relu()
    last.inputs(new CAddTable(inplace = last.ip).inputs(b, shortcut))
  }
}
