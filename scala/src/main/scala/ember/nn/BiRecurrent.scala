package ember.nn

import ember.tensor.{Activity, Tensor}

/**
 * A bidirectional recurrent layer (BigDL's `BiRecurrent(merge).add(LSTM(inputSize, hiddenSize))`): one
 * [[Recurrent]] reads the sequence forwards, a second one (with a fresh copy of the cell, its own weights)
 * reads it backwards, and their per-step outputs are merged: `merge` = "add" (sum, [batch, time, hidden],
 * BigDL's default) or "concat" ([batch, time, 2 * hidden], forward first). Adding a cell creates both
 * directions; the model file stores the two Recurrent layers.
 */
class BiRecurrent(val merge: String) extends Container {
  require(merge == "add" || merge == "concat", s"BiRecurrent: merge must be 'add' or 'concat', got '$merge'")

  def this() = this("add")

  override def add(module: Module): this.type = module match {
    case c: Cell =>
      require(modules.isEmpty, "BiRecurrent holds one cell; it already has one")
      val reverse = c.cloneModule()
      reverse.reset()
      super.add(new Recurrent().add(c)).add(new Recurrent().add(reverse))
    case r: Recurrent =>
      require(modules.length < 2, "BiRecurrent holds two directions; it already has both")
      super.add(r)
    case other => throw new IllegalArgumentException(s"BiRecurrent: expected a recurrent cell (LSTM, GRU, RnnCell), got $other")
  }

  private def directions: (Recurrent, Recurrent) = {
    require(modules.length == 2, "BiRecurrent: no cell; add one first (e.g. add(new LSTM(10, 20)))")
    (modules(0).asInstanceOf[Recurrent], modules(1).asInstanceOf[Recurrent])
  }

  /** `x` [batch, time, ...] with the time order reversed (a copy). */
  private def reversed(x: Tensor): Tensor = {
    val out = Tensor(x.shape.toIndexedSeq: _*)
    val t = x.size(1)
    var s = 0
    while (s < t) { out.select(1, s).copy(x.select(1, t - 1 - s)); s += 1 }
    out
  }

  private var xRev: Tensor = new Tensor()

  override def updateOutput(input: Activity): Activity = {
    val (fw, bw) = directions
    val x = input.toTensor
    require(x.dim == 3, s"BiRecurrent: expected input of shape [batch, time, features], got ${x.shapeString}")
    xRev = reversed(x)
    val a = fw.forward(x).toTensor
    val b = reversed(bw.forward(xRev).toTensor)
    output = if (merge == "add") a.clone().add(b) else new JoinTable(2).forward(ember.tensor.Table(a, b)).toTensor
    output
  }

  /** The gradient parts of the two directions (the backward one in its own, reversed, time order). */
  private def split(gradOutput: Activity): (Tensor, Tensor) = {
    val g = LayerSupport.gradLike("BiRecurrent", gradOutput.toTensor, output.toTensor).view(output.toTensor.shape)
    if (merge == "add") (g, reversed(g))
    else {
      val h = g.size(2) / 2
      (g.narrow(2, 0, h).contiguous(), reversed(g.narrow(2, h, h)))
    }
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = run(input, gradOutput, acc = false)
  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    run(input, gradOutput, acc = true)

  private def run(input: Activity, gradOutput: Activity, acc: Boolean): Activity = {
    val (fw, bw) = directions
    val (ga, gb) = split(gradOutput)
    val gx = (if (acc) fw.backward(input, ga) else fw.updateGradInput(input, ga)).toTensor.clone()
    gx.add(reversed((if (acc) bw.backward(xRev, gb) else bw.updateGradInput(xRev, gb)).toTensor))
    gradInput = gx
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    val (fw, bw) = directions
    val (ga, gb) = split(gradOutput)
    Module.accGrad(fw, input, ga); Module.accGrad(bw, xRev, gb)
  }

  override def config: Seq[(String, Any)] = Seq("merge" -> merge)
  override def toString: String = super.toString.replaceFirst("^BiRecurrent", s"BiRecurrent($merge)")
}
