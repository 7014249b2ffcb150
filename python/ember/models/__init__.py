"""Reference models (mirrors the Scala package ``ember.models``); each function returns a ready model.

Every builder takes ``init`` (an initialisation method for every layer's weight, e.g. ``Xavier()``), and
those with embeddings ``embedding_init`` for their LookupTables (default N(0, 0.1), see
:class:`~ember.nn.embedding.LookupTable`). Every model outputs log-probabilities (train with
``ClassNLLCriterion``; Seq2Seq with ``TimeDistributedCriterion(ClassNLLCriterion(), True)``). Ids (tokens, users, items) are 0-based.

Examples:
    >>> from ember.models import LeNet5, ResNet
    >>> LeNet5(10).n_parameters()
    22278
    >>> ResNet(10, depth=20).n_parameters()
    269722
"""
from ember import _convert
from ember._java import call_static
from ember.nn.module import MODEL_API, Model

__all__ = ["LeNet5", "ResNet", "Vgg16", "InceptionV1", "TextCNN", "LstmClassifier", "Seq2Seq", "NeuralCF"]


def _build(name, *args, method="apply", init=None, embedding_init=None):
    """The model ``ember.models.<name>(*args)``; ``init`` re-initialises every layer's weight (biases are
    kept), then ``embedding_init`` every LookupTable's (see :mod:`ember.nn.initialization_method`)."""
    model = Model.of(call_static(f"ember.models.{name}", method, *args))
    if init is not None:
        model.set_init_method(init)
    if embedding_init is not None:
        for m in _modules(model):
            if type(m).__name__ == "LookupTable":
                m.set_init_method(embedding_init)
    return model


def _modules(model):
    """``model`` and all its descendants."""
    out = [model]
    for child in call_static(MODEL_API, "children", model.value):
        out += _modules(Model.of(child))
    return out


def LeNet5(class_num=10, init=None):
    """LeNet-5 as in Ember's example: input (N, 784) or (N, 1, 28, 28); 22,278 parameters for 10 classes."""
    return _build("LeNet5", int(class_num), init=init)


def ResNet(class_num=10, depth=20, init=None):
    """ResNet for 32x32 images (He et al. 2016, section 4.2), depth 6n + 2, option-A shortcuts, as a graph.

    ResNet-20 has 269,722 parameters. Input (N, 3, 32, 32).
    """
    # py4j sees no Scala default arguments: inPlaceRelu (true, the Scala default) is passed explicitly
    return _build("ResNet", int(class_num), int(depth), True, init=init)


def Vgg16(class_num=1000, image_size=224, hidden=4096, init=None):
    """VGG-16 (configuration D): 138,357,544 parameters for 224x224 and 1000 classes; ``image_size`` (a
    multiple of 32) and ``hidden`` scale it down. Input (N, 3, image_size, image_size)."""
    return _build("Vgg16", int(class_num), int(image_size), int(hidden), init=init)


def InceptionV1(class_num=1000, init=None):
    """Inception-v1 / GoogLeNet without auxiliary classifiers: 6,998,552 parameters for 1000 classes.
    Input (N, 3, H, W), H and W at least 64 (224 in the paper)."""
    return _build("InceptionV1", int(class_num), init=init)


def TextCNN(class_num=20, embedding_dim=100, sequence_length=1000, vocab_size=0, init=None, embedding_init=None):
    """BigDL's text-classification CNN: input (N, L, embedding_dim) vectors, or (N, L) token ids when
    ``vocab_size`` > 0 (a learnt LookupTable). 243,144 parameters for the example's sizes.

    ``sequence_length`` must be at least 149 tokens: three convolutions of width 5, the first two followed
    by max pooling over 5 steps, leave (((L - 4) // 5 - 4) // 5 - 4) steps, which must be at least 1."""
    return _build("TextCNN", int(class_num), int(embedding_dim), int(sequence_length), int(vocab_size), init=init,
                  embedding_init=embedding_init)


def LstmClassifier(class_num=20, embedding_dim=100, hidden_size=128, vocab_size=0, init=None, embedding_init=None):
    """LSTM text classifier over (N, L, embedding_dim) vectors or (N, L) ids: the last hidden state through
    hidden -> 100 -> classes. 132,168 parameters for the example's sizes."""
    return _build("LstmClassifier", int(class_num), int(embedding_dim), int(hidden_size), int(vocab_size), init=init,
                  embedding_init=embedding_init)


def Seq2Seq(src_vocab, tgt_vocab, embedding_dim=32, hidden_size=64, attention=False, init=None, embedding_init=None):
    """LSTM encoder-decoder: inputs ``[source ids (N, S), decoder input ids (N, T)]``, output (N, T, tgt_vocab).

    With ``attention=True`` every decoder state attends over the encoder outputs (Luong's global dot-product
    attention, :class:`ember.nn.layer.Attention`). Decode with :mod:`ember.models.decoding`.
    """
    args = (int(src_vocab), int(tgt_vocab), int(embedding_dim), int(hidden_size))
    return _build("Seq2Seq", *args, method="withAttention" if attention else "apply", init=init,
                  embedding_init=embedding_init)


def NeuralCF(user_count, item_count, num_classes, user_embed=20, item_embed=20, hidden_layers=(40, 20, 10),
             include_mf=True, mf_embed=20, init=None, embedding_init=None):
    """Neural collaborative filtering (NeuMF): input (N, 2) of 0-based (user, item) ids, output (N, num_classes)."""
    return _build("NeuralCF", int(user_count), int(item_count), int(num_classes), int(user_embed), int(item_embed),
                  _convert.int_array(list(hidden_layers), "hidden_layers"), bool(include_mf), int(mf_embed), init=init,
                  embedding_init=embedding_init)
