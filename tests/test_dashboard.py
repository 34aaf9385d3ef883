"""The live dashboard rendered in-process (solara.render): steps, live levers, reset.

The browser test is tests/test_dashboard_e2e.py.
"""

import sys

import pytest

pytest.importorskip("solara", reason="dashboard extra not installed: pip install -e '.[dashboard]'")

import ipyvuetify  # noqa: E402
import ipywidgets  # noqa: E402
import solara  # noqa: E402

from conftest import SCENARIOS  # noqa: E402


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setenv("CORRIDOR_DASHBOARD_SCENARIO", str(SCENARIOS / "baseline.toml"))
    from model.outputs import dashboard
    # the server wraps a page in an AppLayout, which is where SolaraViz's sidebar lives
    box, rc = solara.render(solara.AppLayout(children=[dashboard.Page()]), handle_error=False)
    yield rc
    rc.close()


def _text(rc, cls):
    """Text of the one element carrying CSS class `cls` (as the browser test reads it)."""
    hits = [w for w in _walk(rc.container) if isinstance(w, ipyvuetify.Html)
            and cls in (w.class_ or "").split()]
    assert len(hits) == 1, f"{len(hits)} elements with class {cls}"
    return hits[0].children[0]


def _walk(widget, seen=None):
    """Every widget under `widget`, including grid items (not only `children`)."""
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    yield widget
    for name in ("children", "items", "v_slots"):
        value = getattr(widget, name, None) or []
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(child, dict):
                child = child.get("children")
            if isinstance(child, ipywidgets.Widget):
                yield from _walk(child, seen)


def _button(rc, label):
    return rc.find(ipyvuetify.Btn, children=[label]).widget


def _images(rc):
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


def test_page_renders_and_steps(page):
    rc = page
    assert _text(rc, "counter-month") == "0 of 96"
    maps_before = _images(rc)
    assert len(maps_before) == 2                                   # the map and the time series
    assert all(img.startswith(b"\x89PNG") for img in maps_before)
    for _ in range(3):
        _button(rc, "Step").click()
    assert _text(rc, "counter-month") == "3 of 96"
    assert _text(rc, "counter-calendar") == "2004-03"
    after = _images(rc)
    assert after[0] != maps_before[0] and after[1] != maps_before[1]
    delivered = float(_text(rc, "counter-delivered").split()[0].replace(",", ""))
    assert delivered > 0
    _button(rc, "Reset").click()
    assert _text(rc, "counter-month") == "0 of 96"


def test_levers_act_live_and_survive_reset(page):
    rc = page
    _button(rc, "Step").click()
    slider = rc.find(ipyvuetify.Slider, label="Mexico enforcement (x units)").widget
    slider.v_model = 3.0
    assert "Mexico enforcement x3" in _text(rc, "counter-levers")
    # the running model kept its month and fields three times Mexico's units
    assert _text(rc, "counter-month") == "1 of 96"
    _button(rc, "Step").click()
    assert _text(rc, "counter-month") == "2 of 96"
    select = rc.find(ipyvuetify.Select, label="Corruption in").widget
    select.v_model = "Honduras"
    assert "corruption in Honduras 0.50" in _text(rc, "counter-levers")
    _button(rc, "Reset").click()
    assert _text(rc, "counter-month") == "0 of 96"
    assert "Mexico enforcement x3" in _text(rc, "counter-levers")   # a Reset keeps the sliders


def test_levers_change_the_model(baseline):
    from model.agents import EnforcementUnit
    from model.outputs.dashboard_model import DashboardModel

    sc, _ = baseline
    m = DashboardModel(scenario_path=str(sc.path))
    mx = sum(1 for u in m.agents_by_type[EnforcementUnit] if u.pool.startswith("MX:"))
    assert mx == 30 + 12
    before = len(sc.policy)
    m.set_levers(mexico_enforcement=2.0, us_demand=0.5, cooperation=True, corruption_country="GT",
                 corruption=0.9)
    assert sum(1 for u in m.agents_by_type[EnforcementUnit] if u.pool.startswith("MX:")) == 2 * 42
    assert m.settings.us_demand == 0.5
    gt = m.cmap.jurisdiction_codes.index("GT")
    assert m.settings.levels["corruption"][gt] == 0.9
    assert m.settings.cooperation[gt]
    assert len(sc.policy) == before                                  # the shared scenario is untouched
    m.step()
    assert m.steps == 1


def test_simulation_core_does_not_import_the_dashboard():
    import subprocess
    code = ("import sys, model.corridor, model.runs.simulate, model.cli; "
            "print(any(k == 'solara' or k.startswith('model.outputs.dashboard') for k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bad_scenario_is_one_line_exit_2(tmp_path):
    from conftest import corridor_cli
    out = corridor_cli("dashboard", tmp_path / "missing.toml", "--port", "8765")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"corridor: error: {tmp_path / 'missing.toml'}: file not found"]


DEVELOPER_LABELS = ("Render Interval", "Use Threads", "Page 0", "PAGE 0", "Time:", "Play Interval")


def _strings(rc):
    """Every piece of text the page carries: labels, texts, tab titles."""
    out = []
    for w in _walk(rc.container):
        for name in ("children", "label", "description", "v_model"):
            v = getattr(w, name, None)
            out += [v] if isinstance(v, str) else [c for c in (v or []) if isinstance(c, str)] \
                if isinstance(v, (list, tuple)) else []
    return out


def test_no_developer_controls_for_the_audience(page):
    strings = _strings(page)
    assert "Step" in strings and "Mexico enforcement (x units)" in strings      # what the room needs
    shown = [s for s in strings if any(d.lower() in s.lower() for d in DEVELOPER_LABELS)]
    assert shown == []


def test_chart_and_counters_show_the_same_month_while_play_steps_on(page, monkeypatch):
    """Play steps the next month in another thread while the page draws: the charts and the
    counters must still come from one month (they lagged by one)."""
    import threading

    from model.outputs import dashboard

    rc = page
    _button(rc, "Step").click()
    drawn, others = [], []
    real = dashboard.draw_series

    def draw_while_play_steps(model, fig=None):
        out = real(model, fig)
        drawn.append(out)
        if others:
            return out
        t = threading.Thread(target=model.step)     # Play's next month arrives mid-render
        t.start()
        t.join(1.0)
        others.append(t)
        return out

    monkeypatch.setattr(dashboard, "draw_series", draw_while_play_steps)
    _button(rc, "Step").click()
    monkeypatch.setattr(dashboard, "draw_series", real)
    for t in others:
        t.join()
    assert len(drawn) == 1                          # the page was drawn once, for one month
    delivered, seized = drawn[0].axes[1].lines
    assert _text(rc, "counter-month") == f"{int(delivered.get_xdata()[-1])} of 96"
    assert _text(rc, "counter-delivered") == f"{delivered.get_ydata()[-1]:,.0f} t"
    assert _text(rc, "counter-seized") == f"{seized.get_ydata()[-1]:,.0f} t"
