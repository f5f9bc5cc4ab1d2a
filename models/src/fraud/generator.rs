//! A seeded generator of synthetic account histories, some ending in an account takeover.
//!
//! Every history is drawn from its own ChaCha8 stream (the configuration's seed, stream =
//! the history's index), so history `i` is the same whether it is generated alone, in a
//! batch, or on any number of threads.
//!
//! **A client** has an age (18–85 years, uniform), a typical payment (log-normal, median
//! 40 €) and a typical time between events (log-normal, median 10 h).
//!
//! **Everyday activity** is a stream of events drawn as transactions 70 %, logins 27 %,
//! enrollments 3 %, except that a login is followed by a transaction 80 % of the time, a
//! few minutes later; the resulting mix is about 75 % transactions, 22 % logins and 3 %
//! enrollments. Payments scatter around the typical amount (log-normal, σ 0.7), and 1 % are
//! large legitimate purchases (5–25 × typical). Events happen near home (exponential,
//! mean 4 km) except during trips (0.5 % of events start one, about 12 events long,
//! 600 km median distance) whose first login usually comes from a new IP. Logins come
//! from a new IP 4 % of the time, enrollments 30 %, transactions 1 %.
//!
//! **An account takeover** (label 1) ends the history: the attacker enrols a new device
//! (new IP 70 %), then logs in from an unusual place (far away 80 %, otherwise nearby) or a
//! new IP (at least one of them, new IP 90 %) within about 20 minutes, then makes an
//! unusually large transaction (8–40 × typical, at least 300 €) within about 5 minutes. An
//! everyday event may slip in between the enrollment and the login (25 %), and 0–3 events
//! follow the large transaction (more attacker payments or everyday ones).
//!
//! **Decoys**: 35 % of legitimate histories end with a pattern that shares two of the
//! takeover's three steps: a new phone (enrollment, then a login from a new IP at home,
//! then an ordinary payment), a trip (login far away from a new IP, then a large
//! purchase), an enrollment followed by a large purchase at home, or a new device enrolled
//! abroad (enrollment and login far away from new IPs, then an ordinary payment). A model
//! has to see the whole sequence of steps, not any one of them, to tell takeovers apart.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use super::features::{Event, EventKind, FEATURES};

/// Shortest history the generator makes: room for the longest takeover or decoy ending
/// (8 events) after some everyday activity.
pub const MIN_EVENTS: usize = 10;

/// How histories are drawn.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeneratorConfig {
    /// Seed of every history's ChaCha8 stream.
    pub seed: u64,
    /// Fewest events in a history (at least [`MIN_EVENTS`]).
    pub min_events: usize,
    /// Most events in a history; lengths are uniform in `min_events..=max_events`.
    pub max_events: usize,
    /// Probability that a history ends in an account takeover.
    pub fraud_share: f64,
}

impl GeneratorConfig {
    /// The histories the built-in GRU was trained on. Fraud is over-represented (30 %, far
    /// above a real bank's rate) so that the model sees enough takeovers.
    pub const TRAINING: Self = Self { seed: 0x4652_4155_4431, min_events: 20, max_events: 300, fraud_share: 0.3 };

    /// The held-out histories the built-in GRU is measured on: the same distribution as
    /// [`GeneratorConfig::TRAINING`] from another seed.
    pub const HOLDOUT: Self = Self { seed: 0x4652_4155_4432, ..Self::TRAINING };

    /// Histories of exactly `events` events from `seed`, fraud as in training (benches).
    pub fn fixed_length(seed: u64, events: usize) -> Self {
        Self { seed, min_events: events, max_events: events, ..Self::TRAINING }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_events < MIN_EVENTS {
            return Err(format!("min_events is {}, at least {MIN_EVENTS} are needed", self.min_events));
        }
        if self.max_events < self.min_events {
            return Err(format!("max_events ({}) is below min_events ({})", self.max_events, self.min_events));
        }
        if !(0.0..=1.0).contains(&self.fraud_share) {
            return Err(format!("fraud_share is {}, expected a probability", self.fraud_share));
        }
        Ok(())
    }
}

