"""fleettwin simulation engine and models."""

from importlib.metadata import PackageNotFoundError, version

from sim._jitcache import configure as _configure_kernel_cache

_configure_kernel_cache()  # before any kernel module is compiled or loaded from the cache

try:
    __version__ = version("fleettwin")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
