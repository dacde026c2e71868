//! Which of a long folder's items are drawn. A folder can hold thousands of items; drawing every
//! one makes opening and scrolling it slow, so the browser draws only the rows in view plus a few
//! on either side, and pads the list above and below so the scroll bar still measures the whole
//! folder. Every row has the same height (the stylesheet fixes it), so where a row sits follows
//! from its number: no item needs to be measured.

/// Rows drawn beyond each edge of the view, so a quick scroll shows rows, not a gap.
const OVERSCAN_ROWS: usize = 4;

/// Rows drawn before the list has been measured: enough to fill a tall dialog.
const FIRST_ROWS: usize = 14;

/// How the list is laid out and scrolled, as the page measured it (CSS pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// How far the list is scrolled.
    pub scroll_top: f64,
    /// The visible height of the list.
    pub height: f64,
    /// From one row's top to the next one's (height and gap).
    pub pitch: f64,
    /// Items per row (1 in the list layout, several tiles in the grid).
    pub columns: usize,
}

/// The items drawn: `first..end` of the folder as shown, with the space left above and below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first item drawn (always the start of a row).
    pub first: usize,
    /// One past the last item drawn.
    pub end: usize,
    /// Pixels of padding standing for the rows above.
    pub pad_top: u32,
    /// Pixels of padding standing for the rows below.
    pub pad_bottom: u32,
}

impl Window {
    /// Before anything is measured: the first rows, without padding.
    pub fn start(total: usize, columns: usize) -> Window {
        Window {
            first: 0,
            end: total.min(FIRST_ROWS * columns.max(1)),
            pad_top: 0,
            pad_bottom: 0,
        }
    }

    /// The rows around what `view` shows of a folder of `total` items.
    pub fn around(view: Viewport, total: usize) -> Window {
        let cols = view.columns.max(1);
        // A pitch of zero (nothing laid out yet) would divide by zero below.
        if view.pitch.is_nan() || view.pitch <= 0.0 {
            return Window::start(total, cols);
        }
        let rows = total.div_ceil(cols);
        let top_row = (view.scroll_top.max(0.0) / view.pitch) as usize;
        let in_view = (view.height.max(0.0) / view.pitch).ceil() as usize + 1;
        let end_row = (top_row + in_view + OVERSCAN_ROWS).min(rows);
        // Near the end (or scrolled past it while a filter shrank the folder), still draw a
        // view's worth of rows above the last one.
        let first_row = top_row
            .saturating_sub(OVERSCAN_ROWS)
            .min(end_row.saturating_sub(in_view + 2 * OVERSCAN_ROWS));
        let px = |n: usize| (n as f64 * view.pitch).round() as u32;
        Window {
            first: first_row * cols,
            end: (end_row * cols).min(total),
            pad_top: px(first_row),
            pad_bottom: px(rows - end_row),
        }
    }

    /// Whether the drawn items reach the last one read, so the next page should be asked for.
    pub fn at_end(&self, total: usize) -> bool {
        self.end >= total
    }

    /// The scroll position that brings item `index` into a view of `view.height`, or `None` when
    /// it is in view already.
    pub fn reveal(view: Viewport, index: usize) -> Option<f64> {
        if view.pitch.is_nan() || view.pitch <= 0.0 {
            return None;
        }
        let top = (index / view.columns.max(1)) as f64 * view.pitch;
        let bottom = top + view.pitch;
        if top < view.scroll_top {
            Some(top)
        } else if bottom > view.scroll_top + view.height {
            Some(bottom - view.height)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(scroll_top: f64, columns: usize) -> Viewport {
        Viewport {
            scroll_top,
            height: 400.0,
            pitch: 50.0,
            columns,
        }
    }

    #[test]
    fn the_top_of_a_long_list_draws_the_rows_in_view_and_a_few_more() {
        let w = Window::around(view(0.0, 1), 5000);
        // 8 rows in view, one cut at the bottom, four more below.
        assert_eq!((w.first, w.end), (0, 13));
        assert_eq!((w.pad_top, w.pad_bottom), (0, (5000 - 13) * 50));
    }

    #[test]
    fn scrolled_into_the_middle_the_padding_stands_for_the_rows_not_drawn() {
        let w = Window::around(view(100_000.0, 1), 5000);
        assert_eq!((w.first, w.end), (1996, 2013));
        assert_eq!(w.pad_top, 1996 * 50);
        assert_eq!(w.pad_top + w.pad_bottom + 17 * 50, 5000 * 50);
    }

    #[test]
    fn a_grid_draws_whole_rows_and_the_last_row_may_be_short() {
        // 1,250 rows of 50 px, scrolled to the bottom.
        let w = Window::around(view(62_100.0, 4), 4998);
        assert_eq!((w.first, w.pad_top), (1233 * 4, 1233 * 50));
        assert_eq!(w.end, 4998);
        assert_eq!(w.pad_bottom, 0);
        assert!(w.at_end(4998));
        let top = Window::around(view(0.0, 4), 4998);
        assert_eq!((top.first, top.end), (0, 52));
        assert!(!top.at_end(4998));
    }

    #[test]
    fn a_scroll_past_the_end_of_a_shrunk_folder_still_draws_its_last_rows() {
        let w = Window::around(view(100_000.0, 1), 30);
        assert_eq!((w.first, w.end), (13, 30));
        assert_eq!(w.pad_top, 13 * 50);
    }

    #[test]
    fn a_short_folder_is_drawn_whole_and_is_at_its_end() {
        let w = Window::around(view(0.0, 1), 3);
        assert_eq!((w.first, w.end, w.pad_top, w.pad_bottom), (0, 3, 0, 0));
        assert!(w.at_end(3));
        assert_eq!(Window::around(view(0.0, 1), 0).end, 0);
    }

    #[test]
    fn an_unmeasured_list_draws_the_first_rows() {
        let unmeasured = Viewport {
            pitch: 0.0,
            ..view(0.0, 3)
        };
        assert_eq!(Window::around(unmeasured, 5000), Window::start(5000, 3));
        assert_eq!(Window::start(5000, 3).end, 42);
        assert_eq!(Window::reveal(unmeasured, 10), None);
    }

    #[test]
    fn reveal_scrolls_just_enough_to_show_an_item() {
        // Row 20 spans 1000..1050; the view shows 0..400.
        assert_eq!(Window::reveal(view(0.0, 1), 20), Some(650.0));
        assert_eq!(Window::reveal(view(2000.0, 1), 20), Some(1000.0));
        assert_eq!(Window::reveal(view(900.0, 1), 20), None);
        // In a grid of 4, item 81 is on row 20.
        assert_eq!(Window::reveal(view(0.0, 4), 81), Some(650.0));
    }
}
