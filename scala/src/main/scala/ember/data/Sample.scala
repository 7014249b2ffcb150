package ember.data

import ember.tensor.Tensor

/**
 * One training example: one or more feature tensors and a label tensor. The values are kept as plain
 * arrays with their shapes (not as tensors), so a Sample is Serializable and cheap to ship in Spark RDDs;
 * [[feature]] and [[label]] return tensor views over them. Class labels are 0-based.
 */
final class Sample private (
    val featureData: Array[Array[Float]],
    val featureShapes: Array[Array[Int]],
    val labelData: Array[Float],
    val labelShape: Array[Int]
) extends Serializable {

  /** The number of feature tensors. */
  def numFeatures: Int = featureData.length

  /** Feature tensor `i` (a view over this sample's data). */
  def feature(i: Int = 0): Tensor = {
    require(i >= 0 && i < numFeatures, s"Sample: feature index $i out of range [0, $numFeatures)")
    Tensor.fromArray(featureData(i), featureShapes(i))
  }

  /** The label tensor (a view over this sample's data). */
  def label: Tensor = Tensor.fromArray(labelData, labelShape)

  override def toString: String =
    s"Sample(features ${featureShapes.map(_.mkString("[", ", ", "]")).mkString(", ")}, label ${labelShape.mkString("[", ", ", "]")})"
}

object Sample {

  /** A sample of one feature tensor and a label tensor (values are copied). */
  def apply(feature: Tensor, label: Tensor): Sample = apply(Array(feature), label)

  /** A sample with a scalar label, e.g. a 0-based class index (a label tensor of shape []). */
  def apply(feature: Tensor, label: Float): Sample = fromArrays(Array(feature.toArray), Array(feature.shape), Array(label), Array())

  /** A sample of several feature tensors (a multi-input model gets them as a Table) and a label tensor. */
  def apply(features: Array[Tensor], label: Tensor): Sample = {
    require(features != null && features.nonEmpty, "Sample: needs at least one feature tensor")
    require(label != null, "Sample: label must not be null")
    fromArrays(features.map(_.toArray), features.map(_.shape), label.toArray, label.shape)
  }

  /** A sample over existing arrays (not copied); each array's length must match its shape. */
  def fromArrays(featureData: Array[Array[Float]], featureShapes: Array[Array[Int]], labelData: Array[Float],
      labelShape: Array[Int]): Sample = {
    require(featureData.length == featureShapes.length && featureData.nonEmpty,
      s"Sample: ${featureData.length} feature arrays for ${featureShapes.length} shapes (need as many, at least one)")
    featureData.indices.foreach { i =>
      val n = featureShapes(i).foldLeft(1L)(_ * _)
      require(featureShapes(i).forall(_ >= 0) && n == featureData(i).length,
        s"Sample: feature $i has ${featureData(i).length} values but shape ${featureShapes(i).mkString("[", ", ", "]")}")
    }
    require(labelShape.forall(_ >= 0) && labelShape.foldLeft(1L)(_ * _) == labelData.length,
      s"Sample: label has ${labelData.length} values but shape ${labelShape.mkString("[", ", ", "]")}")
    new Sample(featureData, featureShapes.map(_.clone()), labelData, labelShape.clone())
  }
}
