"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, Selenium).

Screenshots go to test-artifacts/. Skipped only when Chromium is not installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from web_support import LiveServer, have_chromium, make_driver, quit_driver, screenshot, wait_for  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not have_chromium(),
        reason="chromium and chromium-driver are not installed "
        "(apt-get install -y chromium chromium-driver)",
    ),
]
pytest.importorskip("selenium")
pytest.importorskip("starlette")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402
from test_web import write_scenarios  # noqa: E402


def warm_kernels(d):
    """Compile (or load from Numba's cache) the kernels both views run, before any timed wait.
    On a cold cache this takes about a minute per model, longer under load; the dashboard
    runs every session's simulation on one worker thread, so a compile inside one test's
    set-up used to hold up the waits of the next tests (they timed out in full-suite runs)."""
    from tolqyn.core.sim import Sim
    from tolqyn.web.runs import Catalog

    cat = Catalog([d])
    for name in ("mine/rebellion", "mine/kz-small"):
        Sim(cat.load(name), steps=2).run()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = write_scenarios(tmp_path_factory.mktemp("webui") / "mine")
    warm_kernels(d)
    exps = tmp_path_factory.mktemp("exps")
    with LiveServer(None, exps, [d]) as srv:
        srv.experiments_dir, srv.scenario_dir = exps, d
        yield srv


@pytest.fixture(scope="module")
def driver(server):
    drv = make_driver()
    drv.get(server.url)
    yield drv
    quit_driver(drv)


def by_id(d, i):
    return d.find_element(By.ID, i)


def text(d, i):
    return by_id(d, i).text


def open_tab(d, name):
    by_id(d, f"tab-{name}").click()
    wait_for(lambda: by_id(d, f"view-{name}").is_displayed(), what=f"{name} tab")


def choose(d, select_id, value):
    wait_for(
        lambda: any(
            o.get_attribute("value") == value
            for o in by_id(d, select_id).find_elements(By.TAG_NAME, "option")
        ),
        what=f"option {value}",
    )
    Select(by_id(d, select_id)).select_by_value(value)


def choose_scenario(d, view, name):
    """Choose a scenario and wait until the parameter widgets are built for it (the page may
    still be loading the scenario it picked itself)."""
    choose(d, f"{view}-scenario", name)
    wait_for(
        lambda: by_id(d, f"{view}-params").get_attribute("data-scenario") == name,
        what=f"widgets of {name}",
    )


def region_fills(d, slot):
    return d.execute_script(
        f"return [...document.querySelectorAll('#country-map-{slot} path')].map(p => p.getAttribute('fill'))"
    )


def setup_country(d):
    open_tab(d, "country")
    choose_scenario(d, "country", "mine/kz-small")
    wait_for(
        lambda: (
            "one agent per 4,000" in d.find_element(By.CSS_SELECTOR, "#view-country .desc").text
        ),
        what="scenario description",
    )
    # the scenario may already be chosen (an earlier test on this page), in which case the
    # form keeps what that test typed: set the run length this set-up waits for
    by_id(d, "country-steps").clear()
    by_id(d, "country-steps").send_keys("19")  # two quiet weeks of December, then to 5 Jan
    by_id(d, "country-setup").click()
    wait_for(
        lambda: "step 0 of 19" in text(d, "country-status"), timeout=120, what="country set-up"
    )
    wait_for(lambda: len(region_fills(d, "base")) >= 20, what="map drawn")


