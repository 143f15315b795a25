"""At 1366 × 768, the most common office screen, the columns a user acts on are on screen without
scrolling sideways: in *Tugas Saya* the step, its target, the time used and left and the row's box that opens
it; on the case page the timeline's step, target and processing time.

``st.dataframe`` draws its cells on a canvas; for screen readers the grid also renders an accessible table
whose header cells are the columns inside its visible region (a column scrolled out of view is not there).
So a column that is listed, and followed by another listed column, is wholly visible in the grid, and the
grid's own box lies inside the viewport."""
from .conftest import login, wait_idle

WIDTH, HEIGHT = 1366, 768
ROW_PX = 35  # st.dataframe's header and row height


def _visible_columns(page, grid) -> list[str]:
    grid.scroll_into_view_if_needed()
    grid.locator("[role='columnheader']").first.wait_for(state="attached")  # after the canvas
    box = grid.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    return [t.strip() for t in grid.locator("[role='columnheader']").all_inner_texts()]


def _assert_on_screen(columns: list[str], wanted: list[str]) -> None:
    missing = [w for w in wanted if w not in columns]
    assert not missing, (missing, columns)
    assert max(columns.index(w) for w in wanted) < len(columns) - 1, columns  # none is the cut-off last one


def test_at_1366_px_the_columns_a_user_acts_on_are_visible_without_scrolling_sideways(server, page):
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    login(page, server, "staf", path="/tugas")
    page.get_by_role("heading", name="Tugas Saya").wait_for()
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    _assert_on_screen(_visible_columns(page, grid), ["Langkah", "Target", "Terpakai", "Sisa waktu"])
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + ROW_PX + ROW_PX / 2)  # the first row's box opens its step
    wait_idle(page)
    page.get_by_role("heading", name="Linimasa langkah").wait_for()
    timeline = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("[role='columnheader']", has_text="Kegiatan"))
    timeline.wait_for()
    _assert_on_screen(_visible_columns(page, timeline), ["Langkah", "Kegiatan", "Target", "Waktu proses"])
