"""Evacuation playback drawn by the browser (issue 15, section 1), in a real headless Chromium
against the real API (tests/viewer/conftest.py): a drill of the viewer block with its movement trace
and smoke in a corridor is run through the API, then played back in the console's playback tab.

1. The routes: the run's own building as glTF, the playback's info (gates, smoke, when each person
   is out) and its keyframes in chunks of bounded length; a bad chunk or replication is a 422
   naming the field; nothing without a token.
2. Playback reaches its end: played at 120× it runs to the run's last arrival, everyone is out (the
   model's trapped stay) and the play button is back; the people came in more than one chunk; the
   server drew no picture.
3. The timeline moves the dots: at each time the people drawn are the ones the model had inside,
   where the server's EvacuationTracks puts them; between two times they moved; another
   replication is another drill.
4. Queue columns appear when the trace has queues, as high as the queue at each gate.
5. Smoke shows from its time (not before) in its room; isolating another storey hides it and the
   people of other storeys.
6. Without WebGL the playback tab keeps the server's pictures; the video export stays (MP4).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.viewer.test_console_browser import _finished, _post  # the same helpers: POST retrying 429, wait

pytestmark = pytest.mark.slow

SMOKE_AT_S = 60.0


@pytest.fixture(scope="module")
def drill(console_server):
    """A 2-replication drill of the viewer block with trace, a quick start (queues form) and smoke
    in the first-floor corridor at 60 s; its tracks as the server builds them."""
    from viewer.playback import EvacuationTracks, load_run

    server = console_server
    body = {"scenario": "viewer-block-drill", "replications": 2,
            "set": {"params.alarm_delay_s": 10,
                    "params.pre_movement": {"default": {"kind": "uniform", "low": 5, "high": 30}},
                    "params.events": [{"type": "smoke", "at_s": SMOKE_AT_S, "space": "L1-COR"}]}}
    res = _post(server, "/runs", body)
    assert res.status_code == 202, res.text
    run_id = _finished(server, res.json()["id"], timeout_s=300)["id"]
    folder = server.app.state.ctx.runs.results_dir(run_id)
    tracks = []
    for replication in (0, 1):
        run = load_run(folder, replication=replication)
        tracks.append(EvacuationTracks(server.live.building, trace=run["trace"], occupants=run["occupants"]))
    return {"id": run_id, "tracks": tracks}


def _open_playback(page, server, run_id: str) -> None:
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=playback")
    page.wait_for_selector(f"#playback-run option[value='{run_id}']", state="attached", timeout=60_000)
    if page.eval_on_selector("#playback-run", "el => el.value") != run_id:
        page.select_option("#playback-run", run_id)
    page.wait_for_function(f"() => window.Playback3D && Playback3D.active && Playback3D.info.run === '{run_id}'",
                           timeout=60_000)
    page.wait_for_selector("#playback-viewport[data-playback3d=ready]", timeout=10_000)


def _seek(page, t: float) -> None:
    """Move the timeline to ``t`` as a person drags it, and wait for that frame."""
    page.evaluate("""(t) => { const s = document.querySelector('#playback-time'); s.value = String(t);
                              s.dispatchEvent(new Event('input')); }""", t)
    page.wait_for_function(f"() => Math.abs(Playback3D.time - {t}) < 1e-6", timeout=20_000)


def _expected(tracks, t: float) -> dict[int, np.ndarray]:
    """Person index → where the server's tracks put them at ``t`` (glTF axes, as drawn)."""
    from viewer.gltf import to_gltf_axes
    from viewer.playback import RAISE_M

    f = tracks.frame(t)
    index = {int(o): i for i, o in enumerate(tracks.occupant_ids)}
    xyz = to_gltf_axes(f.xyz).astype(float)
    xyz[:, 1] += RAISE_M
    return {index[int(o)]: p for o, p in zip(f.occupants, xyz)}


def _drawn(page) -> dict[int, np.ndarray]:
    return {int(i): np.array([x, y, z]) for i, x, y, z in page.evaluate("Playback3D.drawnPeople()")}


