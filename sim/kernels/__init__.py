"""Compiled (numba) kernels that advance large device populations window by window."""
