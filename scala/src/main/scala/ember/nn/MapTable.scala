package ember.nn

import scala.collection.mutable.ArrayBuffer

import ember.tensor.{Activity, Table}

/**
 * Applies one module to every item of the input table (BigDL's `MapTable(module)`). Items beyond the
 * first run on clones of the module whose parameters are the module's own tensors (re-pointed before
 * every forward, so they follow the module into a flat parameter buffer): all items train the same
 * weights, and only the module's parameters are listed and saved.
 */
class MapTable extends Container {

  def this(module: Module) = { this(); add(module) }

  private val replicas = ArrayBuffer.empty[Module]

  override def add(module: Module): this.type = {
    require(modules.isEmpty, "MapTable holds exactly one module; it already has one")
    super.add(module)
  }

  private def replica(i: Int): Module = {
    require(modules.nonEmpty, "MapTable: no module; add one first")
    if (i == 0) modules.head
    else {
      while (replicas.length < i) replicas += modules.head.cloneModule()
      val r = replicas(i - 1)
      for ((rp, mp) <- r.namedParameters.map(_._2).zip(modules.head.namedParameters.map(_._2))) {
        rp.value.set(mp.value); rp.grad.set(mp.grad)
      }
      if (isTraining) r.training() else r.evaluate()
      if (modules.head.isFrozen) r.freeze() else r.unFreeze()
      r
    }
  }

  override def updateOutput(input: Activity): Activity = {
    val t = TableSupport.table("MapTable", input)
    output = Table(t.items.indices.map(i => replica(i).forward(t(i))): _*)
    output
  }

  private def grads(input: Activity, gradOutput: Activity): (Table, Table) = {
    val t = TableSupport.table("MapTable", input)
    val g = TableSupport.table("MapTable gradOutput", gradOutput)
    require(g.length == t.length, s"MapTable: gradOutput has ${g.length} items for ${t.length} inputs")
    (t, g)
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (t, g) = grads(input, gradOutput)
    gradInput = Table(t.items.indices.map(i => replica(i).updateGradInput(t(i), g(i))): _*)
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    val (t, g) = grads(input, gradOutput)
    t.items.indices.foreach(i => Module.accGrad(replica(i), t(i), g(i)))
  }

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    val (t, g) = grads(input, gradOutput)
    gradInput = Table(t.items.indices.map(i => replica(i).backward(t(i), g(i))): _*)
  }

  override def reset(): Unit = { super.reset(); replicas.clear() }
}