/// How a history ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// Everyday activity only.
    Everyday,
    /// An account takeover (the only ending labelled fraud).
    Takeover,
    /// Decoy: a new phone (enrollment, login from a new IP at home, ordinary payment).
    NewPhone,
    /// Decoy: a trip (login far away from a new IP, large purchase).
    TripPurchase,
    /// Decoy: an enrollment, then a large purchase at home.
    EnrollmentThenPurchase,
    /// Decoy: a device enrolled abroad (enrollment and login far away, ordinary payment).
    EnrolledAbroad,
}

/// One client's generated history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountHistory {
    /// The history's index (its ChaCha8 stream).
    pub index: u64,
    /// The client's age in years.
    pub client_age_years: f64,
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// How the history ends.
    pub ending: Ending,
    /// Index of the event where the ending's pattern starts (the attacker's enrollment
    /// for a takeover); `None` for [`Ending::Everyday`].
    pub ending_start: Option<usize>,
}

impl AccountHistory {
    /// The label: whether the history ends in an account takeover.
    pub fn is_fraud(&self) -> bool {
        self.ending == Ending::Takeover
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are no events (never true for generated histories).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The encoded events, `len() × FEATURES` numbers, event by event.
    pub fn encoded(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.len() * FEATURES];
        for (event, row) in self.events.iter().zip(out.chunks_exact_mut(FEATURES)) {
            event.encode(self.client_age_years, row);
        }
        out
    }
}

