//! Time as the library sees it: seconds since the Unix epoch, from a replaceable clock.

use std::time::{Duration, SystemTime};

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
///
/// ```
/// use cloudsign_core::time::UnixTime;
/// let t = UnixTime::from_secs(1_700_000_000);
/// assert_eq!(t.as_secs(), 1_700_000_000);
/// assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20Z");
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The system clock now (the epoch if the clock is set before it).
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// Converts a `SystemTime`, clamping times before the epoch to the epoch.
    pub fn from_system_time(t: SystemTime) -> Self {
        Self(
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// As a `SystemTime`.
    pub fn to_system_time(self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(self.0)
    }

    /// This time plus `secs` seconds, saturating.
    pub const fn plus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// This time minus `secs` seconds, saturating at the epoch.
    pub const fn minus_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// Calendar fields (UTC): year, month, day, hour, minute, second.
    pub fn to_civil(self) -> (i64, u8, u8, u8, u8, u8) {
        let secs = self.0;
        let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
        let rem = secs % 86_400;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let small = |v: i64| u8::try_from(v).unwrap_or(0);
        let small_u = |v: u64| u8::try_from(v).unwrap_or(0);
        (
            year,
            small(month),
            small(day),
            small_u(rem / 3600),
            small_u(rem % 3600 / 60),
            small_u(rem % 60),
        )
    }

    /// The time at a UTC calendar date and time of day, or `None` when a field is out of range
    /// (month 1–12, day within the month, hour < 24, minute < 60, second < 60) or the date
    /// lies before the epoch.
    ///
    /// ```
    /// use cloudsign_core::time::UnixTime;
    /// assert_eq!(UnixTime::from_civil(2023, 11, 14, 22, 13, 20), Some(UnixTime::from_secs(1_700_000_000)));
    /// assert_eq!(UnixTime::from_civil(2023, 2, 29, 0, 0, 0), None);
    /// ```
    pub fn from_civil(
        year: i64,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_len = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > month_len || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        // Howard Hinnant's days-from-civil algorithm (the inverse of `to_civil`).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era.checked_mul(146_097)?.checked_add(doe - 719_468)?;
        let secs = days
            .checked_mul(86_400)?
            .checked_add(i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))?;
        u64::try_from(secs).ok().map(Self)
    }

    /// RFC 3339 form in UTC, e.g. `2023-11-14T22:13:20Z`.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = self.to_civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// PDF date string form (ISO 32000-1 §7.9.4), e.g. `D:20231114221320Z`.
    pub fn to_pdf_date(self) -> String {
        let (y, mo, d, h, mi, s) = self.to_civil();
        format!("D:{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z")
    }
}

/// A source of the current time, so that tests and validation "as of" a date can replace the
/// system clock.
pub trait TimeProvider: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl TimeProvider for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock stopped at one instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub UnixTime);

impl TimeProvider for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(UnixTime::from_secs(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UnixTime::from_secs(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            UnixTime::from_secs(4_102_444_799).to_pdf_date(),
            "D:20991231235959Z"
        );
    }

    #[test]
    fn civil_round_trip() {
        for secs in [0, 951_782_400, 1_700_000_000, 4_102_444_799, 68_256_000] {
            let t = UnixTime::from_secs(secs);
            let (y, mo, d, h, mi, s) = t.to_civil();
            assert_eq!(UnixTime::from_civil(y, mo, d, h, mi, s), Some(t));
        }
        assert_eq!(UnixTime::from_civil(1969, 12, 31, 23, 59, 59), None);
        assert_eq!(UnixTime::from_civil(2000, 13, 1, 0, 0, 0), None);
        assert_eq!(UnixTime::from_civil(2000, 2, 29, 24, 0, 0), None);
    }
}