def test_classic_lattice_plays_and_takes_live_parameters(driver):
    d = driver
    open_tab(d, "classic")
    choose_scenario(d, "classic", "mine/rebellion")
    wait_for(
        lambda: by_id(d, "classic-params").find_elements(
            By.CSS_SELECTOR, '[data-param="legitimacy"]'
        ),
        what="parameter widgets",
    )
    # widgets come from the declarations: bounds and docs
    leg = d.find_element(By.CSS_SELECTOR, '#classic-params [data-param="legitimacy"]')
    rng = leg.find_element(By.CSS_SELECTOR, "input[type=range]")
    assert (rng.get_attribute("min"), rng.get_attribute("max")) == ("0", "1")
    assert "regime legitimacy" in leg.find_element(By.CSS_SELECTOR, ".info").get_attribute("title")
    by_id(d, "classic-setup").click()
    wait_for(
        lambda: "step 0 of 40" in text(d, "classic-status"), timeout=120, what="classic set-up"
    )
    counts0 = wait_for(
        lambda: by_id(d, "classic-lattice").get_attribute("data-counts"), what="lattice"
    )
    assert sum(map(int, counts0.split(","))) == 1600
    Select(by_id(d, "classic-speed")).select_by_value("5")
    by_id(d, "classic-play").click()
    wait_for(
        lambda: int(by_id(d, "classic-lattice").get_attribute("data-t") or 0) >= 3, what="steps"
    )
    # change legitimacy while it runs: applied from the next step and drawn as an event
    box = leg.find_element(By.CSS_SELECTOR, "input.pvalue")
    box.clear()
    box.send_keys("0.5\n")
    wait_for(lambda: "legitimacy=0.5" in text(d, "classic-eventlog"), what="live change logged")
    wait_for(lambda: "finished" in text(d, "classic-status"), timeout=60, what="run end")
    assert by_id(d, "classic-lattice").get_attribute("data-counts") != counts0
    assert int(by_id(d, "classic-chart-status").get_attribute("data-points")) == 3 * 41
    screenshot(d, "classic-lattice")


def test_country_play_changes_map_and_charts(driver):
    d = driver
    setup_country(d)
    fills0 = region_fills(d, "base")
    pts0 = int(by_id(d, "country-chart-metric").get_attribute("data-points"))
    by_id(d, "country-play").click()
    wait_for(lambda: "finished" in text(d, "country-status"), timeout=120, what="country run end")
    assert "2022-01-05" in text(d, "country-status")
    assert int(by_id(d, "country-chart-metric").get_attribute("data-points")) > pts0
    assert region_fills(d, "base") != fills0
    # the day slider goes back in time and the map follows
    last = region_fills(d, "base")
    d.execute_script(
        "const s = document.getElementById('country-day'); s.value = 0;"
        "s.dispatchEvent(new Event('input'));"
    )
    wait_for(lambda: region_fills(d, "base") != last, what="map at day 0")
    assert "2021-12-17" in text(d, "country-day-label")
    # choosing another map metric repaints; clicking a region selects it for the region chart
    choose(d, "country-map-metric", "arrests")
    d.find_element(By.CSS_SELECTOR, '#country-map-base path[data-region="KZ-47"]').click()
    wait_for(
        lambda: (
            "Mangystau"
            in d.execute_script("return window.App.panels.country.maps.base.names['KZ-47']")
        ),
        what="region names",
    )
    by_id(d, "country-follow").click()
    screenshot(d, "country-played")


def test_country_compare_and_inject(driver):
    d = driver
    setup_country(d)
    choose(d, "country-alt-scenario", "mine/kz-no-shutdown")
    by_id(d, "country-compare").click()
    alt_fig = d.find_element(By.CSS_SELECTOR, '.map-fig[data-slot="alt"]')
    wait_for(lambda: alt_fig.is_displayed(), timeout=120, what="counterfactual map")
    wait_for(lambda: len(region_fills(d, "alt")) >= 20, what="alt map drawn")
    by_id(d, "country-step").click()
    wait_for(lambda: "step 1 of 19" in text(d, "country-status"), what="one step")
    # inject troops into the baseline only, through the generic action form
    choose(d, "country-inject-action", "deploy_troops")
    params = by_id(d, "country-inject-params")
    params.clear()
    params.send_keys('{"persons": 2000, "regions": ["KZ-75"]}')
    by_id(d, "country-inject").click()
    wait_for(lambda: "scheduled for step 2" in text(d, "country-status"), what="injection")
    Select(by_id(d, "country-speed")).select_by_value("0")
    by_id(d, "country-play").click()
    wait_for(lambda: "finished" in text(d, "country-status"), timeout=120, what="both runs end")
    # both runs on the same charts: solid baseline, dashed counterfactual
    assert by_id(d, "country-chart-metric").get_attribute("data-series") == "2"
    assert by_id(d, "country-chart-region").get_attribute("data-series") == "2"
    assert "deploy_troops" in text(d, "country-eventlog")
    assert "[counterfactual]" in text(d, "country-eventlog")
    # look at the active share on the last day (5 Jan), as a user would with the day slider
    choose(d, "country-map-metric", "@active_share")
    d.execute_script(
        "const s = document.getElementById('country-day'); s.value = s.max;"
        "s.dispatchEvent(new Event('input'));"
    )
    wait_for(lambda: "2022-01-05" in text(d, "country-day-label"), what="day slider at the end")
    assert region_fills(d, "alt") != region_fills(d, "base")
    troops = d.execute_script(
        "const s = window.App.panels.country.slots;"
        "return [s.base.rows.troops[5][1], s.alt.rows.troops[5][1]]"
    )
    assert troops[0] > troops[1]
    screenshot(d, "country-compare")


