//! What a TimeSHAP explanation adds to an ordinary one, for C callers: its level, whether
//! its values are exact, the pruning it was computed on, and what each value's player
//! stands for (kind, event, feature), without parsing the audit JSON.

use std::ffi::{c_char, CString};

use super::boundary::{boundary, FfiError};
use super::explanation::lumen_explanation;
use super::pointers::{check_out, copy_out, write_out};
use super::registry::handle as live_handle;
use super::status::lumen_status;
use super::timeshap::{LUMEN_TIMESHAP_CELL, LUMEN_TIMESHAP_EVENT, LUMEN_TIMESHAP_FEATURE};
use crate::explain::timeshap::{Level, Player, TimeShapExplanation};

/// `lumen_timeshap_player.kind`: one event (all its features).
pub const LUMEN_TIMESHAP_PLAYER_EVENT: u32 = 0;
/// `kind`: one feature over every unpruned event.
pub const LUMEN_TIMESHAP_PLAYER_FEATURE: u32 = 1;
/// `kind`: one cell, a relevant event's relevant feature.
pub const LUMEN_TIMESHAP_PLAYER_CELL: u32 = 2;
/// `kind`: the other features of a relevant event.
pub const LUMEN_TIMESHAP_PLAYER_OTHER_FEATURES_OF_EVENT: u32 = 3;
/// `kind`: a relevant feature on the other unpruned events.
pub const LUMEN_TIMESHAP_PLAYER_OTHER_EVENTS_OF_FEATURE: u32 = 4;
/// `kind`: every other unpruned cell.
pub const LUMEN_TIMESHAP_PLAYER_OTHER_CELLS: u32 = 5;
/// `kind`: the events lumped by pruning, as one player.
pub const LUMEN_TIMESHAP_PLAYER_PRUNED_EVENTS: u32 = 6;

/// What one value of a TimeSHAP explanation stands for. `event` (0 = oldest event of the
/// explained sequence) and `feature` are -1 where the kind has none.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct lumen_timeshap_player {
    /// One of `LUMEN_TIMESHAP_PLAYER_*`.
    pub kind: u32,
    /// Position of the event in the sequence, or -1.
    pub event: i64,
    /// Feature index, or -1.
    pub feature: i64,
}

/// The TimeSHAP facts of an explanation.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct lumen_timeshap_summary {
    /// `LUMEN_TIMESHAP_EVENT`, `_FEATURE` or `_CELL`.
    pub level: u32,
    /// Non-zero when every coalition was enumerated (values exact, standard errors 0).
    pub exact: u32,
    /// L, the explained sequence's length.
    pub sequence_len: usize,
    /// Events kept as individual players (L when nothing was pruned).
    pub pruned_len: usize,
    /// Number of players: the explanation's feature axis, and the entries
    /// `lumen_explanation_timeshap_players` writes.
    pub players: usize,
}

/// The TimeSHAP part of an explanation handle.
#[derive(Debug, Clone)]
pub(crate) struct TimeShapFacts {
    summary: lumen_timeshap_summary,
    players: Vec<lumen_timeshap_player>,
    /// The players' names as the `timeshap` package writes them, NUL-terminated.
    timeshap_names: Vec<CString>,
}

impl TimeShapFacts {
    /// The facts of `result` (its explanation goes into the handle separately).
    pub(crate) fn of(result: &TimeShapExplanation) -> Self {
        let level = match result.level {
            Level::Event => LUMEN_TIMESHAP_EVENT,
            Level::Feature => LUMEN_TIMESHAP_FEATURE,
            Level::Cell => LUMEN_TIMESHAP_CELL,
        };
        let players: Vec<lumen_timeshap_player> = result.players.iter().map(c_player).collect();
        let summary = lumen_timeshap_summary {
            level,
            exact: u32::from(result.exact),
            sequence_len: result.pruning.sequence_len,
            pruned_len: result.pruning.pruned_len,
            players: players.len(),
        };
        // A name with an interior NUL (from a feature name) keeps the text before it.
        let timeshap_names = result
            .timeshap_names
            .iter()
            .map(|name| {
                let bytes = name.as_bytes();
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                CString::new(&bytes[..end]).unwrap_or_default()
            })
            .collect();
        Self { summary, players, timeshap_names }
    }
}

