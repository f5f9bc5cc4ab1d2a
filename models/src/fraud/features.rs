//! The events of an account's history and how each becomes the [`FEATURES`] numbers the
//! GRU reads: their names, units and scaling.
//!
//! | index | name | meaning | scaling |
//! |---|---|---|---|
//! | 0 | `is_transaction` | the event is a payment | one-hot, 0 or 1 |
//! | 1 | `is_login` | the event is a login to online banking | one-hot, 0 or 1 |
//! | 2 | `is_enrollment` | the event enrols a new device or phone number | one-hot, 0 or 1 |
//! | 3 | `log_amount` | amount of a transaction, euros | log10(1 + €) / 4 (1 € → 0.08, 10 000 € → 1); 0 for other events |
//! | 4 | `log_distance` | distance of the event's location from the client's home, km | log10(1 + km) / 4 (10 000 km → 1) |
//! | 5 | `new_ip` | the event comes from an IP address the account has not used before | 0 or 1 |
//! | 6 | `log_time_since_previous` | time since the previous event (0 for the first), minutes | log10(1 + min) / 4 (1 week → 1.0) |
//! | 7 | `client_age` | the client's age, years, the same for every event | years / 100 |

/// Features per event.
pub const FEATURES: usize = 8;

/// Index of the one-hot flag of a transaction.
pub const IS_TRANSACTION: usize = 0;
/// Index of the one-hot flag of a login.
pub const IS_LOGIN: usize = 1;
/// Index of the one-hot flag of an enrollment.
pub const IS_ENROLLMENT: usize = 2;
/// Index of the log-scaled amount.
pub const LOG_AMOUNT: usize = 3;
/// Index of the log-scaled distance from home.
pub const LOG_DISTANCE: usize = 4;
/// Index of the new-IP flag.
pub const NEW_IP: usize = 5;
/// Index of the log-scaled time since the previous event.
pub const LOG_TIME_SINCE_PREVIOUS: usize = 6;
/// Index of the client's age.
pub const CLIENT_AGE: usize = 7;

/// The features' names, in index order.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "is_transaction",
    "is_login",
    "is_enrollment",
    "log_amount",
    "log_distance",
    "new_ip",
    "log_time_since_previous",
    "client_age",
];

/// What kind of event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A payment out of the account.
    Transaction,
    /// A login to online or mobile banking.
    Login,
    /// The enrollment of a new device or phone number for strong authentication.
    Enrollment,
}

/// One event of a client's history, in natural units.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Amount of a transaction in euros; 0 for logins and enrollments.
    pub amount_eur: f64,
    /// Distance of the event's location from the client's home, km.
    pub distance_km: f64,
    /// Whether the event came from an IP address the account had not used before.
    pub new_ip: bool,
    /// Minutes since the previous event of the account (0 for its first event).
    pub minutes_since_previous: f64,
}

/// log10(1 + value) / 4, the scaling of amounts, distances and times (negative values
/// count as 0).
pub fn log_scale(value: f64) -> f32 {
    ((1.0 + value.max(0.0)).log10() / 4.0) as f32
}

impl Event {
    /// Writes the event's [`FEATURES`] numbers into `out` (scaled as the module's table
    /// says), for a client aged `client_age_years`.
    ///
    /// # Panics
    /// When `out` does not hold [`FEATURES`] values.
    pub fn encode(&self, client_age_years: f64, out: &mut [f32]) {
        assert_eq!(out.len(), FEATURES, "an event has {FEATURES} features");
        out.fill(0.0);
        out[match self.kind {
            EventKind::Transaction => IS_TRANSACTION,
            EventKind::Login => IS_LOGIN,
            EventKind::Enrollment => IS_ENROLLMENT,
        }] = 1.0;
        if self.kind == EventKind::Transaction {
            out[LOG_AMOUNT] = log_scale(self.amount_eur);
        }
        out[LOG_DISTANCE] = log_scale(self.distance_km);
        out[NEW_IP] = if self.new_ip { 1.0 } else { 0.0 };
        out[LOG_TIME_SINCE_PREVIOUS] = log_scale(self.minutes_since_previous);
        out[CLIENT_AGE] = (client_age_years / 100.0) as f32;
    }
}
