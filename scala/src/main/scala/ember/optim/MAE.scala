package ember.optim

import ember.tensor.{Activity, Tensor}

/**
 * Mean absolute error between the model's output and the target (BigDL `MAE`): each sample's mean |o - t|
 * over its elements, averaged over the samples (merged results stay the mean over samples). The output is
 * [batch, ...] (a 1-d output is one value per sample) and the target has the same number of elements.
 */
class MAE extends ValidationMethod {

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val (o, t) = (output.toTensor, target.toTensor)
    require(o.nElement == t.nElement && o.nElement > 0,
      s"$name: target of shape ${t.shapeString} does not match the output of shape ${o.shapeString}")
    val rows = if (o.dim <= 1) o.nElement else o.size(0)
    val per = o.nElement / rows
    val (x, y) = (o.toArray, t.toArray)
    var sum = 0.0
    var i = 0
    while (i < x.length) { sum += math.abs(x(i).toDouble - y(i)) / per; i += 1 }
    MeanResult(name, sum, rows)
  }

  override def higherIsBetter: Boolean = false
}
