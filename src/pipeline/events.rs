//! Anomaly events: consecutive flagged rows of one series are one event. An event starts at a
//! flagged row whose series' previous row was not flagged, and ends at the next row that is not:
//! one alert per event, at its first row, however long it lasts.

use std::collections::HashSet;

/// Which series are inside an event, row by row.
#[derive(Default)]
pub struct Events {
    /// Keyed series inside an event (looked up by `&str`, so a row costs no allocation).
    open: HashSet<String>,
    /// The unkeyed series, when the source has no series column.
    unkeyed: bool,
}

/// What a row means for its series' events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A flagged row after an unflagged one (or the first row): an event starts.
    Starts,
    /// A flagged row inside an event.
    Continues,
    /// The first unflagged row after an event: it ends there.
    Ends,
    /// An unflagged row outside any event.
    Quiet,
}

impl Events {
    /// Series already inside an event before these rows (a scheduled run after one that ended
    /// on a flagged row).
    pub fn with_open(open: impl IntoIterator<Item = Option<String>>) -> Events {
        let mut events = Events::default();
        for series in open {
            events.set(series.as_deref(), true);
        }
        events
    }

    fn set(&mut self, series: Option<&str>, open: bool) {
        match (series, open) {
            (None, _) => self.unkeyed = open,
            (Some(k), true) => {
                self.open.insert(k.to_string());
            }
            (Some(k), false) => {
                self.open.remove(k);
            }
        }
    }

    /// Whether the series' last row was inside an event.
    pub fn is_open(&self, series: Option<&str>) -> bool {
        match series {
            None => self.unkeyed,
            Some(k) => self.open.contains(k),
        }
    }

    pub fn step(&mut self, series: Option<&str>, flagged: bool) -> Step {
        let was = self.is_open(series);
        if was != flagged {
            self.set(series, flagged);
        }
        match (was, flagged) {
            (false, true) => Step::Starts,
            (true, true) => Step::Continues,
            (true, false) => Step::Ends,
            (false, false) => Step::Quiet,
        }
    }
}