/// History `index` of `config`.
///
/// # Panics
/// When the configuration is invalid ([`GeneratorConfig::validate`]).
pub fn generate_history(config: &GeneratorConfig, index: u64) -> AccountHistory {
    if let Err(message) = config.validate() {
        panic!("invalid generator configuration: {message}");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(index);
    let len = rng.random_range(config.min_events..=config.max_events);
    let fraud = rng.random::<f64>() < config.fraud_share;
    let client = Client::draw(&mut rng);
    let ending = if fraud {
        Ending::Takeover
    } else if rng.random::<f64>() < DECOY_SHARE {
        [Ending::NewPhone, Ending::TripPurchase, Ending::EnrollmentThenPurchase, Ending::EnrolledAbroad]
            [rng.random_range(0..4)]
    } else {
        Ending::Everyday
    };
    let plan = plan_ending(ending, &mut rng);
    let mut activity = Everyday::new();
    let mut events = Vec::with_capacity(len);
    for _ in 0..len - plan.len() {
        events.push(activity.next(&client, &mut rng));
    }
    let ending_start = (!plan.is_empty()).then_some(events.len());
    let attacker_distance =
        if rng.random::<f64>() < 0.8 { far_distance(&mut rng) } else { rng.random_range(5.0..50.0) };
    for step in plan {
        let event = match step {
            Step::Everyday => activity.next(&client, &mut rng),
            Step::Pattern { kind, far, new_ip, large, mean_gap_minutes } => {
                let distance_km = match (ending, far) {
                    (Ending::Takeover, true) => attacker_distance * rng.random_range(0.95..1.05),
                    (_, true) => far_distance(&mut rng),
                    (_, false) => home_distance(&mut rng),
                };
                let amount_eur = match (kind, large) {
                    (EventKind::Transaction, true) => {
                        (client.typical_amount_eur * rng.random_range(8.0..40.0)).max(rng.random_range(300.0..600.0))
                    }
                    (EventKind::Transaction, false) => client.ordinary_amount(&mut rng),
                    _ => 0.0,
                };
                let minutes_since_previous = exponential(&mut rng, mean_gap_minutes);
                activity.previous = Some(kind);
                Event { kind, amount_eur, distance_km, new_ip, minutes_since_previous }
            }
        };
        events.push(event);
    }
    if let Some(first) = events.first_mut() {
        first.minutes_since_previous = 0.0;
    }
    AccountHistory { index, client_age_years: client.age_years, events, ending, ending_start }
}

/// Histories `0..count` of `config`.
///
/// # Panics
/// When the configuration is invalid ([`GeneratorConfig::validate`]).
pub fn generate_histories(config: &GeneratorConfig, count: usize) -> Vec<AccountHistory> {
    (0..count as u64).map(|index| generate_history(config, index)).collect()
}

/// The mean of every feature over all events of `histories` (TimeSHAP's default
/// background event); zeros when there are no events.
pub fn average_event(histories: &[AccountHistory]) -> [f32; FEATURES] {
    let mut sums = [0.0f64; FEATURES];
    let mut count = 0usize;
    let mut encoded = [0.0f32; FEATURES];
    for history in histories {
        for event in &history.events {
            event.encode(history.client_age_years, &mut encoded);
            for (sum, &value) in sums.iter_mut().zip(&encoded) {
                *sum += f64::from(value);
            }
            count += 1;
        }
    }
    sums.map(|sum| if count == 0 { 0.0 } else { (sum / count as f64) as f32 })
}

/// Share of legitimate histories that end in a decoy.
const DECOY_SHARE: f64 = 0.35;
/// Shares of transactions and logins among everyday events (enrollments take the rest).
const TRANSACTION_SHARE: f64 = 0.70;
const LOGIN_SHARE: f64 = 0.27;
/// Probability that a login is followed by a transaction.
const TRANSACTION_AFTER_LOGIN: f64 = 0.8;
/// Mean minutes between a login and the transaction it leads to.
const SESSION_GAP_MINUTES: f64 = 3.0;
/// Probability that an everyday event at home starts a trip, and a trip's mean length.
const TRIP_START: f64 = 0.005;
const TRIP_MEAN_EVENTS: f64 = 12.0;
/// Probability of a large legitimate purchase among everyday transactions.
const LARGE_PURCHASE: f64 = 0.01;

/// One client's habits.
struct Client {
    age_years: f64,
    typical_amount_eur: f64,
    mean_gap_minutes: f64,
}

impl Client {
    fn draw(rng: &mut ChaCha8Rng) -> Self {
        Self {
            age_years: f64::from(rng.random_range(18u32..=85)),
            typical_amount_eur: log_normal(rng, 40.0, 0.6),
            mean_gap_minutes: log_normal(rng, 600.0, 0.7),
        }
    }

    fn ordinary_amount(&self, rng: &mut ChaCha8Rng) -> f64 {
        self.typical_amount_eur * log_normal(rng, 1.0, 0.7)
    }
}

/// The everyday process: which event comes next depends on the previous one and on
/// whether the client is travelling.
struct Everyday {
    previous: Option<EventKind>,
    trip_events_left: usize,
    trip_distance_km: f64,
    trip_login_seen: bool,
}

impl Everyday {
    fn new() -> Self {
        Self { previous: None, trip_events_left: 0, trip_distance_km: 0.0, trip_login_seen: false }
    }

    fn next(&mut self, client: &Client, rng: &mut ChaCha8Rng) -> Event {
        let after_login = self.previous == Some(EventKind::Login);
        let kind = if after_login && rng.random::<f64>() < TRANSACTION_AFTER_LOGIN {
            EventKind::Transaction
        } else {
            let u = rng.random::<f64>();
            if u < TRANSACTION_SHARE {
                EventKind::Transaction
            } else if u < TRANSACTION_SHARE + LOGIN_SHARE {
                EventKind::Login
            } else {
                EventKind::Enrollment
            }
        };
        let minutes_since_previous = if after_login && kind == EventKind::Transaction {
            exponential(rng, SESSION_GAP_MINUTES)
        } else {
            exponential(rng, client.mean_gap_minutes)
        };
        if self.trip_events_left == 0 && rng.random::<f64>() < TRIP_START {
            self.trip_events_left = 1 + exponential(rng, TRIP_MEAN_EVENTS) as usize;
            self.trip_distance_km = log_normal(rng, 600.0, 1.0);
            self.trip_login_seen = false;
        }
        let travelling = self.trip_events_left > 0;
        let distance_km = if travelling {
            self.trip_events_left -= 1;
            self.trip_distance_km * rng.random_range(0.9..1.1)
        } else {
            home_distance(rng)
        };
        let new_ip_probability = match kind {
            EventKind::Login if travelling && !self.trip_login_seen => {
                self.trip_login_seen = true;
                0.7
            }
            EventKind::Login => 0.04,
            EventKind::Enrollment => 0.3,
            EventKind::Transaction => 0.01,
        };
        let amount_eur = match kind {
            EventKind::Transaction if rng.random::<f64>() < LARGE_PURCHASE => {
                client.typical_amount_eur * rng.random_range(5.0..25.0)
            }
            EventKind::Transaction => client.ordinary_amount(rng),
            _ => 0.0,
        };
        self.previous = Some(kind);
        Event {
            kind,
            amount_eur,
            distance_km,
            new_ip: rng.random::<f64>() < new_ip_probability,
            minutes_since_previous,
        }
    }
}

/// One planned event of a history's ending.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// An everyday event.
    Everyday,
    /// An event of the ending's pattern.
    Pattern { kind: EventKind, far: bool, new_ip: bool, large: bool, mean_gap_minutes: f64 },
}

