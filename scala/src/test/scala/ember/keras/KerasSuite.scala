package ember.keras

import java.nio.file.Files
import java.util.Random

import ember.nn.{Module, ReLU, SpatialConvolution, Linear, Sequential => NnSequential, SoftMax, Recurrent, Select, LookupTable}
import ember.tensor.{RandomGenerator, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * The Keras-style builder from Scala: shape inference for every layer (the inferred shape is the shape the built
 * modules produce), outputs against hand-built Ember models with the same weights, compile/fit/evaluate/predict,
 * the model file round trip, summary and the errors.
 */
class KerasSuite extends AnyFunSuite {
  private def normal(seed: Int, shape: Int*) = Tensor.normal(new Random(seed), 0f, 1f, shape: _*)
  private def indices(seed: Int, max: Int, shape: Int*) = {
    val rng = new Random(seed); Tensor(shape: _*).apply1(_ => rng.nextInt(max).toFloat)
  }

  /** Copies `from`'s parameters into `to` (same parameter layout) and returns `to`. */
  private def sameWeights(from: Module, to: Module): Module = {
    val (a, b) = (from.parameters()._1, to.parameters()._1)
    assert(a.length == b.length && a.zip(b).forall { case (x, y) => x.shape.sameElements(y.shape) })
    b.zip(a).foreach { case (t, f) => t.copy(f) }
    to
  }

  // layer, input shape without batch, input maker
  private val cases: Seq[(String, () => KerasLayer, Array[Int])] = Seq(
    ("Dense", () => new Dense(5, "relu"), Array(7)),
    ("Activation", () => new Activation("tanh"), Array(3, 4)),
    ("Dropout", () => new Dropout(0.3), Array(6)),
    ("Flatten", () => new Flatten(), Array(2, 3, 4)),
    ("Reshape", () => new Reshape(Array(4, -1)), Array(2, 3, 4)),
    ("BatchNormalization/1d", () => new BatchNormalization(), Array(6)),
    ("BatchNormalization/2d", () => new BatchNormalization(), Array(3, 5, 5)),
    ("Conv2D/valid", () => new Conv2D(4, 3, 2, "relu", "valid", 2, 1, true, null, null), Array(2, 9, 8)),
    ("Conv2D/same", () => new Conv2D(4, 3, 3, null, "same", 1, 1, true, null, null), Array(2, 7, 6)),
    ("Conv1D", () => new Conv1D(4, 3, "tanh", 2, null, null), Array(9, 5)),
    ("MaxPooling2D", () => new MaxPooling2D(), Array(3, 8, 6)),
    ("MaxPooling2D/same", () => new MaxPooling2D(3, 3, 1, 1, "same", null, null), Array(2, 5, 5)),
    ("AveragePooling2D", () => new AveragePooling2D(2, 3), Array(3, 6, 9)),
    ("MaxPooling1D", () => new MaxPooling1D(2), Array(7, 3)),
    ("GlobalAveragePooling1D", () => new GlobalAveragePooling1D(), Array(6, 4)),
    ("GlobalAveragePooling2D", () => new GlobalAveragePooling2D(), Array(3, 4, 5)),
    ("LSTM", () => new LSTM(6), Array(5, 3)),
    ("LSTM/sequences", () => new LSTM(6, true), Array(5, 3)),
    ("GRU", () => new GRU(4), Array(5, 3)),
    ("Bidirectional/concat", () => new Bidirectional(new LSTM(4)), Array(5, 3)),
    ("Bidirectional/sum/sequences", () => new Bidirectional(new GRU(4, true), "sum"), Array(5, 3)),
    ("TimeDistributed", () => new TimeDistributed(new Dense(3, "softmax")), Array(4, 6)),
    ("Embedding", () => new Embedding(10, 4), Array(6)))

  for ((label, make, in) <- cases) test(s"$label: the inferred output shape is what the modules produce") {
    RandomGenerator.setSeed(3)
    val (m, out) = make().build(Seq(in))
    val x = if (label == "Embedding") indices(1, 10, 3 +: in: _*) else normal(1, 3 +: in: _*)
    val y = m.forward(x).toTensor
    assert(y.shape.toSeq == 3 +: out.toSeq, s"$label: built ${y.shapeString}, inferred ${Shapes.show(out)}")
  }

  test("Dense, Conv2D 'same', LSTM and Bidirectional compute what the hand-built Ember modules compute") {
    RandomGenerator.setSeed(5)
    val checks: Seq[(KerasLayer, Array[Int], Module)] = Seq(
      (new Dense(5, "softmax"), Array(7), new NnSequential().add(new Linear(7, 5)).add(new SoftMax())),
      (new Conv2D(4, 3, 3, "relu", "same", 1, 1, true, null, null), Array(2, 6, 5),
        new NnSequential().add(new SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1)).add(new ReLU())),
      (new LSTM(6), Array(5, 3), new NnSequential().add(new Recurrent().add(new ember.nn.LSTM(3, 6))).add(new Select(1, -1))),
      (new Embedding(10, 4), Array(6), new LookupTable(10, 4)))
    for ((layer, in, ref) <- checks) {
      val (m, _) = layer.build(Seq(in))
      sameWeights(m, ref)
      val x = if (layer.isInstanceOf[Embedding]) indices(2, 10, 4 +: in: _*) else normal(2, 4 +: in: _*)
      assert(m.forward(x).toTensor.almostEqual(ref.forward(x).toTensor, 1e-6, 1e-5), layer.kind)
    }
  }

  test("Bidirectional without sequences joins the forward direction's last step and the backward one's first") {
    RandomGenerator.setSeed(6)
    val (m, out) = new Bidirectional(new LSTM(4)).build(Seq(Array(5, 3)))
    val bi = new Bidirectional(new LSTM(4, true)).build(Seq(Array(5, 3)))._1
    sameWeights(m, bi)
    val x = normal(3, 2, 5, 3)
    val (y, seq) = (m.forward(x).toTensor, bi.forward(x).toTensor)
    assert(out.sameElements(Array(8)))
    assert(y.narrow(1, 0, 4).almostEqual(seq.select(1, 4).narrow(1, 0, 4), 1e-6, 1e-5))
    assert(y.narrow(1, 4, 4).almostEqual(seq.select(1, 0).narrow(1, 4, 4), 1e-6, 1e-5))
  }

  test("a functional model with Concatenate, Add and Multiply merges; summary lists every layer with its inputs") {
    RandomGenerator.setSeed(7)
    val a = Input(Array(4), "a")
    val b = Input(Array(4), "b")
    val ha = new Dense(3, "tanh", true, null, "ha")(a)
    val hb = new Dense(3, "tanh", true, null, "hb")(b)
    val joined = new Concatenate(-1, "joined")(ha, hb, new Multiply()(ha, hb), new Add()(ha, hb))
    val model = new Model(Array(a, b), Array(new Dense(2, null, true, null, "head")(joined)))
    assert(joined.shape.sameElements(Array(12)))
    val (xa, xb) = (normal(1, 5, 4), normal(2, 5, 4))
    val y = model.module.forward(Table(xa, xb)).toTensor
    val (la, lb) = (model.layers.find(_.name == "ha").get, model.layers.find(_.name == "hb").get)
    assert(la.parameters == 15 && lb.inputs == Seq("b"))
    // the same through the modules by hand
    val mods = model.module.children.map(c => c.getName -> c).toMap
    val (ya, yb) = (mods("ha").forward(xa).toTensor.clone(), mods("hb").forward(xb).toTensor.clone())
    val cat = Tensor(5, 12)
    cat.narrow(1, 0, 3).copy(ya); cat.narrow(1, 3, 3).copy(yb)
    cat.narrow(1, 6, 3).copy(ya.clone().cmul(yb)); cat.narrow(1, 9, 3).copy(ya.clone().add(yb))
    assert(y.almostEqual(mods("head").forward(cat).toTensor, 1e-6, 1e-5))
    val s = model.summary()
    assert(s.contains("joined (Concatenate)") && s.contains("(None, 12)") && s.contains("Total params: 56"), s)
  }

  test("compile with names, fit, evaluate and predict on in-memory data; the saved file is an ordinary model") {
    RandomGenerator.setSeed(11)
    val rng = new Random(4)
    val n = 400
    val x = Tensor(n, 2).apply1(_ => rng.nextFloat() * 2 - 1)
    val y = Tensor.fromArray(Array.tabulate(n)(i => if (x(i, 0) * x(i, 1) > 0) 1f else 0f), n)
    val model = new Sequential().add(new Dense(16, "tanh", Array(2))).add(new Dense(2, "softmax"))
    model.compile("adam", "sparse_categorical_crossentropy", Array("accuracy"))
    assert(model.compiled.optimMethod.isInstanceOf[ember.optim.Adam])
    model.compile(new ember.optim.Adam(0.05), model.compiled.loss, model.compiled.metrics)
    model.fit(x, y, 32, 40, x, y)
    val acc = model.evaluate(x, y, 64).head.result._1
    assert(acc > 0.9, s"accuracy $acc")
    val p = model.predict(x, 64)
    assert(p.shape.sameElements(Array(n, 2)))
    val path = Files.createTempDirectory("keras").resolve("m.ember").toString
    model.save(path, overWrite = false)
    assert(ember.io.ModelFile.load(path).predict(x).almostEqual(p, 1e-6, 1e-5))
  }

  test("errors name the layer and the problem") {
    def message(f: => Any) = intercept[IllegalArgumentException](f).getMessage
    assert(message(new Sequential().add(new Dense(3))).contains("needs an inputShape"))
    assert(message(new Sequential().add(new Dense(3, null, Array(2, 3)))).contains("Flatten first"))
    assert(message(new Sequential().add(new Conv2D(2, 5, 5, null, Array(1, 4, 4)))).contains("does not fit input (1, 4, 4)"))
    assert(message(new Concatenate()(Input(Array(3, 2)), Input(Array(4, 3)))).contains("agree on every axis"))
    assert(message(new Dense(3, "swish")).contains("unknown name 'swish'"))
    assert(message(KerasNames.optimMethod("nadam2")).contains("expected one of adadelta"))
    assert(intercept[IllegalStateException](new Sequential().fit(Tensor(2, 2), Tensor(2), 1, 1)).getMessage.contains("not compiled"))
  }
}
