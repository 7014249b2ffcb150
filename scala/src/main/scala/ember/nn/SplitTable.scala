package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Splits a tensor along `dimension` into a table of its slices, that dimension removed (BigDL's
 * `SplitTable(dimension, nInputDims)`; 0-based, negative from the end, `nInputDims` as in [[JoinTable]]).
 * The slices are copies.
 */
class SplitTable(val dimension: Int, val nInputDims: Int) extends Module {
  def this(dimension: Int) = this(dimension, 0)

  override def updateOutput(input: Activity): Activity = {
    val x = input.toTensor
    val d = TableSupport.resolveDim("SplitTable", x, dimension, nInputDims)
    output = Table((0 until x.size(d)).map(i => x.select(d, i).clone(): Activity): _*)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val x = input.toTensor
    val d = TableSupport.resolveDim("SplitTable", x, dimension, nInputDims)
    val gs = TableSupport.tensors("SplitTable gradOutput", gradOutput)
    require(gs.length == x.size(d), s"SplitTable: gradOutput has ${gs.length} items for ${x.size(d)} slices")
    val gi = (if (gradInput.isTensor) gradInput.toTensor else new Tensor()).resize(x.shape)
    for ((g, i) <- gs.zipWithIndex) gi.select(d, i).copy(g)
    gradInput = gi
    gi
  }

  override def config: Seq[(String, Any)] = Seq("dimension" -> dimension, "nInputDims" -> nInputDims)
  override def configDefaults: Seq[(String, Any)] = Seq("nInputDims" -> 0)
}