/// The events that end a history of `ending` (none for everyday histories).
fn plan_ending(ending: Ending, rng: &mut ChaCha8Rng) -> Vec<Step> {
    use EventKind::{Enrollment, Login, Transaction};
    let pattern =
        |kind, far, new_ip, large, mean_gap_minutes| Step::Pattern { kind, far, new_ip, large, mean_gap_minutes };
    let mut plan = Vec::with_capacity(8);
    match ending {
        Ending::Everyday => return plan,
        Ending::Takeover => {
            let far = rng.random::<f64>() < 0.8;
            plan.push(pattern(Enrollment, far && rng.random::<f64>() < 0.6, rng.random::<f64>() < 0.7, false, 600.0));
            if rng.random::<f64>() < 0.25 {
                plan.push(Step::Everyday);
            }
            let login_new_ip = !far || rng.random::<f64>() < 0.9;
            plan.push(pattern(Login, far, login_new_ip, false, 20.0));
            plan.push(pattern(Transaction, far, false, true, 5.0));
            for _ in 0..rng.random_range(0..=3) {
                if rng.random::<f64>() < 0.5 {
                    plan.push(pattern(Transaction, far, false, rng.random::<f64>() < 0.5, 10.0));
                } else {
                    plan.push(Step::Everyday);
                }
            }
            return plan;
        }
        Ending::NewPhone => {
            plan.push(pattern(Enrollment, false, rng.random::<f64>() < 0.5, false, 600.0));
            plan.push(pattern(Login, false, true, false, 20.0));
            plan.push(pattern(Transaction, false, false, false, 5.0));
        }
        Ending::TripPurchase => {
            plan.push(pattern(Login, true, true, false, 600.0));
            plan.push(pattern(Transaction, true, false, true, 5.0));
        }
        Ending::EnrollmentThenPurchase => {
            plan.push(pattern(Enrollment, false, rng.random::<f64>() < 0.3, false, 600.0));
            plan.push(pattern(Login, false, false, false, 20.0));
            plan.push(pattern(Transaction, false, false, true, 5.0));
        }
        Ending::EnrolledAbroad => {
            plan.push(pattern(Enrollment, true, true, false, 600.0));
            plan.push(pattern(Login, true, true, false, 20.0));
            plan.push(pattern(Transaction, true, false, false, 5.0));
        }
    }
    for _ in 0..rng.random_range(0..=3) {
        plan.push(Step::Everyday);
    }
    plan
}

/// A distance from home in everyday life: exponential, mean 4 km.
fn home_distance(rng: &mut ChaCha8Rng) -> f64 {
    exponential(rng, 4.0)
}

/// An unusual distance: log-normal, median 1500 km.
fn far_distance(rng: &mut ChaCha8Rng) -> f64 {
    log_normal(rng, 1500.0, 0.8)
}

/// A draw from the exponential distribution with `mean`.
fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    Exp::new(1.0 / mean).map(|distribution| distribution.sample(rng)).unwrap_or(mean)
}

/// A draw from the log-normal distribution with `median` and log-scale spread `sigma`.
fn log_normal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    LogNormal::new(median.ln(), sigma).map(|distribution| distribution.sample(rng)).unwrap_or(median)
}