/// A player as its C description.
fn c_player(player: &Player) -> lumen_timeshap_player {
    let index = |i: usize| i64::try_from(i).unwrap_or(i64::MAX);
    let (kind, event, feature) = match *player {
        Player::Event { event } => (LUMEN_TIMESHAP_PLAYER_EVENT, index(event), -1),
        Player::Feature { feature } => (LUMEN_TIMESHAP_PLAYER_FEATURE, -1, index(feature)),
        Player::Cell { event, feature } => (LUMEN_TIMESHAP_PLAYER_CELL, index(event), index(feature)),
        Player::OtherFeaturesOfEvent { event } => (LUMEN_TIMESHAP_PLAYER_OTHER_FEATURES_OF_EVENT, index(event), -1),
        Player::OtherEventsOfFeature { feature } => (LUMEN_TIMESHAP_PLAYER_OTHER_EVENTS_OF_FEATURE, -1, index(feature)),
        Player::OtherCells => (LUMEN_TIMESHAP_PLAYER_OTHER_CELLS, -1, -1),
        Player::PrunedEvents => (LUMEN_TIMESHAP_PLAYER_PRUNED_EVENTS, -1, -1),
    };
    lumen_timeshap_player { kind, event, feature }
}

/// # Safety
/// `explanation` is NULL or a valid explanation.
unsafe fn facts<'a>(explanation: *const lumen_explanation) -> Result<&'a TimeShapFacts, FfiError> {
    // SAFETY: forwarded contract.
    let handle = unsafe { live_handle(explanation, "explanation")? };
    handle.timeshap().ok_or_else(|| {
        FfiError::new(
            lumen_status::InvalidArgument,
            "explanation: is not a TimeSHAP explanation (it did not come from lumen_engine_explain_timeshap)",
        )
    })
}

/// Writes the TimeSHAP facts of `explanation` (level, exact, sequence and pruned length,
/// number of players) into `*out`. `LUMEN_STATUS_INVALID_ARGUMENT` for an explanation
/// that did not come from `lumen_engine_explain_timeshap`. Thread-safe.
///
/// # Safety
/// `explanation` is a valid explanation; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_timeshap_summary(
    explanation: *const lumen_explanation,
    out: *mut lumen_timeshap_summary,
) -> lumen_status {
    boundary("lumen_explanation_timeshap_summary", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let facts = unsafe { self::facts(explanation)? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, facts.summary) };
        Ok(())
    })
}

/// Copies the players of a TimeSHAP explanation, in the order of its values, into `out`
/// (room for `out_len`; `LUMEN_STATUS_BUFFER_TOO_SMALL` when fewer than
/// `lumen_timeshap_summary.players`, nothing written). Their names are the explanation's
/// feature names (`lumen_explanation_feature_name`). Thread-safe.
///
/// # Safety
/// `explanation` is a valid explanation; `out` holds `out_len` writable entries.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_timeshap_players(
    explanation: *const lumen_explanation,
    out: *mut lumen_timeshap_player,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_timeshap_players", || {
        // SAFETY: caller's contract.
        let facts = unsafe { self::facts(explanation)? };
        // SAFETY: caller's contract on `out`.
        unsafe { copy_out(&facts.players, out, out_len) }
    })
}

/// Writes into `*out` the name the `timeshap` package gives player `player` (`<
/// lumen_timeshap_summary.players`): "Event -1" (the most recent event) and "Pruned
/// Events" at event level; the feature's name (else "Feature j") at feature level; at cell
/// level the package's (Event, Feature) row, e.g. "(Event -1, amount)", "(Event -2, Other
/// Features)", "(Other Events, amount)", "(Other Events, Other Features)" (Lumen's "Other
/// Cells") and "(Pruned Events, Pruned Events)". The package counts events from the
/// newest: its index of a player's event is `event − sequence_len`. The string is
/// NUL-terminated UTF-8 borrowed from the explanation until `lumen_explanation_free`;
/// never free it. `LUMEN_STATUS_INVALID_ARGUMENT` for a `player` out of range or an
/// explanation that did not come from `lumen_engine_explain_timeshap`. Nothing is
/// written on failure. Thread-safe.
///
/// # Safety
/// `explanation` is a valid explanation; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_timeshap_player_name(
    explanation: *const lumen_explanation,
    player: usize,
    out: *mut *const c_char,
) -> lumen_status {
    boundary("lumen_explanation_timeshap_player_name", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let facts = unsafe { self::facts(explanation)? };
        let name = facts.timeshap_names.get(player).ok_or_else(|| {
            FfiError::new(
                lumen_status::InvalidArgument,
                format!("player: is {player}, expected < {}", facts.timeshap_names.len()),
            )
        })?;
        // SAFETY: `out` passed `check_out`; the string lives in the handle.
        unsafe { write_out(out, name.as_ptr()) };
        Ok(())
    })
}
