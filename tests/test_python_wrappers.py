"""Every public JVM layer, criterion, optim method and validation method has its Python wrapper: a class
registered under the JVM class name, or a callable of the same name in the BigDL-named modules (e.g.
BigDL's ``Input()``, a function returning a graph node). Driven by the classes in Ember's jar."""
import importlib
import zipfile

import ember

PUBLIC_MODULES = ["ember.nn.layer", "ember.nn.criterion", "ember.optim.optimizer", "ember.optim.validation",
                  "ember.nn.initialization_method"]
BASES = ["ember.nn.Module", "ember.nn.Criterion", "ember.optim.OptimMethod", "ember.optim.ValidationMethod"]


def test_every_public_jvm_class_has_a_python_wrapper(sc):
    from ember._java import _lookup, jvm

    modules = [importlib.import_module(m) for m in PUBLIC_MODULES]
    lang = jvm().java.lang
    modifier = lang.reflect.Modifier
    bases = [lang.Class.forName(b) for b in BASES]
    checked, missing = 0, []
    for entry in zipfile.ZipFile(ember.jar_path()).namelist():
        if not entry.startswith(("ember/nn/", "ember/optim/")) or not entry.endswith(".class") or "$" in entry:
            continue
        name = entry[:-len(".class")].replace("/", ".")
        cls = lang.Class.forName(name)
        mods = cls.getModifiers()
        if not modifier.isPublic(mods) or modifier.isAbstract(mods) or cls.isInterface() or not cls.getConstructors():
            continue
        if not any(b.isAssignableFrom(cls) for b in bases):
            continue
        checked += 1
        simple = name.rsplit(".", 1)[1]
        if _lookup(name) is None and not any(callable(getattr(m, simple, None)) for m in modules):
            missing.append(name)
    assert checked > 100, checked  # the jar was read
    assert not missing, f"JVM classes without a Python wrapper: {missing}"
