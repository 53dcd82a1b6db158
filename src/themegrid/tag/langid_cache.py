"""The language classifier, loaded from a decompressed copy of its model when there is one.

``py3langid`` ships its model as an LZMA-compressed archive; loading it
decompresses 68 MB, about 0.7 s of CPU, in every ``themegrid code`` run that
meets a segment its function words cannot place (see :mod:`themegrid.tag.codable`):
half of a run that adds one file to a million words. The first load writes the
model's arrays, uncompressed, to a cache folder
(``$THEMEGRID_CACHE_DIR``, else ``$XDG_CACHE_HOME/themegrid``, else
``~/.cache/themegrid``), keyed by the model file's SHA-256 and the package's
version; later loads map them from disk in a few milliseconds. The cache may be
deleted at any time. Anything unexpected (no writable cache folder, a truncated
file, a package whose classifier is built differently) falls back to the
package's own loader: the classifier is the same either way (a test compares
their answers).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from array import array
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy

CACHE_DIR_ENV = "THEMEGRID_CACHE_DIR"
#: The arrays of a py3langid model, as ``LanguageIdentifier`` holds them.
_ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")
_TYPECODES = {2: "H", 4: "I", 8: "L"}
LOG = logging.getLogger(__name__)


def cache_root() -> Path:
    """Where themegrid keeps caches shared by every project of this user."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "themegrid"


def load_identifier() -> Any:
    """py3langid's ``LanguageIdentifier`` (probabilities normalised), from the cache when
    it holds this model, else from the package (and the cache written for next time)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = Path(MODEL_DIR) / MODEL_FILE
    folder: Path | None = None
    try:
        folder = cache_root() / f"langid-{_key(model)}"
        if folder.is_dir():
            return _from_cache(LanguageIdentifier, folder)
    except Exception as exc:  # a damaged cache: the package's loader, and a fresh copy
        LOG.debug("language model cache not used: %s", exc)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if folder is not None:
        _write(identifier, folder)
    return identifier


def _key(model: Path) -> str:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    try:
        release = version("py3langid")
    except PackageNotFoundError:
        release = "unknown"
    return f"{release}-{digest}"


def _from_cache(cls: Any, folder: Path) -> Any:
    loaded = {name: numpy.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
    return cls(
        loaded["ptc"],
        loaded["pc"],
        [str(c) for c in loaded["classes"]],
        _to_array(loaded["nextmove"]),
        loaded["output"].tolist(),
        norm_probs=True,
        tk_row=_to_array(loaded["row"]),
    )


def _to_array(values: numpy.ndarray) -> array:
    """A stdlib array of the numpy array's unsigned integers (as py3langid's loader makes)."""
    out = array(_TYPECODES[values.dtype.itemsize])
    out.frombytes(numpy.ascontiguousarray(values).tobytes())
    return out


def _write(identifier: Any, folder: Path) -> None:
    """The identifier's arrays as ``.npy`` files in ``folder``, all or none (renamed into
    place as one folder); a failure leaves no cache and is not an error."""
    tmp: Path | None = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        arrays = {
            "ptc": numpy.asarray(identifier.nb_ptc),
            "pc": numpy.asarray(identifier.nb_pc),
            "classes": numpy.array(list(identifier.nb_classes)),
            "nextmove": _as_numpy(identifier.tk_nextmove),
            "row": _as_numpy(identifier.tk_row),
            "output": numpy.asarray(identifier.tk_output, dtype=numpy.int64),
        }
        for name, values in arrays.items():
            numpy.save(tmp / f"{name}.npy", values, allow_pickle=False)
        os.rename(tmp, folder)  # another run may have won the race: then its copy stays
        tmp = None
    except Exception as exc:
        LOG.debug("language model cache not written: %s", exc)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _as_numpy(values: array) -> numpy.ndarray:
    dtype = {"H": numpy.uint16, "I": numpy.uint32, "L": numpy.uint64}[values.typecode]
    if values.itemsize != numpy.dtype(dtype).itemsize:
        raise ValueError(f"unexpected array item size {values.itemsize}")
    return numpy.frombuffer(values, dtype=dtype)
