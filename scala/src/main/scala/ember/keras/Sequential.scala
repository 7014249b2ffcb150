package ember.keras

import scala.collection.mutable.ArrayBuffer

import ember.nn.{Module, Sequential => NnSequential}

/**
 * A stack of Keras layers (Keras' `Sequential`): the first needs `inputShape`; each [[add]] infers the new layer's
 * output shape from the previous one and appends its modules to an [[ember.nn.Sequential]] ([[module]]).
 *
 * {{{
 * val model = new Sequential().add(new Dense(32, "relu", Array(784))).add(new Dense(10, "softmax"))
 * model.compile("adam", "sparse_categorical_crossentropy", Array("accuracy"))
 * model.fit(x, y, 128, 5)
 * }}}
 */
class Sequential extends KerasModel {
  private val nn = new NnSequential()
  private val rows = ArrayBuffer.empty[LayerSummary]

  override def module: Module = nn
  override def layers: Seq[LayerSummary] = rows.toSeq

  /** The output shape so far (without the batch), or null before the first layer. */
  def getOutputShape: Array[Int] = rows.lastOption.map(_.outputShape.clone()).orNull

  /** Appends `layer`, inferring its output shape (the first layer must have an inputShape). */
  def add(layer: KerasLayer): this.type = {
    require(layer != null, "Sequential.add: layer must not be null")
    require(layer.inputCount.contains(1), s"Sequential.add: ${layer.layerName} (${layer.kind}) takes several inputs; use the functional Model")
    val in = rows.lastOption.map(_.outputShape).getOrElse {
      require(layer.inputShape != null,
        s"Sequential.add: the first layer (${layer.layerName}, ${layer.kind}) needs an inputShape (without the batch dimension)")
      layer.inputShape
    }
    require(rows.isEmpty || layer.inputShape == null || layer.inputShape.sameElements(in),
      s"Sequential.add: ${layer.layerName} declares inputShape ${Shapes.show(layer.inputShape)} but the previous layer gives ${Shapes.show(in)}")
    val (m, out) = layer.build(Seq(in))
    nn.add(m)
    rows += LayerSummary(layer.layerName, layer.kind, out, m.parameterCount, rows.lastOption.map(_.name).toSeq)
    this
  }
}