def test_playback_routes_serve_the_building_info_and_bounded_chunks(console_server, drill):
    """issue 15 §1 (playback in chunks): scene.glb is the run's building; the info names gates, smoke and each person's time
    out; a chunk holds each person's keyframes over its span; bounds are 422s naming the field."""
    import httpx

    from viewer.gltf import GLTF_MEDIA_TYPE, building_glb

    server, run_id, tracks = console_server, drill["id"], drill["tracks"][0]
    base = f"/console/api/runs/{run_id}/playback"
    glb = server.get(f"{base}/scene.glb")
    assert glb.status_code == 200 and glb.headers["content-type"] == GLTF_MEDIA_TYPE
    assert glb.content == building_glb(server.live.building)[0]
    again = httpx.get(server.base_url + f"{base}/scene.glb", timeout=30,
                      headers={"Authorization": f"Bearer {server.token}", "If-None-Match": glb.headers["etag"]})
    assert again.status_code == 304
    info = server.get(base).json()
    assert info["occupants"] == tracks.n_occupants == server.live.building.total_occupants
    assert info["replications"] == 2 and info["duration_s"] == pytest.approx(tracks.duration_s)
    assert info["smoke"] == [{"at_s": SMOKE_AT_S, "space": "L1-COR", "kind": "smoke"}]
    assert [g["id"] for g in info["gates"]] == tracks.gate_names and tracks.gate_names
    gone = [np.inf if x is None else x for x in info["gone_s"]]
    assert np.allclose(gone, tracks.gone_s, atol=1e-3)
    chunk = server.get(f"{base}/tracks", from_s=30, to_s=90).json()
    assert len(chunk["offsets"]) == tracks.n_occupants + 1 and chunk["offsets"][-1] == len(chunk["t"])
    assert len(chunk["xyz"]) == 3 * len(chunk["t"]) == 3 * len(chunk["state"]) == 3 * len(chunk["gate"])
    for a, b in zip(chunk["offsets"], chunk["offsets"][1:]):  # each person: from a key at or before 30 s
        assert b > a and chunk["t"][a] <= 30
    # Bounds: a span over the limit, an end before the start, a replication the run does not have.
    too_long = server.get(f"{base}/tracks", from_s=0, to_s=601)
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["query", "to_s"]
    backwards = server.get(f"{base}/tracks", from_s=50, to_s=40)
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["query", "to_s"]
    missing = server.get(base, replication=2)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "replication"]
    assert "0 to 1" in missing.json()["detail"][0]["msg"]
    assert httpx.get(server.base_url + f"{base}/tracks", timeout=30).status_code == 401
    assert httpx.get(server.base_url + f"{base}/scene.glb", timeout=30).status_code == 401


def test_playback_reaches_its_end(console_server, drill, browser_page):
    """issue 15 §1: "playback reaches its end" — played in the browser at 120×, the timeline
    runs to the run's end, everyone is out (but whom the model left trapped), and play stops; keyframes came in chunks; no server
    picture was asked for."""
    page, server, run_id = browser_page, console_server, drill["id"]
    pictures = []
    page.on("request", lambda r: pictures.append(r.url) if "/playback.png" in r.url else None)
    _open_playback(page, server, run_id)
    info = page.evaluate("Playback3D.info")
    assert page.evaluate("Playback3D.inside") == info["occupants"]
    page.select_option("#playback-speed", "120")
    page.click("#playback-play")
    page.wait_for_function(f"() => Playback3D.time >= {info['duration_s']} - 1e-9", timeout=60_000)
    page.wait_for_function("() => document.querySelector('#playback-play').textContent === 'Play'", timeout=5_000)
    # Everyone is out but those the model left trapped (drawn black where they are).
    trapped = int(drill["tracks"][0].inside(info["duration_s"]).sum())
    assert trapped < info["occupants"] / 10
    assert page.evaluate("Playback3D.inside") == trapped == page.evaluate("Playback3D.drawnPeople().length")
    assert page.get_attribute("#playback-viewport", "data-inside") == str(trapped)
    assert page.inner_text("#playback-clock") == f"{int(round(info['duration_s'])) // 60}:" \
                                                 f"{int(round(info['duration_s'])) % 60:02d}"
    assert page.evaluate("Playback3D.frames") > 3
    chunks = page.evaluate("Playback3D.chunksLoaded")
    assert len(chunks) >= min(2, int(np.ceil(info["duration_s"] / info["chunk_s"]))), chunks
    assert not pictures, pictures


