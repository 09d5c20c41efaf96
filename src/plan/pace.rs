//! Pacing: at most N requests per hour or per day for one plan, spread evenly, each gap
//! stretched by a random jitter.

use std::fmt;
use std::time::Duration;

use rand::Rng;

use super::PlanError;

/// At most `count` requests per `period`, one every `period / count`, each gap lengthened by
/// a random fraction up to `jitter` (so the pace is never above `count` per `period`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    count: u32,
    period: Duration,
    jitter: f64,
}

/// The default jitter: each gap is between 1 and 1.5 times the even spacing.
pub const DEFAULT_JITTER: f64 = 0.5;

/// The shortest gap a pace may ask for (10 ms), the largest count per period follows.
const MIN_GAP: Duration = Duration::from_millis(10);

impl Default for Pace {
    /// X's documented cap on follows, 400 per user per 24 hours, spread over the day.
    fn default() -> Pace {
        Pace {
            count: 400,
            period: Duration::from_secs(86_400),
            jitter: DEFAULT_JITTER,
        }
    }
}

impl Pace {
    /// At most `count` per hour (1 to 360,000).
    pub fn per_hour(count: u32) -> Result<Pace, PlanError> {
        Pace::new(count, Duration::from_secs(3_600))
    }

    /// At most `count` per day (1 to 8,640,000).
    pub fn per_day(count: u32) -> Result<Pace, PlanError> {
        Pace::new(count, Duration::from_secs(86_400))
    }

    fn new(count: u32, period: Duration) -> Result<Pace, PlanError> {
        if count == 0 || period / count < MIN_GAP {
            return Err(PlanError::InvalidPace);
        }
        Ok(Pace {
            count,
            period,
            jitter: DEFAULT_JITTER,
        })
    }

    /// `N/hour` or `N/day` (also `N/h`, `N/d`).
    pub fn parse(s: &str) -> Result<Pace, PlanError> {
        let (n, unit) = s.split_once('/').ok_or(PlanError::InvalidPace)?;
        if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PlanError::InvalidPace);
        }
        let n: u32 = n.parse().map_err(|_| PlanError::InvalidPace)?;
        match unit {
            "hour" | "h" => Pace::per_hour(n),
            "day" | "d" => Pace::per_day(n),
            _ => Err(PlanError::InvalidPace),
        }
    }

    /// The same pace with gaps lengthened by up to `jitter` (0 to 1) of the even spacing.
    pub fn with_jitter(mut self, jitter: f64) -> Result<Pace, PlanError> {
        if !(0.0..=1.0).contains(&jitter) {
            return Err(PlanError::InvalidPace);
        }
        self.jitter = jitter;
        Ok(self)
    }

    /// The even spacing, `period / count`.
    pub fn spacing(&self) -> Duration {
        self.period / self.count
    }

    /// The jitter fraction.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// One gap: the spacing times `1 + u`, `u` uniform in `[0, jitter)`.
    pub(crate) fn gap(&self) -> Duration {
        let base = self.spacing();
        if self.jitter <= 0.0 {
            return base;
        }
        let u: f64 = rand::thread_rng().gen_range(0.0..self.jitter);
        base + base.mul_f64(u)
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.period.as_secs() == 3_600 {
            "hour"
        } else {
            "day"
        };
        write!(f, "{}/{unit}", self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_parse_and_spread_evenly() {
        let p = Pace::parse("200/day").unwrap();
        assert_eq!(p.spacing(), Duration::from_secs(432));
        assert_eq!(p.to_string(), "200/day");
        assert_eq!(
            Pace::parse("60/hour").unwrap().spacing(),
            Duration::from_secs(60)
        );
        assert_eq!(Pace::default().spacing(), Duration::from_secs(216));
        for bad in [
            "",
            "0/day",
            "10",
            "10/week",
            "-1/day",
            "1e3/day",
            "360001/hour",
            "9999999999/day",
        ] {
            assert_eq!(Pace::parse(bad), Err(PlanError::InvalidPace), "{bad}");
        }
        assert!(Pace::parse("360000/hour").is_ok());
    }

    #[test]
    fn gaps_stay_within_the_jitter() {
        let p = Pace::per_hour(60).unwrap().with_jitter(0.25).unwrap();
        for _ in 0..1000 {
            let g = p.gap();
            assert!(
                g >= Duration::from_secs(60) && g < Duration::from_secs(75),
                "{g:?}"
            );
        }
        let p = p.with_jitter(0.0).unwrap();
        assert_eq!(p.gap(), Duration::from_secs(60));
        assert_eq!(p.with_jitter(1.5), Err(PlanError::InvalidPace));
    }
}
