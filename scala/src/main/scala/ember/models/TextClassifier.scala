package ember.models

import ember.nn._

/**
 * The two text classifiers of BigDL's text-classification example (20 Newsgroups over 100-d GloVe
 * vectors, 1000 tokens per document). Both take [batch, sequenceLength, embeddingDim] embedded tokens, or
 * with `vocabSize` > 0 [batch, sequenceLength] 0-based token ids through a learnt LookupTable, and output
 * log-probabilities.
 */
object TextCNN {

  /**
   * Three 5-wide temporal convolutions of 128 maps with ReLU, max pooling over 5 frames after the first
   * two and over all remaining frames after the third, then 128 -> 100 -> classNum. With the example's
   * 100-d embeddings, 1000 tokens and 20 classes: 243,144 parameters (plus vocabSize x embeddingDim when
   * the embedding is learnt).
   */
  def apply(classNum: Int = 20, embeddingDim: Int = 100, sequenceLength: Int = 1000, vocabSize: Int = 0): Module = {
    require(classNum > 1 && embeddingDim > 0 && vocabSize >= 0, s"TextCNN: bad sizes classNum=$classNum " +
      s"embeddingDim=$embeddingDim vocabSize=$vocabSize")
    val l1 = (sequenceLength - 4) / 5
    val l2 = (l1 - 4) / 5
    val l3 = l2 - 4
    require(l3 >= 1, s"TextCNN: sequenceLength $sequenceLength is too short (at least 149 tokens)")
    val model = new Sequential()
    if (vocabSize > 0) model.add(new LookupTable(vocabSize, embeddingDim).setName("embedding"))
    model.add(new TemporalConvolution(embeddingDim, 128, 5)).add(new ReLU()).add(new TemporalMaxPooling(5, 5))
      .add(new TemporalConvolution(128, 128, 5)).add(new ReLU()).add(new TemporalMaxPooling(5, 5))
      .add(new TemporalConvolution(128, 128, 5)).add(new ReLU()).add(new TemporalMaxPooling(l3, l3))
      .add(new Reshape(Array(128))).add(new Linear(128, 100)).add(new Linear(100, classNum)).add(new LogSoftMax())
  }
}

/**
 * An LSTM over the tokens whose last hidden state is classified: Recurrent(LSTM(embeddingDim, hidden)),
 * the last step, then hidden -> 100 -> classNum (BigDL's example with hidden = 128: 132,168 parameters for
 * 100-d embeddings and 20 classes, plus the embedding when learnt).
 */
object LstmClassifier {

  def apply(classNum: Int = 20, embeddingDim: Int = 100, hiddenSize: Int = 128, vocabSize: Int = 0): Module = {
    require(classNum > 1 && embeddingDim > 0 && hiddenSize > 0 && vocabSize >= 0,
      s"LstmClassifier: bad sizes classNum=$classNum embeddingDim=$embeddingDim hiddenSize=$hiddenSize vocabSize=$vocabSize")
    val model = new Sequential()
    if (vocabSize > 0) model.add(new LookupTable(vocabSize, embeddingDim).setName("embedding"))
    // Select copies only the last step; BigDL's SplitTable + SelectTable copied every step forward and backward
    model.add(new Recurrent().add(new LSTM(embeddingDim, hiddenSize))).add(new Select(1, -1))
      .add(new Linear(hiddenSize, 100)).add(new Linear(100, classNum)).add(new LogSoftMax())
  }
}
