package ember.tensor.dnn

import org.bytedeco.dnnl.{memory, primitive, primitive_desc_base}

import ember.tensor.Tensor

/**
 * One oneDNN primitive on plain-layout buffers, what every pooling, eltwise and softmax call of [[DnnOps]] is: its
 * tensor inputs are copied into slots 0, 1, ... of the thread's [[DnnMemory.Arena]], the primitive runs, and its
 * one result is copied out of the next slot; `fixed` arguments (a workspace) are passed as they are.
 */
private[dnn] final class PlainCall(prim: primitive, pd: primitive_desc_base, ins: Seq[(Int, memory.desc)],
    out: (Int, memory.desc), fixed: Seq[(Int, memory)] = Nil) {
  import DnnMemory._

  private val strm = Dnn.enter()
  private val inMems = ins.zipWithIndex.map { case ((_, d), i) => new DnnMemory(d, d, slot = i) }.toArray
  private val outMem = new DnnMemory(out._2, out._2, slot = ins.size)
  private val map = args((ins.map(_._1).zip(inMems).map { case (k, m) => k -> m.userMem } ++
    Seq(out._1 -> outMem.userMem, scratchpad(pd)) ++ fixed): _*)

  /** Copies `inputs` in (in the order of `ins`), runs the primitive and copies its result into `output`. */
  def run(output: Tensor, inputs: Tensor*): Unit = {
    require(inputs.length == inMems.length, s"PlainCall: ${inputs.length} inputs for ${inMems.length} arguments")
    var i = 0
    while (i < inMems.length) { inMems(i).bind(); inMems(i).load(strm, inputs(i).storage, inputs(i).offset); i += 1 }
    outMem.bind()
    prim.execute(strm, map)
    outMem.store(strm, output.storage, output.offset)
  }
}
