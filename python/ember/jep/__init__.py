"""Python inside the JVM through jep (``pip install ember-dl[jep]``): layers and losses written as numpy functions
that Ember's JVM runs itself during local and distributed training, with no Python worker and no py4j call per
batch (Scala package ``ember.jep``). The classes live in ``ember.nn`` (``ember.nn.layer.PythonModule``) and are
re-exported here; :mod:`ember.jep.functions` has ready-made functions."""
from ember.nn.criterion_python import PythonCriterion
from ember.nn.python_code import Lambda, PythonModule, function_ref, use_this_python

__all__ = ["PythonModule", "Lambda", "PythonCriterion", "function_ref", "use_this_python"]
