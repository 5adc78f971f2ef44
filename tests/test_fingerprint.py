import numpy as np
import pandas as pd

from lib.fingerprint import frame_fingerprint


def big_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"lr": rng.uniform(size=60_000), "opt": rng.choice(["a", "b"], 60_000), "m": rng.normal(size=60_000)},
        index=[f"r{i}" for i in range(60_000)],
    )


def test_same_data_same_fingerprint() -> None:
    assert frame_fingerprint(big_frame()) == frame_fingerprint(big_frame())


def test_any_single_cell_edit_changes_the_fingerprint() -> None:
    base = frame_fingerprint(big_frame())
    rng = np.random.default_rng(1)
    for row in rng.integers(0, 60_000, 10):
        edited = big_frame()
        edited.iloc[row, 0] += 1e-9
        assert frame_fingerprint(edited) != base


def test_index_column_names_and_mixed_objects_count() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [{"a": 1}, [1, 2]]}, index=["a", "b"])
    assert frame_fingerprint(frame) != frame_fingerprint(frame.set_axis(["a", "c"]))
    assert frame_fingerprint(frame) != frame_fingerprint(frame.rename(columns={"x": "z"}))
