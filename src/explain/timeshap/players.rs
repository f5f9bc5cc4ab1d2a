//! The players of each TimeSHAP level as a map over the pruned game's row
//! (`[older-events flag?, tail events]`, see [`lumped`](super::lumped)), with their names.
//! Player order follows the `timeshap` package: events from the most recent back, then
//! the pruned events; features in model order, then the pruned events; cells as below.

use serde::Serialize;

/// What a player of a TimeSHAP explanation stands for. Event and feature indices are
/// positions in the whole explained sequence and the model's features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Player {
    /// One event (all its features).
    Event {
        /// Position in the sequence (0 = oldest).
        event: usize,
    },
    /// One feature over every unpruned event.
    Feature {
        /// Feature index.
        feature: usize,
    },
    /// One cell: a relevant event's relevant feature.
    Cell {
        /// Position in the sequence.
        event: usize,
        /// Feature index.
        feature: usize,
    },
    /// The features of a relevant event that are not relevant.
    OtherFeaturesOfEvent {
        /// Position in the sequence.
        event: usize,
    },
    /// A relevant feature on the unpruned events that are not relevant.
    OtherEventsOfFeature {
        /// Feature index.
        feature: usize,
    },
    /// Every other unpruned cell (events and features both not relevant).
    OtherCells,
    /// The events lumped by pruning, as one player.
    PrunedEvents,
}

impl Player {
    /// A readable name: events by their distance from the end ("Event -1" is the most
    /// recent), features by `names` when given, and `timeshap`'s "Pruned Events" and
    /// "Other Cells" for those groups.
    pub fn name(&self, seq_len: usize, names: Option<&[String]>) -> String {
        let feature = |j: usize| names.and_then(|n| n.get(j).cloned()).unwrap_or_else(|| format!("Feature {j}"));
        let event = |e: usize| format!("Event -{}", seq_len - e);
        match self {
            Self::Event { event: e } => event(*e),
            Self::Feature { feature: j } => feature(*j),
            Self::Cell { event: e, feature: j } => format!("{}, {}", event(*e), feature(*j)),
            Self::OtherFeaturesOfEvent { event: e } => format!("Other features of {}", event(*e)),
            Self::OtherEventsOfFeature { feature: j } => format!("Other events of {}", feature(*j)),
            Self::OtherCells => "Other Cells".to_owned(),
            Self::PrunedEvents => "Pruned Events".to_owned(),
        }
    }
}

impl Player {
    /// The event's index as the `timeshap` package counts it, from the newest: `event − L`
    /// (−1 is the most recent event, −L the oldest); `None` for kinds without one.
    pub fn timeshap_event(&self, seq_len: usize) -> Option<i64> {
        let from_newest = |e: usize| Some(i64::try_from(e).ok()? - i64::try_from(seq_len).ok()?);
        match *self {
            Self::Event { event } | Self::Cell { event, .. } | Self::OtherFeaturesOfEvent { event } => {
                from_newest(event)
            }
            _ => None,
        }
    }

    /// The name the `timeshap` package writes for this player at `level`: "Event -1" (and
    /// "Pruned Events") at event level; the feature's name, else "Feature j", (and "Pruned
    /// Events") at feature level; at cell level the package's (Event, Feature) row as
    /// "(Event -1, amount)", with "Other Features" and "Other Events" for the groups
    /// (Lumen's "Other Cells" is "(Other Events, Other Features)") and "(Pruned Events,
    /// Pruned Events)".
    pub fn timeshap_name(&self, level: super::Level, seq_len: usize, names: Option<&[String]>) -> String {
        let feature = |j: usize| names.and_then(|n| n.get(j).cloned()).unwrap_or_else(|| format!("Feature {j}"));
        let event = |e: usize| format!("Event -{}", seq_len - e);
        match self {
            Self::Event { event: e } => event(*e),
            Self::Feature { feature: j } => feature(*j),
            Self::Cell { event: e, feature: j } => format!("({}, {})", event(*e), feature(*j)),
            Self::OtherFeaturesOfEvent { event: e } => format!("({}, Other Features)", event(*e)),
            Self::OtherEventsOfFeature { feature: j } => format!("(Other Events, {})", feature(*j)),
            Self::OtherCells => "(Other Events, Other Features)".to_owned(),
            Self::PrunedEvents if level == super::Level::Cell => "(Pruned Events, Pruned Events)".to_owned(),
            Self::PrunedEvents => "Pruned Events".to_owned(),
        }
    }
}

