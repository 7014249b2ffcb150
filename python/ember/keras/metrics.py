"""The Keras metrics that Ember's other validation methods do not cover (compile's "accuracy" picks them by loss)."""
from ember._java import JavaValue
from ember.optim.validation import ValidationMethod


class BinaryAccuracy(ValidationMethod):
    """The share of outputs on the right side of 0.5 for 0/1 targets (Keras' "binary_accuracy")."""

    _java_class = "ember.keras.BinaryAccuracy"

    def __init__(self):
        JavaValue.__init__(self, None)


class CategoricalAccuracy(ValidationMethod):
    """Top-1 accuracy against one-hot target rows (Keras' "categorical_accuracy")."""

    _java_class = "ember.keras.CategoricalAccuracy"

    def __init__(self):
        JavaValue.__init__(self, None)


__all__ = ["BinaryAccuracy", "CategoricalAccuracy"]
