"""Containers: :class:`Container` (base) and :class:`Sequential`."""
from ember._java import call_static
from ember.nn.module import MODEL_API, Model


class Container(Model):
    """A module made of sub-modules."""

    _java_class = "ember.nn.Container"

    def add(self, module):
        """Appends ``module``; returns ``self`` so calls chain."""
        if not isinstance(module, Model):
            raise TypeError(f"add: expected an Ember layer, got {type(module).__name__}")
        self._call("add", module.value)
        return self

    @property
    def modules(self):
        """The direct children, as Python wrappers."""
        return [Model.of(m) for m in call_static(MODEL_API, "children", self.value)]

    def __len__(self):
        return len(call_static(MODEL_API, "children", self.value))

    def __getitem__(self, i):
        return self.modules[i]


class Sequential(Container):
    """Runs its modules one after the other.

    Examples:
        >>> import numpy as np
        >>> from ember.nn.layer import Sequential, Linear, ReLU
        >>> model = Sequential().add(Linear(4, 8)).add(ReLU()).add(Linear(8, 2))
        >>> model.forward(np.zeros((3, 4))).shape
        (3, 2)
    """

    _java_class = "ember.nn.Sequential"

    def __init__(self):
        super().__init__(None)
