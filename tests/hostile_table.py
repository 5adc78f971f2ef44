"""A W&B runs-table export whose column names, cell values, sweep ids, groups and file name are hostile
Markdown/HTML pointing at `host`: images, links, bare URLs, icons and raw HTML."""

from __future__ import annotations

import random

import pandas as pd

# Category levels: no "/" in them, or they would read as paths (identifiers) rather than levels.
LEVELS = [":red[adam] www.evil.test", "[sgd](mailto:x@evil.test)"]


def hostile_texts(host: str) -> dict[str, str]:
    return {
        "image": f"![x](http://{host}/pixel.png)",
        "link": f"[re-enter your W&B key](http://{host}/login)",
        "bare": f"https://{host}/bare",
        "icon": ":material/key: www.evil.test",
        "html": f"<img src=http://{host}/html.png>",
        "anchor": f"<a href='http://{host}/chart'>drag</a>",  # Plotly's own HTML dialect
    }


def hostile_file_name(host: str) -> str:
    return f"[key](http://{host}/k) ![i](http://{host}/f.png).csv"


def hostile_runs_csv(host: str, n_runs: int = 40) -> bytes:
    """Config columns then summary columns, each sorted, as W&B's export writes them."""
    text = hostile_texts(host)
    rng = random.Random(0)
    rows = []
    for i in range(n_runs):
        config = {
            text["image"]: rng.choice([1e-4, 1e-3, 1e-2]),
            text["link"]: rng.choice([text["image"], text["html"], text["bare"]]),
            text["bare"]: rng.randint(1, 9),
            text["html"]: rng.random(),
            text["icon"]: rng.choice([True, False]),
            "optimizer": rng.choice(LEVELS),
            text["anchor"]: rng.choice([0.1, 0.2, 0.4]),
            "scheduler": rng.choice([text["anchor"], "cosine"]),
        }
        summary = {
            f"{text['link']} loss": rng.random(),
            f"{text['image']} acc": rng.random(),
            f"{text['anchor']} val_loss": rng.random(),
        }
        row = {
            "Name": f"run-{i} {text['link']}",
            "State": "finished",
            "Sweep": text["image"] if i % 2 else text["bare"],
            "Group": text["html"] if i % 2 else text["icon"],
        }
        rows.append(row | dict(sorted(config.items())) | dict(sorted(summary.items())))
    return pd.DataFrame(rows).to_csv(index=False).encode()
