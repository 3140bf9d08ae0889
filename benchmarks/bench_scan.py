"""Benchmark `hotelmate-rt scan` on a generated 20,000-file tree against naive `ast.parse`.

It also times the scan without a contract (cross-side drift, privacy, lifecycle) and `contract
infer` on the same tree.
The tree mixes Python (Django-style models, views, serializers) and JS/TS/JSX/TSX (React
components and hooks) of realistic sizes; about 1 file in 20 uses Pusher (triggers, wrappers,
subscriptions, handler maps); some React class components use `.bind(this)`, which the byte-level
prefilter lets through to the parser. The naive baseline reads and `ast.parse`s every Python file,
in the same run. Usage: `python benchmarks/bench_scan.py [--files N] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from hotelmate_rt.contracts import load_contract
from hotelmate_rt.scan import ScanRule, parse_config, scan
from hotelmate_rt.scan.infer import infer
from hotelmate_rt.scan.rules import DRIFT_RULES, LIFECYCLE_RULES

ROOT = Path(__file__).resolve().parents[1]

PY_MODEL = '''
class {name}(models.Model):
    """A {label} of a hotel."""

    hotel = models.ForeignKey("hotel.Hotel", on_delete=models.CASCADE, related_name="{label}s")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "-created_at"]
        indexes = [models.Index(fields=["hotel", "is_active"])]

    def __str__(self):
        return f"{{self.hotel.slug}}: {{self.title}}"

    def activate(self, user):
        if self.is_active:
            return False
        self.is_active = True
        self.save(update_fields=["is_active", "updated_at"])
        logger.info("%s activated %s", user, self.pk)
        return True
'''

PY_VIEW = '''
class {name}ViewSet(viewsets.ModelViewSet):
    serializer_class = {name}Serializer
    permission_classes = [IsAuthenticated, IsHotelStaff]

    def get_queryset(self):
        hotel = get_object_or_404(Hotel, slug=self.kwargs["hotel_slug"])
        queryset = {name}.objects.filter(hotel=hotel)
        search = self.request.query_params.get("q")
        if search:
            queryset = queryset.filter(Q(title__icontains=search) | Q(description__icontains=search))
        return queryset.order_by("position")

    def perform_create(self, serializer):
        hotel = get_object_or_404(Hotel, slug=self.kwargs["hotel_slug"])
        instance = serializer.save(hotel=hotel)
        cache.delete(f"{label}s:{{hotel.slug}}")
        return instance

    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None, hotel_slug=None):
        item = self.get_object()
        item.position = int(request.data.get("position", 0))
        item.save(update_fields=["position"])
        return Response({{"ok": True, "position": item.position}}, status=status.HTTP_200_OK)
'''

PY_PUSHER = [
    '''
def notify_{label}(hotel, event, data):
    pusher_client.trigger(f"private-hotel-{{hotel.slug}}-staff", event, data)


def {label}_changed(hotel, booking, room):
    channel = f"private-booking-{{booking.booking_id}}"
    transaction.on_commit(lambda: pusher_client.trigger(channel, "booking_updated", {{
        "booking_id": booking.booking_id, "updated_at": booking.updated_at.isoformat()}}))
    notify_{label}(hotel, "booking_updated", {{"booking_id": booking.booking_id,
                                               "updated_at": booking.updated_at.isoformat()}})
    pusher_client.trigger("hotel-%s" % hotel.slug, "offer-deleted",
                          {{"offer_id": 1, "offer_title": "x", "action": "deleted"}})
''',
    '''
def {label}_message(hotel, room, message, data):
    guest_channel = f"{{hotel.slug}}-room-{{room.number}}-chat"
    pusher_client.trigger(guest_channel, "new-staff-message", data)
    pusher_client.trigger("{{}}-conversation-{{}}-chat".format(hotel.slug, message.conversation_id),
                          "new-message", data)
''',
]

JS_COMPONENT = '''
export function {name}({{ hotelSlug, items, onSelect }}) {{
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState(null);
  const filtered = useMemo(
    () => items.filter((item) => item.title.toLowerCase().includes(query.toLowerCase())),
    [items, query],
  );

  useEffect(() => {{
    if (!selected) return;
    onSelect(selected);
  }}, [selected, onSelect]);

  return (
    <section className="{label}-list">
      <input value={{query}} onChange={{(e) => setQuery(e.target.value)}} placeholder="Search" />
      <ul>
        {{filtered.map((item) => (
          <li key={{item.id}} className={{item.id === selected?.id ? 'active' : ''}}>
            <button type="button" onClick={{() => setSelected(item)}}>{{item.title}}</button>
            <span>{{`${{hotelSlug}}/${{item.id}}`}}</span>
          </li>
        ))}}
      </ul>
    </section>
  );
}}
'''

JS_CLASS = '''
export class {name}Panel extends React.Component {{
  constructor(props) {{
    super(props);
    this.state = {{ open: false }};
    this.toggle = this.toggle.bind(this);
  }}

  toggle() {{
    this.setState((state) => ({{ open: !state.open }}));
  }}

  render() {{
    return <div className="{label}-panel" onClick={{this.toggle}}>{{this.state.open ? 'Hide' : 'Show'}}</div>;
  }}
}}
'''

TS_HOOK = '''
export interface {name}Item {{ id: number; title: string; position: number }}

export function use{name}(hotelSlug: string): {{ items: {name}Item[]; loading: boolean }} {{
  const [items, setItems] = useState<{name}Item[]>([]);
  const [loading, setLoading] = useState<boolean>(true);
  useEffect(() => {{
    let cancelled = false;
    fetch(`/api/staff/hotel/${{hotelSlug}}/{label}s/`)
      .then((response) => response.json() as Promise<{name}Item[]>)
      .then((data) => {{ if (!cancelled) setItems(data.sort((a, b) => a.position - b.position)); }})
      .finally(() => {{ if (!cancelled) setLoading(false); }});
    return () => {{ cancelled = true; }};
  }}, [hotelSlug]);
  return {{ items, loading }};
}}
'''

JS_PUSHER = '''
const HANDLERS_{label} = {{
  'offer-created': (data) => console.log(data),
  'offer-updated': (data) => console.log(data),
}};

export function use{name}Channel(hotelSlug, roomNumber) {{
  useEffect(() => {{
    const channel = pusher.subscribe(`hotel-${{hotelSlug}}`);
    Object.entries(HANDLERS_{label}).forEach(([event, fn]) => channel.bind(event, fn));
    const chat = pusher.subscribe(`private-${{hotelSlug}}-room-${{roomNumber}}-chat`);
    chat.bind('new-staff-message', (data) => console.log(data));
    return () => pusher.unsubscribe(`hotel-${{hotelSlug}}`);
  }}, [hotelSlug, roomNumber]);
}}
'''

PY_HEADER = ('import logging\n\nfrom django.db import models, transaction\n'
             'from django.shortcuts import get_object_or_404\n\nlogger = logging.getLogger(__name__)\n')
PY_PUSHER_HEADER = "from realtime.client import pusher_client\n"
JS_HEADER = "import React, { useEffect, useMemo, useState } from 'react';\n"
JS_PUSHER_HEADER = "import { pusher } from '../realtime/client';\n"


def generate(root: Path, count: int, seed: int = 20) -> dict[str, int]:
    """Write `count` files under `root`; about 1 in 20 uses Pusher. Return counts by kind."""
    rng = random.Random(seed)
    stats = {"python": 0, "js": 0, "pusher": 0}
    (root / "frontend" / "src" / "realtime").mkdir(parents=True, exist_ok=True)
    (root / "frontend" / "src" / "realtime" / "client.js").write_text(
        "import Pusher from 'pusher-js';\nexport const pusher = new Pusher('key', "
        "{ cluster: 'eu', channelAuthorization: { endpoint: '/api/pusher/auth/' } });\n")
    for index in range(count - 1):
        label = f"item{index}"
        name = f"Item{index}"
        uses_pusher = index % 20 == 7
        app = f"app{index % 40}"
        if index % 2 == 0:
            body = [PY_HEADER]
            if uses_pusher:
                body.append(PY_PUSHER_HEADER)
            for part in range(rng.randint(2, 5)):
                body.append((PY_MODEL if part % 2 == 0 else PY_VIEW).format(
                    name=f"{name}{part}", label=label))
            if uses_pusher:
                body.append(rng.choice(PY_PUSHER).format(label=label))
            path = root / "backend" / app / f"module_{index}.py"
            stats["python"] += 1
        else:
            ext = rng.choice((".js", ".jsx", ".ts", ".tsx"))
            typed = ext in (".ts", ".tsx")
            body = [JS_HEADER]
            if uses_pusher:
                body.append(JS_PUSHER_HEADER)
            for part in range(rng.randint(1, 3)):
                if typed:
                    template = TS_HOOK if ext == ".ts" or part % 2 else JS_COMPONENT
                else:
                    template = JS_CLASS if rng.random() < 0.08 else JS_COMPONENT
                if ext == ".ts" and template is JS_COMPONENT:
                    template = TS_HOOK
                body.append(template.format(name=f"{name}{part}", label=label))
            if uses_pusher:
                body.append(JS_PUSHER.format(name=name, label=label))
            path = root / "frontend" / "src" / app / f"Component{index}{ext}"
            stats["js"] += 1
        stats["pusher"] += uses_pusher
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(body), encoding="utf-8")
    return stats


def naive(root: Path) -> tuple[int, float]:
    """Read and `ast.parse` every Python file: the baseline."""
    started = time.perf_counter()
    count = 0
    for path in root.rglob("*.py"):
        ast.parse(path.read_bytes(), filename=str(path))
        count += 1
    return count, time.perf_counter() - started


def main() -> None:
    """Generate the tree, time the baseline and the scan, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None, help="generate into this directory")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="hotelmate-scan-bench-"))
    try:
        if args.keep is None or not any(root.iterdir()):
            stats = generate(root, args.files)
            size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
            print(f"generated {args.files} files ({stats['python']} Python, {stats['js']} JS/TS, "
                  f"{stats['pusher']} using Pusher), {size / 1e6:.1f} MB in {root}")
        contract = load_contract(ROOT / "channels.yaml")
        config = parse_config({"severity": {"uncovered-backend-event": "off",
                                            "uncovered-frontend-event": "off"}})
        scan([root / "frontend" / "src" / "realtime"], contract, config, root=root)  # warm up
        py_files, naive_seconds = naive(root)
        result = scan([root], contract, config, root=root)
        summary = result.summary()
        rate = summary["files_seen"] / result.seconds
        print(f"naive ast.parse of every Python file: {py_files} files in {naive_seconds:.2f}s "
              f"({py_files / naive_seconds:,.0f} files/s)")
        print(f"hotelmate-rt scan: {summary['files_seen']} files in {result.seconds:.2f}s "
              f"({rate:,.0f} files/s; {summary['files_parsed']} parsed, {summary['sites']} sites, "
              f"{summary['unresolved_sites']} unresolved, {summary['errors']} errors, "
              f"{summary['warnings']} warnings) on {os.cpu_count()} cores")
        drift = sum(1 for f in result.findings if f.rule in DRIFT_RULES)
        privacy = sum(1 for f in result.findings if f.rule is ScanRule.PERSONAL_DATA_PUBLIC)
        lifecycle = sum(1 for f in result.findings if f.rule in LIFECYCLE_RULES)
        print(f"  with drift, privacy and lifecycle on: {drift} drift finding(s), {privacy} "
              f"privacy finding(s), {lifecycle} lifecycle finding(s)")
        bare = scan([root], None, config, root=root)
        print(f"hotelmate-rt scan without a contract (drift, privacy, lifecycle): {bare.seconds:.2f}s "
              f"({summary['files_seen'] / bare.seconds:,.0f} files/s)")
        started = time.perf_counter()
        drafted = infer([root], root=root)
        infer_seconds = time.perf_counter() - started
        print(f"hotelmate-rt contract infer: {infer_seconds:.2f}s "
              f"({summary['files_seen'] / infer_seconds:,.0f} files/s; {len(drafted.channels)} "
              f"channels, {len(drafted.events)} events drafted)")
        serial = scan([root], contract, config, root=root, parallel=False)
        print(f"hotelmate-rt scan, one process: {serial.seconds:.2f}s "
              f"({summary['files_seen'] / serial.seconds:,.0f} files/s)")
        print(f"target 5,000 files/s (scan with drift, privacy and lifecycle on): "
              f"{'met' if rate >= 5000 else 'NOT met'}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
