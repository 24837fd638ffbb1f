"""The scikit-learn estimator contract without depending on scikit-learn:
constructor arguments are stored under their own names, and
``get_params``/``set_params`` read them from the constructor's signature,
so ``sklearn.base.clone``, ``GridSearchCV`` and ``Pipeline`` work."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from .errors import InputError


class Params:
    """Mixin: ``get_params``/``set_params`` from ``__init__``'s signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name (scikit-learn's contract)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        """Sets constructor arguments by name; returns the estimator."""
        known = self._param_names()
        for name, value in params.items():
            if name not in known:
                raise InputError(
                    f"{type(self).__name__} has no parameter '{name}'; its parameters are "
                    + ", ".join(known)
                )
            setattr(self, name, value)
        return self

    #: "regressor", "classifier" or None (scikit-learn's estimator type).
    _estimator_type: Any = None

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags (1.6 and later) for this estimator's type."""
        utils = importlib.import_module("sklearn.utils")
        kind = self._estimator_type
        return utils.Tags(
            estimator_type=kind,
            target_tags=utils.TargetTags(
                required=kind is not None, multi_output=kind == "regressor"
            ),
            transformer_tags=None,
            classifier_tags=utils.ClassifierTags() if kind == "classifier" else None,
            regressor_tags=utils.RegressorTags() if kind == "regressor" else None,
        )

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items()
            if not _same(v, defaults.get(k, inspect.Parameter.empty))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError):  # arrays compare elementwise
        return False