def test_input_errors_are_readable(driver, server):
    d = driver
    open_tab(d, "country")
    choose_scenario(d, "country", "mine/kz-small")
    wait_for(
        lambda: d.find_elements(By.CSS_SELECTOR, '#country-params [data-param="scale"]'),
        what="widgets",
    )
    box = d.find_element(By.CSS_SELECTOR, '#country-params [data-param="scale"] input.pvalue')
    box.clear()
    box.send_keys("-3\n")
    by_id(d, "country-setup").click()
    err = wait_for(
        lambda: by_id(d, "country-error").is_displayed() and text(d, "country-error"),
        what="error message",
    )
    assert "scale" in err and "below the minimum" in err
    assert "invalid" in d.find_element(
        By.CSS_SELECTOR, '#country-params [data-param="scale"]'
    ).get_attribute("class")
    by_id(d, "country-steps").clear()
    by_id(d, "country-steps").send_keys("99999999")
    box.clear()
    box.send_keys("4000\n")
    by_id(d, "country-setup").click()
    wait_for(lambda: "--max-steps" in text(d, "country-error"), what="refusal")
    screenshot(d, "country-input-error")
    # the server is still up and serves a fresh set-up
    by_id(d, "country-steps").clear()
    by_id(d, "country-steps").send_keys("2")
    by_id(d, "country-setup").click()
    wait_for(lambda: "step 0 of 2" in text(d, "country-status"), timeout=120, what="recovery")
    assert "connected" in text(d, "conn")
    # malformed event parameters (the inject button works once a run is set up, so this does
    # not depend on what earlier tests left on the page)
    params = by_id(d, "country-inject-params")
    params.clear()
    params.send_keys("{oops")
    by_id(d, "country-inject").click()
    wait_for(lambda: "not valid JSON" in text(d, "country-error"), what="JSON error")


def test_closing_the_page_ends_its_session(server):
    before = len(server.sessions)  # other tests' pages may hold sessions of their own
    d = make_driver(900, 700)
    try:
        d.get(server.url + "#classic")
        choose_scenario(d, "classic", "mine/rebellion")
        wait_for(
            lambda: len(server.sessions) > before, timeout=120, what="a session for the new page"
        )
    finally:
        quit_driver(d)
    wait_for(
        lambda: len(server.sessions) == before, timeout=20, what="session closed with its page"
    )


def test_experiments_view_plots_and_downloads(driver, server):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tolqyn.experiments.sweep import sweep
    from tolqyn.web.runs import Catalog

    sc = Catalog([server.scenario_dir]).load("mine/rebellion")
    root = server.experiments_dir / "legitimacy-sweep"
    sweep(
        sc,
        root,
        design="grid",
        samples=3,
        replicates=1,
        params=["legitimacy"],
        steps=15,
        executor_kind="serial",
        progress=False,
    )
    pq.write_table(
        pa.table(
            {
                "output": ["active_max"] * 2,
                "parameter": ["legitimacy", "cop_density"],
                "S1": [0.55, 0.25],
                "S1_conf": [0.05, 0.04],
                "ST": [0.62, 0.31],
            }
        ),
        root / "sensitivity.parquet",
    )
    d = driver
    open_tab(d, "experiments")
    row = wait_for(
        lambda: d.find_element(By.CSS_SELECTOR, '#exp-list .exp[data-id="legitimacy-sweep"]'),
        what="experiment listed",
    )
    row.click()
    wait_for(
        lambda: len(d.find_elements(By.CSS_SELECTOR, "#exp-detail canvas.chart")) >= 3, what="plots"
    )
    kinds = d.execute_script(
        "return [...document.querySelectorAll('#exp-detail canvas.chart')]"
        ".map(c => c.dataset.points)"
    )
    assert all(int(k) > 0 for k in kinds)
    links = [a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "#exp-detail a.dl")]
    csv_link = [h for h in links if "results" in h and h.endswith("format=csv")][0]
    head = d.execute_script(
        "return fetch(arguments[0]).then(r => r.text()).then(t => t.split('\\n')[0])", csv_link
    )
    assert "metric" in head and "value" in head
    screenshot(d, "experiments")


