package ember.nn

/** exp(x_i) / sum_j exp(x_j) over the feature dimension (see [[SoftMaxBase]] for which one). */
class SoftMax() extends SoftMaxBase("SoftMax", log = false)
