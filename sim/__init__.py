"""fleettwin simulation engine and models."""

from typing import Any

from sim._jitcache import configure as _configure_kernel_cache

_configure_kernel_cache()  # before any kernel module is compiled or loaded from the cache


def __getattr__(name: str) -> Any:
    """``sim.__version__``, read from the installed metadata on first use (importing
    ``importlib.metadata`` costs a tenth of a second that most commands never need)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("fleettwin")
        except PackageNotFoundError:  # running from a source tree without install
            value = "0.0.0+local"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = ["__version__"]