def test_timeline_moves_the_dots(console_server, drill, browser_page):
    """issue 15 §1: the timeline moves the dots — at each time on the timeline the dots drawn are the people the model still had
    inside, where the server's tracks put them; they move between two times (on screen too);
    replication 2 is played from its own records."""
    page, server, run_id = browser_page, console_server, drill["id"]
    tracks = drill["tracks"][0]
    _open_playback(page, server, run_id)
    shots = {}
    for t in (20.0, 45.0):
        _seek(page, t)
        drawn, expected = _drawn(page), _expected(tracks, t)
        assert drawn.keys() == expected.keys(), f"t={t}"
        worst = max(float(np.abs(drawn[i] - expected[i]).max()) for i in expected)
        assert worst < 0.01, f"t={t}: a dot {worst:.3f} m from where the model has that person"
        page.wait_for_timeout(100)
        shots[t] = (drawn, page.locator("#playback-canvas").screenshot())
    (a, png_a), (b, png_b) = shots[20.0], shots[45.0]
    moved = [i for i in a.keys() & b.keys() if np.linalg.norm(a[i] - b[i]) > 0.5]
    assert len(moved) >= 10, "the people walk between 20 s and 45 s"
    assert png_a != png_b
    # The second replication: another draw of pre-movement times, read from its own records.
    page.select_option("#playback-replication", index=1)  # value 1, shown as "2" (a value would match labels too)
    page.wait_for_function("() => Playback3D.info.replication === 1", timeout=20_000)
    _seek(page, 30.0)
    other = drill["tracks"][1]
    drawn, expected = _drawn(page), _expected(other, 30.0)
    assert drawn.keys() == expected.keys()
    assert max(float(np.abs(drawn[i] - expected[i]).max()) for i in expected) < 0.01


def test_queue_columns_appear_when_the_trace_has_queues(console_server, drill, browser_page):
    """issue 15 §1: queue columns — at the time of the longest queue, each gate with people waiting has its column, as
    high as 0.12 m per person waiting; before anyone moves there is none."""
    from viewer.playback import QUEUE_M_PER_PERSON

    page, server, run_id = browser_page, console_server, drill["id"]
    tracks = drill["tracks"][0]
    times = np.arange(0.0, tracks.duration_s, 1.0)
    busiest = max(times, key=lambda t: sum(tracks.frame(float(t)).queues.values()))
    queues = tracks.frame(float(busiest)).queues
    assert sum(queues.values()) >= 3, "64 people through 1 m doors queue"
    _open_playback(page, server, run_id)
    _seek(page, 0.0)
    assert page.evaluate("Playback3D.queues()") == {} and page.evaluate("Playback3D.queueHeights()") == {}
    _seek(page, float(busiest))
    assert page.evaluate("Playback3D.queues()") == queues
    heights = page.evaluate("Playback3D.queueHeights()")
    assert heights.keys() == queues.keys()
    for gate, n in queues.items():
        assert heights[gate] == pytest.approx(n * QUEUE_M_PER_PERSON)


def test_smoke_shows_from_its_time(console_server, drill, browser_page):
    """issue 15 §1: smoke shows from its time — the smoke in L1-COR is drawn from 60 s on, not before; isolating the ground floor
    hides it and draws only the people on the ground floor."""
    from viewer.playback import RAISE_M

    page, server, run_id = browser_page, console_server, drill["id"]
    _open_playback(page, server, run_id)
    _seek(page, SMOKE_AT_S - 1)
    assert page.evaluate("Playback3D.smokeShown()") == []
    _seek(page, SMOKE_AT_S + 1)
    assert page.evaluate("Playback3D.smokeShown()") == [{"space": "L1-COR", "state": "smoke"}]
    page.select_option("#playback-floor", "G")
    page.select_option("#playback-mode", "floor")
    page.wait_for_function("() => Playback3D.view.visibleFloorIds().join() === 'G'", timeout=10_000)
    assert page.evaluate("Playback3D.smokeShown()") == []
    l1 = server.live.building.floor_by_id["L1"].elevation_m
    heights = [p[1] - RAISE_M for p in _drawn(page).values()]  # drawn RAISE_M above where they stand
    assert heights and all(y < l1 for y in heights), "only the ground floor's people are drawn"


@pytest.fixture(scope="module")
def other_run(console_server) -> str:
    """Another drill of the same block (one replication): another run, another building URL."""
    res = _post(console_server, "/runs", {"scenario": "viewer-block-drill", "replications": 1})
    assert res.status_code == 202, res.text
    return _finished(console_server, res.json()["id"], timeout_s=300)["id"]


def _choose_while_its_building_is_held_back(page, run_id: str) -> None:
    """Choose ``run_id`` for playback with its building held back 1.5 s (``window.slowDone`` once it
    came), and wait until the tab is loading it."""
    page.evaluate("""(id) => { const f = window.fetch; window.slowDone = false;
        window.fetch = (u, o) => String(u).includes(`${id}/playback/scene.glb`)
          ? new Promise((r) => setTimeout(r, 1500)).then(() => f(u, o)).finally(() => { window.slowDone = true; })
          : f(u, o); }""", run_id)
    page.select_option("#playback-run", run_id)
    page.wait_for_function("() => document.querySelector('#playback-viewport').dataset.playback3d === 'loading'",
                           timeout=30_000)