def test_country_charts_hover_zoom_and_export(driver):
    """The line charts are interactive (uPlot, vendored): hovering shows the values of the day
    under the pointer, dragging zooms in, double-click zooms out, PNG and CSV export what the
    chart shows, and the region chart names the region."""
    from selenium.webdriver.common.action_chains import ActionChains

    d = driver
    setup_country(d)
    by_id(d, "country-play").click()
    wait_for(lambda: "finished" in text(d, "country-status"), timeout=120, what="country run end")
    d.find_element(By.CSS_SELECTOR, '#country-map-base path[data-region="KZ-47"]').click()
    wrap = d.find_element(By.CSS_SELECTOR, '.uchart[data-for="country-chart-status"]')
    over = wrap.find_element(By.CSS_SELECTOR, ".u-over")
    w = over.size["width"]
    # hover: the legend shows the day and every series' value there. The pointer moves again
    # on every poll: a chart redrawn with the run's last data after the first move (a loaded
    # machine) forgets the cursor, and one lost mousemove must not fail the test
    values = lambda: [v.text for v in wrap.find_elements(By.CSS_SELECTOR, ".u-legend .u-value")]  # noqa: E731
    nudge = iter(range(10**6))

    def hovered():
        ActionChains(d).move_to_element_with_offset(
            over, int(w * 0.9) - w // 2 + next(nudge) % 3, 0
        ).perform()
        return values() and values()[0].startswith("2022-01-0")

    wait_for(hovered, timeout=60, poll=0.3, what="hover values")
    assert all(v not in ("", "--") for v in values()[1:]), values()
    # zoom: drag across the middle third, then double-click back to the whole run
    ActionChains(d).move_to_element_with_offset(over, -w // 6, 0).click_and_hold().move_by_offset(
        w // 3, 0
    ).release().perform()
    wait_for(lambda: wrap.get_attribute("data-zoomed") == "1", what="zoomed in")
    ActionChains(d).double_click(over).perform()
    wait_for(lambda: wrap.get_attribute("data-zoomed") == "0", what="zoomed out")
    # export: capture the download link instead of saving a file
    d.execute_script(
        "window.__dl = []; HTMLAnchorElement.prototype.click = function () {"
        " window.__dl.push([this.download, this.href]); };"
    )
    wrap.find_element(By.CSS_SELECTOR, "button.uchart-png").click()
    wrap.find_element(By.CSS_SELECTOR, "button.uchart-csv").click()
    dl = d.execute_script("return window.__dl")
    assert dl[0][0].endswith(".png") and dl[0][1].startswith("data:image/png")
    assert dl[1][0].endswith(".csv") and dl[1][1].startswith("blob:")
    csv = d.execute_async_script(
        "const done = arguments[0]; fetch(window.__dl[1][1]).then(r => r.text()).then(done);"
    )
    head, first = csv.splitlines()[:2]
    assert head.startswith("step,date,") and "active" in head and first.startswith("0,2021-12-17")
    # the region chart's series carry the region's name, not its code
    region = d.find_element(By.CSS_SELECTOR, '.uchart[data-for="country-chart-region"]')
    assert "Mangystau" in region.find_element(By.CSS_SELECTOR, ".u-legend").text
    screenshot(d, "country-charts-interactive")
