"""Keep Streamlit's garbage collection after every script run cheap.

Streamlit runs `gc.collect(2)` after each script run (`runner.postScriptGC`). Once pandas,
scikit-learn, plotly and Streamlit are imported the heap holds ~200,000 long-lived objects, and each
full collection walks all of them holding the GIL (~0.2 s here): with twenty visitors every rerun
waits behind everyone else's collections. `gc.freeze()` moves the objects alive at that moment
out of the collector's sight for good; later collections walk only what was made since, so the
sessions' own garbage is still collected after each run.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_heap() -> bool:
    """Once per process: collect what is garbage now, then freeze everything still alive (the
    imported modules, the cached demo). Returns whether this call froze it."""
    global _frozen
    if _frozen:
        return False
    with _lock:
        if _frozen:
            return False
        gc.collect()  # frozen garbage would never be freed: collect it first
        gc.freeze()
        _frozen = True
        return True