def test_the_run_chosen_last_is_the_one_played_back(console_server, drill, other_run, browser_page):
    """Two runs chosen one after the other while the first one's building is still on its way: the run
    chosen last is the one played back, and the tab holds one canvas — the first opening, finishing
    last, neither takes over nor leaves its canvas behind (the tab opening on the newest run and a
    person choosing another at once did exactly this)."""
    page, server, other = browser_page, console_server, other_run
    _open_playback(page, server, drill["id"])
    page.wait_for_selector(f"#playback-run option[value='{other}']", state="attached", timeout=60_000)
    _choose_while_its_building_is_held_back(page, other)
    page.select_option("#playback-run", drill["id"])
    page.wait_for_function("""() => window.slowDone && Playback3D.active
        && document.querySelectorAll('#playback-viewport canvas').length === 1
        && document.querySelector('#playback-viewport').dataset.playback3d === 'ready'""", timeout=60_000)
    page.wait_for_timeout(500)  # the held-back building parsed and dropped meanwhile (it is small)
    assert page.evaluate("Playback3D.info.run") == drill["id"]
    assert page.locator("#playback-viewport canvas").count() == 1
    assert page.eval_on_selector("#playback-run", "el => el.value") == drill["id"]


def test_the_timeline_moved_while_another_building_loads_shows_no_error(console_server, drill, other_run,
                                                                        browser_page):
    """The view changed, the timeline moved and "fit" pressed while the next run's building is on its
    way: no error on the page — the old building is gone, the new one not yet here, so nothing is
    drawn meanwhile — and once it is here the new run shows the time the timeline was left at (CI once
    saw "Cannot read properties of null (reading 'setView')" here, in the screenshot test)."""
    page, server, other = browser_page, console_server, other_run
    _open_playback(page, server, drill["id"])
    _seek(page, 5.0)  # the first chunk of this run is here: a seek needs no fetch before it draws
    page.wait_for_selector(f"#playback-run option[value='{other}']", state="attached", timeout=60_000)
    _choose_while_its_building_is_held_back(page, other)
    page.select_option("#playback-mode", "exploded")  # a person changes the view meanwhile…
    for t in (7.0, 9.0, 11.0):  # …drags the timeline (straight at the playback and through the console)…
        page.evaluate("(t) => Playback3D.seek(t)", t)
        page.evaluate("""(t) => { const s = document.querySelector('#playback-time'); s.value = String(t);
                                  s.dispatchEvent(new Event('input')); }""", t)
    page.evaluate("() => document.querySelectorAll('[data-pbcam=fit]').forEach((b) => b.click())")  # …and "fit"
    page.wait_for_function(f"""() => window.slowDone && Playback3D.active && Playback3D.info.run === '{other}'
        && document.querySelector('#playback-viewport').dataset.playback3d === 'ready'""", timeout=60_000)
    page.wait_for_function("() => Math.abs(Playback3D.time - 11) < 1e-6", timeout=20_000)
    message = page.locator("#message")
    assert message.is_hidden() or "info" in (message.get_attribute("class") or ""), message.inner_text()
    assert page.locator("#playback-viewport canvas").count() == 1
    page.select_option("#playback-mode", "all")


def test_without_webgl_playback_keeps_the_server_pictures(console_server, drill, browser_page):
    """issue 15 §1 ("video export stays", and the fallback): a browser without WebGL gets the
    server's playback pictures of the chosen run, as before; the MP4 export is still served."""
    page, server, run_id = browser_page, console_server, drill["id"]
    page.add_init_script("""(() => { const get = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
          return /webgl/.test(kind) ? null : get.call(this, kind, ...rest); }; })()""")
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=playback")
    page.wait_for_selector(f"#playback-run option[value='{run_id}']", state="attached", timeout=60_000)
    page.select_option("#playback-run", run_id)
    page.wait_for_selector("#playback-img[data-inside]", timeout=120_000)
    assert page.evaluate("Playback3D.active") is False
    assert page.locator("#playback-canvas").count() == 0 and page.locator("#playback-img").is_visible()
    video = server.get(f"/console/api/runs/{run_id}/playback.mp4", w=320, h=240, speed=120, fps=5)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4" and len(video.content) > 1000
