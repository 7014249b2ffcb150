package ember.tensor

/**
 * Grouped 2-d convolution on the JVM (the fallback of oneDNN's grouped primitive): input channels and output
 * channels are cut into `groups` equal blocks and block g of the output sees only block g of the input, with
 * weight [nOut, nIn / groups, kH, kW] (PyTorch's and BigDL's layout, which is [groups, nOut / groups, ...] in
 * memory, so each group's weight is a contiguous slice). Each group runs [[Conv2d]] on a contiguous copy of its
 * channel block ([[Conv2d]] needs contiguous [N, C, H, W] input) and its result is copied into its block of the
 * output; the parameter gradients accumulate straight into the group's slice of gradWeight / gradBias.
 *
 * `s` is the geometry of one group (nIn / groups -> nOut / groups channels). Column caching of [[Conv2d]] is
 * keyed on the input buffer, which all groups share, so backward drops the cache and recomputes the columns.
 */
object GroupedConv2d {

  /** output = grouped conv(input, weight) + bias; `bias` may be null. */
  def forward(s: Conv2dShape, groups: Int, input: Tensor, weight: Tensor, bias: Tensor, output: Tensor,
      ws: GroupedConv2dWorkspace): Unit = {
    val n = input.size(0)
    var g = 0
    while (g < groups) {
      val x = ws.x.resize(n, s.nIn, s.inH, s.inW).copy(input.narrow(1, g * s.nIn, s.nIn))
      val y = ws.y.resize(n, s.nOut, s.outH, s.outW)
      Conv2d.forward(s, x, weightOf(s, weight, g), biasOf(s, bias, g), y, ws.conv)
      output.narrow(1, g * s.nOut, s.nOut).copy(y)
      g += 1
    }
  }

  /** gradInput (overwritten) and gradWeight / gradBias (accumulated); null ones are skipped. */
  def backward(s: Conv2dShape, groups: Int, input: Tensor, gradOutput: Tensor, weight: Tensor, grads: Conv2dGrads,
      ws: GroupedConv2dWorkspace): Unit = {
    val n = input.size(0)
    ws.conv.invalidate()
    var g = 0
    while (g < groups) {
      val x = ws.x.resize(n, s.nIn, s.inH, s.inW)
      if (grads.gradWeight != null) x.copy(input.narrow(1, g * s.nIn, s.nIn))
      val go = ws.y.resize(n, s.nOut, s.outH, s.outW).copy(gradOutput.narrow(1, g * s.nOut, s.nOut))
      val gi = if (grads.gradInput == null) null else ws.gradX.resize(n, s.nIn, s.inH, s.inW)
      val gw = if (grads.gradWeight == null) null else weightOf(s, grads.gradWeight, g)
      Conv2d.backward(s, x, go, weightOf(s, weight, g), Conv2dGrads(gi, gw, biasOf(s, grads.gradBias, g)), ws.conv)
      if (gi != null) grads.gradInput.narrow(1, g * s.nIn, s.nIn).copy(gi)
      g += 1
    }
  }

  private def weightOf(s: Conv2dShape, w: Tensor, g: Int): Tensor = {
    val per = s.nOut * s.colRows
    Tensor.view(w.storage, w.offset + g * per, Array(s.nOut, s.nIn, s.kH, s.kW))
  }

  private def biasOf(s: Conv2dShape, b: Tensor, g: Int): Tensor = if (b == null) null else b.narrow(0, g * s.nOut, s.nOut)
}

/** Buffers of one grouped convolution layer: one group's input, output (or output gradient) and input gradient. */
final class GroupedConv2dWorkspace {
  private[tensor] val conv = new Conv2dWorkspace()
  private[tensor] val x = new Tensor()
  private[tensor] val y = new Tensor()
  private[tensor] val gradX = new Tensor()
}
