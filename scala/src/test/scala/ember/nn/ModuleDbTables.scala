package ember.nn

import ModuleDb._

/**
 * Registry entries of the table layers, containers, recurrent layers and graphs: every
 * entry gets the generic checks of [[ModuleDbSuite]] (numerical gradients through tables, save/load,
 * toString). Reference checks live in TableLayersSuite, RecurrentSuite and GraphSuite.
 */
object ModuleDbTables {

  /** x -> Linear -> Tanh, plus a Linear shortcut, summed: a residual block in miniature. */
  private def shortcutGraph(): Module = {
    val x = Input()
    val a = new Tanh().inputs(new Linear(4, 3).inputs(x))
    val c = new Linear(4, 3).setName("shortcut").inputs(x)
    Graph(x, new CAddTable().inputs(a, c))
  }

  /**
   * Two inputs, two outputs; `h` feeds two consumers and output 0 also feeds output 1 (gradients from the
   * graph's gradOutput and from a consumer add up); tables flow between nodes.
   */
  private def multiGraph(): Module = {
    val (u, v) = (Input("u"), Input("v"))
    val h = new JoinTable(1).inputs(new Linear(3, 2).inputs(u), new Linear(5, 2).inputs(v))
    val out0 = new Tanh().inputs(h)
    val pair = new ConcatTable().add(new Linear(4, 3)).add(new Linear(4, 3)).inputs(h)
    val out1 = new CMulTable().inputs(new CAddTable().inputs(pair), new Linear(4, 3).inputs(out0))
    Graph(Seq(u, v), Seq(out0, out1))
  }

  val cases: Seq[DbCase] = Seq(
    ModuleCase("JoinTable", () => new JoinTable(1), table(normal(2, 3), normal(2, 4)), repr = "JoinTable(1)"),
    ModuleCase("JoinTable/nInputDims", () => new JoinTable(0, 1), table(normal(3, 2), normal(3, 4), normal(3, 1)),
      repr = "JoinTable(0, nInputDims=1)"),
    ModuleCase("JoinTable/negative", () => new JoinTable(-1), table(normal(2, 2, 3), normal(2, 2, 1))),
    ModuleCase("SplitTable", () => new SplitTable(1), normal(2, 3, 4), repr = "SplitTable(1)"),
    ModuleCase("SplitTable/nInputDims", () => new SplitTable(0, 2), normal(2, 3, 2), repr = "SplitTable(0, nInputDims=2)"),
    ModuleCase("CAddTable", () => new CAddTable(), table(normal(3, 4), normal(3, 4), normal(3, 4)), repr = "CAddTable()"),
    ModuleCase("CAddTable/inplace", () => new CAddTable(true), table(normal(2, 3), normal(2, 3)), repr = "CAddTable(inplace=true)"),
    ModuleCase("CMulTable", () => new CMulTable(), table(normal(3, 4), normal(3, 4), normal(3, 4)), repr = "CMulTable()"),
    ModuleCase("SelectTable", () => new SelectTable(1), table(normal(2, 3), normal(3, 2), normal(4)), repr = "SelectTable(1)"),
    ModuleCase("SelectTable/negative/nested", () => new SelectTable(-1), table(normal(2, 3), table(normal(3), normal(2, 2)))),
    ModuleCase("FlattenTable", () => new FlattenTable(), table(normal(2), table(normal(3), table(normal(2, 2))), normal(1)),
      repr = "FlattenTable()"),
    ModuleCase("ConcatTable", () => new ConcatTable().add(new Linear(4, 3)).add(new Linear(4, 2)), normal(2, 4)),
    ModuleCase("ConcatTable/tableInput", () => new ConcatTable().add(new SelectTable(0)).add(new CAddTable()),
      table(normal(2, 3), normal(2, 3))),
    ModuleCase("Concat", () => new Concat(1).add(new Linear(4, 3)).add(new Linear(4, 2)), normal(2, 4)),
    ModuleCase("Concat/spatial", () => new Concat(1).add(new SpatialConvolution(2, 3, 1, 1))
      .add(new SpatialConvolution(2, 2, 3, 3, 1, 1, 1, 1)), normal(2, 2, 4, 4)),
    ModuleCase("ParallelTable", () => new ParallelTable().add(new Linear(3, 2)).add(new Tanh()), table(normal(2, 3), normal(2, 5))),
    ModuleCase("MapTable", () => new MapTable(new Linear(3, 2)), table(normal(2, 3), normal(4, 3), normal(1, 3))),
    ModuleCase("TimeDistributed", () => new TimeDistributed(new Linear(3, 2)), normal(2, 4, 3)),
    ModuleCase("Recurrent/LSTM", () => new Recurrent().add(new LSTM(3, 4)), normal(2, 5, 3)),
    ModuleCase("Recurrent/LSTM/initialStates", () => new Recurrent().add(new LSTM(3, 2)),
      table(normal(2, 4, 3), normal(2, 2), normal(2, 2))),
    ModuleCase("Recurrent/GRU/initialState", () => new Recurrent().add(new GRU(2, 3)), table(normal(2, 3, 2), normal(2, 3))),
    ModuleCase("Recurrent/GRU", () => new Recurrent().add(new GRU(3, 4)), normal(2, 5, 3)),
    ModuleCase("Recurrent/RnnCell", () => new Recurrent().add(new RnnCell(3, 4)), normal(3, 4, 3)),
    ModuleCase("Recurrent/RnnCell/sigmoid", () => new Recurrent().add(new RnnCell(2, 3, "sigmoid")), normal(2, 3, 2)),
    ModuleCase("LSTM/step", () => new LSTM(3, 4), table(normal(2, 3), normal(2, 4), normal(2, 4)), repr = "LSTM(3, 4)"),
    ModuleCase("GRU/step", () => new GRU(3, 4), table(normal(2, 3), normal(2, 4)), repr = "GRU(3, 4)"),
    ModuleCase("RnnCell/step", () => new RnnCell(3, 4, "sigmoid"), table(normal(2, 3), normal(2, 4)),
      repr = "RnnCell(3, 4, activation=sigmoid)"),
    ModuleCase("BiRecurrent/LSTM/add", () => new BiRecurrent().add(new LSTM(3, 2)), normal(2, 4, 3)),
    ModuleCase("BiRecurrent/GRU/concat", () => new BiRecurrent("concat").add(new GRU(2, 3)), normal(2, 3, 2)),
    ModuleCase("Input", () => new Input(), normal(2, 3), repr = "Input()"),
    ModuleCase("Graph/shortcut", () => shortcutGraph(), normal(3, 4)),
    ModuleCase("Graph/multiInputOutput", () => multiGraph(), table(normal(2, 3), normal(2, 5)))
  )
}
