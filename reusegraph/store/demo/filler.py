"""Deterministic, clearly fictional filler around the facts (and the benchmark's big data set).

Everything comes from ``random.Random`` seeded per purpose (``f"{seed}:{code}"`` for one
municipality's processes), so the same arguments always give the same rows, and one
municipality's rows do not change when the number of municipalities does. ``iter_generate``
yields one chunk per municipality, so 100 x 1 000 processes x 24 months of benefits never
sit in memory at once; ``generate`` joins the chunks for callers that want one object.

Fictional codes never collide with real ones: DK-0900..DK-0999 and NO-9900..NO-9999.
Filler never adds rows to the real municipalities (their benefit totals must stay exact);
it only links to facts (reuse links to Skanderborg's process) when given their ids.

Every process in OPERATION gets a MEASURED and an ESTIMATED record per month it ran in the
window, so estimates can be compared with realised savings.

Ids of generated processes and benefit records are UUIDv8 (RFC 9562, custom layout) whose
top 48 bits count up in insertion order (municipality, process, month, kind) and whose
other bits are random. Primary-key inserts then append to the B-tree instead of hitting a
random leaf each: with random UUIDv4 ids the 100 x 1 000 x 24 load slowed down as the
indexes outgrew shared_buffers (measured 137 s against 117 s with these ids).
"""

import random
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from reusegraph.store.demo import filler_templates as tpl
from reusegraph.store.demo.facts import CURRENCY, SOURCE_CODE
from reusegraph.store.demo.facts_benefits import first_full_month
from reusegraph.store.demo.facts_benefits import months as month_range
from reusegraph.store.demo.filler_network import Proc, build_network, link
from reusegraph.store.demo.filler_org import (
    AgreementsOf,
    Muni,
    municipalities,
    pick,
    shared_rows,
    stamp,
    vendor_ids,
)
from reusegraph.store.demo.rows import DemoRows, process_row
from reusegraph.store.enums import (
    ASSESSMENT_FIELDS,
    BenefitKind,
    Level,
    Phase,
    RunPeriod,
    Status,
    Visibility,
)

FillerData = DemoRows
Origins = Mapping[str, tuple[uuid.UUID, str]]

HOURLY_RATE = {"DK": 420, "NO": 580}  # fictional, for money_amount
# Mostly in operation, so that 100 x 1 000 processes x 24 months give ~2.4M benefit rows.
PHASES = [
    (Phase.OPERATION, 55),
    (Phase.IMPLEMENTATION, 10),
    (Phase.DEVELOPMENT, 12),
    (Phase.IDEA, 10),
    (Phase.PREANALYSIS, 5),
    (Phase.SPECIFICATION, 4),
    (Phase.DECOMMISSIONED, 2),
    (Phase.RAPID, 2),
]
EARLY_STATUSES = [
    (Status.NOT_RATED, 4),
    (Status.PENDING, 4),
    (Status.REJECTED, 1),
    (Status.NOT_RELEVANT, 1),
]
VISIBILITY = [(Visibility.PUBLIC, 80), (Visibility.MUNICIPALITY, 10), (Visibility.PERSONAL, 10)]
RUNS_PER_YEAR = {
    RunPeriod.DAILY: (1000, 60000),
    RunPeriod.WEEKLY: (500, 10000),
    RunPeriod.MONTHLY: (100, 5000),
    RunPeriod.ONDEMAND: (200, 20000),
    RunPeriod.QUATERLY: (50, 2000),
    RunPeriod.YEARLY: (20, 1000),
}
LEVELS = [level.value for level in Level if level is not Level.NOT_SET]


_ASCII: dict[str, str | int | None] = {"æ": "ae", "ø": "oe", "å": "aa", " ": "."}