/// The players and the player of every element of a game row.
pub(crate) struct PlayerMap {
    pub players: Vec<Player>,
    /// One id per row element (flag first when lumped).
    pub map: Vec<u32>,
}

/// The layout of the pruned game's row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// First unpruned event's position (events before it are lumped).
    pub split: usize,
    /// L.
    pub seq_len: usize,
    /// F.
    pub features: usize,
}

impl Layout {
    fn lumped(&self) -> bool {
        self.split > 0
    }

    /// Builds the map from `player_of(event, feature)` for tail cells, the pruned events
    /// being the player after the last of `players`.
    fn build(&self, mut players: Vec<Player>, player_of: impl Fn(usize, usize) -> usize) -> PlayerMap {
        let mut map = Vec::with_capacity(usize::from(self.lumped()) + (self.seq_len - self.split) * self.features);
        if self.lumped() {
            map.push(players.len() as u32);
        }
        for event in self.split..self.seq_len {
            map.extend((0..self.features).map(|feature| player_of(event, feature) as u32));
        }
        if self.lumped() {
            players.push(Player::PrunedEvents);
        }
        PlayerMap { players, map }
    }

    /// Event level: each unpruned event, most recent first.
    pub fn events(&self) -> PlayerMap {
        let players = (self.split..self.seq_len).rev().map(|event| Player::Event { event }).collect();
        self.build(players, |event, _| self.seq_len - 1 - event)
    }

    /// Feature level: each feature over the unpruned events.
    pub fn features(&self) -> PlayerMap {
        let players = (0..self.features).map(|feature| Player::Feature { feature }).collect();
        self.build(players, |_, feature| feature)
    }

    /// Cell level (the paper's grouping, in `timeshap`'s order): each relevant event ×
    /// relevant feature cell alone (events in `events` order, then features), then per
    /// relevant event its other features, per relevant feature its other events, the
    /// remaining cells, and the pruned events. A group that would be empty is left out.
    /// `events` are unpruned positions, `features` feature indices, both distinct.
    pub fn cells(&self, events: &[usize], features: &[usize]) -> PlayerMap {
        let mut players = Vec::new();
        for &event in events {
            players.extend(features.iter().map(|&feature| Player::Cell { event, feature }));
        }
        let unpruned = self.seq_len - self.split;
        let other_features = features.len() < self.features;
        let other_events = events.len() < unpruned;
        if other_features {
            players.extend(events.iter().map(|&event| Player::OtherFeaturesOfEvent { event }));
        }
        if other_events {
            players.extend(features.iter().map(|&feature| Player::OtherEventsOfFeature { feature }));
        }
        let rest = other_features && other_events;
        if rest {
            players.push(Player::OtherCells);
        }
        let find = |wanted: &Player| players.iter().position(|p| p == wanted).unwrap_or(usize::MAX);
        let ids: Vec<usize> = (self.split..self.seq_len)
            .flat_map(|event| (0..self.features).map(move |feature| (event, feature)))
            .map(|(event, feature)| match (events.contains(&event), features.contains(&feature)) {
                (true, true) => find(&Player::Cell { event, feature }),
                (true, false) => find(&Player::OtherFeaturesOfEvent { event }),
                (false, true) => find(&Player::OtherEventsOfFeature { feature }),
                (false, false) => find(&Player::OtherCells),
            })
            .collect();
        let width = self.features;
        self.build(players, |event, feature| ids[(event - self.split) * width + feature])
    }
}
