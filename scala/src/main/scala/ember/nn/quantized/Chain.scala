package ember.nn.quantized

import ember.nn.Sequential
import ember.tensor.Activity

/**
 * Two int8 convolutions in a row, the second reading only the first's output (a ResNet block's conv-BN-ReLU ->
 * conv-BN, once [[Quantizer]] has folded the batch normalisations), run with the intermediate kept int8 on
 * oneDNN: the first primitive requantizes its result with the second's input step straight into the second's
 * input layout (oneDNN's destination scale), so it never becomes float, never crosses to the JVM and is not
 * reordered twice (BigDL and oneDNN's int8 graphs do the same). On the JVM kernels, or where oneDNN cannot chain
 * the two, it runs them in turn like a [[Sequential]]; both ways see the same integers, up to float rounding of
 * the requantization. Made by [[Quantizer]]; the model file stores it as a container of the two layers.
 */
class Chain extends Sequential {
  override def updateOutput(input: Activity): Activity = {
    val chained = modules.toSeq match {
      case Seq(a: SpatialConvolution, b: SpatialConvolution) => a.forwardInto(input.toTensor, b)
      case _ => None
    }
    output = chained.getOrElse(super.updateOutput(input))
    output
  }
}