def ordered_id(rng: random.Random, municipality: int, process: int, slot: int) -> uuid.UUID:
    """A UUIDv8 that sorts by (municipality, process, slot); see the module docstring."""
    if not (municipality < 1 << 10 and process < 1 << 20 and slot < 1 << 18):
        raise ValueError("too many municipalities, processes or months for ordered ids")
    prefix = municipality << 38 | process << 18 | slot
    bits = rng.getrandbits(74)
    value = prefix << 80 | 8 << 76 | (bits >> 62) << 64 | 2 << 62 | (bits & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def _ascii(text: str) -> str:
    return text.lower().translate(str.maketrans(_ASCII))


class _Municipality:
    """One municipality's processes and benefits, from its own random stream."""

    def __init__(
        self,
        seed: int,
        ordinal: int,
        muni: Muni,
        window: list[date],
        agreements: AgreementsOf,
        origins: Origins,
    ) -> None:
        self.seed, self.ordinal, self.muni, self.window = seed, ordinal, muni, window
        self.agreements = agreements.get(muni.code, [])
        self.vendors = vendor_ids()[muni.country]
        self.origins = origins
        self.rng = random.Random(f"{seed}:{muni.code}")
        self.rows = FillerData()
        self.procs: list[Proc] = []

    def build(self, count: int, with_certificates: bool) -> None:
        templates = tpl.DK_TEMPLATES if self.muni.country == "DK" else tpl.NO_TEMPLATES
        templates = [t for t in templates if with_certificates or t.key != tpl.LAEGEERKLAERINGER]
        order = self.rng.sample(templates, len(templates))
        order.sort(key=lambda t: t.key != tpl.LAEGEERKLAERINGER)
        qualifiers = tpl.QUALIFIERS[self.muni.country]
        for i in range(count):
            t, rep = order[i % len(order)], i // len(order)
            title = t.title
            if rep:  # more processes than templates (the benchmark): qualify the title
                title += f" - {qualifiers[(rep - 1) % len(qualifiers)]}"
                if rep > len(qualifiers):
                    title += f" ({(rep - 1) // len(qualifiers) + 2})"
            self._process(i, t, title, rep)

    def _dates(self, phase: Phase) -> tuple[date, date | None, date | None]:
        """created, put into operation, decommissioned."""
        rng, start, end = self.rng, self.window[0], self.window[-1]
        if phase is Phase.OPERATION:
            if rng.random() < 0.8:
                put = start - timedelta(days=rng.randint(1, 900))
            else:
                put = start + timedelta(days=rng.randint(0, (end - start).days))
            return put - timedelta(days=rng.randint(60, 400)), put, None
        if phase is Phase.DECOMMISSIONED:
            put = start - timedelta(days=rng.randint(300, 1200))
            gone = put + timedelta(days=rng.randint(90, 280))
            return put - timedelta(days=rng.randint(60, 400)), put, gone
        return end - timedelta(days=rng.randint(0, 1000)), None, None

    def _process(self, i: int, t: tpl.Template, title: str, rep: int) -> None:
        rng, muni, country = self.rng, self.muni, self.muni.country
        pid = ordered_id(rng, self.ordinal, i, 0)
        phase = pick(rng, PHASES)
        created, put, gone = self._dates(phase)
        end = self.window[-1]
        updated = created + timedelta(days=rng.randint(0, max(0, (end - created).days)))
        if phase in (Phase.IDEA, Phase.PREANALYSIS):
            status: Status | None = pick(rng, EARLY_STATUSES)
        elif phase is Phase.DECOMMISSIONED:
            status = rng.choice([Status.FAILED, Status.REJECTED])
        elif phase is Phase.RAPID:
            status = None
        else:
            status = Status.INPROGRESS if rng.random() < 0.85 else Status.PENDING
        run_period = rng.choice(list(RUNS_PER_YEAR))
        runs = rng.randint(*RUNS_PER_YEAR[run_period])
        automation = rng.randrange(40, 101, 5)
        minutes = min(240.0, max(0.5, round(rng.randint(40, 3000) * 6000 / (runs * automation), 1)))
        agreement = vendor = None
        if self.agreements and rng.random() < 0.4:
            agreement, vendors = rng.choice(self.agreements)
            vendor = rng.choice(vendors)
        elif rng.random() < 0.25:
            vendor = rng.choice(self.vendors)
        first, last = rng.choice(tpl.FIRST_NAMES[country]), rng.choice(tpl.SURNAMES[country])
        fictional = "(Fiktiv demoproces.)" if country == "DK" else "(Fiktiv demoprosess.)"
        values: dict[str, Any] = {
            "id": pid,
            "municipality_code": muni.code,
            "title": title,
            "summary": t.summary,
            "description": f"{t.summary} {fictional}",
            "department": t.department,
            "domains": list(t.domains),
            "phase": phase.value,
            "status": status.value if status else None,
            "visibility": pick(rng, VISIBILITY).value,
            "run_period": run_period.value,
            "runs_per_year": runs,
            "minutes_per_run": Decimal(str(minutes)),
            "automation_percentage": automation,
            "employees_doing_process": rng.randint(1, 12),
            "development_hours": Decimal(rng.randint(20, 600)),
            "rating": rng.choice([None, 0, 1, 2, 3]),
            "vendor_id": vendor,
            "agreement_id": agreement,
            "put_into_operation": put,
            "decommissioned": gone,
            "contact_name": f"{first} {last}",
            "contact_email": f"{_ascii(first)}.{_ascii(last)}@example.org",
            "source_code": SOURCE_CODE,
            "source_id": f"filler:{self.seed}:{muni.code}:{i:05d}",
            "created_at": stamp(rng, created),
            "updated_at": stamp(rng, updated),
            "extras": {"demo": "fictional", "template": t.key},
        }
        if country == "DK":
            values["kle"] = t.code
        else:
            values["k_codes"] = [t.code]
        if rng.random() < 0.8:
            values.update({name: rng.choice(LEVELS) for name in ASSESSMENT_FIELDS})
        if rng.random() < 0.3:
            names = rng.sample(tpl.FIRST_NAMES[country], rng.randint(0, 2))
            note = rng.choice(tpl.INTERNAL_NOTES[country])
            values.update(
                internal_notes=f"Internt notat (fiktivt): {note}",
                esdh_reference=f"{created.year}-{rng.randint(1, 99999):05d}",
                reporter=f"{rng.choice(tpl.FIRST_NAMES[country])} {last}",
                owner=f"{first} {last}",
                co_editors=[f"{n} {rng.choice(tpl.SURNAMES[country])}" for n in names],
            )
        rows = self.rows
        rows.processes.append(process_row(**values))
        rows.process_technologies += [
            {"process_id": pid, "technology_code": c} for c in t.technologies
        ]
        rows.process_it_systems += [{"process_id": pid, "it_system_code": s} for s in t.systems]
        proc = Proc(pid, muni.code, country, t.key, title, values["created_at"], phase.value)
        self.procs.append(proc)
        if t.key in self.origins and rep == 0:
            rows.reuse_links.append(link(rng, proc, *self.origins[t.key]))
        if put is not None and gone is None:
            expected = runs * minutes * automation / 6000
            self._benefits(pid, i, first_full_month(put), runs, expected)

    def _benefits(
        self, pid: uuid.UUID, index: int, first: date, runs: int, expected: float
    ) -> None:
        rng, country = self.rng, self.muni.country
        with_money = rng.random() < 0.6
        currency = CURRENCY[country] if with_money else None
        rate = HOURLY_RATE[country]
        estimate = int(expected * 10 / 12)  # tenths of an hour a month
        est_hours = Decimal(estimate).scaleb(-1)
        est_money = Decimal(estimate * rate).scaleb(-1) if with_money else None
        out = self.rows.benefit_records
        for month, period in enumerate(self.window):
            if period < first:
                continue
            tenths = int(estimate * rng.uniform(0.75, 1.2))
            out.append(
                {
                    "id": ordered_id(rng, self.ordinal, index, 1 + 2 * month),
                    "process_id": pid,
                    "period": period,
                    "kind": BenefitKind.MEASURED.value,
                    "cases": int(runs / 12 * rng.uniform(0.8, 1.2)),
                    "hours_saved": Decimal(tenths).scaleb(-1),
                    "money_amount": Decimal(tenths * rate).scaleb(-1) if with_money else None,
                    "currency": currency,
                    "note": None,
                }
            )
            out.append(
                {
                    "id": ordered_id(rng, self.ordinal, index, 2 + 2 * month),
                    "process_id": pid,
                    "period": period,
                    "kind": BenefitKind.ESTIMATED.value,
                    "cases": runs // 12,
                    "hours_saved": est_hours,
                    "money_amount": est_money,
                    "currency": currency,
                    "note": None,
                }
            )


def iter_generate(
    seed: int,
    municipalities_per_country: int,
    processes_per_municipality: int,
    months: int,
    end_month: date,
    *,
    origins: Origins | None = None,
) -> Iterator[FillerData]:
    """Chunks in insertion order: shared rows, one chunk per municipality, then the network.

    ``origins`` maps a template key (``filler_templates.LAEGEERKLAERINGER``) to a fact's
    process id and municipality name: the filler's processes of that kind reuse it.
    """
    if end_month.day != 1 or months < 1 or processes_per_municipality < 0:
        raise ValueError("end_month must be the first of a month, months >= 1, processes >= 0")
    first = end_month
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    window = month_range(first, end_month)
    munis = municipalities(seed, municipalities_per_country)
    shared, agreements = shared_rows(seed, munis)
    yield shared
    procs: list[Proc] = []
    danish = 0
    for ordinal, muni in enumerate(munis):
        one = _Municipality(seed, ordinal, muni, window, agreements, origins or {})
        # Every third Danish municipality has a medical-certificate robot of its own.
        one.build(processes_per_municipality, muni.country == "DK" and danish % 3 == 0)
        danish += muni.country == "DK"
        procs += one.procs
        yield one.rows
    yield build_network(seed, munis, procs)


def generate(
    seed: int,
    municipalities_per_country: int,
    processes_per_municipality: int,
    months: int,
    end_month: date,
    *,
    origins: Origins | None = None,
) -> FillerData:
    data = FillerData()
    for chunk in iter_generate(
        seed,
        municipalities_per_country,
        processes_per_municipality,
        months,
        end_month,
        origins=origins,
    ):
        data.extend(chunk)
    return data
