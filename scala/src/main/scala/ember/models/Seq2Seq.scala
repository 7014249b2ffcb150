package ember.models

import ember.nn._

/**
 * A sequence-to-sequence encoder-decoder (Sutskever et al. 2014; BigDL's `Seq2seq` with LSTM encoder and
 * decoder): an LSTM encodes the embedded source tokens; its last hidden state is the initial hidden state
 * of a decoder LSTM that reads the embedded target tokens shifted right (teacher forcing); a per-step
 * classifier gives log-probabilities of the next target token. A [[Graph]] with two inputs: source ids
 * [batch, srcLength] and decoder input ids [batch, tgtLength] (0-based); output [batch, tgtLength,
 * tgtVocab]. Train with TimeDistributedCriterion(ClassNLLCriterion()).
 * Parameters: srcVocab*E + tgtVocab*E + 2 * 4H(E + H + 1) + (H + 1) * tgtVocab.
 */
object Seq2Seq {

  def apply(srcVocab: Int, tgtVocab: Int, embeddingDim: Int = 32, hiddenSize: Int = 64): Module = {
    require(srcVocab > 0 && tgtVocab > 1 && embeddingDim > 0 && hiddenSize > 0,
      s"Seq2Seq: bad sizes srcVocab=$srcVocab tgtVocab=$tgtVocab embeddingDim=$embeddingDim hiddenSize=$hiddenSize")
    val (src, tgt) = (Input("source"), Input("target"))
    val encoded = new Recurrent().setName("encoder").add(new LSTM(embeddingDim, hiddenSize))
      .inputs(new LookupTable(srcVocab, embeddingDim).setName("sourceEmbedding").inputs(src))
    val state = new SelectTable(-1).inputs(new SplitTable(1).inputs(encoded))
    val decoded = new Recurrent().setName("decoder").add(new LSTM(embeddingDim, hiddenSize))
      .inputs(new LookupTable(tgtVocab, embeddingDim).setName("targetEmbedding").inputs(tgt), state)
    val logits = new TimeDistributed(new Linear(hiddenSize, tgtVocab).setName("generator")).inputs(decoded)
    Graph(Seq(src, tgt), Seq(new TimeDistributed(new LogSoftMax()).inputs(logits)))
  }

  /**
   * The same encoder-decoder with Luong's global dot-product attention (Luong et al. 2015): every decoder
   * state attends over all encoder outputs ([[Attention]]); the context and the decoder state are joined
   * and mapped by `tanh(W [context; state])` (hiddenSize values) before the per-step classifier. Inputs and
   * output as [[apply]]. Parameters: those of [[apply]] plus 2H * H + H.
   */
  def withAttention(srcVocab: Int, tgtVocab: Int, embeddingDim: Int, hiddenSize: Int): Module = {
    require(srcVocab > 0 && tgtVocab > 1 && embeddingDim > 0 && hiddenSize > 0,
      s"Seq2Seq: bad sizes srcVocab=$srcVocab tgtVocab=$tgtVocab embeddingDim=$embeddingDim hiddenSize=$hiddenSize")
    val (src, tgt) = (Input("source"), Input("target"))
    val encoded = new Recurrent().setName("encoder").add(new LSTM(embeddingDim, hiddenSize))
      .inputs(new LookupTable(srcVocab, embeddingDim).setName("sourceEmbedding").inputs(src))
    val state = new SelectTable(-1).inputs(new SplitTable(1).inputs(encoded))
    val decoded = new Recurrent().setName("decoder").add(new LSTM(embeddingDim, hiddenSize))
      .inputs(new LookupTable(tgtVocab, embeddingDim).setName("targetEmbedding").inputs(tgt), state)
    val context = new Attention().setName("attention").inputs(decoded, encoded)
    val joined = new JoinTable(2).inputs(context, decoded)
    val attentional = new TimeDistributed(new Linear(2 * hiddenSize, hiddenSize).setName("combine")).inputs(joined)
    val logits = new TimeDistributed(new Linear(hiddenSize, tgtVocab).setName("generator"))
      .inputs(new Tanh().inputs(attentional))
    Graph(Seq(src, tgt), Seq(new TimeDistributed(new LogSoftMax()).inputs(logits)))
  }
}
