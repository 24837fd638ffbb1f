"""Deprecated: binary codes and product quantisation now live in
:mod:`repscope.compress`, next to the rest of compression (as in the core's
``repscope::compress``)."""

from ._compat import moved
from .compress import ProductQuantizer, binary_search, hamming_search, quantize_binary

moved("codes", "compress")

__all__ = ["quantize_binary", "hamming_search", "binary_search", "ProductQuantizer"]
