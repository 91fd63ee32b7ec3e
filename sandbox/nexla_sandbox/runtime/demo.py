"""Demo data: realistic nested order files for the guide's S3 pipeline (used by the demo and tests).

`write_demo_data(data_dir)` writes `orders-NNN.json` files into `<data_dir>/s3/ingest/orders/`
(file 1 as a JSON array, the others one object per line) and creates the `s3/` root, so an s3
credential probes successfully afterwards. A few orders are malformed: one line item's `qty` is a
word, which the runtime quarantines as a bad record (the whole order is set aside).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import random
from typing import Any

ORDERS_PATH = "ingest/orders/"
STATUSES = ("NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")
_CITIES = ("Lisbon", "Austin", "Osaka", "Nairobi", "Oslo", "Lima", "Pune", "Leeds")
_SKUS = tuple(f"SKU-{n:04d}" for n in range(1, 41))
_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Lee")


@dataclasses.dataclass(frozen=True)
class DemoData:
    """What `write_demo_data` wrote; counts let tests check a run's output exactly."""

    paths: list[pathlib.Path]
    orders: list[dict]
    cancelled: int
    malformed_order_ids: list[str]
    line_items: int
    expected_line_items: int
    """Line items of orders that are neither CANCELLED nor malformed (what the guide's sink receives)."""


def _order(rng: random.Random, number: int) -> dict:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    items: list[dict[str, Any]] = [
        {"sku": rng.choice(_SKUS), "qty": rng.randint(1, 5), "price": round(rng.uniform(2, 250), 2)}
        for _ in range(rng.randint(1, 4))
    ]
    return {
        "order_id": f"ORD-{number:06d}",
        "created_at": f"2025-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:00Z",
        "status": rng.choices(STATUSES, weights=(3, 4, 3, 4, 2))[0],
        "customer": {
            "id": f"C-{rng.randint(1000, 9999)}",
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "address": {"city": rng.choice(_CITIES), "country": rng.choice(("PT", "US", "JP", "KE", "NO"))},
        },
        "line_items": items,
        "total": round(sum(item["qty"] * item["price"] for item in items), 2),
    }


def write_demo_data(data_dir: pathlib.Path, *, orders: int = 200, files: int = 2, seed: int = 7) -> DemoData:
    """Write `orders` orders split over `files` files under `<data_dir>/s3/ingest/orders/`."""
    if orders < 1 or files < 1:
        raise ValueError("orders and files must be at least 1")
    rng = random.Random(seed)
    folder = pathlib.Path(data_dir) / "s3" / ORDERS_PATH
    folder.mkdir(parents=True, exist_ok=True)
    made = [_order(rng, n) for n in range(1, orders + 1)]
    malformed: list[str] = []
    for order in made[5::max(orders // 3, 7)][:3]:
        order["status"] = "PAID"
        order["line_items"][0]["qty"] = "two"
        malformed.append(order["order_id"])
    paths = []
    per_file = -(-orders // files)
    for index in range(files):
        chunk = made[index * per_file:(index + 1) * per_file]
        if not chunk:
            break
        path = folder / f"orders-{index + 1:03d}.json"
        if index == 0:
            path.write_text(json.dumps(chunk, indent=1))
        else:
            path.write_text("".join(json.dumps(order) + "\n" for order in chunk))
        paths.append(path)
    good = [o for o in made if o["status"] != "CANCELLED" and o["order_id"] not in malformed]
    return DemoData(
        paths=paths,
        orders=made,
        cancelled=sum(o["status"] == "CANCELLED" for o in made),
        malformed_order_ids=malformed,
        line_items=sum(len(o["line_items"]) for o in made),
        expected_line_items=sum(len(o["line_items"]) for o in good),
    )
