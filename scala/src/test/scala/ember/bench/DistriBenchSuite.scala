package ember.bench

import org.scalatest.funsuite.AnyFunSuite

/** The distributed bench's options (the bench itself runs in bench/, not in the tests). */
class DistriBenchSuite extends AnyFunSuite {
  test("--variants gives the settings of each variant, --rounds how often they alternate; malformed ones are refused") {
    val a = DistriBench.parse(Array("--variants", "spark.ember.overlapGradients=true,spark.ember.chunkBytes=1k|" +
      "spark.ember.overlapGradients=false", "--rounds", "3", "--models", "lenet5"))
    assert(a.variants == Seq(Seq("spark.ember.overlapGradients" -> "true", "spark.ember.chunkBytes" -> "1k"),
      Seq("spark.ember.overlapGradients" -> "false")))
    assert(a.rounds == 3 && a.models == Seq("lenet5"))
    assert(DistriBench.parse(Array.empty).variants == Seq(Nil) && DistriBench.parse(Array.empty).rounds == 1)
    val e = intercept[IllegalArgumentException](DistriBench.parse(Array("--variants", "overlap")))
    assert(e.getMessage.contains("k=v") && e.getMessage.contains("overlap"))
  }
}
